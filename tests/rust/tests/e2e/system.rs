//! System: the health endpoint (E1).

use std::sync::Arc;

use crate::support::{Ctx, s};

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let health = ctx.zaby.health().check().json().await?;
    assert_eq!(health["status"], "ok", "{health}");
    // The version the binary reports on the command line.
    let version = ctx.server.admin(&["--version"]).expect("zaby-server --version");
    assert!(version.ends_with(s(&health, "version")), "{version} vs {health}");
    assert!(health["uptime"].as_f64().is_some_and(|u| u >= 0.0), "{health}");
    Ok(())
}
