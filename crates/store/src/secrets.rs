//! Encryption at rest of apps' connector settings (the vendor credentials).
//!
//! A blob is `sb1:<key id>:<base64 of nonce ‖ ciphertext>`: XChaCha20-Poly1305 with a random
//! 192-bit nonce per write and the app's name as associated data, so that a blob copied to
//! another app's row does not open. The key id (derived from the key) names the key that
//! sealed it, so that rotation can keep old keys for reading only.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

const VERSION: &str = "sb1";
const NONCE_LEN: usize = 24;

/// A 256-bit key; never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "a secrets key must be 32 bytes in base64 (44 characters) or hex (64 characters), got {0} characters; generate one with `scimbridge secrets generate-key`"
    )]
    Malformed(usize),
}

impl SecretKey {
    /// A new random key.
    pub fn generate() -> SecretKey {
        SecretKey(rand::random())
    }

    /// The key as base64, the form [`SecretKey::parse`] reads back.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// Reads a key written as base64 or hex (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<SecretKey, KeyError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()
        } else {
            B64.decode(text).ok()
        };
        bytes
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(SecretKey)
            .ok_or(KeyError::Malformed(text.chars().count()))
    }

    /// A short public name of the key: the start of a hash of it.
    pub fn id(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"scimbridge secrets key id\0")
            .chain_update(self.0)
            .finalize();
        digest[..4].iter().map(|b| format!("{b:02x}")).collect()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.0))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.id())
    }
}

/// The key new blobs are sealed with, and older keys still accepted for opening.
#[derive(Clone)]
pub struct Keyring {
    current: SecretKey,
    previous: Vec<SecretKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id())
            .field(
                "previous",
                &self.previous.iter().map(SecretKey::id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Why a blob did not open. Never holds any part of the plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OpenError {
    #[error(
        "it was encrypted with key {0}, which is neither the current key nor one of the previous keys; configure that key (as the current or a previous key)"
    )]
    UnknownKey(String),
    #[error(
        "it does not decrypt with key {0}: it was altered, or copied from another app; set the app's connector settings again"
    )]
    Tampered(String),
    #[error("it is not an encrypted blob scimbridge wrote; set the app's connector settings again")]
    Malformed,
}

impl Keyring {
    pub fn new(current: SecretKey, previous: Vec<SecretKey>) -> Keyring {
        Keyring { current, previous }
    }

    /// The id of the key new blobs are sealed with.
    pub fn current_id(&self) -> String {
        self.current.id()
    }

    /// Encrypts `plaintext` for the app `app` under the current key.
    pub(crate) fn seal(&self, app: &str, plaintext: &[u8]) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .current
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: app.as_bytes(),
                },
            )
            // Encryption fails only for messages of gigabytes, which a config never is.
            .unwrap_or_default();
        let mut body = nonce.to_vec();
        body.extend_from_slice(&sealed);
        format!("{VERSION}:{}:{}", self.current.id(), B64.encode(body))
    }

    /// The id of the key that sealed `blob`, if it is a blob.
    pub(crate) fn key_id(blob: &str) -> Option<&str> {
        let mut parts = blob.splitn(3, ':');
        if parts.next() != Some(VERSION) {
            return None;
        }
        parts.next()
    }

    /// Decrypts a blob sealed for `app` by [`Keyring::seal`] under any key of the ring.
    pub(crate) fn open(&self, app: &str, blob: &str) -> Result<Vec<u8>, OpenError> {
        let mut parts = blob.splitn(3, ':');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(OpenError::Malformed);
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id() == id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_owned()))?;
        let body = B64.decode(body).map_err(|_| OpenError::Malformed)?;
        if body.len() < NONCE_LEN {
            return Err(OpenError::Malformed);
        }
        let (nonce, sealed) = body.split_at(NONCE_LEN);
        key.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: app.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Tampered(id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_open_for_their_app_only_and_with_a_known_key() {
        let old = SecretKey::generate();
        let new = SecretKey::generate();
        let before = Keyring::new(old.clone(), vec![]);
        let blob = before.seal("gong", b"{\"password\":\"p\"}");
        assert!(!blob.contains("password"), "{blob}");
        assert_eq!(Keyring::key_id(&blob), Some(old.id().as_str()));
        assert_ne!(
            blob,
            before.seal("gong", b"{\"password\":\"p\"}"),
            "nonce reused"
        );
        assert_eq!(before.open("gong", &blob).unwrap(), b"{\"password\":\"p\"}");
        assert_eq!(
            before.open("chorus", &blob),
            Err(OpenError::Tampered(old.id()))
        );
        let rotated = Keyring::new(new.clone(), vec![old.clone()]);
        assert!(rotated.open("gong", &blob).is_ok());
        let forgot = Keyring::new(new, vec![]);
        assert_eq!(
            forgot.open("gong", &blob),
            Err(OpenError::UnknownKey(old.id()))
        );
        assert_eq!(forgot.open("gong", "sb1:xx"), Err(OpenError::Malformed));
    }

    #[test]
    fn keys_read_back_from_base64_and_hex_and_never_print() {
        let key = SecretKey::generate();
        let b64 = key.to_base64();
        assert_eq!(SecretKey::parse(&b64).unwrap().id(), key.id());
        let hex: String = key.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            SecretKey::parse(&format!(" {hex}\n")).unwrap().id(),
            key.id()
        );
        assert!(!format!("{key:?}").contains(&b64));
        assert_eq!(
            SecretKey::parse("short").unwrap_err(),
            KeyError::Malformed(5)
        );
    }
}
