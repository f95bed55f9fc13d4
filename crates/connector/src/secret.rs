//! The credentials an app's config gives its adapter.

use std::fmt;

use serde::Deserialize;

/// A credential (API key, token, password): readable by the adapter that sends it, never
/// printed. In a config it is a plain JSON string.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential in the clear, to put on the wire; never into a message or a log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_a_json_string_that_debug_never_prints() {
        let secret: Secret = serde_json::from_value(serde_json::json!("hunter2")).unwrap();
        assert_eq!(secret, Secret::new("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
        assert_eq!(format!("{secret:?}"), "\"***\"");
        assert!(serde_json::from_value::<Secret>(serde_json::json!({"value": "x"})).is_err());
    }
}
