//! `zaby status`: which server this is, whether the key works, and its tenant.

use serde::Serialize;
use zaby::Zaby;
use zaby::types::{E3Query, Health};

use crate::error::{CliError, CliResult};
use crate::output::{GREEN, Out, RED};

/// The `--json` document: the two calls' findings in one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    origin: String,
    health: Health,
    api_key: KeyCheck,
}

/// Whether the key was accepted, and the tenant the server says it belongs to
/// (response header `x-zaby-tenant-id`, `docs/authentication.md`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyCheck {
    valid: bool,
    error: Option<String>,
    tenant_id: Option<String>,
}

pub(crate) async fn run(z: &Zaby, out: Out) -> CliResult {
    let health = z.health().check().await?;
    // Any key-authenticated read tells whether the key is accepted, and its tenant.
    // The page itself is not used, so it stays JSON rather than typed `Agent`s.
    let listed = z.agents().list(E3Query { limit: Some(1), ..Default::default() }).json().send_with_meta().await;
    let api_key = match listed {
        Ok((_, meta)) => {
            KeyCheck { valid: true, error: None, tenant_id: meta.header("x-zaby-tenant-id").map(str::to_owned) }
        }
        Err(e) => KeyCheck { valid: false, error: Some(CliError::Api(e).to_string()), tenant_id: None },
    };
    let status = Status { origin: z.config().api_origin.clone(), health, api_key };
    out.show(&serde_json::to_value(&status).unwrap_or_default(), |o| human(&status, o));
    if !status.api_key.valid {
        return Err(CliError::Failed("the API key was refused".into()));
    }
    Ok(())
}

fn human(status: &Status, o: &Out) -> String {
    let key = &status.api_key;
    let key_line = match (&key.error, &key.tenant_id) {
        (Some(e), _) => o.paint(RED, &format!("refused: {e}")),
        (None, Some(tenant)) => format!("{} (tenant {tenant})", o.paint(GREEN, "accepted")),
        (None, None) => o.paint(GREEN, "accepted"),
    };
    let health = &status.health;
    let database = match &health.database {
        Some(db) if db.reachable => db.kind.clone(),
        Some(db) => format!("{} (unreachable)", db.kind),
        None => "-".to_owned(),
    };
    format!(
        "origin    {}\nserver    zaby-server {} ({})\ndatabase  {database}\napi key   {key_line}",
        status.origin,
        health.version.as_deref().unwrap_or("-"),
        health.status.as_str(),
    )
}
