//! The four server measurements, each against one running server.

use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::runtime::{Frames, RunTiming, Runtime};
use crate::server::Server;
use crate::server::anyhow_lite::Result;
use crate::setup::Setup;

/// p50 and p99 of a sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quantiles {
    pub p50: Duration,
    pub p99: Duration,
    pub n: usize,
}

impl Quantiles {
    pub fn of(mut xs: Vec<Duration>) -> Quantiles {
        xs.sort();
        let at = |q: f64| xs.get(((xs.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or_default();
        Quantiles { p50: at(0.50), p99: at(0.99), n: xs.len() }
    }
}

pub struct Sequential {
    pub finish: Quantiles,
    pub first_event: Quantiles,
    pub start: Quantiles,
    pub health: Quantiles,
    pub events_per_run: usize,
    /// The server's CPU time per run (the `GET /health` between runs included).
    pub server_cpu_per_run: Duration,
    /// The server's context switches per run (idem).
    pub switches_per_run: f64,
}

/// Runs one after the other on one connection: start → `RunFinished`, start →
/// first event, the start request alone, and `GET /health` (the floor of one request)
/// interleaved run by run; `runs` of them, or fewer (at least 10) when `budget` is spent.
pub async fn sequential(
    server: &Server,
    rt: &Runtime,
    http: &reqwest::Client,
    runs: usize,
    budget: Duration,
) -> Result<Sequential> {
    let (mut finish, mut first, mut start, mut health) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut events_per_run = 0;
    let (cpu0, switches0) = (server.cpu_time(), server.context_switches());
    let t_all = Instant::now();
    for i in 0..runs {
        if i >= 10 && t_all.elapsed() > budget {
            break;
        }
        let t: RunTiming = rt.run().await?;
        finish.push(t.finished);
        first.push(t.first_event);
        start.push(t.started);
        events_per_run = t.events;
        let t0 = Instant::now();
        let r = http.get(format!("{}/health", server.origin)).send().await?;
        if r.status() != 200 {
            return Err(format!("health answered {}", r.status()).into());
        }
        r.bytes().await?;
        health.push(t0.elapsed());
    }
    let n = finish.len().max(1);
    let server_cpu_per_run = server.cpu_time().saturating_sub(cpu0) / n as u32;
    let switches_per_run = server.context_switches().saturating_sub(switches0) as f64 / n as f64;
    Ok(Sequential {
        server_cpu_per_run,
        switches_per_run,
        finish: Quantiles::of(finish),
        first_event: Quantiles::of(first),
        start: Quantiles::of(start),
        health: Quantiles::of(health),
        events_per_run,
    })
}

pub struct Throughput {
    pub clients: usize,
    pub runs: usize,
    pub elapsed: Duration,
    pub finish: Quantiles,
    pub server_cpu: Duration,
}

impl Throughput {
    pub fn per_second(&self) -> f64 {
        self.runs as f64 / self.elapsed.as_secs_f64()
    }
}

/// `clients` end users (a token each), each starting a run and following its stream
/// to `RunFinished`, again and again, for `duration`. Every run must finish.
pub async fn throughput(server: &Server, runtimes: &[Runtime], duration: Duration) -> Result<Throughput> {
    let cpu0 = server.cpu_time();
    let t0 = Instant::now();
    let deadline = t0 + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for rt in runtimes {
        let rt = rt.clone();
        tasks.spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                lat.push(rt.run().await?.finished);
            }
            Ok::<_, crate::server::anyhow_lite::Error>(lat)
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r??);
    }
    let elapsed = t0.elapsed();
    Ok(Throughput {
        clients: runtimes.len(),
        runs: all.len(),
        elapsed,
        finish: Quantiles::of(all),
        server_cpu: server.cpu_time().saturating_sub(cpu0),
    })
}

pub struct Idle {
    pub streams: usize,
    pub rss_before: u64,
    pub rss_with_streams: u64,
    /// Server CPU per second of wall time while the streams sat idle.
    pub idle_cpu_share: f64,
    /// The server's context switches per second over the same window: its wake-ups,
    /// which do not depend on how busy the machine is, unlike the CPU share.
    pub idle_switches_per_s: f64,
    pub setup: Duration,
}

/// `n` runs waiting for an approval, each with its stream open (the `approval_required`
/// event received), spread over `tokens`; then the server's RSS and its CPU use over
/// `settle` of idleness.
pub async fn idle_streams(server: &Server, runtimes: &[Runtime], n: usize, settle: Duration) -> Result<Idle> {
    let rss_before = server.rss_bytes();
    let t0 = Instant::now();
    let opened: Vec<Result<Frames>> = futures::stream::iter(0..n)
        .map(|i| {
            let rt = runtimes[i % runtimes.len()].clone();
            async move { rt.waiting_stream().await }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut streams = Vec::with_capacity(n);
    for s in opened {
        streams.push(s?);
    }
    let setup = t0.elapsed();
    // Let the last runs' writes and the streams' first polls pass.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (cpu0, switches0) = (server.cpu_time(), server.context_switches());
    let w0 = Instant::now();
    tokio::time::sleep(settle).await;
    let window = w0.elapsed().as_secs_f64();
    let idle_cpu_share = server.cpu_time().saturating_sub(cpu0).as_secs_f64() / window;
    let idle_switches_per_s = server.context_switches().saturating_sub(switches0) as f64 / window;
    let rss_with_streams = server.rss_bytes();
    let count = streams.len();
    drop(streams);
    Ok(Idle { streams: count, rss_before, rss_with_streams, idle_cpu_share, idle_switches_per_s, setup })
}

/// Mints `n` tokens (one end user each) and a runtime client per token, all sharing
/// one connection pool.
pub async fn runtimes(
    setup: &Setup,
    http: &reqwest::Client,
    origin: &str,
    n: usize,
    tag: &str,
) -> Result<Vec<Runtime>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let token = setup.token(&format!("{tag}-{i}")).await?;
        out.push(Runtime::new(http.clone(), origin, token));
    }
    Ok(out)
}
