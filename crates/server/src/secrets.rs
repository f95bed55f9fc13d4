//! Where the key that encrypts vendor credentials comes from: `secrets.key` (the
//! environment, in production), or else a key file in the data directory, created on first
//! use so that a new install works with no configuration.

use std::io::Write;
use std::path::{Path, PathBuf};

use store::{Keyring, SecretKey};

use crate::config::Config;

/// The key file's name in `data_dir`.
pub const KEY_FILE: &str = "secrets.key";

/// Why no keyring could be built. Never holds key material.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("secrets.key (SCIMBRIDGE_SECRETS_KEY) is not a valid key: {0}")]
    Current(store::KeyError),
    #[error(
        "entry {index} of secrets.previous_keys (SCIMBRIDGE_SECRETS_PREVIOUS_KEYS, comma-separated) is not a valid key: {error}"
    )]
    Previous {
        index: usize,
        error: store::KeyError,
    },
    #[error(
        "the key file {path} is not a valid key: {error}; restore it, or set SCIMBRIDGE_SECRETS_KEY"
    )]
    File {
        path: PathBuf,
        error: store::KeyError,
    },
    #[error("cannot read or create the key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The keyring of `config`, creating the key file if no key is configured and there is
/// none yet.
pub fn keyring(config: &Config) -> Result<Keyring, SecretsError> {
    let previous = config
        .secrets
        .previous_keys
        .expose()
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .enumerate()
        .map(|(i, k)| {
            SecretKey::parse(k).map_err(|error| SecretsError::Previous {
                index: i + 1,
                error,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let current = if config.secrets.key.expose().trim().is_empty() {
        key_file(
            &config.data_dir.join(KEY_FILE),
            config.database_url().starts_with("postgres"),
        )?
    } else {
        SecretKey::parse(config.secrets.key.expose()).map_err(SecretsError::Current)?
    };
    Ok(Keyring::new(current, previous))
}

/// Reads the key file at `path`, or creates it (mode 0600) with a new key.
fn key_file(path: &Path, shared_database: bool) -> Result<SecretKey, SecretsError> {
    let io = |source| SecretsError::Io {
        path: path.to_owned(),
        source,
    };
    let key = match std::fs::read_to_string(path) {
        Ok(text) => SecretKey::parse(&text).map_err(|error| SecretsError::File {
            path: path.to_owned(),
            error,
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let key = SecretKey::generate();
            match create_private(path) {
                Ok(mut file) => {
                    writeln!(file, "{}", key.to_base64()).map_err(io)?;
                    file.sync_all().map_err(io)?;
                    tracing::warn!(
                        file = %path.display(),
                        "created a key to encrypt vendor credentials; for production move it to SCIMBRIDGE_SECRETS_KEY (a secret store) and keep it apart from database backups"
                    );
                    key
                }
                // Another process created it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return key_file(path, shared_database);
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(e) => return Err(io(e)),
    };
    if shared_database {
        tracing::warn!(
            file = %path.display(),
            "vendor credentials are encrypted with a key file of this machine; every instance on this database needs the same key: set SCIMBRIDGE_SECRETS_KEY"
        );
    }
    Ok(key)
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, key: &str, previous: &str) -> Config {
        let mut c = Config {
            data_dir: dir.to_owned(),
            ..Config::default()
        };
        c.secrets.key.0 = key.into();
        c.secrets.previous_keys.0 = previous.into();
        c
    }

    #[test]
    fn without_a_key_a_private_key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = keyring(&config(dir.path(), "", "")).unwrap();
        let again = keyring(&config(dir.path(), "", "")).unwrap();
        assert_eq!(first.current_id(), again.current_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn configured_keys_win_and_bad_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate();
        let old = SecretKey::generate();
        let ring = keyring(&config(
            dir.path(),
            &key.to_base64(),
            &format!("{}, ", old.to_base64()),
        ))
        .unwrap();
        assert_eq!(ring.current_id(), key.id());
        assert!(!dir.path().join(KEY_FILE).exists());
        let e = keyring(&config(dir.path(), "nope", ""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("SCIMBRIDGE_SECRETS_KEY"), "{e}");
        let e = keyring(&config(dir.path(), &key.to_base64(), "x,y"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("entry 1") && e.contains("PREVIOUS"), "{e}");
        std::fs::write(dir.path().join(KEY_FILE), "garbage").unwrap();
        let e = keyring(&config(dir.path(), "", ""))
            .unwrap_err()
            .to_string();
        assert!(e.contains(KEY_FILE), "{e}");
    }
}
