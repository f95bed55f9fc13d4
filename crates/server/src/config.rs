//! Configuration: built-in defaults, then an optional TOML file, then `SCIMBRIDGE_*`
//! environment variables. Every key has an environment variable named after its path
//! (`limits.max_page_size` → `SCIMBRIDGE_LIMITS_MAX_PAGE_SIZE`), derived from the defaults
//! themselves so the two cannot drift apart.

mod notify;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use notify::Notify;

/// Prefix of every environment variable the configuration reads.
pub const ENV_PREFIX: &str = "SCIMBRIDGE_";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Directory for the embedded SQLite database.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; empty means SQLite in `data_dir`.
    pub database_url: String,
    /// Base URL clients reach the server at, for `Location` and `meta.location`; empty
    /// means `http://{listen}`.
    pub public_url: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `scimbridge=debug,actix_web=info`.
    pub log_level: String,
    pub limits: Limits,
    pub tokens: Tokens,
    pub engine: Engine,
    pub notify: Notify,
    pub secrets: Secrets,
    pub tls: Tls,
}

/// The keys that encrypt apps' vendor credentials in the database.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Secrets {
    /// 32 bytes in base64 or hex (`scimbridge secrets generate-key`); empty means the key
    /// file `data_dir/secrets.key`, created on first use.
    pub key: Hidden,
    /// Earlier keys, separated by commas, still accepted for reading until `scimbridge
    /// secrets re-encrypt` has rewritten everything under `key`.
    pub previous_keys: Hidden,
}

/// A configuration value that is a secret: never printed by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hidden(pub String);

impl Hidden {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "<hidden>"
        })
    }
}

/// HTTPS served by scimbridge itself; both files or neither.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    /// PEM file with the certificate chain, leaf first; empty serves plain HTTP.
    pub cert_file: PathBuf,
    /// PEM file with the certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

impl Tls {
    /// The certificate and key files, if TLS is on.
    pub fn files(&self) -> Option<(&Path, &Path)> {
        (!self.cert_file.as_os_str().is_empty())
            .then_some((self.cert_file.as_path(), self.key_file.as_path()))
    }
}

/// Request limits, advertised in ServiceProviderConfig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest filter accepted, in bytes.
    pub max_filter_length: usize,
    /// Deepest nesting of parentheses, `not` and value filters in a filter.
    pub max_filter_depth: usize,
    /// Page size when a list request gives no `count`.
    pub default_page_size: u64,
    /// Largest page returned, whatever `count` asks for.
    pub max_page_size: u64,
    /// Most operations in one Bulk request.
    pub bulk_max_operations: usize,
    /// Largest Bulk request body, in bytes.
    pub bulk_max_payload_bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tokens {
    /// How long a rotated-out token keeps working, in seconds.
    pub rotation_grace_seconds: u64,
    /// How long an accepted token is remembered without asking the database, in seconds;
    /// a revocation takes effect within this time. 0 checks the database every request.
    pub cache_seconds: u64,
    /// Failed authentications a client address may make per window before it is refused
    /// with 429 for the rest of the window; 0 turns the limit off.
    pub max_failures_per_address: u32,
    /// The window of `max_failures_per_address`, in seconds.
    pub failure_window_seconds: u64,
}

/// The reconcile engine: how writes to vendor apps reach the vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Engine {
    /// Run reconcile workers in this process (on SQLite, exactly one process may).
    pub workers: bool,
    /// Reconciles run at once by this process.
    pub concurrency: usize,
    /// How long a SCIM write waits for its reconcile before answering `syncState: pending`,
    /// in milliseconds.
    pub write_wait_ms: u64,
    /// How long a claimed queue entry stays leased to its worker, in seconds: a crashed
    /// process's work is retried after it.
    pub lease_seconds: u64,
    /// Failed attempts before an entry is dead-lettered for an admin to retry.
    pub max_attempts: u32,
    /// First retry delay in milliseconds; doubles per attempt (with jitter).
    pub retry_base_ms: u64,
    /// Longest retry delay, in seconds.
    pub retry_max_seconds: u64,
    /// How often idle workers look for due work, in milliseconds.
    pub poll_interval_ms: u64,
    /// Changes waiting for a vendor app's reconcile past which further SCIM writes to that
    /// app are refused with 429 and `Retry-After`.
    pub max_queued_per_app: u64,
    /// The `Retry-After` of those refusals, in seconds.
    pub queue_full_retry_after_seconds: u64,
}

