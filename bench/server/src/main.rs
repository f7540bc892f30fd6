//! `zaby-bench-server`: measures a release `zaby-server` on SQLite and on PostgreSQL
//! (a fresh database each) and prints a Markdown section on stdout; progress goes to
//! stderr. Driven by `bench/server/run`.

mod measure;
mod report;
mod runtime;
mod server;
mod setup;
mod statements;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use server::anyhow_lite::Result;
use server::{API_KEY, Server};

#[derive(Parser)]
struct Args {
    /// The release `zaby-server` binary.
    #[arg(long)]
    server_bin: PathBuf,
    /// A directory for the servers' state and logs.
    #[arg(long)]
    work_dir: PathBuf,
    /// A PostgreSQL cluster (`postgres://…/postgres`); a database is created per run.
    #[arg(long)]
    postgres_url: Option<String>,
    /// A few iterations of everything, with sanity checks.
    #[arg(long)]
    smoke: bool,
    /// Overrides the number of idle streams (10,000 in full mode, 100 in smoke mode).
    #[arg(long)]
    idle_streams: Option<usize>,
    /// Overrides how long the idle streams are watched (15 s in full mode: each stream's
    /// heartbeat once; 1 s in smoke mode).
    #[arg(long)]
    idle_seconds: Option<u64>,
    /// Instead of measuring: the SQL statements one run costs the server, listed and
    /// counted from its statement log (deterministic, unlike the timings).
    #[arg(long)]
    count_statements: bool,
    /// Measures runs only (sequential and 32 clients), not idle streams, for quick
    /// before/after comparisons of the run path.
    #[arg(long)]
    runs_only: bool,
}

/// How much of each measurement.
pub struct Plan {
    pub warmup: usize,
    pub sequential_runs: usize,
    pub sequential_budget: Duration,
    pub clients: usize,
    pub throughput_for: Duration,
    pub idle_streams: usize,
    pub idle_tokens: usize,
    pub settle: Duration,
}

impl Plan {
    fn new(smoke: bool) -> Plan {
        if smoke {
            Plan {
                warmup: 2,
                sequential_runs: 10,
                sequential_budget: Duration::from_secs(5),
                clients: 32,
                throughput_for: Duration::from_secs(1),
                idle_streams: 100,
                idle_tokens: 10,
                settle: Duration::from_secs(1),
            }
        } else {
            Plan {
                warmup: 50,
                sequential_runs: 2000,
                sequential_budget: Duration::from_secs(8),
                clients: 32,
                throughput_for: Duration::from_secs(15),
                idle_streams: 10_000,
                idle_tokens: 1_000,
                settle: Duration::from_secs(15),
            }
        }
    }
}

/// Lets 10,000 streams (and the server, which inherits it) have their sockets.
fn raise_fd_limit() {
    let want: libc::rlim_t = 200_000;
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        let mut l = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 {
            let hard = if l.rlim_max < want { want } else { l.rlim_max };
            let raised = libc::rlimit { rlim_cur: want.min(hard), rlim_max: hard };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                let soft = libc::rlimit { rlim_cur: l.rlim_max, rlim_max: l.rlim_max };
                libc::setrlimit(libc::RLIMIT_NOFILE, &soft);
            }
        }
    }
}

fn create_database(cluster: &str, name: &str) -> Result<String> {
    let out = std::process::Command::new("psql")
        .arg(cluster)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", &format!("CREATE DATABASE {name}")])
        .output()?;
    if !out.status.success() {
        return Err(format!("creating {name} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let base = cluster.rsplit_once('/').map(|(b, _)| b).unwrap_or(cluster);
    Ok(format!("{base}/{name}"))
}

/// The backend's figures; `None` in the partial modes (`--count-statements`, `--runs-only`),
/// which print to stderr.
async fn measure_backend(
    args: &Args,
    plan: &Plan,
    name: &str,
    db_url: Option<&str>,
) -> Result<Option<report::Backend>> {
    let dir = args.work_dir.join(name);
    let pids = args.work_dir.join("server.pid");
    eprintln!("bench server [{name}]: starting the server");
    let log = if args.count_statements { "warn,sqlx::query=debug,zaby_server::sql=debug" } else { "warn" };
    let server = Server::start(&args.server_bin, &dir, db_url, &pids, log).await?;
    let setup = setup::Setup::new(&server.origin, API_KEY).await?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(usize::MAX).build()?;

    let one = measure::runtimes(&setup, &http, &server.origin, 1, "sequential").await?;
    if args.count_statements {
        statements::count(&server, &one[0], name).await?;
        server.stop().await;
        return Ok(None);
    }
    for _ in 0..plan.warmup {
        one[0].run().await?;
    }
    eprintln!("bench server [{name}]: sequential runs");
    let sequential = measure::sequential(&server, &one[0], &http, plan.sequential_runs, plan.sequential_budget).await?;

    eprintln!("bench server [{name}]: {} concurrent clients for {:?}", plan.clients, plan.throughput_for);
    let many = measure::runtimes(&setup, &http, &server.origin, plan.clients, "concurrent").await?;
    let throughput = measure::throughput(&server, &many, plan.throughput_for).await?;
    if args.runs_only {
        eprintln!(
            "bench server [{name}]: sequential p50 {:?} (server CPU {:.0} µs, {:.0} context switches per run); \
             {:.0} runs/s, p50 {:?} p99 {:?}, server CPU {:.0} µs/run",
            sequential.finish.p50,
            sequential.server_cpu_per_run.as_secs_f64() * 1e6,
            sequential.switches_per_run,
            throughput.per_second(),
            throughput.finish.p50,
            throughput.finish.p99,
            throughput.server_cpu.as_secs_f64() * 1e6 / throughput.runs.max(1) as f64
        );
        server.stop().await;
        return Ok(None);
    }

    eprintln!("bench server [{name}]: {} idle streams", plan.idle_streams);
    let waiting = measure::runtimes(&setup, &http, &server.origin, plan.idle_tokens, "waiting").await?;
    let idle = measure::idle_streams(&server, &waiting, plan.idle_streams, plan.settle).await?;
    if idle.streams != plan.idle_streams {
        return Err(format!("{} of {} streams open", idle.streams, plan.idle_streams).into());
    }
    drop(http);
    server.stop().await;
    Ok(Some(report::Backend { name: name.to_string(), sequential, throughput, idle }))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    raise_fd_limit();
    let mut plan = Plan::new(args.smoke);
    if let Some(n) = args.idle_streams {
        plan.idle_streams = n;
        plan.idle_tokens = plan.idle_tokens.max(n / 10).max(1);
    }
    if let Some(s) = args.idle_seconds {
        plan.settle = Duration::from_secs(s);
    }
    let result = async {
        let version = std::process::Command::new(&args.server_bin).arg("--version").output()?;
        let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
        let mut backends: Vec<report::Backend> =
            measure_backend(&args, &plan, "SQLite", None).await?.into_iter().collect();
        match &args.postgres_url {
            Some(cluster) => {
                let url = create_database(cluster, &format!("zaby_bench_{}", std::process::id()))?;
                backends.extend(measure_backend(&args, &plan, "PostgreSQL", Some(&url)).await?);
            }
            None => eprintln!("bench server: no PostgreSQL cluster; SQLite only"),
        }
        if args.count_statements || args.runs_only {
            return Ok(String::new());
        }
        Ok::<_, server::anyhow_lite::Error>(report::markdown(&version, &plan, args.smoke, &backends))
    }
    .await;
    match result {
        Ok(md) => print!("{md}"),
        Err(e) => {
            eprintln!("bench server: {e}");
            std::process::exit(1);
        }
    }
}
