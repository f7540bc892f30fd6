//! `zaby tokens mint`: a runtime token for one end user of an external app.

use serde_json::{Value, json};
use zaby::Zaby;

use super::collect;
use crate::cli::TokensCmd;
use crate::error::{CliError, CliResult};
use crate::output::{Out, text};

pub(crate) async fn run(z: &Zaby, cmd: TokensCmd, out: Out) -> CliResult {
    let TokensCmd::Mint { app, user, policy } = cmd;
    let policy = match policy {
        Some(id) => z.runtime_token_policies().get(&id).json().await?,
        None => only_policy(z, &app).await?,
    };
    let token = z
        .runtime_tokens()
        .create(json!({
            "externalAppId": app, "deploymentId": policy["deploymentId"],
            "quotaPolicyId": policy["id"], "externalUserId": user,
        }))
        .json()
        .await?;
    out.show(&token, |_| text(&token, "token"));
    Ok(())
}

/// The app's one active policy; which deployment a token is for comes from it.
async fn only_policy(z: &Zaby, app: &str) -> CliResult<Value> {
    let query = json!({ "externalAppId": app, "status": "ACTIVE" });
    let mut policies = collect(z.runtime_token_policies().iter(query).json()).await?;
    policies.retain(|p| p["externalAppId"] == app);
    match policies.len() {
        1 => Ok(policies.remove(0)),
        0 => Err(CliError::Usage(format!(
            "external app {app} has no active runtime-token policy: create one, or pass --policy"
        ))),
        n => {
            let ids: Vec<String> = policies.iter().map(|p| text(p, "id")).collect();
            Err(CliError::Usage(format!(
                "external app {app} has {n} active policies ({}): pass --policy",
                ids.join(", ")
            )))
        }
    }
}