impl Default for Engine {
    fn default() -> Self {
        let d = engine::EngineConfig::default();
        Engine {
            workers: true,
            concurrency: d.concurrency,
            write_wait_ms: d.write_wait.as_millis() as u64,
            lease_seconds: d.lease.as_secs(),
            max_attempts: d.max_attempts,
            retry_base_ms: d.backoff_base.as_millis() as u64,
            retry_max_seconds: d.backoff_max.as_secs(),
            poll_interval_ms: d.poll_interval.as_millis() as u64,
            max_queued_per_app: d.max_queued_per_app,
            queue_full_retry_after_seconds: d.queue_full_retry_after.as_secs(),
        }
    }
}

impl Engine {
    /// The engine's own configuration type.
    pub fn to_engine_config(&self) -> engine::EngineConfig {
        use std::time::Duration;
        engine::EngineConfig {
            concurrency: self.concurrency,
            lease: Duration::from_secs(self.lease_seconds),
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            max_attempts: self.max_attempts,
            backoff_base: Duration::from_millis(self.retry_base_ms),
            backoff_max: Duration::from_secs(self.retry_max_seconds),
            write_wait: Duration::from_millis(self.write_wait_ms),
            max_queued_per_app: self.max_queued_per_app,
            queue_full_retry_after: Duration::from_secs(self.queue_full_retry_after_seconds),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            public_url: String::new(),
            log_format: LogFormat::Text,
            log_level: "info".into(),
            limits: Limits::default(),
            tokens: Tokens::default(),
            engine: Engine::default(),
            notify: Notify::default(),
            secrets: Secrets::default(),
            tls: Tls::default(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_filter_length: 4096,
            max_filter_depth: 32,
            default_page_size: 100,
            max_page_size: 1000,
            bulk_max_operations: 1000,
            bulk_max_payload_bytes: 1024 * 1024,
        }
    }
}

impl Default for Tokens {
    fn default() -> Self {
        Tokens {
            rotation_grace_seconds: 24 * 60 * 60,
            cache_seconds: 5,
            max_failures_per_address: 50,
            failure_window_seconds: 60,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid TOML: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{var}={value:?} is not a valid value for `{key}`: expected {expected}")]
    Env {
        var: String,
        value: String,
        key: String,
        expected: &'static str,
    },
    #[error("invalid configuration: {0} (see docs/configuration.md for every key)")]
    Invalid(String),
}

/// One configuration key, for documentation and for checks against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Dotted path in the TOML file.
    pub path: String,
    /// The environment variable that overrides it.
    pub env: String,
    /// The built-in default, as TOML.
    pub default: String,
}

impl Config {
    /// Loads the defaults, then `file` if given, then the environment.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = defaults_table();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            merge(&mut table, parse_file(&text, path)?);
        }
        let env: std::collections::HashMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .collect();
        for key in Config::keys() {
            if let Some(value) = env.get(&key.env) {
                set_from_env(&mut table, &key, value)?;
            }
        }
        finish(table)
    }

