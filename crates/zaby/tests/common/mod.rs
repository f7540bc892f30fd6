//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;
use zaby::testing::MockTransport;
use zaby::transport::{Transport, TransportRequest, TransportResponse};
use zaby::{Zaby, ZabyError, ZabyGlobalConfig, ZabyRuntime};

pub const ORIGIN: &str = "https://api.test";
pub const API_KEY: &str = "zaby_pk_test";
pub const ACCESS_TOKEN: &str = "tenant-jwt";
pub const TENANT: &str = "tenant-1";
pub const RUNTIME_TOKEN: &str = "rt-jwt";

pub fn config() -> ZabyGlobalConfig {
    ZabyGlobalConfig { api_origin: Some(ORIGIN.into()), ..Default::default() }
}

/// A `Zaby` with an API key, an access token and a tenant id over `transport`.
pub fn zaby(transport: Arc<dyn Transport>) -> Zaby {
    Zaby::builder()
        .api_key(API_KEY)
        .access_token(ACCESS_TOKEN)
        .tenant_id(TENANT)
        .config(config())
        .transport(transport)
        .build()
        .unwrap()
}

pub fn runtime(transport: Arc<dyn Transport>) -> ZabyRuntime {
    ZabyRuntime::builder().token(RUNTIME_TOKEN).config(config()).transport(transport).build().unwrap()
}

pub fn mock() -> Arc<MockTransport> {
    Arc::new(MockTransport::default())
}

type Responder = dyn Fn(usize, TransportRequest) -> Pin<Box<dyn Future<Output = Result<TransportResponse, ZabyError>> + Send>>
    + Send
    + Sync;

/// A transport whose answers come from a closure given the attempt number (0-based);
/// records every request. For what `MockTransport` cannot do: delays, connection
/// errors, timeouts, byte streams.
pub struct FnTransport {
    responder: Box<Responder>,
    pub requests: Mutex<Vec<TransportRequest>>,
    /// Set if anyone calls `Transport::close` (the SDK must not close custom transports).
    pub closed: std::sync::atomic::AtomicBool,
}

impl FnTransport {
    pub fn new<F, Fut>(f: F) -> Arc<Self>
    where
        F: Fn(usize, TransportRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<TransportResponse, ZabyError>> + Send + 'static,
    {
        Arc::new(FnTransport {
            responder: Box::new(move |n, r| Box::pin(f(n, r))),
            requests: Mutex::new(Vec::new()),
            closed: Default::default(),
        })
    }

    pub fn requests(&self) -> Vec<TransportRequest> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

#[async_trait]
impl Transport for FnTransport {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse, ZabyError> {
        let n = {
            let mut r = self.requests.lock().unwrap();
            r.push(request.clone());
            r.len() - 1
        };
        (self.responder)(n, request).await
    }

    async fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

pub fn json_response(status: u16, body: Value) -> TransportResponse {
    TransportResponse { status, json_body: Some(body), ..Default::default() }
}

pub fn with_headers(mut r: TransportResponse, headers: &[(&str, &str)]) -> TransportResponse {
    for (k, v) in headers {
        r.headers.insert(k.to_string(), v.to_string());
    }
    r
}

/// Asserts an error's class and code.
#[track_caller]
pub fn assert_error(e: &ZabyError, class: &str, code: Option<&str>) {
    assert_eq!(e.class_name(), class, "{e:?}");
    assert_eq!(e.code(), code, "{e:?}");
}
