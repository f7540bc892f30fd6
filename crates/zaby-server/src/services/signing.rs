//! JWT signing keys: the current key signs; earlier keys keep verifying for 24 h
//! after rotation (`docs/operations.md`). Keys live in the database, sealed with the secrets
//! key, or come from `ZABY_JWT_SECRET`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::RwLock;

use crate::error::{ApiError, ApiResult};
use crate::storage::{Db, tenancy};
use crate::util::clock::now_ms;
use crate::util::crypto::{SecretBox, sha256_hex};

/// How long a retired key still verifies.
pub const GRACE_MS: i64 = 86_400_000;
const CACHE_TTL: Duration = Duration::from_secs(30);
const MISS_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Clone)]
struct Key {
    kid: String,
    secret: Vec<u8>,
    created_at: i64,
    retired_at: Option<i64>,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Key>,
    loaded_at: Option<Instant>,
}

pub struct Signer {
    db: Db,
    secrets: SecretBox,
    env_key: Option<Key>,
    cache: RwLock<Cache>,
}

impl Signer {
    pub fn new(db: Db, secrets: SecretBox, env_secret: Option<&str>) -> Self {
        let env_key = env_secret.map(|s| Key {
            kid: sha256_hex(s)[..16].to_string(),
            secret: s.as_bytes().to_vec(),
            created_at: 0,
            retired_at: None,
        });
        Signer { db, secrets, env_key, cache: RwLock::new(Cache::default()) }
    }

    async fn refresh(&self) -> ApiResult<()> {
        let rows = {
            let mut conn = self.db.read().await?;
            tenancy::list_signing_keys(&mut conn).await?
        };
        let mut keys = HashMap::new();
        for row in rows {
            let secret = self.secrets.open(&row.sealed_secret)?;
            keys.insert(
                row.kid.clone(),
                Key { kid: row.kid, secret, created_at: row.created_at, retired_at: row.retired_at },
            );
        }
        let mut cache = self.cache.write().await;
        cache.keys = keys;
        cache.loaded_at = Some(Instant::now());
        Ok(())
    }

    async fn ensure_fresh(&self, max_age: Duration) -> ApiResult<()> {
        let stale = match self.cache.read().await.loaded_at {
            Some(t) => t.elapsed() > max_age,
            None => true,
        };
        if stale {
            self.refresh().await?;
        }
        Ok(())
    }

    /// Loads the keys once; fails when they cannot be decrypted.
    pub async fn load(&self) -> ApiResult<()> {
        self.refresh().await
    }

    async fn current(&self) -> ApiResult<Key> {
        if let Some(k) = &self.env_key {
            return Ok(k.clone());
        }
        self.ensure_fresh(CACHE_TTL).await?;
        let cache = self.cache.read().await;
        cache
            .keys
            .values()
            .filter(|k| k.retired_at.is_none())
            .max_by(|a, b| a.created_at.cmp(&b.created_at).then(a.kid.cmp(&b.kid)))
            .cloned()
            .ok_or_else(|| ApiError::internal("no signing key is available"))
    }

    async fn lookup(&self, kid: &str) -> ApiResult<Option<Key>> {
        if let Some(k) = &self.env_key
            && k.kid == kid
        {
            return Ok(Some(k.clone()));
        }
        self.ensure_fresh(CACHE_TTL).await?;
        let found = self.cache.read().await.keys.get(kid).cloned();
        let found = match found {
            Some(k) => Some(k),
            None => {
                self.ensure_fresh(MISS_REFRESH_INTERVAL).await?;
                self.cache.read().await.keys.get(kid).cloned()
            }
        };
        let now = now_ms();
        Ok(found.filter(|k| k.retired_at.is_none_or(|r| now < r + GRACE_MS)))
    }

    /// Signs claims with the current key (HS256, `kid` header).
    pub async fn sign<C: Serialize>(&self, claims: &C) -> ApiResult<String> {
        let key = self.current().await?;
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid.clone());
        let enc = EncodingKey::from_secret(&key.secret).map_err(|e| ApiError::internal(format!("signing key: {e}")))?;
        jsonwebtoken::encode(&header, claims, &enc).map_err(|e| ApiError::internal(format!("signing failed: {e}")))
    }

    /// Checks format, key and signature only; the caller checks the claims
    /// (expiry is a separate, later step for runtime tokens). `None` = not ours,
    /// or claims that are not an object or do not read as `C`.
    pub async fn verify<C: DeserializeOwned>(&self, token: &str) -> ApiResult<Option<C>> {
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Ok(None);
        };
        if header.alg != Algorithm::HS256 {
            return Ok(None);
        }
        let Some(kid) = header.kid else {
            return Ok(None);
        };
        if kid.len() > 64 {
            return Ok(None);
        }
        let Some(key) = self.lookup(&kid).await? else {
            return Ok(None);
        };
        let Ok(dec) = DecodingKey::from_secret(&key.secret) else {
            return Ok(None);
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        match jsonwebtoken::decode::<Value>(token, &dec, &validation) {
            Ok(data) if data.claims.is_object() => Ok(serde_json::from_value(data.claims).ok()),
            _ => Ok(None),
        }
    }
}