    /// The configuration a TOML file's text gives, over the defaults and without the
    /// environment.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let mut table = defaults_table();
        merge(&mut table, parse_file(text, Path::new("(text)"))?);
        finish(table)
    }

    /// Every key with its environment variable and default.
    pub fn keys() -> Vec<Key> {
        let mut keys = Vec::new();
        collect_keys(&defaults_table(), "", &mut keys);
        keys
    }

    /// The database URL to connect to: the configured one, or SQLite in `data_dir`.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}",
                self.data_dir.join("scimbridge.db").to_string_lossy()
            )
        } else {
            self.database_url.clone()
        }
    }

    /// The base URL of the server, without a trailing slash.
    pub fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            let scheme = if self.tls.files().is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }

    fn check(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        if l.max_page_size == 0 || l.default_page_size == 0 {
            return Err(ConfigError::Invalid(
                "limits.max_page_size and limits.default_page_size must be at least 1".into(),
            ));
        }
        if l.default_page_size > l.max_page_size {
            return Err(ConfigError::Invalid(format!(
                "limits.default_page_size ({}) is larger than limits.max_page_size ({})",
                l.default_page_size, l.max_page_size
            )));
        }
        if l.max_body_bytes < 1024 || l.bulk_max_payload_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "limits.max_body_bytes and limits.bulk_max_payload_bytes must be at least 1024"
                    .into(),
            ));
        }
        if l.max_filter_length == 0 || l.max_filter_depth == 0 || l.bulk_max_operations == 0 {
            return Err(ConfigError::Invalid(
                "limits.max_filter_length, limits.max_filter_depth and limits.bulk_max_operations must be at least 1".into(),
            ));
        }
        if self.tokens.max_failures_per_address > 0 && self.tokens.failure_window_seconds == 0 {
            return Err(ConfigError::Invalid(
                "tokens.failure_window_seconds must be at least 1 while tokens.max_failures_per_address limits failures".into(),
            ));
        }
        let e = &self.engine;
        if e.concurrency == 0
            || e.max_attempts == 0
            || e.lease_seconds == 0
            || e.poll_interval_ms == 0
            || e.max_queued_per_app == 0
        {
            return Err(ConfigError::Invalid(
                "engine.concurrency, engine.max_attempts, engine.lease_seconds, engine.poll_interval_ms and engine.max_queued_per_app must be at least 1".into(),
            ));
        }
        if self.tls.cert_file.as_os_str().is_empty() != self.tls.key_file.as_os_str().is_empty() {
            return Err(ConfigError::Invalid(
                "tls.cert_file and tls.key_file go together: set both to serve HTTPS, or neither"
                    .into(),
            ));
        }
        self.notify.check()?;
        let url = &self.public_url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::Invalid(format!(
                "public_url {:?} must start with http:// or https://",
                self.public_url
            )));
        }
        Ok(())
    }
}

fn parse_file(text: &str, path: &Path) -> Result<toml::Table, ConfigError> {
    text.parse().map_err(|source| ConfigError::Parse {
        path: path.to_owned(),
        source,
    })
}

fn finish(table: toml::Table) -> Result<Config, ConfigError> {
    let config: Config = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_owned()))?;
    config.check()?;
    Ok(config)
}

fn defaults_table() -> toml::Table {
    match toml::Value::try_from(Config::default()) {
        Ok(toml::Value::Table(table)) => table,
        _ => toml::Table::new(),
    }
}

fn collect_keys(table: &toml::Table, prefix: &str, out: &mut Vec<Key>) {
    for (name, value) in table {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            toml::Value::Table(inner) => collect_keys(inner, &path, out),
            leaf => out.push(Key {
                env: format!("{ENV_PREFIX}{}", path.replace('.', "_").to_uppercase()),
                default: leaf.to_string(),
                path,
            }),
        }
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (name, value) in over {
        match (base.get_mut(&name), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(name, value);
            }
        }
    }
}

fn set_from_env(table: &mut toml::Table, key: &Key, raw: &str) -> Result<(), ConfigError> {
    let mut parts: Vec<&str> = key.path.split('.').collect();
    let Some(leaf) = parts.pop() else {
        return Ok(());
    };
    let mut current = table;
    for part in parts {
        let entry = current
            .entry(part.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(next) = entry else {
            return Ok(());
        };
        current = next;
    }
    let error = |expected| ConfigError::Env {
        var: key.env.clone(),
        value: raw.to_owned(),
        key: key.path.clone(),
        expected,
    };
    let value = match current.get(leaf) {
        Some(toml::Value::Integer(_)) => {
            toml::Value::Integer(raw.trim().parse().map_err(|_| error("an integer"))?)
        }
        Some(toml::Value::Boolean(_)) => {
            toml::Value::Boolean(raw.trim().parse().map_err(|_| error("true or false"))?)
        }
        _ => toml::Value::String(raw.to_owned()),
    };
    current.insert(leaf.to_owned(), value);
    Ok(())
}

#[cfg(test)]
mod tests;
