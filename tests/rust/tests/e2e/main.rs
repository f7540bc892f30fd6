//! The Rust end-to-end suite: one live `zaby-server` (the binary in `ZABY_SERVER_BIN`,
//! fresh SQLite database), driven through the `zaby` crate by one scenario per
//! domain, then the coverage check: every endpoint of the SDK's table must have been
//! called through the SDK and answered without a 5xx. A second part runs two
//! replicas on one PostgreSQL database. See tests/rust/README.md.
//!
//! This binary has its own runner (`harness = false`): the scenarios run concurrently
//! on one runtime against one server, and the coverage check runs after all of them.
//! With `ZABY_E2E_README_CHILD=1` the binary instead runs the README's Rust example
//! (the suite starts itself that way, with `ZABY_API_ORIGIN`/`ZABY_API_KEY` set).

mod agents;
mod apps;
mod coverage;
mod function_tools;
mod intelligence;
mod knowledge;
mod mcp;
mod memory;
mod readme;
mod replicas;
mod runs;
mod server;
mod support;
mod system;
mod tenant;
mod webhooks;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coverage::Recorder;
use server::{Server, ServerConfig};
use support::Ctx;

/// A scenario that hangs (a stream that never ends, say) fails instead of the suite.
const SCENARIO_LIMIT: Duration = Duration::from_secs(180);

type Scenario = fn(Arc<Ctx>) -> Pin<Box<dyn Future<Output = zaby::Result<()>> + Send>>;

macro_rules! scenarios {
    ($($module:ident),+ $(,)?) => {
        [$((
            stringify!($module),
            (|ctx: Arc<Ctx>| -> Pin<Box<dyn Future<Output = zaby::Result<()>> + Send>> {
                Box::pin($module::scenario(ctx))
            }) as Scenario,
        )),+]
    };
}

fn main() {
    if std::env::var_os(readme::CHILD_FLAG).is_some() {
        std::process::exit(readme::run_as_child());
    }
    // `cargo test -- --list` and filters: this binary is one test, named `e2e`.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("e2e: test");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let ok = runtime.block_on(run());
    std::process::exit(if ok { 0 } else { 1 });
}

async fn run() -> bool {
    let started = Instant::now();
    let server = match Server::start(ServerConfig { database_url: None, env: vec![], api_key: None }).await {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("could not start zaby-server: {e}");
            return false;
        }
    };
    println!("zaby-server at {} ({})", server.origin, server.state_dir().display());
    let recorder = Recorder::new();
    let ctx = Arc::new(Ctx::new(server.clone(), recorder.clone()));

    let mut outcomes: Vec<(String, Result<(), String>)> = Vec::new();
    let mapping = coverage::self_check();
    report("coverage mapping", &mapping, Duration::ZERO);
    outcomes.push(("coverage mapping".into(), mapping));

    // Domains run concurrently; each uses its own agents, apps and filters.
    let mut handles = Vec::new();
    for (name, scenario) in scenarios![
        system,
        agents,
        apps,
        runs,
        function_tools,
        mcp,
        knowledge,
        memory,
        intelligence,
        tenant,
        webhooks,
        readme
    ] {
        let ctx = ctx.clone();
        let task = async move {
            let outcome = match tokio::time::timeout(SCENARIO_LIMIT, scenario(ctx)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("SDK error: {e} ({e:?})")),
                Err(_) => Err(format!("did not finish within {} s", SCENARIO_LIMIT.as_secs())),
            };
            (outcome, Instant::now())
        };
        handles.push((name, Instant::now(), tokio::spawn(task)));
    }
    for (name, started, handle) in handles {
        let (outcome, ended) = match handle.await {
            Ok(done) => done,
            Err(join) => (Err(panic_text(join)), Instant::now()),
        };
        report(name, &outcome, ended - started);
        outcomes.push((name.to_string(), outcome));
    }

    // After every scenario: the coverage of the endpoint table.
    let coverage = coverage::check(&recorder.sent());
    report("coverage", &coverage, Duration::ZERO);
    outcomes.push(("coverage".into(), coverage));

    let failed: Vec<&String> = outcomes.iter().filter(|(_, o)| o.is_err()).map(|(n, _)| n).collect();
    let stopped = server.stop();
    if !failed.is_empty() {
        eprintln!("\n===== zaby-server log =====\n{}\n===== end of log =====", server.log());
    } else if !stopped.is_some_and(|s| s.success()) {
        eprintln!("zaby-server did not stop cleanly: {stopped:?}\n{}", server.log());
        return false;
    }

    // Two replicas on one PostgreSQL database, after the SQLite server is gone.
    let t = Instant::now();
    let replicas = match tokio::spawn(tokio::time::timeout(SCENARIO_LIMIT, replicas::scenario())).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err(format!("did not finish within {} s", SCENARIO_LIMIT.as_secs())),
        Err(join) => Err(panic_text(join)),
    };
    report("replicas (postgres)", &replicas, t.elapsed());
    let replicas_ok = replicas.is_ok();

    println!(
        "\ne2e: {} of {} checks passed in {:.1} s",
        outcomes.len() + 1 - failed.len() - usize::from(!replicas_ok),
        outcomes.len() + 1,
        started.elapsed().as_secs_f64()
    );
    failed.is_empty() && replicas_ok
}

fn report(name: &str, outcome: &Result<(), String>, took: Duration) {
    match outcome {
        Ok(()) => println!("test {name} ... ok ({:.1} s)", took.as_secs_f64()),
        Err(e) => println!("test {name} ... FAILED\n    {}", e.replace('\n', "\n    ")),
    }
}

fn panic_text(join: tokio::task::JoinError) -> String {
    match join.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".into()),
        Err(e) => format!("task failed: {e}"),
    }
}
