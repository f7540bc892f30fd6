//! First-start state: the default tenant, its first API key and a signing key.

use super::sql::{Conn, RowExt, one, scalar_i64};
use super::tenancy;
use crate::util::clock::now_ms;
use crate::util::crypto::{SecretBox, sha256_hex};
use crate::util::ids::{new_api_key, new_id};

pub struct BootstrapInput {
    /// `ZABY_BOOTSTRAP_API_KEY`, already checked for format.
    pub pinned_api_key: Option<String>,
    pub secrets: SecretBox,
}

#[derive(Debug, Default)]
pub struct BootstrapOutcome {
    pub default_tenant_id: String,
    /// A key generated on this start; shown once, never again.
    pub generated_api_key: Option<String>,
}

pub async fn ensure(conn: &mut Conn, input: &BootstrapInput) -> anyhow::Result<BootstrapOutcome> {
    let mut outcome = BootstrapOutcome::default();
    let existing = one(conn, "SELECT id FROM tenants WHERE is_default = 1", vec![]).await?;
    let fresh = existing.is_none();
    outcome.default_tenant_id = match existing {
        Some(row) => row.text("id")?,
        None => {
            let id = new_id();
            tenancy::insert_tenant(conn, &id, "default", true).await?;
            id
        }
    };
    match &input.pinned_api_key {
        Some(key) if tenancy::find_key_by_hash(conn, &sha256_hex(key)).await?.is_none() => {
            tenancy::insert_key(
                conn,
                &tenancy::NewKey {
                    id: new_id(),
                    tenant_id: outcome.default_tenant_id.clone(),
                    name: Some("bootstrap".into()),
                    secret: key.clone(),
                    scopes: vec!["*".into()],
                    expires_at: None,
                },
            )
            .await?;
        }
        Some(_) => {}
        None if fresh => {
            let key = new_api_key();
            tenancy::insert_key(
                conn,
                &tenancy::NewKey {
                    id: new_id(),
                    tenant_id: outcome.default_tenant_id.clone(),
                    name: Some("bootstrap".into()),
                    secret: key.clone(),
                    scopes: vec!["*".into()],
                    expires_at: None,
                },
            )
            .await?;
            outcome.generated_api_key = Some(key);
        }
        None => {}
    }
    let live = scalar_i64(conn, "SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL", vec![]).await?;
    if live == 0 {
        tenancy::insert_signing_key(conn, &input.secrets, now_ms()).await?;
    }
    Ok(outcome)
}
