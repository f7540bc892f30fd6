//! The runtime check order (`docs/authentication.md`) observed through a runtime route, and
//! exact use counting.

use base64::Engine;
use serde_json::{Value, json};

use crate::common::*;
use crate::on_both;

on_both!(
    each_check_in_order,
    exact_use_counting,
    refused_start_consumes_no_use,
    rate_limit_and_cors,
    signing_key_rotation
);

fn tamper(token: &str) -> String {
    // Change the payload (claims) but keep the signature.
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&b64.decode(&parts[1]).unwrap()).unwrap();
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 3600);
    parts[1] = b64.encode(claims.to_string());
    parts.join(".")
}

async fn each_check_in_order(s: TestServer) {
    let z = s.zaby();
    let st =
        setup(&z, "a6", json!({"allowedOrigins": ["https://ok.example"]}), json!({"allowBrowserRuntime": true})).await;
    let rt = z.runtime_tokens();
    let probe = |t: Value| t["token"].as_str().unwrap().to_string();
    let good = probe(rt.create(st.mint(json!({}))).json().await.unwrap());
    assert_eq!(sdk_probe(&s, &good).await, (404, "NOT_FOUND".into()));

    // 1. Missing, malformed, tampered, foreign-key tokens; API keys are not accepted.
    let resp = s.http().get(s.url("/api/v1/agent-runtime/runs/x/events")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = s
        .http()
        .get(s.url("/api/v1/agent-runtime/runs/x/events"))
        .header("x-zaby-api-key", &s.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(runtime_probe(&s, "garbage", None).await, (401, "UNAUTHORIZED".into()));
    assert_eq!(runtime_probe(&s, &tamper(&good), None).await, (401, "UNAUTHORIZED".into()));
    let foreign = {
        let key = jsonwebtoken::EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef").unwrap();
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = Some("k-foreign".into());
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims: Value = serde_json::from_slice(&b64.decode(good.split('.').nth(1).unwrap()).unwrap()).unwrap();
        jsonwebtoken::encode(&h, &claims, &key).unwrap()
    };
    assert_eq!(runtime_probe(&s, &foreign, None).await, (401, "UNAUTHORIZED".into()));
    // A tenant access token is not a runtime token.
    let tenant = s.default_tenant().await;
    let tat = s.tenant_token(&tenant, "u").await;
    assert_eq!(runtime_probe(&s, &tat, None).await, (401, "UNAUTHORIZED".into()));

    // 2. Revoked grant (and revoked beats expired/exhausted).
    let t = rt.create(st.mint(json!({"maxUses": 1, "ttlSeconds": 1}))).json().await.unwrap();
    z.runtime_token_grants().revoke(t["grantId"].as_str().unwrap(), None).json().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(runtime_probe(&s, &probe(t), None).await, (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED".into()));
    // 2. Revoked family.
    let t = rt.create(st.mint(json!({"externalUserId": "fam-user"}))).json().await.unwrap();
    z.runtime_token_families().revoke(t["tokenFamilyId"].as_str().unwrap(), None).json().await.unwrap();
    assert_eq!(runtime_probe(&s, &probe(t), None).await, (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED".into()));

    // 3. Expired (before exhausted).
    let t = rt.create(st.mint(json!({"ttlSeconds": 1, "maxUses": 1, "externalUserId": "exp"}))).json().await.unwrap();
    let tok = probe(t);
    assert_eq!(runtime_probe(&s, &tok, None).await.0, 404);
    eventually("token expiry", || async {
        (runtime_probe(&s, &tok, None).await == (401, "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED".into())).then_some(())
    })
    .await;

    // 4. Exhausted (before scope).
    let t = rt
        .create(st.mint(json!({"maxUses": 1, "scopes": ["managed-agents:runtime:stream"], "externalUserId": "ex"})))
        .json()
        .await
        .unwrap();
    let tok = probe(t);
    assert_eq!(
        runtime_probe(&s, &tok, None).await,
        (403, "INSUFFICIENT_SCOPE".into()),
        "scope failure consumes nothing"
    );
    let t = rt.create(st.mint(json!({"maxUses": 1, "externalUserId": "ex2"}))).json().await.unwrap();
    let tok = probe(t);
    assert_eq!(runtime_probe(&s, &tok, None).await.0, 404);
    assert_eq!(
        runtime_probe(&s, &tok, None).await,
        (403, "MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED".into())
    );
    let e = s.runtime(&tok).runs().events("x", None).json().await.unwrap_err();
    assert_eq!(e.code(), Some("MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED"));

    // 6. Inactive external app (before origin).
    let tok = probe(rt.create(st.mint(json!({"externalUserId": "app-off"}))).json().await.unwrap());
    z.external_apps().update(st.app_id(), json!({"status": "INACTIVE"})).json().await.unwrap();
    assert_eq!(runtime_probe(&s, &tok, Some("https://evil.example")).await, (403, "EXTERNAL_APP_INACTIVE".into()));
    z.external_apps().update(st.app_id(), json!({"status": "ACTIVE"})).json().await.unwrap();

    // 7. Origin: listed origins pass, others fail, whatever the channel.
    let web = probe(rt.create(st.mint(json!({"channel": "web", "externalUserId": "w"}))).json().await.unwrap());
    assert_eq!(runtime_probe(&s, &web, Some("https://ok.example")).await.0, 404);
    assert_eq!(runtime_probe(&s, &web, Some("https://evil.example")).await, (403, "ORIGIN_NOT_ALLOWED".into()));
    assert_eq!(runtime_probe(&s, &good, Some("https://evil.example")).await, (403, "ORIGIN_NOT_ALLOWED".into()));
    assert_eq!(runtime_probe(&s, &good, None).await.0, 404, "no origin header, no origin check");
    // An empty list means no origin check.
    z.external_apps().update(st.app_id(), json!({"allowedOrigins": []})).json().await.unwrap();
    assert_eq!(runtime_probe(&s, &good, Some("https://evil.example")).await.0, 404);
    // Rejected requests consumed nothing: the grant counts exactly the passes.
    let web_grant = z.runtime_token_families().list(json!({"externalUserId": "w"})).json().await.unwrap();
    assert_eq!(web_grant["items"][0]["grantCount"], 1);
    let usage = z.runtime_token_usage().get(json!({"externalAppId": st.app_id()})).json().await.unwrap();
    assert_eq!(usage["totals"]["runtimeRequests"], 6);
}

async fn exact_use_counting(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "count", json!({}), json!({})).await;
    let t = z.runtime_tokens().create(st.mint(json!({"maxUses": 50}))).json().await.unwrap();
    let token = t["token"].as_str().unwrap().to_string();
    let mut handles = Vec::new();
    for _ in 0..200 {
        let client = s.http();
        let url = s.url("/api/v1/agent-runtime/runs/00000000-0000-4000-8000-000000000000/events");
        let token = token.clone();
        handles.push(tokio::spawn(async move {
            client.get(url).bearer_auth(token).send().await.unwrap().status().as_u16()
        }));
    }
    let (mut passed, mut exhausted) = (0, 0);
    for h in handles {
        match h.await.unwrap() {
            404 => passed += 1,
            403 => exhausted += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((passed, exhausted), (50, 150));
    let g = z.runtime_token_grants().revoke(t["grantId"].as_str().unwrap(), None).json().await.unwrap();
    assert_eq!(g["usedCount"], 50);
    assert_eq!(g["remainingUses"], 0);
}

/// A run start refused by its own checks (the body, the policy's `maxConcurrentRuns`)
/// consumes no use of the token: the use is taken in the start's transaction. A
/// replayed start answers, so it uses one like any answered request.
async fn refused_start_consumes_no_use(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "refused", json!({}), json!({})).await;
    z.runtime_token_policies().update(st.policy_id(), json!({"maxConcurrentRuns": 1})).json().await.unwrap();
    let t = z.runtime_tokens().create(st.mint(json!({"maxUses": 20}))).json().await.unwrap();
    let rt = s.runtime(t["token"].as_str().unwrap());
    let slow = json!({"input": {"message": "slow", "simulate": {"delayMs": 3000}}, "respondAsync": true});
    let first = rt.runs().start(slow.clone()).json().await.unwrap();
    for _ in 0..3 {
        expect_err(rt.runs().start(slow.clone()), 429, "RUNTIME_CONCURRENCY_LIMIT_EXCEEDED").await;
    }
    let bad = s
        .http()
        .post(s.url("/api/v1/agent-runtime/runs"))
        .bearer_auth(t["token"].as_str().unwrap())
        .header("content-type", "application/json")
        .body(r#"{"respondAsync": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    rt.runs().cancel(first["runId"].as_str().unwrap(), None).json().await.unwrap();
    let keyed = json!({"input": "hello", "respondAsync": true, "requestId": "refused-1"});
    let started = rt.runs().start(keyed.clone()).json().await.unwrap();
    let replayed = rt.runs().start(keyed).json().await.unwrap();
    assert_eq!(started["runId"], replayed["runId"]);
    // The first start, the cancel, the keyed start and its replay.
    let g = z.runtime_token_grants().revoke(t["grantId"].as_str().unwrap(), None).json().await.unwrap();
    assert_eq!(g["usedCount"], 4, "refused starts consumed uses: {g}");
}

async fn rate_limit_and_cors(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "rate", json!({}), json!({"rateLimitPerMinute": 3})).await;
    let t = z.runtime_tokens().create(st.mint(json!({"maxUses": 100}))).json().await.unwrap();
    let token = t["token"].as_str().unwrap();
    // Requests near a minute boundary may straddle two windows; count per window.
    for _ in 0..4 {
        let resp = s
            .http()
            .get(s.url("/api/v1/agent-runtime/runs/r/events"))
            .bearer_auth(token)
            .header("origin", "https://site.example")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["access-control-allow-origin"], "https://site.example");
        assert_eq!(resp.headers()["vary"], "origin");
        if resp.status() == 429 {
            let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry));
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["code"], "RATE_LIMITED");
            assert_eq!(body["details"]["limit"], 3);
        }
    }
    // Four quick requests against a limit of 3 per minute: unless the minute
    // turned over in between, the fourth is limited. Verify with the grant count.
    let g = z.runtime_token_grants().revoke(t["grantId"].as_str().unwrap(), None).json().await.unwrap();
    let used = g["usedCount"].as_i64().unwrap();
    assert!((3..=4).contains(&used), "rate-limited requests consume no use (used {used})");
    // Preflight on a runtime route echoes the origin; management routes do not.
    let pre = s
        .http()
        .request(reqwest::Method::OPTIONS, s.url("/api/v1/agent-runtime/runs"))
        .header("origin", "https://site.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert_eq!(pre.headers()["access-control-allow-origin"], "https://site.example");
    assert_eq!(pre.headers()["access-control-max-age"], "600");
    let pre = s
        .http()
        .request(reqwest::Method::OPTIONS, s.url("/api/v1/provisioning/agentic-os/agents"))
        .header("origin", "https://site.example")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert!(pre.headers().get("access-control-allow-origin").is_none());
    assert_eq!(pre.headers()["access-control-allow-methods"], "GET, POST, PATCH, DELETE, OPTIONS");
}

async fn signing_key_rotation(mut s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "keys", json!({}), json!({})).await;
    let before = z.runtime_tokens().create(st.mint(json!({}))).json().await.unwrap();
    let secrets = zaby_server::testing::load_secrets(&s.settings).unwrap();
    zaby_server::testing::rotate_signing_keys(&s.ctx().db, &secrets).await.unwrap();
    s.restart().await;
    let z = s.zaby();
    let after = z.runtime_tokens().create(st.mint(json!({}))).json().await.unwrap();
    let kid = |t: &Value| jsonwebtoken::decode_header(t["token"].as_str().unwrap()).unwrap().kid.unwrap();
    assert_ne!(kid(&before), kid(&after), "new tokens use the new key");
    // Tokens signed with the retired key still verify (within 24 h).
    assert_eq!(runtime_probe(&s, before["token"].as_str().unwrap(), None).await.0, 404);
    assert_eq!(runtime_probe(&s, after["token"].as_str().unwrap(), None).await.0, 404);
}
