//! Interpretation of a knowledge profile's `config` (`docs/api/knowledge-bases.md` "Profiles"):
//! `chunkSize` (200–8000, default 1000) sets chunking and `maxChunks` (≥ 1) caps
//! `topK`. Other keys are stored by the server and ignored here.

use serde_json::Value;

use crate::error::FieldError;

pub const DEFAULT_CHUNK_SIZE: usize = 1000;
pub const MIN_CHUNK_SIZE: usize = 200;
pub const MAX_CHUNK_SIZE: usize = 8000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileConfig {
    pub chunk_size: usize,
    pub max_chunks: Option<usize>,
}

impl Default for ProfileConfig {
    /// A knowledge base without a default profile: chunk size 1000, no cap.
    fn default() -> Self {
        ProfileConfig { chunk_size: DEFAULT_CHUNK_SIZE, max_chunks: None }
    }
}

impl ProfileConfig {
    /// Reads a profile `config` object. `null` counts as `{}`, and so does a key set
    /// to `null`. Numbers must be integers (`1000.0` is accepted as 1000, since JSON
    /// does not tell them apart).
    pub fn from_json(config: &Value) -> Result<ProfileConfig, FieldError> {
        let map = match config {
            Value::Null => return Ok(ProfileConfig::default()),
            Value::Object(map) => map,
            _ => return Err(FieldError::new("config", "must be an object")),
        };
        let mut out = ProfileConfig::default();
        match map.get("chunkSize") {
            None | Some(Value::Null) => {}
            Some(v) => {
                out.chunk_size = integer(v)
                    .filter(|n| (MIN_CHUNK_SIZE as i64..=MAX_CHUNK_SIZE as i64).contains(n))
                    .ok_or_else(|| FieldError::new("config.chunkSize", "must be an integer between 200 and 8000"))?
                    as usize;
            }
        }
        match map.get("maxChunks") {
            None | Some(Value::Null) => {}
            Some(v) => {
                let n = integer(v)
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| FieldError::new("config.maxChunks", "must be an integer of at least 1"))?;
                out.max_chunks = Some(usize::try_from(n).unwrap_or(usize::MAX));
            }
        }
        Ok(out)
    }

    /// `top_k` capped by `maxChunks`.
    pub fn cap_top_k(&self, top_k: usize) -> usize {
        self.max_chunks.map_or(top_k, |cap| top_k.min(cap))
    }

    /// `topK` for a run's retrieval (`docs/server.md`): `maxChunks`, else 5.
    pub fn run_top_k(&self) -> usize {
        self.max_chunks.unwrap_or(crate::scoring::DEFAULT_TOP_K)
    }
}

fn integer(v: &Value) -> Option<i64> {
    if let Some(n) = v.as_i64() {
        return Some(n);
    }
    if v.is_u64() {
        return Some(i64::MAX);
    }
    v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_values() {
        assert_eq!(ProfileConfig::from_json(&json!({})).unwrap(), ProfileConfig::default());
        assert_eq!(ProfileConfig::from_json(&Value::Null).unwrap(), ProfileConfig::default());
        let p = ProfileConfig::from_json(&json!({"chunkSize": 200, "maxChunks": 3, "x": 1})).unwrap();
        assert_eq!(p, ProfileConfig { chunk_size: 200, max_chunks: Some(3) });
        let p = ProfileConfig::from_json(&json!({"chunkSize": 8000.0, "maxChunks": null})).unwrap();
        assert_eq!(p, ProfileConfig { chunk_size: 8000, max_chunks: None });
        assert_eq!(p.cap_top_k(7), 7);
        assert_eq!(p.run_top_k(), 5);
        let p = ProfileConfig { chunk_size: 1000, max_chunks: Some(3) };
        assert_eq!(p.cap_top_k(7), 3);
        assert_eq!(p.cap_top_k(2), 2);
        assert_eq!(p.run_top_k(), 3);
    }

    #[test]
    fn errors_name_the_field() {
        for bad in [
            json!({"chunkSize": 199}),
            json!({"chunkSize": 8001}),
            json!({"chunkSize": "1000"}),
            json!({"chunkSize": 500.5}),
        ] {
            let e = ProfileConfig::from_json(&bad).unwrap_err();
            assert_eq!(e.field, "config.chunkSize", "{bad}");
        }
        for bad in [json!({"maxChunks": 0}), json!({"maxChunks": -1}), json!({"maxChunks": true})] {
            let e = ProfileConfig::from_json(&bad).unwrap_err();
            assert_eq!(e.field, "config.maxChunks", "{bad}");
        }
        let e = ProfileConfig::from_json(&json!([1])).unwrap_err();
        assert_eq!(e.to_string(), "config must be an object");
        let e = ProfileConfig::from_json(&json!({"maxChunks": 0})).unwrap_err();
        assert_eq!(e.to_string(), "config.maxChunks must be an integer of at least 1");
    }
}
