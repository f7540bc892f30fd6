//! The accept loop: hyper connections (HTTP/1.1 and HTTP/2) with a header-read
//! timeout, which also closes idle keep-alive connections, and a cap on open
//! connections, so slow or idle clients cannot hold every descriptor. With TLS the
//! handshake runs in the connection's own task, within the same header-read timeout.
//!
//! The protocol of a connection is decided here (ALPN with TLS, a peek at the first
//! bytes without), and hyper serves it with that protocol's builder, not hyper-util's
//! auto builder: that one reads the first 24 bytes itself (to tell HTTP/2's preface
//! from HTTP/1) and hands them to hyper's HTTP/1 reader alone, whose first head then
//! reads on into a buffer grown from 8 to 16 KiB (`Buffered::poll_read_from_io`
//! reserves 8 KiB more than the bytes it holds), kept for the connection's life; and
//! its connection future has room for either protocol's state. Both were most of an
//! idle stream's memory.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulConnection, GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
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
    let builders = Arc::new(Builders::new(limits));
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
        let (builders, app, watcher) = (builders.clone(), app.clone(), graceful.watcher());
        // The acceptor is read per connection, so a certificate reloaded on SIGHUP serves
        // the next one.
        match tls.as_ref().map(|t| TlsAcceptor::from(t.load_full())) {
            None => tokio::spawn(async move {
                match tokio::time::timeout(limits.header_read_timeout, sniff(&tcp)).await {
                    Ok(Some(proto)) => builders.spawn(proto, tcp, app, watcher, permit),
                    Ok(None) => {}
                    Err(_) => tracing::debug!("no request within the header-read timeout"),
                }
            }),
            Some(acceptor) => tokio::spawn(async move {
                match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                        let proto = if h2 { Proto::H2 } else { Proto::H1 };
                        builders.spawn(proto, stream, app, watcher, permit)
                    }
                    Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                }
            }),
        };
    }
    drop(listener);
    graceful.shutdown().await;
}

#[derive(Clone, Copy)]
enum Proto {
    H1,
    H2,
}

/// One builder per protocol, shared by all connections.
struct Builders {
    h1: http1::Builder,
    h2: http2::Builder<TokioExecutor>,
}

impl Builders {
    fn new(limits: ConnLimits) -> Builders {
        let mut h1 = http1::Builder::new();
        h1.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
        let mut h2 = http2::Builder::new(TokioExecutor::new());
        h2.timer(TokioTimer::new())
            .keep_alive_interval(limits.header_read_timeout)
            .keep_alive_timeout(limits.header_read_timeout);
        Builders { h1, h2 }
    }

    /// Serves `io` in a task of its own, sized for its protocol's connection alone (an
    /// HTTP/1 connection does not carry HTTP/2's state), holding `permit` until it closes.
    fn spawn<I>(&self, proto: Proto, io: I, app: Router, watcher: Watcher, permit: OwnedSemaphorePermit)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (io, service) = (TokioIo::new(io), TowerToHyperService::new(app));
        match proto {
            Proto::H1 => run(self.h1.serve_connection(io, service), watcher, permit),
            Proto::H2 => run(self.h2.serve_connection(io, service), watcher, permit),
        }
    }
}

fn run<C>(conn: C, watcher: Watcher, permit: OwnedSemaphorePermit)
where
    C: GracefulConnection + Send + 'static,
    C::Error: Send,
{
    tokio::spawn(async move {
        // Client errors (timeouts, resets, malformed requests) end the connection only.
        let _ = watcher.watch(conn).await;
        drop(permit);
    });
}

/// HTTP/2's connection preface (RFC 9113 §3.4); no HTTP/1 request starts with it
/// (the method `PRI` is reserved for it).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The protocol of a plain connection, from its first bytes, left in the socket for
/// hyper; `None` when it closed or failed before sending any.
async fn sniff(tcp: &TcpStream) -> Option<Proto> {
    let mut first = [0u8; H2_PREFACE.len()];
    loop {
        let n = tcp.peek(&mut first).await.ok()?;
        if n == 0 {
            return None;
        }
        if !H2_PREFACE.starts_with(&first[..n]) {
            return Some(Proto::H1);
        }
        if n == H2_PREFACE.len() {
            return Some(Proto::H2);
        }
        // Part of the preface so far; the socket stays readable until it is read, so
        // look again shortly rather than on readiness.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|v| *v).await;
}
