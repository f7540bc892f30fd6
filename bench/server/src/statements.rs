//! `--count-statements`: the SQL statements one run (start with `respondAsync`, stream
//! to `RunFinished`) costs the server, read from its statement log (`sqlx::query` at
//! debug level for PostgreSQL, `zaby_server::sql` for SQLite's in-process statements,
//! both with sqlx's summary). Counts are deterministic where timings are not, so they tell a
//! before/after apart on a busy machine.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::runtime::Runtime;
use crate::server::Server;
use crate::server::anyhow_lite::Result;

/// After `RunFinished`, the executor may still be storing (memory candidates).
const TAIL: Duration = Duration::from_millis(300);

/// The statement summaries logged since byte `from` of the log, in order.
fn statements_since(server: &Server, from: usize) -> Result<Vec<String>> {
    let log = std::fs::read(server.log_path())?;
    let text = String::from_utf8_lossy(log.get(from..).unwrap_or_default());
    Ok(text
        .lines()
        .filter(|l| l.contains("sqlx::query") || l.contains("zaby_server::sql"))
        .map(|l| {
            let s = l.split_once("summary=\"").map(|(_, rest)| rest).unwrap_or(l);
            s.split_once('"').map(|(summary, _)| summary).unwrap_or(s).to_string()
        })
        .collect())
}

fn log_len(server: &Server) -> Result<usize> {
    Ok(std::fs::metadata(server.log_path())?.len() as usize)
}

fn print_counted(title: &str, statements: &[String]) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in statements {
        *counts.entry(s.as_str()).or_default() += 1;
    }
    eprintln!("{title}: {} statements", statements.len());
    for (s, n) in counts {
        eprintln!("  {n:>3} × {s}");
    }
}

/// One warm-up run, then a window with no run (the background's statements: executor
/// and poller ticks) and a run followed by the same wait; prints both, in order and
/// counted.
pub async fn count(server: &Server, rt: &Runtime, name: &str) -> Result<()> {
    rt.run().await?;
    tokio::time::sleep(TAIL).await;
    let idle_from = log_len(server)?;
    let t0 = std::time::Instant::now();
    tokio::time::sleep(TAIL).await;
    let idle = statements_since(server, idle_from)?;
    let window = t0.elapsed();
    let from = log_len(server)?;
    let t1 = std::time::Instant::now();
    rt.run().await?;
    tokio::time::sleep(TAIL).await;
    let run = statements_since(server, from)?;
    eprintln!("[{name}] one run, in order ({:?} window):", t1.elapsed());
    for (i, s) in run.iter().enumerate() {
        eprintln!("  {:>3}. {s}", i + 1);
    }
    print_counted(&format!("[{name}] one run"), &run);
    print_counted(&format!("[{name}] background only ({window:?} window, no run)"), &idle);
    Ok(())
}
