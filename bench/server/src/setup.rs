//! What a user does before the first run, through the Rust SDK: an agent whose `echo`
//! tool (built-in MCP server) needs a manual approval, published, deployed (waited
//! until ACTIVE), an external app bound to the deployment without a rate limit, a
//! token policy without limits, and runtime tokens of that app.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zaby::{Zaby, ZabyGlobalConfig};

use crate::server::anyhow_lite::Result;

pub struct Setup {
    zaby: Zaby,
    app_id: String,
    deployment_id: String,
    policy_id: String,
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

impl Setup {
    pub async fn new(origin: &str, api_key: &str) -> Result<Setup> {
        let config = ZabyGlobalConfig { api_origin: Some(origin.to_string()), ..Default::default() };
        let zaby = Zaby::builder().api_key(api_key.to_string()).config(config).build()?;
        let inst = zaby.mcp().list_installations(None).json().await?["items"][0].clone();
        let tools = zaby.mcp().list_installation_tools(&id(&inst), None).json().await?;
        let echo = tools["items"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["name"] == "echo"))
            .cloned()
            .ok_or("the built-in MCP server has no echo tool")?;
        let agent = zaby
            .agents()
            .create(json!({ "slug": "bench", "name": "Bench", "instructions": "Answer briefly." }))
            .json()
            .await?;
        let agent_id = id(&agent);
        zaby.agents()
            .attach_mcp_tool(
                &agent_id,
                json!({ "tenantInstallationId": id(&inst), "toolDefinitionId": id(&echo), "approvalMode": "MANUAL" }),
            )
            .json()
            .await?;
        let version = zaby.agents().publish(&agent_id).json().await?;
        let deployment = zaby
            .agents()
            .deploy(&agent_id, json!({ "agentVersionId": version["id"], "environment": "PRODUCTION" }))
            .json()
            .await?;
        let deployment_id = id(&deployment);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let p = zaby.deployments().get_provisioning(&deployment_id).json().await;
            // E19 answers 404 until the deployment is ACTIVE.
            if p.is_ok() {
                break;
            }
            if Instant::now() > deadline {
                return Err("the deployment did not become ACTIVE".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let app = zaby.external_apps().create(json!({ "name": "Bench app", "slug": "bench-app" })).json().await?;
        let app_id = id(&app);
        zaby.external_apps().bind_deployment(&app_id, json!({ "deploymentId": deployment_id })).json().await?;
        let policy = zaby
            .runtime_token_policies()
            .create(json!({ "name": "bench", "externalAppId": app_id, "deploymentId": deployment_id }))
            .json()
            .await?;
        Ok(Setup { zaby, app_id, deployment_id, policy_id: id(&policy) })
    }

    /// A runtime token for one end user (its own session), valid for an hour, with
    /// unlimited uses.
    pub async fn token(&self, user: &str) -> Result<String> {
        let t = self
            .zaby
            .runtime_tokens()
            .create(json!({
                "externalAppId": self.app_id, "deploymentId": self.deployment_id,
                "quotaPolicyId": self.policy_id, "externalUserId": user, "ttlSeconds": 3600,
            }))
            .json()
            .await?;
        Ok(t["token"].as_str().ok_or("no token in the response")?.to_string())
    }
}
