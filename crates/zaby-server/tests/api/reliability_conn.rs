//! Slow clients (issue 20): a flood of connections that never finish their headers is
//! cut off after `ZABY_HEADER_READ_TIMEOUT_MS`, idle kept-alive connections too, open
//! connections are capped by `ZABY_MAX_CONNECTIONS`, and `/health` keeps answering.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

/// Reads until the server closes the connection; false if it stays open past `within`.
async fn closed_within(sock: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, sock.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_flood_sqlite() {
    let Some(s) = TestServer::start_with(Backend::Sqlite, |st| {
        st.header_read_timeout_ms = 1000;
        st.max_connections = Some(64);
    })
    .await
    else {
        return;
    };
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut sock = TcpStream::connect(&addr).await.unwrap();
        sock.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
        slow.push(sock);
    }
    // 300 stalled clients, 64 slots, 1 s each: /health is served within a few waves.
    let started = Instant::now();
    let r = reqwest::Client::new().get(s.url("/health")).timeout(Duration::from_secs(15)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_secs(10), "/health took {:?}", started.elapsed());
    // The server, not the client, ended the stalled connections.
    assert!(closed_within(&mut slow[0], Duration::from_secs(5)).await, "a stalled connection stayed open");

    // An idle kept-alive connection is closed too.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await, "an idle keep-alive connection stayed open");
    drop(slow);
    s.stop().await;
}

/// The server tells HTTP/2 from HTTP/1 on a plain connection by its first bytes
/// (`http/serve.rs`): h2c with prior knowledge is served, a connection that never sends
/// a byte is closed after the header-read timeout like one that stalls inside its
/// headers, and an HTTP/1 head arriving in pieces is still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocols_by_first_bytes_sqlite() {
    let Some(s) = TestServer::start_with(Backend::Sqlite, |st| st.header_read_timeout_ms = 1000).await else {
        return;
    };
    let h2 = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    let r = h2.get(s.url("/health")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.version()), (200, reqwest::Version::HTTP_2));

    let addr = s.base.trim_start_matches("http://").to_string();
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await, "a silent connection stayed open");

    // A head arriving in pieces, the first shorter than HTTP/2's preface, is still HTTP/1.
    let mut split = TcpStream::connect(&addr).await.unwrap();
    split.write_all(b"GE").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    split.write_all(b"T /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let n = split.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    s.stop().await;
}
