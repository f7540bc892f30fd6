//! What every scenario shares: the SDK clients of the suite (all recorded), unique
//! names, polling with deadlines, and checks for documented refusals.

use std::future::{Future, IntoFuture};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;
use zaby::types::{
    AgentInput, BindDeploymentInput, DeployInput, E74Query, ExternalAppInput, McpInstallationStatus, Provisioning, Run,
    RunStatus, RuntimeTokenCreateInput, RuntimeTokenPolicyInput, RuntimeTokenResponse,
};
use zaby::{RunEvent, Zaby, ZabyError, ZabyGlobalConfig, ZabyRuntime};

use crate::coverage::Recorder;
use crate::server::Server;

pub struct Ctx {
    pub server: Arc<Server>,
    pub recorder: Arc<Recorder>,
    /// The bootstrap API key of the default tenant.
    pub zaby: Zaby,
    run_tag: String,
    counter: AtomicU32,
    tenant_id: OnceLock<String>,
}

impl Ctx {
    pub fn new(server: Arc<Server>, recorder: Arc<Recorder>) -> Ctx {
        let zaby = Zaby::builder()
            .api_key(server.api_key.as_str())
            .config(Self::config(&server))
            .transport(recorder.clone())
            .build()
            .expect("management client");
        let run_tag = format!("{:06x}", rand::random::<u32>() & 0xff_ffff);
        Ctx { server, recorder, zaby, run_tag, counter: AtomicU32::new(0), tenant_id: OnceLock::new() }
    }

    fn config(server: &Server) -> ZabyGlobalConfig {
        // Above the server's synchronous hold (25 s), as `docs/api/README.md` asks of callers.
        ZabyGlobalConfig { api_origin: Some(server.origin.clone()), timeout_ms: Some(60_000), ..Default::default() }
    }

    /// A slug no other scenario (or earlier run against the same server) uses.
    pub fn slug(&self, base: &str) -> String {
        format!("{base}-{}-{}", self.run_tag, self.counter.fetch_add(1, Ordering::Relaxed))
    }

    /// A runtime client holding `token` (a runtime token's `token`).
    pub fn runtime(&self, token: &str) -> ZabyRuntime {
        ZabyRuntime::builder()
            .token(token)
            .config(Self::config(&self.server))
            .transport(self.recorder.clone())
            .build()
            .expect("runtime client")
    }

    /// A client holding only a tenant access token.
    pub fn tenant_client(&self, access_token: &str) -> Zaby {
        Zaby::builder()
            .access_token(access_token)
            .config(Self::config(&self.server))
            .transport(self.recorder.clone())
            .build()
            .expect("tenant client")
    }

    /// The default tenant's id, as the admin CLI lists it.
    pub fn tenant_id(&self) -> String {
        self.tenant_id
            .get_or_init(|| {
                let listing = self.server.admin(&["tenants", "list"]).expect("tenants list");
                let line = listing.lines().find(|l| l.ends_with("(default)")).expect("a default tenant");
                line.split('\t').next().unwrap().to_string()
            })
            .clone()
    }

    /// A tenant access token for `user`, issued by the admin CLI.
    pub fn tenant_token(&self, user: &str) -> String {
        let tenant = self.tenant_id();
        self.server
            .admin(&["tokens", "issue-tenant", "--tenant", &tenant, "--user", user, "--ttl-seconds", "3600"])
            .expect("tokens issue-tenant")
    }
}

/// Awaits a call that must fail with `status` and `code`, and returns the error.
pub async fn expect_err<T: std::fmt::Debug>(
    call: impl IntoFuture<Output = zaby::Result<T>>,
    status: u16,
    code: &str,
) -> ZabyError {
    match call.await {
        Ok(v) => panic!("expected {status} {code}, got a success: {v:?}"),
        Err(e) => {
            assert_eq!((e.status(), e.code()), (Some(status), Some(code)), "unexpected error: {e}");
            e
        }
    }
}

