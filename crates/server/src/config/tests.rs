//! The configuration's unit tests: files, environment variables, defaults, and the
//! reference in docs/configuration.md.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn no_file_and_no_environment_gives_the_documented_defaults() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c, Config::default());
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url(), "sqlite://data/scimbridge.db");
    assert_eq!(c.public_url(), "http://127.0.0.1:8080");
}

#[test]
fn file_then_environment_override_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scimbridge.toml");
    std::fs::write(
        &path,
        "listen = \"0.0.0.0:9000\"\n[limits]\nmax_page_size = 200\n",
    )
    .unwrap();
    let c = Config::load(
        Some(&path),
        env(&[
            ("SCIMBRIDGE_LIMITS_MAX_PAGE_SIZE", "500"),
            ("SCIMBRIDGE_DATABASE_URL", "postgres://db/scim"),
            ("OTHER", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(c.limits.max_page_size, 500);
    assert_eq!(c.limits.default_page_size, 100);
    assert_eq!(c.database_url(), "postgres://db/scim");
}

#[test]
fn bad_values_are_refused_with_the_key_named() {
    let e = Config::load(None, env(&[("SCIMBRIDGE_LIMITS_MAX_PAGE_SIZE", "lots")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("limits.max_page_size") && e.contains("integer"),
        "{e}"
    );
    let e = Config::load(None, env(&[("SCIMBRIDGE_LISTEN", "nowhere")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("invalid configuration"), "{e}");
    let e = Config::load(
        None,
        env(&[("SCIMBRIDGE_LIMITS_DEFAULT_PAGE_SIZE", "5000")]),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("default_page_size"), "{e}");
    let e = Config::load(None, env(&[("SCIMBRIDGE_TLS_CERT_FILE", "cert.pem")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("tls.key_file"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "listne = \"1.2.3.4:5\"\n").unwrap();
    let e = Config::load(Some(&path), env(&[])).unwrap_err().to_string();
    assert!(e.contains("listne"), "{e}");
}

#[test]
fn secret_keys_never_print() {
    let c = Config::load(
        None,
        env(&[
            ("SCIMBRIDGE_SECRETS_KEY", "key-material-value"),
            ("SCIMBRIDGE_SECRETS_PREVIOUS_KEYS", "old-key-value"),
        ]),
    )
    .unwrap();
    assert_eq!(c.secrets.key.expose(), "key-material-value");
    let printed = format!("{c:?}");
    assert!(!printed.contains("key-material-value") && !printed.contains("old-key-value"));
}

#[test]
fn toml_text_reads_like_a_file() {
    let c = Config::from_toml("[tokens]\nmax_failures_per_address = 5\n").unwrap();
    assert_eq!(c.tokens.max_failures_per_address, 5);
    assert_eq!(c.tokens.failure_window_seconds, 60);
    assert!(Config::from_toml("[tokens").is_err());
    let e =
        Config::from_toml("[tokens]\nmax_failures_per_address = 5\nfailure_window_seconds = 0\n")
            .unwrap_err()
            .to_string();
    assert!(e.contains("failure_window_seconds"), "{e}");
}

#[test]
fn every_key_has_an_environment_variable() {
    let keys = Config::keys();
    let find = |p: &str| keys.iter().find(|k| k.path == p).unwrap().env.clone();
    assert_eq!(find("listen"), "SCIMBRIDGE_LISTEN");
    assert_eq!(
        find("limits.max_body_bytes"),
        "SCIMBRIDGE_LIMITS_MAX_BODY_BYTES"
    );
    assert_eq!(
        find("tokens.rotation_grace_seconds"),
        "SCIMBRIDGE_TOKENS_ROTATION_GRACE_SECONDS"
    );
    assert_eq!(
        find("engine.write_wait_ms"),
        "SCIMBRIDGE_ENGINE_WRITE_WAIT_MS"
    );
    assert_eq!(find("secrets.key"), "SCIMBRIDGE_SECRETS_KEY");
    assert_eq!(find("tls.cert_file"), "SCIMBRIDGE_TLS_CERT_FILE");
    assert_eq!(keys.len(), 34);
}

mod docs {
    use super::*;

    /// docs/configuration.md must list every key with its variable and default, so the
    /// reference cannot drift from the code.
    #[test]
    fn the_configuration_reference_lists_every_key() {
        let doc = include_str!("../../../../docs/configuration.md");
        for key in Config::keys() {
            let row = format!("| `{}` | `{}` | `{}` |", key.path, key.env, key.default);
            assert!(
                doc.contains(&row),
                "docs/configuration.md lacks the row: {row}"
            );
        }
        let rows = doc.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(
            rows,
            Config::keys().len(),
            "docs/configuration.md lists keys that do not exist"
        );
    }
}
