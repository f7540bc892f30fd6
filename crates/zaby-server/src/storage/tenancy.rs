//! Tenants, API keys and JWT signing keys.

use rand::Rng;
use serde_json::Value;

use sqlx::FromRow;

use super::columns::{Flag, StringList};
use super::sql::{Conn, DbResult, all_as, exec, one_as};
use crate::args;
use crate::util::crypto::{SecretBox, sha256_hex};
use crate::util::ids::random_hex;

#[derive(Debug, Clone, FromRow)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    #[sqlx(try_from = "Flag")]
    pub is_default: bool,
    pub created_at: i64,
}

pub async fn insert_tenant(conn: &mut Conn, id: &str, name: &str, is_default: bool) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO tenants (id, name, is_default, created_at) VALUES ($1, $2, $3, $4)",
        args![id, name, is_default, crate::util::clock::now_ms()],
    )
    .await?;
    Ok(())
}

pub async fn list_tenants(conn: &mut Conn) -> DbResult<Vec<Tenant>> {
    all_as(conn, "SELECT * FROM tenants ORDER BY created_at, id", vec![]).await
}

pub async fn get_tenant(conn: &mut Conn, id: &str) -> DbResult<Option<Tenant>> {
    one_as(conn, "SELECT * FROM tenants WHERE id = $1", args![id]).await
}

pub struct NewKey {
    pub id: String,
    pub tenant_id: String,
    pub name: Option<String>,
    pub secret: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ApiKey {
    pub id: String,
    pub tenant_id: String,
    pub key_hash: String,
    pub key_prefix: String,
    #[sqlx(try_from = "StringList")]
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn insert_key(conn: &mut Conn, key: &NewKey) -> DbResult<()> {
    let prefix: String = key.secret.chars().take(12).collect();
    exec(
        conn,
        "INSERT INTO api_keys (id, tenant_id, name, key_hash, key_prefix, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            &key.id,
            &key.tenant_id,
            &key.name,
            sha256_hex(&key.secret),
            prefix,
            &Value::from(key.scopes.clone()),
            crate::util::clock::now_ms(),
            key.expires_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn find_key_by_hash(conn: &mut Conn, hash: &str) -> DbResult<Option<ApiKey>> {
    one_as(conn, "SELECT * FROM api_keys WHERE key_hash = $1", args![hash]).await
}

pub async fn list_keys(conn: &mut Conn, tenant_id: &str) -> DbResult<Vec<ApiKey>> {
    all_as(conn, "SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id", args![tenant_id]).await
}

/// Revokes a key; `false` when no such key exists.
pub async fn revoke_key(conn: &mut Conn, id: &str, now: i64) -> DbResult<bool> {
    let n =
        exec(conn, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1", args![id, now]).await?;
    Ok(n > 0)
}

#[derive(Debug, Clone, FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub sealed_secret: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// Generates, seals and stores a new current signing key; returns its kid.
pub async fn insert_signing_key(conn: &mut Conn, secrets: &SecretBox, now: i64) -> DbResult<String> {
    let mut secret = [0u8; 48];
    rand::rng().fill(&mut secret[..]);
    let kid = format!("k-{}", random_hex(8));
    exec(
        conn,
        "INSERT INTO signing_keys (kid, sealed_secret, created_at) VALUES ($1, $2, $3)",
        args![&kid, secrets.seal(&secret), now],
    )
    .await?;
    Ok(kid)
}

pub async fn list_signing_keys(conn: &mut Conn) -> DbResult<Vec<SigningKeyRow>> {
    all_as(conn, "SELECT * FROM signing_keys ORDER BY created_at, kid", vec![]).await
}

/// Retires every current key (they keep verifying for the grace period).
pub async fn retire_signing_keys(conn: &mut Conn, now: i64) -> DbResult<u64> {
    exec(conn, "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL", args![now]).await
}
