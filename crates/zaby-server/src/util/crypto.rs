//! Hashing, constant-time comparison and the AES-256-GCM secrets box.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Lower-case hex SHA-256 of a string.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Compares two byte strings in time independent of where they differ.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Encrypts stored credentials with the secrets key (`ZABY_SECRETS_KEY`), which is
/// never written to the database.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> Self {
        SecretBox { cipher: Aes256Gcm::new(key.into()) }
    }

    /// Parses a base64 key of exactly 32 bytes.
    pub fn from_base64(text: &str) -> anyhow::Result<Self> {
        let bytes = B64.decode(text.trim()).map_err(|_| anyhow::anyhow!("the secrets key is not valid base64"))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| anyhow::anyhow!("the secrets key must be 32 bytes"))?;
        Ok(SecretBox::new(&key))
    }

    /// A fresh random key, base64.
    pub fn generate_base64() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill(&mut key);
        B64.encode(key)
    }

    /// `v1:<base64 nonce>:<base64 ciphertext>`.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .expect("AES-GCM encryption does not fail for in-memory buffers");
        format!("v1:{}:{}", B64.encode(nonce), B64.encode(ct))
    }

    pub fn open(&self, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let mut parts = sealed.splitn(3, ':');
        let (Some("v1"), Some(nonce), Some(ct)) = (parts.next(), parts.next(), parts.next()) else {
            anyhow::bail!("unknown sealed-secret format");
        };
        let nonce = B64.decode(nonce)?;
        let ct = B64.decode(ct)?;
        if nonce.len() != 12 {
            anyhow::bail!("bad nonce length");
        }
        self.cipher
            .decrypt(Nonce::from_slice(&nonce), ct.as_ref())
            .map_err(|_| anyhow::anyhow!("a stored secret cannot be decrypted with this secrets key (ZABY_SECRETS_KEY differs from the one that sealed it)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip() {
        let b = SecretBox::from_base64(&SecretBox::generate_base64()).unwrap();
        let sealed = b.seal(b"hello");
        assert_eq!(b.open(&sealed).unwrap(), b"hello");
        let other = SecretBox::from_base64(&SecretBox::generate_base64()).unwrap();
        assert!(other.open(&sealed).is_err());
    }

    #[test]
    fn compares() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
