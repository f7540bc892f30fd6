//! The accept loop: hyper connections (HTTP/1.1 and HTTP/2) with a header-read
//! timeout, which also closes idle keep-alive connections, and a cap on open
//! connections, so slow or idle clients cannot hold every descriptor. With TLS the
//! handshake runs in the connection's own task, within the same header-read timeout.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use super::tls::TlsConfig;

/// What bounds each connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnLimits {
    /// Time a client has to send a request's headers, and to start its next request on
    /// a kept-alive connection.
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

/// Descriptors kept for everything but client connections (database pool, files,
/// outgoing MCP and model connections).
const RESERVED_FDS: u64 = 256;

/// The default connection cap: the soft descriptor limit minus [`RESERVED_FDS`], at
/// least 64.
pub(crate) fn default_max_connections() -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(1024);
    usize::try_from(soft.saturating_sub(RESERVED_FDS).max(64)).unwrap_or(usize::MAX)
}

/// Serves `app` (over TLS when `tls` is given) until `stop` turns true, then lets open
/// requests finish.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    tls: Option<TlsConfig>,
    mut stop: watch::Receiver<bool>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_read_timeout)
        .keep_alive_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection limit reached; new connections wait until one closes"
                );
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                    _ = stopped(&mut stop) => break,
                }
            }
        };
        let tcp = tokio::select! {
            r = listener.accept() => match r {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was accepted:
                    // pause instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        // Without TCP_NODELAY a stream's small event writes wait for the client's
        // delayed ACK (up to 40 ms each on Linux) whenever an earlier write is unacknowledged.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
        let (builder, app, watcher) = (builder.clone(), app.clone(), graceful.watcher());
        // Read per connection, so a certificate reloaded on SIGHUP serves the next one.
        let acceptor = tls.as_ref().map(|t| TlsAcceptor::from(t.load_full()));
        tokio::spawn(async move {
            match acceptor {
                None => serve_connection(&builder, watcher, tcp, app).await,
                Some(acceptor) => match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => serve_connection(&builder, watcher, stream, app).await,
                    Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                },
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn serve_connection<I>(builder: &Builder<TokioExecutor>, watcher: Watcher, io: I, app: Router)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(app));
    // Client errors (timeouts, resets, malformed requests) end the connection only.
    let _ = watcher.watch(conn.into_owned()).await;
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|v| *v).await;
}