/// Polls `check` until it yields a value (every 100 ms, at most 30 s).
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = zaby::Result<Option<T>>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match check().await {
            Ok(Some(v)) => return v,
            Ok(None) => {}
            Err(e) => panic!("while waiting for {what}: {e}"),
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An agent published and deployed, its deployment `ACTIVE`.
pub struct Deployed {
    pub agent_id: String,
    pub deployment_id: String,
}

pub async fn deployed_agent(ctx: &Ctx, base: &str) -> zaby::Result<Deployed> {
    let z = &ctx.zaby;
    let agent = z.agents().create(AgentInput { slug: ctx.slug(base), name: base.into(), ..Default::default() }).await?;
    let version = z.agents().publish(&agent.id).await?;
    let deployment =
        z.agents().deploy(&agent.id, DeployInput { agent_version_id: version.id, ..Default::default() }).await?;
    wait_active(z, &deployment.id).await;
    Ok(Deployed { agent_id: agent.id, deployment_id: deployment.id })
}

/// Waits until the deployment's provisioning is readable, i.e. it is `ACTIVE`.
pub async fn wait_active(z: &Zaby, deployment_id: &str) -> Provisioning {
    eventually("the deployment to become ACTIVE", || async {
        match z.deployments().get_provisioning(deployment_id).await {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.code() == Some("DEPLOYMENT_PROVISIONING_NOT_READY") => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await
}

/// An external app bound to `deployment_id` (with `binding`'s other fields), a quota
/// policy, and a runtime token for `user`.
pub struct AppToken {
    pub app_id: String,
    pub token: RuntimeTokenResponse,
}

pub async fn app_token(
    ctx: &Ctx,
    deployment_id: &str,
    binding: BindDeploymentInput,
    user: &str,
) -> zaby::Result<AppToken> {
    let z = &ctx.zaby;
    let slug = ctx.slug("app");
    let app = z
        .external_apps()
        .create(ExternalAppInput { name: slug.clone(), slug: slug.clone(), ..Default::default() })
        .await?;
    let bind = BindDeploymentInput { deployment_id: deployment_id.into(), ..binding };
    z.external_apps().bind_deployment(&app.id, bind).await?;
    let policy = RuntimeTokenPolicyInput {
        name: slug,
        external_app_id: app.id.clone(),
        deployment_id: deployment_id.into(),
        ..Default::default()
    };
    let policy = z.runtime_token_policies().create(policy).await?;
    let mint = RuntimeTokenCreateInput {
        external_app_id: app.id.clone(),
        deployment_id: deployment_id.into(),
        quota_policy_id: policy.id,
        external_user_id: Some(user.into()),
        ..Default::default()
    };
    let token = z.runtime_tokens().create(mint).await?;
    Ok(AppToken { app_id: app.id, token })
}

/// The built-in MCP installation every tenant has, and the id of one of its tools.
pub async fn builtin_tool(z: &Zaby, tool: &str) -> zaby::Result<(String, String)> {
    let installs = z
        .mcp()
        .list_installations(E74Query { status: Some(McpInstallationStatus::Active), ..Default::default() })
        .await?;
    let builtin = installs
        .items
        .into_iter()
        .find(|i| i.name == "zaby-builtin")
        .unwrap_or_else(|| panic!("no zaby-builtin installation"));
    let tools = z.mcp().list_installation_tools(&builtin.id, None).await?;
    let found = tools.items.into_iter().find(|t| t.name == tool).unwrap_or_else(|| panic!("no tool {tool}"));
    Ok((builtin.id, found.id))
}

/// Every event of a runtime run through the SSE stream, answering each
/// `approval_required` with `decide(approval_id)`.
pub async fn stream_all<F, Fut>(rt: &ZabyRuntime, run_id: &str, mut decide: F) -> zaby::Result<Vec<RunEvent>>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = zaby::Result<()>>,
{
    let mut events = rt.runs().stream(run_id, None);
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        let event = event?;
        if let RunEvent::ApprovalRequired { data, .. } = &event {
            decide(data.approval_id.clone()).await?;
        }
        seen.push(event);
    }
    Ok(seen)
}

pub fn names(events: &[RunEvent]) -> Vec<String> {
    events.iter().filter_map(|e| e.name().map(str::to_owned)).collect()
}

/// The payload of the run's last event, which must be `RunFinished`.
pub fn finished(events: &[RunEvent]) -> &zaby::types::RunFinished {
    match events.last() {
        Some(RunEvent::RunFinished { data, .. }) => data,
        other => panic!("the stream did not end with RunFinished: {other:?}"),
    }
}

/// A run's final state, polled through E16.
pub async fn finished_run(z: &Zaby, run_id: &str) -> Run {
    eventually("the run to end", || async {
        let run = z.agents().get_run_progress(run_id).await?;
        Ok(matches!(run.status, RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled).then_some(run))
    })
    .await
}

/// A free-form JSON object (an agent's `config`, a tool's arguments), which the
/// catalogue types as a map: the `json!` literal is the natural way to write one.
pub fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not a JSON object: {other}"),
    }
}
