//! Configuration from arbitrary text: as an app's JSON config (`connector`, `mapping`,
//! `policies`, `auth`) for every app kind, and as the server's TOML file. Reading either
//! never panics; whatever it refuses, it refuses with a message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scimbridge::app_auth::AuthSettings;
use scimbridge::config::Config;
use scimbridge::connectors::check_app_config;
use store::AppKind;

fuzz_target!(|text: &str| {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        for kind in [
            AppKind::DIRECTORY,
            AppKind::from_static("gong"),
            AppKind::from_static("zoominfo"),
            AppKind::from_static("chorus"),
        ] {
            if let Err(why) = check_app_config("fuzz", &kind, &value) {
                assert!(!why.is_empty());
            }
        }
        let _ = AuthSettings::of(&value);
    }
    if let Err(e) = Config::from_toml(text) {
        assert!(!e.to_string().is_empty());
    }
});
