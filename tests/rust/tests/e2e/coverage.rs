//! Coverage by recording what the SDK sends: every client of the suite goes through a
//! [`Recorder`], which notes `(method, path, status)` of each attempt and forwards it to
//! the SDK's own `HttpTransport`. The recorded requests are mapped back to endpoint ids
//! with the path templates of `zaby::endpoints::ENDPOINTS`.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use zaby::endpoints::{ENDPOINTS, Endpoint};
use zaby::transport::{HttpTransport, Transport, TransportRequest, TransportResponse};

/// One request as it went out, with the status the server answered.
#[derive(Clone, Debug)]
pub struct Sent {
    pub method: String,
    pub path: String,
    pub status: u16,
}

#[derive(Default)]
pub struct Recorder {
    inner: HttpTransport,
    sent: Mutex<Vec<Sent>>,
}

impl Recorder {
    pub fn new() -> Arc<Recorder> {
        Arc::new(Recorder::default())
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl Transport for Recorder {
    async fn send(&self, request: TransportRequest) -> zaby::Result<TransportResponse> {
        let (method, path) = (request.method.clone(), request.path.clone());
        let response = self.inner.send(request).await;
        // A request that never got an answer exercised nothing.
        if let Ok(r) = &response {
            self.sent.lock().unwrap().push(Sent { method, path, status: r.status });
        }
        response
    }

    async fn close(&self) {
        self.inner.close().await;
    }
}

/// Whether a concrete path (query stripped) fits a `{param}` template.
fn matches_template(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| if t.starts_with('{') && t.ends_with('}') { !p.is_empty() } else { t == p })
}

/// The endpoint a request was for. Literal segments beat parameters, so
/// `agents/runs/{runId}/events` is not read as `agents/{agentId}/…`.
pub fn endpoint_of(method: &str, path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS
        .iter()
        .filter(|e| e.method.as_str() == method && matches_template(e.path, path))
        .max_by_key(|e| e.path.split('/').filter(|s| !s.starts_with('{')).count())
}

/// Ids of the endpoints the server answered with a non-5xx status.
pub fn exercised(sent: &[Sent]) -> BTreeSet<&'static str> {
    sent.iter().filter(|s| s.status < 500).filter_map(|s| endpoint_of(&s.method, &s.path)).map(|e| e.id).collect()
}

/// The table's ids the recorded requests did not reach, in table order.
pub fn missing(sent: &[Sent]) -> Vec<&'static str> {
    let seen = exercised(sent);
    ENDPOINTS.iter().map(|e| e.id).filter(|id| !seen.contains(id)).collect()
}

/// The coverage check: the table has its 135 rows and every one was exercised.
pub fn check(sent: &[Sent]) -> Result<(), String> {
    if ENDPOINTS.len() != 135 {
        return Err(format!("the endpoint table has {} rows, expected 135", ENDPOINTS.len()));
    }
    let missing = missing(sent);
    if !missing.is_empty() {
        return Err(format!(
            "{} of 135 endpoints were not exercised through the SDK (or only answered 5xx): {}",
            missing.len(),
            missing.join(", ")
        ));
    }
    println!("coverage: all 135 endpoints exercised ({} requests recorded)", sent.len());
    Ok(())
}

/// The mapping itself: paths where a literal segment competes with a parameter.
pub fn self_check() -> Result<(), String> {
    let cases = [
        ("GET", "/health", "E1"),
        ("GET", "/api/v1/provisioning/agentic-os/agents/a1", "E4"),
        ("GET", "/api/v1/provisioning/agentic-os/agents/approvals?status=PENDING", "E37"),
        ("GET", "/api/v1/provisioning/agentic-os/agents/usage", "E40"),
        ("GET", "/api/v1/provisioning/agentic-os/agents/memory-items", "E85"),
        ("GET", "/api/v1/provisioning/agentic-os/agents/runs/r1/events?cursor=0", "E17"),
        ("POST", "/api/v1/provisioning/agentic-os/agents/a1/playground/runtime-tokens", "E14"),
        ("GET", "/api/v1/provisioning/agentic-os/agents/a1/playground/runtime-tokens", "E15"),
        ("GET", "/api/v1/tenant/agents/external-apps", "E117"),
        ("GET", "/api/v1/tenant/agents/a1", "E100"),
        ("POST", "/api/v1/provisioning/managed-agents/external-apps/x/runtime-tokens/rotate", "E26"),
        ("GET", "/api/v1/agent-runtime/runs/r1/aiui?afterSeq=3", "E121"),
    ];
    for (method, path, want) in cases {
        let got = endpoint_of(method, path).map(|e| e.id);
        if got != Some(want) {
            return Err(format!("{method} {path} maps to {got:?}, expected {want}"));
        }
    }
    if endpoint_of("PUT", "/health").is_some() || endpoint_of("GET", "/api/v1/nowhere").is_some() {
        return Err("requests outside the table must map to no endpoint".into());
    }
    Ok(())
}
