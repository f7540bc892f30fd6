//! A bench-only HTTP server that streams a pre-rendered run of N events on the path of
//! `runtime_runs.stream` (E121), framed exactly as the Zaby server frames it (`docs/streaming.md`).
//! Rendering once at start-up keeps the source's own cost out of the consumer's figures.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};

use zaby_bench_clients::sse_body::render_run;

/// Size of the pieces the body is written in: large enough to keep the source cheap, small enough
/// that a client reading incrementally sees the first events long before the last.
const CHUNK_BYTES: usize = 32 * 1024;

#[derive(Parser)]
#[command(about = "Serve a pre-rendered SSE run of N events (bench only)")]
struct Args {
    /// Number of events in the run, the last one `RunFinished`.
    #[arg(long)]
    events: u64,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    if args.events == 0 {
        eprintln!("--events must be at least 1 (the terminal event)");
        std::process::exit(2);
    }
    let body = Arc::new(Bytes::from(render_run(args.events)));
    let app = Router::new()
        .route("/health", get(health))
        .route("/api/v1/agent-runtime/runs/{run_id}/aiui", get(move || stream(body.clone())));
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    use std::io::Write;
    std::io::stdout().flush()?;

    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        served = axum::serve(listener, app) => served,
        _ = term.recv() => Ok(()),
        _ = int.recv() => Ok(()),
    }
}

async fn health() -> Response {
    ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], r#"{"status":"ok"}"#).into_response()
}

async fn stream(body: Arc<Bytes>) -> Response {
    let body = Bytes::clone(&body);
    let chunks = futures::stream::iter((0..body.len()).step_by(CHUNK_BYTES).map(move |start| {
        let end = (start + CHUNK_BYTES).min(body.len());
        Ok::<_, std::io::Error>(body.slice(start..end))
    }));
    let mut response = Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-type", "text/event-stream; charset=utf-8"),
        ("cache-control", "no-cache"),
        ("connection", "keep-alive"),
        ("x-accel-buffering", "no"),
        ("x-request-id", "req_00000000000000000000000000bench"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
