//! Per-app authentication settings beyond scimbridge's own bearer tokens, kept in the app's
//! configuration under `auth`: a JWT bearer (HS256 with a secret from the environment, or
//! RS256 with the IdP's public key) and HTTP Basic (for IdPs configured that way, with a
//! password scimbridge generates and stores only as a SHA-256).

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The `auth` object of an app's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt: Option<JwtSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic: Option<BasicSettings>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JwtAlgorithm {
    HS256,
    RS256,
}

impl std::str::FromStr for JwtAlgorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "HS256" => Ok(JwtAlgorithm::HS256),
            "RS256" => Ok(JwtAlgorithm::RS256),
            _ => Err(format!(
                "'{s}' is not a supported JWT algorithm: use HS256 or RS256"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    pub algorithm: JwtAlgorithm,
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud`.
    pub audience: String,
    /// RS256: the IdP's public key, PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_pem: Option<String>,
    /// HS256: the environment variable holding the shared secret (kept out of the
    /// database).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicSettings {
    pub username: String,
    /// Hex SHA-256 of the generated password (256 random bits, so a fast hash suffices).
    pub password_sha256: String,
}

impl AuthSettings {
    /// The settings in an app's configuration; none when it has no `auth` object.
    pub fn of(config: &serde_json::Value) -> Result<AuthSettings, String> {
        match config.get("auth") {
            None | Some(serde_json::Value::Null) => Ok(AuthSettings::default()),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| format!("the app's auth settings are invalid: {e}")),
        }
    }
}

/// Accepted JWT claims: who the IdP says it is, and until when.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    #[serde(default)]
    pub sub: Option<String>,
    pub exp: i64,
}

impl JwtSettings {
    /// Refuses settings that could never accept a token.
    pub fn check(&self) -> Result<(), String> {
        match self.algorithm {
            JwtAlgorithm::RS256 => {
                let pem = self
                    .public_key_pem
                    .as_deref()
                    .ok_or("RS256 needs the IdP's public key (--jwt-public-key FILE)")?;
                DecodingKey::from_rsa_pem(pem.as_bytes())
                    .map(drop)
                    .map_err(|e| format!("the public key is not an RSA public key in PEM: {e}"))
            }
            JwtAlgorithm::HS256 => match &self.secret_env {
                Some(var) if !var.is_empty() => Ok(()),
                _ => Err("HS256 needs the name of the environment variable holding the secret (--jwt-secret-env VAR)".into()),
            },
        }
    }

    /// Verifies a JWT: signature with exactly the configured algorithm (so `none` and
    /// HS/RS confusion are refused), `iss`, `aud`, `exp` required, `nbf` honoured.
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        let (algorithm, key) = match self.algorithm {
            JwtAlgorithm::RS256 => {
                let pem = self
                    .public_key_pem
                    .as_deref()
                    .ok_or("RS256 needs public_key_pem")?;
                let key = DecodingKey::from_rsa_pem(pem.as_bytes())
                    .map_err(|e| format!("the configured public key is unusable: {e}"))?;
                (Algorithm::RS256, key)
            }
            JwtAlgorithm::HS256 => {
                let var = self.secret_env.as_deref().ok_or("HS256 needs secret_env")?;
                let secret = std::env::var(var).map_err(|_| {
                    format!("the environment variable {var} holding the JWT secret is not set")
                })?;
                (
                    Algorithm::HS256,
                    DecodingKey::from_secret(secret.as_bytes()),
                )
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| format!("JWT rejected: {e}"))
    }
}

/// A new Basic password: 256 random bits, base64url.
pub fn generate_password() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl BasicSettings {
    /// Settings for a username and the SHA-256 of its generated password.
    pub fn new(username: &str, password: &str) -> Self {
        BasicSettings {
            username: username.to_owned(),
            password_sha256: hex(&Sha256::digest(password.as_bytes())),
        }
    }

    /// Checks credentials in constant time.
    pub fn accepts(&self, username: &str, password: &str) -> bool {
        let user_ok =
            Sha256::digest(username.as_bytes()).ct_eq(&Sha256::digest(self.username.as_bytes()));
        let given = hex(&Sha256::digest(password.as_bytes()));
        let password_ok = given.as_bytes().ct_eq(self.password_sha256.as_bytes());
        bool::from(user_ok & password_ok)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a bearer credential has the shape of a JWT (three dot-separated parts) rather
/// than a scimbridge token.
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && !token.starts_with("sbt_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    const PRIVATE: &str = include_str!("../tests/keys/test-rsa-private.pem");
    const PUBLIC: &str = include_str!("../tests/keys/test-rsa-public.pem");

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn rs256() -> JwtSettings {
        JwtSettings {
            algorithm: JwtAlgorithm::RS256,
            issuer: "https://idp.example.com".into(),
            audience: "scimbridge".into(),
            public_key_pem: Some(PUBLIC.into()),
            secret_env: None,
        }
    }

    fn signed(claims: serde_json::Value) -> String {
        encode(
            &Header::new(Algorithm::RS256),
            &claims,
            &EncodingKey::from_rsa_pem(PRIVATE.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    fn good_claims() -> serde_json::Value {
        json!({"iss": "https://idp.example.com", "aud": "scimbridge", "sub": "okta", "exp": now() + 300})
    }

    #[test]
    fn a_valid_rs256_token_is_accepted() {
        let claims = rs256().verify(&signed(good_claims())).unwrap();
        assert_eq!(claims.sub.as_deref(), Some("okta"));
    }

    #[test]
    fn wrong_issuer_audience_expiry_or_not_yet_valid_are_refused() {
        let mut cases = Vec::new();
        for (key, value) in [
            ("iss", json!("https://evil.example.com")),
            ("aud", json!("someone-else")),
            ("exp", json!(now() - 3600)),
            ("nbf", json!(now() + 3600)),
        ] {
            let mut claims = good_claims();
            claims[key] = value;
            cases.push(claims);
        }
        let mut no_exp = good_claims();
        no_exp.as_object_mut().unwrap().remove("exp");
        cases.push(no_exp);
        for claims in cases {
            assert!(rs256().verify(&signed(claims.clone())).is_err(), "{claims}");
        }
    }

    #[test]
    fn alg_none_and_hs_rs_confusion_are_refused() {
        // `none`: header and claims with an empty signature.
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let unsigned = format!(
            "{}.{}.",
            b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(good_claims().to_string())
        );
        assert!(rs256().verify(&unsigned).is_err());
        // HS256 signed with the RSA public key as the secret, sent to an RS256 app.
        let confused = encode(
            &Header::new(Algorithm::HS256),
            &good_claims(),
            &EncodingKey::from_secret(PUBLIC.as_bytes()),
        )
        .unwrap();
        assert!(rs256().verify(&confused).is_err());
    }

    #[test]
    fn hs256_reads_its_secret_from_the_environment() {
        let var = "SCIMBRIDGE_TEST_JWT_SECRET_HS256";
        // SAFETY: this test is the only user of this variable.
        unsafe { std::env::set_var(var, "a-long-shared-secret-of-the-idp") };
        let settings = JwtSettings {
            algorithm: JwtAlgorithm::HS256,
            issuer: "https://idp.example.com".into(),
            audience: "scimbridge".into(),
            public_key_pem: None,
            secret_env: Some(var.into()),
        };
        let token = encode(
            &Header::new(Algorithm::HS256),
            &good_claims(),
            &EncodingKey::from_secret(b"a-long-shared-secret-of-the-idp"),
        )
        .unwrap();
        assert!(settings.verify(&token).is_ok());
        let forged = encode(
            &Header::new(Algorithm::HS256),
            &good_claims(),
            &EncodingKey::from_secret(b"guessed"),
        )
        .unwrap();
        assert!(settings.verify(&forged).is_err());
        let unset = JwtSettings {
            secret_env: Some("SCIMBRIDGE_TEST_UNSET_VARIABLE".into()),
            ..settings
        };
        assert!(unset.verify(&token).unwrap_err().contains("not set"));
    }

    #[test]
    fn basic_credentials_match_exactly() {
        let basic = BasicSettings::new("okta", "generated-password");
        assert!(basic.accepts("okta", "generated-password"));
        assert!(!basic.accepts("okta", "generated-passwordX"));
        assert!(!basic.accepts("Okta", "generated-password"));
        assert!(!basic.accepts("", ""));
        assert!(
            !serde_json::to_string(&basic)
                .unwrap()
                .contains("generated-password")
        );
    }

    #[test]
    fn settings_parse_from_app_config() {
        assert_eq!(
            AuthSettings::of(&json!({})).unwrap(),
            AuthSettings::default()
        );
        let s = AuthSettings::of(&json!({"auth": {"jwt": {
            "algorithm": "RS256", "issuer": "i", "audience": "a", "public_key_pem": "k"
        }}}))
        .unwrap();
        assert_eq!(s.jwt.unwrap().algorithm, JwtAlgorithm::RS256);
        assert!(AuthSettings::of(&json!({"auth": {"jwt": {"algorithm": "none"}}})).is_err());
        assert!(looks_like_jwt("a.b.c") && !looks_like_jwt("sbt_abc") && !looks_like_jwt("a.b"));
    }
}
