//! The README's Rust example, compiled from the root README.md by build.rs and run as
//! written against the suite's server, and the lifecycle example
//! (`crates/zaby/examples/lifecycle.rs`) the same way: each in a child process of this
//! binary, so that `ZABY_API_ORIGIN`/`ZABY_API_KEY` are set in its environment from the
//! start.

use std::sync::Arc;

use zaby::types::{AgentStatus, E3Query};

use crate::support::Ctx;

pub const CHILD_FLAG: &str = "ZABY_E2E_README_CHILD";

mod example {
    include!(concat!(env!("OUT_DIR"), "/readme_example.rs"));
}

mod lifecycle {
    include!(concat!(env!("OUT_DIR"), "/lifecycle_example.rs"));
}

/// The child's `main`: the chosen example's own, on a runtime like `#[tokio::main]` builds.
pub fn run_as_child() -> i32 {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let which = std::env::var(CHILD_FLAG).unwrap_or_default();
    let outcome = match which.as_str() {
        "lifecycle" => runtime.block_on(lifecycle::lifecycle_main()),
        _ => runtime.block_on(example::readme_main()),
    };
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("the {which} example failed: {e}");
            1
        }
    }
}

/// Runs one example (`readme` or `lifecycle`) in a child against the suite's server;
/// its standard output, once it exited successfully.
async fn run_child(ctx: &Ctx, which: &'static str) -> String {
    let exe = std::env::current_exe().expect("the test binary");
    let (origin, key) = (ctx.server.origin.clone(), ctx.server.api_key.clone());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .env(CHILD_FLAG, which)
            .env("ZABY_API_ORIGIN", origin)
            .env("ZABY_API_KEY", key)
            .env_remove("ZABY_ENVIRONMENT")
            .output()
    })
    .await
    .expect("join")
    .expect("run the example");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the {which} example exited with {}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let stdout = run_child(&ctx, "readme").await;

    // It printed the text events as they came, then the RunFinished status.
    assert_eq!(stdout, "You said: hello\nCOMPLETED\n", "the text events spell the answer, then the run completes");

    // What it did is on the server: the agent `helper`, published and deployed.
    let agents = ctx.zaby.agents().list(E3Query { q: Some("helper".into()), ..Default::default() }).await?;
    let helper = agents.items.iter().find(|a| a.slug == "helper").expect("agent helper");
    assert_eq!(helper.status, AgentStatus::Active);
    assert_eq!(helper.active_deployments.len(), 1, "{helper:?}");

    // The lifecycle example: deployed through PENDING to ACTIVE, a knowledge-grounded
    // answer, a tool call approved mid-stream, and a client tool answered by `with_tools`.
    let out = run_child(&ctx, "lifecycle").await;
    for line in [
        "\u{2192} deployment: PENDING",
        "\u{2192} deployment: ACTIVE at http",
        "    tool call sum {\"numbers\":[30,5]}",
        "    result    {\"sum\":35}",
        "    tool call get_weather {\"city\":\"Lyon\"}",
        "    result    {\"city\":\"Lyon\",\"forecast\":\"sunny\",\"celsius\":21}",
        "\u{2192} usage: 3 runs, 2 tool calls",
    ] {
        assert!(out.contains(line), "{line:?} not in the lifecycle example's output:\n{out}");
    }
    assert_eq!(out.matches("    finished  COMPLETED").count(), 3, "{out}");
    Ok(())
}
