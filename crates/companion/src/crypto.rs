//! Access tokens are encrypted at rest (ChaCha20-Poly1305), each bound to its
//! user's id, so a stolen database file is not a set of working tokens and a
//! token row cannot be moved to another user.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const PREFIX: &str = "v1:";

#[derive(Clone)]
pub struct TokenCipher {
    cipher: ChaCha20Poly1305,
    /// A second key derived from the same one, for signing sessions, so one
    /// setting serves both and instances sharing it accept each other's cookies.
    signing_key: [u8; 32],
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCipher(<key redacted>)")
    }
}

impl TokenCipher {
    /// A key given as 64 hex digits or as base64 of 32 bytes.
    pub fn from_text(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|e| e.to_string())?
        } else {
            STANDARD.decode(text).map_err(|_| "the token key must be 64 hex digits or base64 of 32 bytes".to_owned())?
        };
        if bytes.len() != 32 {
            return Err(format!("the token key must be 32 bytes, not {}", bytes.len()));
        }
        Ok(Self::from_bytes(&bytes))
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        let mut derivation = Sha256::new();
        derivation.update(b"pelm-companion session signing v1\0");
        derivation.update(bytes);
        Self { cipher: ChaCha20Poly1305::new(Key::from_slice(bytes)), signing_key: derivation.finalize().into() }
    }

    /// A fresh random key, for sandbox mode without a configured one.
    pub fn random() -> Self {
        Self::from_bytes(&rand::random::<[u8; 32]>())
    }

    /// HMAC-SHA256 of `parts` (each length-prefixed, so no two lists collide)
    /// under the signing key.
    pub fn sign(&self, parts: &[&str]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.signing_key).expect("HMAC takes any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    pub fn seal(&self, user_id: &str, token: &str) -> String {
        let nonce: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: token.as_bytes(), aad: user_id.as_bytes() })
            .expect("ChaCha20-Poly1305 encryption cannot fail for a short message");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    /// The token, or `None` if it was sealed with another key or for another user.
    pub fn open(&self, user_id: &str, sealed: &str) -> Option<String> {
        let raw = STANDARD.decode(sealed.strip_prefix(PREFIX)?).ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (nonce, body) = raw.split_at(12);
        let plain =
            self.cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: user_id.as_bytes() }).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_for_the_same_key_and_user() {
        let key = TokenCipher::from_text(&"ab".repeat(32)).unwrap();
        let sealed = key.seal("user-1", "57f20230-4ee7-11ec");
        assert!(!sealed.contains("57f20230"));
        assert_ne!(sealed, key.seal("user-1", "57f20230-4ee7-11ec"), "fresh nonce each time");
        assert_eq!(key.open("user-1", &sealed).as_deref(), Some("57f20230-4ee7-11ec"));
        assert_eq!(key.open("user-2", &sealed), None, "bound to its user");
        assert_eq!(TokenCipher::random().open("user-1", &sealed), None, "bound to its key");
        assert_eq!(key.open("user-1", "57f20230-plaintext"), None);
    }

    #[test]
    fn keys_are_checked() {
        assert!(TokenCipher::from_text(&STANDARD.encode([7u8; 32])).is_ok());
        assert!(TokenCipher::from_text("too-short").is_err());
        assert!(TokenCipher::from_text(&STANDARD.encode([7u8; 16])).is_err());
    }
}
