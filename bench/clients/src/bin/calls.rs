//! Measures the Rust `zaby` crate, the raw limit the Python and Node SDKs are compared to:
//! `health.check` and `agents.get` sequentially and at N concurrent calls, and the rate at
//! which `runtime_runs.stream` consumes a pre-rendered run. Prints one JSON object.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures::StreamExt;
use serde_json::{Value, json};
use zaby::{Zaby, ZabyGlobalConfig, ZabyRuntime};
use zaby_bench_clients::stats::{Summary, process_cpu};

#[derive(Parser)]
#[command(about = "Rust zaby crate call and stream measurements (bench only)")]
struct Args {
    /// Origin of a running zaby-server.
    #[arg(long)]
    origin: String,
    /// API key of the server's tenant (read from this env var, never from argv).
    #[arg(long, default_value = "ZABY_BENCH_API_KEY")]
    api_key_env: String,
    /// An agent of that tenant, for `agents.get`.
    #[arg(long)]
    agent_id: String,
    /// Origin of a `zaby-bench-sse-source`.
    #[arg(long)]
    sse_origin: String,
    /// Events that source serves; every one must arrive.
    #[arg(long)]
    sse_events: u64,
    /// Duration of each call measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Concurrent calls in the concurrent measurements.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Stream repetitions (the best is reported).
    #[arg(long, default_value_t = 3)]
    stream_rounds: u32,
}

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Fallible<()> {
    let args = Args::parse();
    let api_key = std::env::var(&args.api_key_env).map_err(|_| format!("set {}", args.api_key_env))?;
    let config = ZabyGlobalConfig { api_origin: Some(args.origin.clone()), ..Default::default() };
    let zaby = Zaby::builder().api_key(api_key.as_str()).config(config).build()?;
    let seconds = Duration::from_secs_f64(args.seconds);

    // Opens the pooled connection so the first measurement does not pay for it.
    zaby.health().check().json().await?;
    let agent = zaby.agents().get(&args.agent_id).json().await?;
    if agent["id"] != args.agent_id.as_str() {
        return Err(format!("agents.get returned another agent: {}", agent["id"]).into());
    }

    let mut calls = serde_json::Map::new();
    for name in ["health", "agents_get"] {
        let sequential = measure(&zaby, name, &args.agent_id, 1, seconds).await?;
        let concurrent = measure(&zaby, name, &args.agent_id, args.concurrency, seconds).await?;
        calls
            .insert(name.to_owned(), json!({ "sequential": sequential.to_json(), "concurrent": concurrent.to_json() }));
    }

    let runtime = ZabyRuntime::builder()
        .token("bench-token")
        .config(ZabyGlobalConfig { api_origin: Some(args.sse_origin.clone()), ..Default::default() })
        .build()?;
    let mut best: Option<Value> = None;
    for _ in 0..args.stream_rounds.max(1) {
        let round = consume_stream(&runtime, args.sse_events).await?;
        if best.as_ref().is_none_or(|b| round["events_per_s"].as_f64() > b["events_per_s"].as_f64()) {
            best = Some(round);
        }
    }

    let out = json!({ "concurrency": args.concurrency, "calls": calls, "sse": best });
    println!("{out}");
    zaby.close().await;
    runtime.close().await;
    Ok(())
}

async fn one_call(zaby: &Zaby, name: &str, agent_id: &str) -> zaby::Result<Value> {
    match name {
        "health" => zaby.health().check().json().await,
        _ => zaby.agents().get(agent_id).json().await,
    }
}

/// Runs `name` from `workers` concurrent loops for `duration`; every call must succeed.
async fn measure(zaby: &Zaby, name: &str, agent_id: &str, workers: usize, duration: Duration) -> Fallible<Summary> {
    let agent_id: Arc<str> = Arc::from(agent_id);
    let name: Arc<str> = Arc::from(name);
    let cpu_before = process_cpu();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (zaby, name, agent_id) = (zaby.clone(), name.clone(), agent_id.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            while Instant::now() < deadline {
                let t = Instant::now();
                one_call(&zaby, &name, &agent_id).await?;
                latencies.push(t.elapsed());
            }
            Ok::<_, zaby::ZabyError>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let wall = started.elapsed();
    Ok(Summary::new(latencies, wall, process_cpu() - cpu_before))
}

/// Consumes the whole run once: events/s, time to the first event, and a check that every
/// event arrived in order and the last one was terminal.
async fn consume_stream(runtime: &ZabyRuntime, expected: u64) -> Fallible<Value> {
    let started = Instant::now();
    let mut stream = runtime.runs().stream("run_bench", None).max_reconnects(0);
    let mut count = 0u64;
    let mut first = None;
    let mut last_event = None;
    while let Some(event) = stream.next().await {
        let event = event?;
        if first.is_none() {
            first = Some(started.elapsed());
        }
        count += 1;
        if event.id() != Some(count.to_string().as_str()) {
            return Err(format!("event {count} arrived with id {:?}", event.id()).into());
        }
        last_event = event.name().map(str::to_owned);
    }
    let total = started.elapsed();
    if count != expected || last_event.as_deref() != Some("RunFinished") {
        return Err(format!("stream delivered {count} of {expected} events, last {last_event:?}").into());
    }
    Ok(json!({
        "events": count,
        "seconds": total.as_secs_f64(),
        "events_per_s": count as f64 / total.as_secs_f64(),
        "first_event_ms": first.unwrap_or_default().as_secs_f64() * 1e3,
        "total_ms": total.as_secs_f64() * 1e3,
    }))
}
