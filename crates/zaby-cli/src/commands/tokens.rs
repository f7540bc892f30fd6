//! `zaby tokens mint`: a runtime token for one end user of an external app.

use zaby::Zaby;
use zaby::types::{E31Query, PolicyStatus, RuntimeTokenCreateInput, RuntimeTokenPolicy};

use super::collect;
use crate::cli::TokensCmd;
use crate::error::{CliError, CliResult};
use crate::output::Out;

pub(crate) async fn run(z: &Zaby, cmd: TokensCmd, out: Out) -> CliResult {
    let TokensCmd::Mint { app, user, policy } = cmd;
    let policy = match policy {
        Some(id) => z.runtime_token_policies().get(&id).await?,
        None => only_policy(z, &app).await?,
    };
    let mint = RuntimeTokenCreateInput {
        external_app_id: app,
        deployment_id: policy.deployment_id,
        quota_policy_id: policy.id,
        external_user_id: Some(user),
        ..Default::default()
    };
    let token = z.runtime_tokens().create(mint).await?;
    out.show(&token, |_| token.token.clone());
    Ok(())
}

/// The app's one active policy; which deployment a token is for comes from it.
async fn only_policy(z: &Zaby, app: &str) -> CliResult<RuntimeTokenPolicy> {
    let query =
        E31Query { external_app_id: Some(app.to_owned()), status: Some(PolicyStatus::Active), ..Default::default() };
    let mut policies = collect(z.runtime_token_policies().iter(query)).await?;
    policies.retain(|p| p.external_app_id == app);
    match policies.len() {
        1 => Ok(policies.remove(0)),
        0 => Err(CliError::Usage(format!(
            "external app {app} has no active runtime-token policy: create one, or pass --policy"
        ))),
        n => {
            let ids: Vec<&str> = policies.iter().map(|p| p.id.as_str()).collect();
            Err(CliError::Usage(format!(
                "external app {app} has {n} active policies ({}): pass --policy",
                ids.join(", ")
            )))
        }
    }
}
