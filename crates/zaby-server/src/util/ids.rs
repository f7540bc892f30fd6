//! Identifier and secret generation.

use rand::Rng;

/// A server-generated resource id: a lower-case hyphenated UUID v4.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `n` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    hex::encode(buf)
}

/// A fresh request id: `req_<32 lower-case hex>`.
pub fn new_request_id() -> String {
    format!("req_{}", random_hex(16))
}

/// A fresh API key: `zaby_pk_` followed by 40 URL-safe characters.
pub fn new_api_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..40).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("zaby_pk_{tail}")
}

/// Whether a string is a well-formed API key (`^zaby_pk_[A-Za-z0-9_-]{16,}$`).
pub fn is_api_key_format(s: &str) -> bool {
    match s.strip_prefix("zaby_pk_") {
        Some(tail) => tail.len() >= 16 && tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        None => false,
    }
}
