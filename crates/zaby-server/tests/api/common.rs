//! Test harness: a real server in-process on 127.0.0.1:0 with a temp database,
//! SQLite or PostgreSQL, and SDK clients pointed at it.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zaby::{Zaby, ZabyGlobalConfig, ZabyRuntime};
use zaby_server::{RunningServer, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    pub backend: Backend,
    pub settings: Settings,
    pub base: String,
    pub api_key: String,
    pub server: Option<RunningServer>,
    _dir: tempfile::TempDir,
}

/// Server logs (warnings and errors; `ZABY_TEST_LOG` for another filter) go to the
/// test's captured output, so a failing test shows what the server said.
pub fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ZABY_TEST_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}

/// Generous deadline for anything asynchronous on a loaded 2-core machine.
pub const DEADLINE: Duration = Duration::from_secs(30);

impl TestServer {
    pub async fn start(backend: Backend) -> Option<TestServer> {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Option<TestServer> {
        init_logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("zaby.db").display()),
            Backend::Postgres => crate::pg::fresh_database().await?,
        };
        let api_key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
        let mut settings = Settings {
            listen: "127.0.0.1:0".into(),
            database_url,
            state_dir: dir.path().join(".zaby"),
            bootstrap_api_key: Some(api_key.clone()),
            provisioning_delay_ms: 100,
            ..Settings::default()
        };
        tweak(&mut settings);
        let server = zaby_server::start(settings.clone()).await.expect("server starts");
        let base = format!("http://{}", server.addr);
        Some(TestServer { backend, settings, base, api_key, server: Some(server), _dir: dir })
    }

    /// Stops the server and starts a new one on the same database.
    pub async fn restart(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        let server = zaby_server::start(self.settings.clone()).await.expect("server restarts");
        self.base = format!("http://{}", server.addr);
        self.server = Some(server);
    }

    pub fn config(&self) -> ZabyGlobalConfig {
        ZabyGlobalConfig {
            api_origin: Some(self.base.clone()),
            retries: Some(zaby::config::Retries::Count(0)),
            timeout_ms: Some(60_000),
            ..Default::default()
        }
    }

    pub fn zaby(&self) -> Zaby {
        self.zaby_with_key(&self.api_key)
    }

    pub fn zaby_with_key(&self, key: &str) -> Zaby {
        Zaby::builder().api_key(key.to_string()).config(self.config()).build().expect("client")
    }

    pub fn tenant_client(&self, token: &str) -> Zaby {
        Zaby::builder().access_token(token.to_string()).config(self.config()).build().expect("client")
    }

    pub fn runtime(&self, token: &str) -> ZabyRuntime {
        ZabyRuntime::builder().token(token.to_string()).config(self.config()).build().expect("runtime client")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    pub fn ctx(&self) -> &zaby_server::testing::SharedCtx {
        &self.server.as_ref().expect("running").ctx
    }

    /// A second tenant with its own `*` key.
    pub async fn second_tenant(&self) -> (String, String) {
        let db = &self.ctx().db;
        let t = zaby_server::testing::create_tenant(db, "second").await.unwrap();
        let (_, key) = zaby_server::testing::create_key(db, &t.id, vec![], None, None).await.unwrap();
        (t.id, key)
    }

    /// The default tenant's id.
    pub async fn default_tenant(&self) -> String {
        let tenants = zaby_server::testing::list_tenants(&self.ctx().db).await.unwrap();
        tenants.into_iter().find(|t| t.is_default).unwrap().id
    }

    pub async fn tenant_token(&self, tenant_id: &str, user: &str) -> String {
        zaby_server::testing::issue_tenant_token(self.ctx(), tenant_id, user, 3600).await.unwrap().0
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

/// Runs a test body against one backend; returns quietly when the backend is
/// unavailable and not required.
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(TestServer) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(s) = TestServer::start(backend).await {
        body(s).await;
    }
}

/// Declares `mod name { sqlite(), postgres() }` for each test function.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::common::run($crate::common::Backend::Sqlite, super::$name).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::common::run($crate::common::Backend::Postgres, super::$name).await;
                }
            }
        )*
    };
}

/// `(status, code)` of an SDK error.
pub fn err_of(e: zaby::ZabyError) -> (u16, String) {
    (e.status().unwrap_or(0), e.code().unwrap_or("").to_string())
}

/// Expects an SDK call to fail with this status and code.
pub async fn expect_err<T: std::fmt::Debug>(
    fut: impl std::future::IntoFuture<Output = Result<T, zaby::ZabyError>>,
    status: u16,
    code: &str,
) -> zaby::ZabyError {
    match fut.await {
        Ok(v) => panic!("expected {status} {code}, got success: {v:?}"),
        Err(e) => {
            assert_eq!((e.status().unwrap_or(0), e.code().unwrap_or("")), (status, code), "unexpected error: {e:?}");
            e
        }
    }
}

