//! Transport rules: route conformance with the endpoint table, 404/405, CORS
//! preflights, request ids, error bodies, bad input, API-key scopes, health and
//! the OpenAPI document.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};
use zaby::endpoints::{Auth, ENDPOINTS};

use crate::common::*;
use crate::on_both;

on_both!(route_conformance, bad_input_never_500, api_key_rules, health_and_request_ids, tenant_header);

const DUMMY: &str = "00000000-0000-4000-8000-000000000000";

fn concrete(path: &str) -> String {
    path.split('/').map(|seg| if seg.starts_with('{') { DUMMY } else { seg }).collect::<Vec<_>>().join("/")
}

async fn route_conformance(s: TestServer) {
    let http = s.http();
    let mut by_path: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for ep in ENDPOINTS {
        by_path.entry(ep.path).or_default().insert(ep.method.as_str());
        let method = reqwest::Method::from_bytes(ep.method.as_str().as_bytes()).unwrap();
        let mut req = http.request(method, s.url(&concrete(ep.path)));
        if ep.method.as_str() != "GET" && ep.method.as_str() != "DELETE" {
            req = req.json(&json!({}));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        let expected = if ep.auth == Auth::None { 200 } else { 401 };
        assert_eq!(status, expected, "{} {} {} answered {body}", ep.id, ep.method.as_str(), ep.path);
    }
    for (path, methods) in &by_path {
        for m in ["GET", "POST", "PATCH", "DELETE"] {
            if methods.contains(m) {
                continue;
            }
            let resp = http
                .request(reqwest::Method::from_bytes(m.as_bytes()).unwrap(), s.url(&concrete(path)))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 405, "{m} {path}");
            let allow: BTreeSet<String> =
                resp.headers()["allow"].to_str().unwrap().split(", ").map(str::to_string).collect();
            let mut expected: BTreeSet<String> = methods.iter().map(|m| m.to_string()).collect();
            expected.insert("OPTIONS".into());
            assert_eq!(allow, expected, "{path}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["code"], "METHOD_NOT_ALLOWED");
        }
        let pre = http.request(reqwest::Method::OPTIONS, s.url(&concrete(path))).send().await.unwrap();
        assert_eq!(pre.status(), 204, "OPTIONS {path}");
    }
    // `/` is the playground (tests/api/playground.rs); other unknown paths stay JSON 404s.
    for path in ["/api/v1/nope", "/api/v1/provisioning/agentic-os/agents/a/b/c", "/nope", "/healthz"] {
        let resp = http.get(s.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "NOT_FOUND");
    }
    // Every endpoint is implemented: none answers 501 once authenticated.
    let tenant = s.default_tenant().await;
    let token = s.tenant_token(&tenant, "probe").await;
    for ep in ENDPOINTS {
        let method = reqwest::Method::from_bytes(ep.method.as_str().as_bytes()).unwrap();
        let mut req = http.request(method, s.url(&concrete(ep.path)));
        req = match ep.auth {
            Auth::ApiKey => req.header("x-zaby-api-key", &s.api_key),
            Auth::Tenant => req.bearer_auth(&token),
            // Runtime routes need a runtime token; the runs suites cover them.
            Auth::Runtime | Auth::None => continue,
        };
        if ep.method.as_str() != "GET" && ep.method.as_str() != "DELETE" {
            req = req.json(&json!({}));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_ne!(status, 501, "{} answered {body}", ep.id);
        assert_ne!(body["code"], "NOT_IMPLEMENTED", "{}", ep.id);
    }
    // The OpenAPI document lists exactly the table.
    let doc: Value = http.get(s.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["x-endpoint-id"].as_str().unwrap();
            let ep = ENDPOINTS.iter().find(|e| e.id == id).unwrap();
            assert_eq!(ep.path, path);
            assert_eq!(ep.method.as_str().to_ascii_lowercase(), *method);
            ids.insert(id.to_string());
        }
    }
    assert_eq!(ids.len(), ENDPOINTS.len());
}

async fn bad_input_never_500(s: TestServer) {
    let http = s.http();
    let agents = s.url("/api/v1/provisioning/agentic-os/agents");
    let key = s.api_key.clone();
    let send = |body: reqwest::Body, ct: Option<&'static str>| {
        let mut req = http.post(&agents).header("x-zaby-api-key", &key).body(body);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    let check = |resp: reqwest::Response, status: u16, code: &'static str| async move {
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(resp.headers()["content-type"], "application/json; charset=utf-8");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], code, "{body}");
        assert!(!body["message"].as_str().unwrap().is_empty());
        body
    };
    check(send("{\"slug\": ".into(), Some("application/json")).await.unwrap(), 400, "BAD_REQUEST").await;
    check(send("[1,2]".into(), Some("application/json")).await.unwrap(), 400, "BAD_REQUEST").await;
    check(send("\"text\"".into(), Some("application/json")).await.unwrap(), 400, "BAD_REQUEST").await;
    check(send("slug=a".into(), Some("text/plain")).await.unwrap(), 400, "BAD_REQUEST").await;
    check(send("{}".into(), None).await.unwrap(), 400, "BAD_REQUEST").await;
    let body = check(
        send(json!({"slug": 1, "name": ["x"], "visibility": "SECRET"}).to_string().into(), Some("application/json"))
            .await
            .unwrap(),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    let fields: BTreeSet<&str> =
        body["details"]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, BTreeSet::from(["slug", "name", "visibility"]));
    check(
        send(json!({"slug": "ok", "name": "n".repeat(5000)}).to_string().into(), Some("application/json"))
            .await
            .unwrap(),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    let big = format!("{{\"slug\": \"big\", \"name\": \"{}\"}}", "x".repeat(11 * 1024 * 1024));
    check(send(big.into(), Some("application/json")).await.unwrap(), 413, "PAYLOAD_TOO_LARGE").await;
    // Check order: credential before body, body parsing before path lookup.
    let resp = http.post(&agents).header("content-type", "application/json").body("{").send().await.unwrap();
    check(resp, 401, "UNAUTHORIZED").await;
    let resp = http
        .patch(s.url("/api/v1/provisioning/agentic-os/agents/unknown"))
        .header("x-zaby-api-key", &s.api_key)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    check(resp, 400, "BAD_REQUEST").await;
    // Typed fields on other endpoints.
    let z = s.zaby();
    for bad in [
        json!({"name": "a", "slug": "a", "allowedOrigins": ["not an origin"]}),
        json!({"name": "a", "slug": "a", "allowedOrigins": "https://x.example"}),
        json!({"name": "a", "slug": "a", "tokenTtlSeconds": 90000}),
        json!({"name": "a", "slug": "a", "tokenTtlSeconds": "60"}),
        json!({"name": "a", "slug": "a", "agentId": "missing"}),
    ] {
        expect_err(z.external_apps().create(bad), 422, "VALIDATION_ERROR").await;
    }
    let app = z.external_apps().create(json!({"name": "a", "slug": "a"})).json().await.unwrap();
    let app_id = app["id"].as_str().unwrap();
    expect_err(z.external_apps().create(json!({"name": "b", "slug": "a"})), 409, "SLUG_ALREADY_EXISTS").await;
    expect_err(z.external_apps().update(app_id, json!({"status": "PAUSED"})), 422, "VALIDATION_ERROR").await;
    expect_err(z.external_apps().bind_deployment(app_id, json!({"deploymentId": "x"})), 422, "VALIDATION_ERROR").await;
    expect_err(z.external_apps().bind_deployment(app_id, json!({"deploymentId": 5})), 422, "VALIDATION_ERROR").await;
    expect_err(z.external_apps().list(json!({"status": "DELETED"})), 422, "VALIDATION_ERROR").await;
    expect_err(
        z.runtime_tokens().create(json!({"externalAppId": app_id, "deploymentId": "d", "quotaPolicyId": "p", "externalUserId": "u", "requestId": 5})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
}

async fn api_key_rules(s: TestServer) {
    let db = &s.ctx().db;
    let tenant = s.default_tenant().await;
    use zaby_server::testing::{create_key, revoke_key};
    let (_, managed) = create_key(db, &tenant, vec!["managed-agents:*".into()], None, None).await.unwrap();
    let (_, prov) = create_key(db, &tenant, vec!["provisioning:manage".into()], None, None).await.unwrap();
    let (revoked_id, revoked) = create_key(db, &tenant, vec![], None, None).await.unwrap();
    let (_, expiring) = create_key(db, &tenant, vec![], Some(1), None).await.unwrap();
    revoke_key(db, &revoked_id).await.unwrap();
    let m = s.zaby_with_key(&managed);
    let p = s.zaby_with_key(&prov);
    m.external_apps().list(None).json().await.unwrap();
    expect_err(m.agents().list(None), 403, "INSUFFICIENT_SCOPE").await;
    p.agents().list(None).json().await.unwrap();
    expect_err(p.external_apps().list(None), 403, "INSUFFICIENT_SCOPE").await;
    expect_err(s.zaby_with_key(&revoked).agents().list(None), 401, "UNAUTHORIZED").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    expect_err(s.zaby_with_key(&expiring).agents().list(None), 401, "UNAUTHORIZED").await;
    expect_err(s.zaby_with_key("zaby_pk_unknown_but_well_formed").agents().list(None), 401, "UNAUTHORIZED").await;
    // Scope (403) comes before body parsing (400).
    let resp = s
        .http()
        .post(s.url("/api/v1/provisioning/agentic-os/agents"))
        .header("x-zaby-api-key", &managed)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // Health ignores credentials.
    let resp = s.http().get(s.url("/health")).header("x-zaby-api-key", "bogus").send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

async fn health_and_request_ids(s: TestServer) {
    let h = s.zaby().health().check().json().await.unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["database"]["reachable"], true);
    let kind = if s.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    assert_eq!(h["database"]["kind"], kind);
    assert!(h["uptime"].as_f64().unwrap() >= 0.0);
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));
    let resp = s.http().get(s.url("/health")).header("x-request-id", "my-id-123").send().await.unwrap();
    assert_eq!(resp.headers()["x-request-id"], "my-id-123");
    let resp = s.http().get(s.url("/nope")).header("x-request-id", "x".repeat(201)).send().await.unwrap();
    let rid = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(rid.starts_with("req_") && rid.len() == 36, "{rid}");
    assert!(rid[4..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    // The SDK surfaces the server's request id on errors.
    let e = s.zaby().agents().get("missing").json().await.unwrap_err();
    let zaby::ZabyError::Api(api) = e else { panic!() };
    assert!(api.request_id.unwrap().starts_with("req_"));
}

/// `x-zaby-tenant-id` names the tenant of the credential that passed, on provisioning (key)
/// and tenant (access token) routes; a refused credential or a public route gets none.
async fn tenant_header(s: TestServer) {
    let default = s.default_tenant().await;
    let (_, meta) = s.zaby().agents().list(json!({ "limit": 1 })).json().send_with_meta().await.unwrap();
    assert_eq!(meta.header("x-zaby-tenant-id"), Some(default.as_str()));
    let (second, second_key) = s.second_tenant().await;
    assert_ne!(second, default);
    let (_, meta) = s.zaby_with_key(&second_key).agents().list(None).json().send_with_meta().await.unwrap();
    assert_eq!(meta.header("x-zaby-tenant-id"), Some(second.as_str()));
    let token = s.tenant_token(&second, "ana").await;
    let (_, meta) = s.tenant_client(&token).tenant_agents().list(None).json().send_with_meta().await.unwrap();
    assert_eq!(meta.header("x-zaby-tenant-id"), Some(second.as_str()));

    let refused =
        s.http().get(s.url("/api/v1/provisioning/agentic-os/agents")).header("x-zaby-api-key", "zaby_pk_unknown");
    let resp = refused.send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("x-zaby-tenant-id").is_none());
    let (_, meta) = s.zaby().health().check().json().send_with_meta().await.unwrap();
    assert_eq!(meta.header("x-zaby-tenant-id"), None);
}
