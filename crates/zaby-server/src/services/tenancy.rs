//! Administration: tenants, API keys and signing-key rotation (CLI subcommands).

use super::Ctx;
use super::auth;
use crate::error::ApiResult;
use crate::storage::Db;
use crate::storage::tenancy::{self as store, ApiKey, NewKey, Tenant};
use crate::util::clock::now_ms;
use crate::util::crypto::SecretBox;
use crate::util::ids::{new_api_key, new_id};

pub const KEY_SCOPES: &[&str] = &[
    "*",
    "managed-agents:*",
    "managed-agents:manage",
    "managed-agents:webhooks",
    "provisioning:*",
    "provisioning:manage",
    "mcp:invoke",
];

pub async fn create_tenant(db: &Db, name: &str) -> anyhow::Result<Tenant> {
    let id = new_id();
    let mut tx = db.write().await?;
    store::insert_tenant(tx.conn(), &id, name, false).await?;
    super::mcp::builtin::ensure(tx.conn(), &id).await.map_err(|e| anyhow::anyhow!(e.message))?;
    let t = store::get_tenant(tx.conn(), &id).await?.expect("just inserted");
    tx.commit().await?;
    Ok(t)
}

pub async fn list_tenants(db: &Db) -> anyhow::Result<Vec<Tenant>> {
    let mut c = db.read().await?;
    Ok(store::list_tenants(&mut c).await?)
}

/// Creates a key and returns `(record id, secret)`; the secret is shown once.
pub async fn create_key(
    db: &Db,
    tenant_id: &str,
    scopes: Vec<String>,
    expires_in_ms: Option<i64>,
    name: Option<String>,
) -> anyhow::Result<(String, String)> {
    for s in &scopes {
        if !KEY_SCOPES.contains(&s.as_str()) {
            anyhow::bail!("unknown scope '{s}' (known: {})", KEY_SCOPES.join(", "));
        }
    }
    let scopes = if scopes.is_empty() { vec!["*".to_string()] } else { scopes };
    let mut tx = db.write().await?;
    if store::get_tenant(tx.conn(), tenant_id).await?.is_none() {
        anyhow::bail!("no tenant with id {tenant_id}");
    }
    let secret = new_api_key();
    let id = new_id();
    store::insert_key(
        tx.conn(),
        &NewKey {
            id: id.clone(),
            tenant_id: tenant_id.to_string(),
            name,
            secret: secret.clone(),
            scopes,
            expires_at: expires_in_ms.map(|ms| now_ms() + ms),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, secret))
}

pub async fn list_keys(db: &Db, tenant_id: &str) -> anyhow::Result<Vec<ApiKey>> {
    let mut c = db.read().await?;
    if store::get_tenant(&mut c, tenant_id).await?.is_none() {
        anyhow::bail!("no tenant with id {tenant_id}");
    }
    Ok(store::list_keys(&mut c, tenant_id).await?)
}

pub async fn revoke_key(db: &Db, key_id: &str) -> anyhow::Result<()> {
    let mut tx = db.write().await?;
    if !store::revoke_key(tx.conn(), key_id, now_ms()).await? {
        anyhow::bail!("no API key with id {key_id}");
    }
    tx.commit().await?;
    Ok(())
}

/// Makes a new current signing key; earlier ones verify for the grace period.
pub async fn rotate_signing_keys(db: &Db, secrets: &SecretBox) -> anyhow::Result<String> {
    let mut tx = db.write().await?;
    let now = now_ms();
    store::retire_signing_keys(tx.conn(), now).await?;
    let kid = store::insert_signing_key(tx.conn(), secrets, now + 1).await?;
    tx.commit().await?;
    Ok(kid)
}

pub async fn issue_tenant_token(ctx: &Ctx, tenant_id: &str, user: &str, ttl_seconds: i64) -> ApiResult<(String, i64)> {
    auth::issue_tenant_token(ctx, tenant_id, user, ttl_seconds).await
}