/// Polls until `check` returns Some, or panics at the deadline.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if start.elapsed() > DEADLINE {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Polls the run's progress (E16) until it shows `status`; returns that progress.
pub async fn wait_status(z: &Zaby, run_id: &str, status: &str) -> Value {
    eventually(status, || async {
        let r = z.agents().get_run_progress(run_id).json().await.unwrap();
        (r["status"] == status).then_some(r)
    })
    .await
}

/// Polls the run's progress until it has ended (COMPLETED, FAILED or CANCELLED).
pub async fn wait_terminal(z: &Zaby, run_id: &str) -> Value {
    eventually("run end", || async {
        let r = z.agents().get_run_progress(run_id).json().await.unwrap();
        matches!(r["status"].as_str(), Some("COMPLETED" | "FAILED" | "CANCELLED")).then_some(r)
    })
    .await
}

/// The run's stored events (E17), oldest first; up to 500, which every test run stays under.
pub async fn events(z: &Zaby, run_id: &str) -> Vec<Value> {
    let page = z.agents().list_run_events(run_id, json!({"limit": 500})).json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

/// An agent, published, deployed and ACTIVE.
pub struct Deployed {
    pub agent: Value,
    pub version: Value,
    pub deployment: Value,
}

impl Deployed {
    pub fn agent_id(&self) -> &str {
        self.agent["id"].as_str().unwrap()
    }
    pub fn deployment_id(&self) -> &str {
        self.deployment["id"].as_str().unwrap()
    }
}

pub async fn wait_active(z: &Zaby, deployment_id: &str) -> Value {
    eventually("deployment ACTIVE", || async { z.deployments().get_provisioning(deployment_id).json().await.ok() })
        .await
}

pub async fn deployed_agent(z: &Zaby, slug: &str) -> Deployed {
    let agent = z.agents().create(json!({"slug": slug, "name": slug})).json().await.unwrap();
    let id = agent["id"].as_str().unwrap().to_string();
    let version = z.agents().publish(&id).json().await.unwrap();
    let deployment = z
        .agents()
        .deploy(&id, json!({"agentVersionId": version["id"], "environment": "PRODUCTION"}))
        .json()
        .await
        .unwrap();
    wait_active(z, deployment["id"].as_str().unwrap()).await;
    Deployed { agent, version, deployment }
}

/// A deployed agent with an external app bound to it and an active policy.
pub struct Setup {
    pub deployed: Deployed,
    pub app: Value,
    pub policy: Value,
}

impl Setup {
    pub fn app_id(&self) -> &str {
        self.app["id"].as_str().unwrap()
    }
    pub fn policy_id(&self) -> &str {
        self.policy["id"].as_str().unwrap()
    }
    pub fn deployment_id(&self) -> &str {
        self.deployed.deployment_id()
    }

    /// A mint body for this app, with extra fields merged in.
    pub fn mint(&self, extra: Value) -> Value {
        let mut body = json!({
            "externalAppId": self.app_id(),
            "deploymentId": self.deployment_id(),
            "quotaPolicyId": self.policy_id(),
            "externalUserId": "user-1",
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    }
}

pub async fn setup(z: &Zaby, slug: &str, app_extra: Value, binding_extra: Value) -> Setup {
    let deployed = deployed_agent(z, slug).await;
    let mut app_body = json!({"name": format!("{slug} app"), "slug": format!("{slug}-app")});
    for (k, v) in app_extra.as_object().unwrap() {
        app_body[k] = v.clone();
    }
    let app = z.external_apps().create(app_body).json().await.unwrap();
    let app_id = app["id"].as_str().unwrap().to_string();
    let mut bind = json!({"deploymentId": deployed.deployment_id()});
    for (k, v) in binding_extra.as_object().unwrap() {
        bind[k] = v.clone();
    }
    z.external_apps().bind_deployment(&app_id, bind).json().await.unwrap();
    let policy = z
        .runtime_token_policies()
        .create(json!({"name": "default", "externalAppId": app_id, "deploymentId": deployed.deployment_id()}))
        .json()
        .await
        .unwrap();
    Setup { deployed, app, policy }
}

/// A runtime request that passes every token check of docs/authentication.md (through the rate
/// limit) and then finds no run (404).
/// Returns `(status, code)`.
pub async fn runtime_probe(s: &TestServer, token: &str, origin: Option<&str>) -> (u16, String) {
    let mut req = s
        .http()
        .get(s.url("/api/v1/agent-runtime/runs/00000000-0000-4000-8000-000000000000/events"))
        .bearer_auth(token);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or("").to_string())
}

/// The use-consuming probe through the runtime SDK.
pub async fn sdk_probe(s: &TestServer, token: &str) -> (u16, String) {
    match s.runtime(token).runs().events("00000000-0000-4000-8000-000000000000", None).json().await {
        Ok(v) => panic!("no run should exist: {v:?}"),
        Err(e) => err_of(e),
    }
}
