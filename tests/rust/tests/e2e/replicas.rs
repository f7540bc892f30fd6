//! Two `zaby-server` replicas sharing one PostgreSQL database (a throwaway cluster from
//! `tests/support/postgres.sh`): a run started through one replica streams, complete
//! and in order, through the other, and the other way round.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use serde_json::json;
use zaby::types::{AgentInput, AgentStatus, DeployInput, ListQuery, PlaygroundRuntimeTokenInput, RunStartInput};
use zaby::{Zaby, ZabyGlobalConfig, ZabyRuntime};

use crate::server::{Server, ServerConfig, random_api_key};
use crate::support::{finished, names, stream_all};

/// A PostgreSQL cluster, stopped (and its directory removed) when dropped.
struct Postgres {
    dir: PathBuf,
    url: String,
    _parent: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../support/postgres.sh")
}

impl Postgres {
    fn start() -> Result<Postgres, String> {
        let parent = tempfile::Builder::new().prefix("zaby-e2e-pg-").tempdir().map_err(|e| e.to_string())?;
        let dir = parent.path().join("cluster");
        let out = Command::new(script()).arg("start").arg(&dir).output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "could not start PostgreSQL (install it with `make postgres`): {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(Postgres { dir, url, _parent: parent })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").arg(&self.dir).status();
    }
}

fn client(server: &Server) -> Zaby {
    Zaby::builder()
        .api_key(server.api_key.as_str())
        .config(ZabyGlobalConfig { api_origin: Some(server.origin.clone()), ..Default::default() })
        .build()
        .expect("client")
}

fn runtime(server: &Server, token: &str) -> ZabyRuntime {
    ZabyRuntime::builder()
        .token(token)
        .config(ZabyGlobalConfig { api_origin: Some(server.origin.clone()), ..Default::default() })
        .build()
        .expect("runtime client")
}

pub async fn scenario() -> Result<(), String> {
    let pg = tokio::task::spawn_blocking(Postgres::start).await.map_err(|e| e.to_string())??;
    let key = random_api_key();
    let first =
        Server::start(ServerConfig { database_url: Some(pg.url.clone()), env: vec![], api_key: Some(key.clone()) })
            .await?;
    // Replicas must share the secrets key; the first one generated it.
    let secrets = std::fs::read_to_string(first.state_dir().join("secrets.key")).map_err(|e| e.to_string())?;
    let second = Server::start(ServerConfig {
        database_url: Some(pg.url.clone()),
        env: vec![("ZABY_SECRETS_KEY".into(), secrets.trim().to_string())],
        api_key: Some(key),
    })
    .await?;
    let (a, b) = (Arc::new(first), Arc::new(second));
    let outcome = match tokio::spawn(across(a.clone(), b.clone())).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("SDK error: {e}")),
        Err(join) => Err(crate::panic_text(join)),
    };
    let logs = || format!("== replica 1 ==\n{}\n== replica 2 ==\n{}", a.log(), b.log());
    outcome.map_err(|e| format!("{e}\n{}", logs()))?;
    let (sa, sb) = (a.stop(), b.stop());
    if !(sa.is_some_and(|s| s.success()) && sb.is_some_and(|s| s.success())) {
        return Err(format!("the replicas did not stop cleanly: {sa:?} {sb:?}\n{}", logs()));
    }
    Ok(())
}

async fn across(a: Arc<Server>, b: Arc<Server>) -> zaby::Result<()> {
    let (za, zb) = (client(&a), client(&b));
    // Created through one replica, activated and readable through the other.
    let input = AgentInput { slug: "replicated".into(), name: "Replicated".into(), ..Default::default() };
    let agent_id = za.agents().create(input).await?.id;
    let version = za.agents().publish(&agent_id).await?;
    let dep = za.agents().deploy(&agent_id, DeployInput { agent_version_id: version.id, ..Default::default() }).await?;
    crate::support::wait_active(&zb, &dep.id).await;
    assert_eq!(zb.agents().get(&agent_id).await?.status, AgentStatus::Active);
    let mint = PlaygroundRuntimeTokenInput {
        deployment_id: dep.id,
        external_user_id: Some("replica-user".into()),
        ..Default::default()
    };
    let token = za.agents().playground_runtime_tokens(&agent_id, mint).await?.token;

    for (from, to, label) in [(&a, &b, "1 to 2"), (&b, &a, "2 to 1")] {
        // A run's input is free-form JSON.
        let input = json!({ "message": format!("across {label}"), "simulate": { "delayMs": 50 } });
        let start = RunStartInput { input, respond_async: Some(true), ..Default::default() };
        let run_id = runtime(from, &token).runs().start(start).await?.run_id;
        let events = stream_all(&runtime(to, &token), &run_id, |_| async { Ok(()) }).await?;
        let seen = names(&events);
        assert_eq!(seen.first().map(String::as_str), Some("RunStarted"), "{label}: {seen:?}");
        assert_eq!(seen.last().map(String::as_str), Some("RunFinished"), "{label}: {seen:?}");
        assert_eq!(finished(&events).final_output, Some(format!("You said: across {label}")));
        let ids: Vec<u64> = events.iter().filter_map(|e| e.id()?.parse().ok()).collect();
        assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>(), "{label}: every event once, in order");
        let all = ListQuery { limit: Some(500), ..Default::default() };
        let page = runtime(from, &token).runs().events(&run_id, all).await?;
        assert_eq!(page.items.len(), events.len(), "{label}: the stream saw every stored event");
    }
    Ok(())
}
