//! System: the health endpoint (E1).

use std::sync::Arc;

use zaby::types::HealthStatus;

use crate::support::Ctx;

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let health = ctx.zaby.health().check().await?;
    assert_eq!(health.status, HealthStatus::Ok, "{health:?}");
    // The version the binary reports on the command line.
    let version = ctx.server.admin(&["--version"]).expect("zaby-server --version");
    let reported = health.version.as_deref().expect("the health answer names the version");
    assert!(version.ends_with(reported), "{version} vs {health:?}");
    assert!(health.uptime >= 0.0, "{health:?}");
    Ok(())
}
