//! Runs: starts, the event sequence of the development model, streams (framing,
//! resume, concurrent readers), cancel, idempotent starts, concurrency limits,
//! feedback, usage and signals.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::common::*;
use crate::on_both;

on_both!(
    hello_lifecycle,
    directives_and_test_runs,
    idempotent_starts,
    concurrency_limit_is_exact,
    stream_resume_and_concurrent_streams,
    cancel_and_visibility,
    sessions_share_history,
    stream_ends_on_revocation_and_shutdown,
    superseded_deployment_runs_on_successor,
    two_replicas,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_sqlite() {
    heartbeats(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_postgres() {
    heartbeats(Backend::Postgres).await;
}

/// `: ping` comments while a run sits in a long delay (ZABY_HEARTBEAT_MS = 1000).
async fn heartbeats(backend: Backend) {
    let Some(s) = TestServer::start_with(backend, |st| st.heartbeat_ms = 1000).await else { return };
    let z = s.zaby();
    let st = setup(&z, "beat", json!({}), json!({})).await;
    let token = token_for(&z, &st, "u-beat").await;
    let rt = s.runtime(&token);
    let r = rt
        .runs()
        .start(json!({"input": {"message": "x", "simulate": {"delayMs": 2500}}, "respondAsync": true}))
        .json()
        .await
        .unwrap();
    let resp = s
        .http()
        .get(s.url(&format!("/api/v1/agent-runtime/runs/{}/aiui", r["runId"].as_str().unwrap())))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let body = tokio::time::timeout(DEADLINE, resp.text()).await.unwrap().unwrap();
    assert!(body.starts_with(": connected\n\n"));
    assert!(body.contains("\n\n: ping\n\n") || body.contains(": connected\n\n: ping\n\n"), "{body}");
    assert!(body.ends_with("\n\n") && body.contains("event: RunFinished"));
    s.stop().await;
}

/// A deployed agent with an app and a token for `user`.
async fn token_for(z: &zaby::Zaby, st: &Setup, user: &str) -> String {
    let t = z.runtime_tokens().create(st.mint(json!({"externalUserId": user}))).json().await.unwrap();
    t["token"].as_str().unwrap().to_string()
}

/// Reads a whole SSE body (the run must end) and splits it into blocks.
async fn raw_stream(s: &TestServer, token: &str, run_id: &str, last_event_id: Option<&str>, query: &str) -> String {
    let mut req = s
        .http()
        .get(s.url(&format!("/api/v1/agent-runtime/runs/{run_id}/aiui{query}")))
        .bearer_auth(token)
        .header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream; charset=utf-8");
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    assert_eq!(resp.headers()["x-accel-buffering"], "no");
    assert!(resp.headers().contains_key("x-request-id"));
    tokio::time::timeout(DEADLINE, resp.text()).await.expect("stream ends").unwrap()
}

/// `(id, event, data)` of each event block of a raw body.
fn parse_blocks(body: &str) -> Vec<(i64, String, Value)> {
    body.split("\n\n")
        .filter(|b| !b.is_empty() && !b.starts_with(':'))
        .map(|b| {
            let mut id = 0;
            let mut ev = String::new();
            let mut data = Value::Null;
            for line in b.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.parse().unwrap();
                } else if let Some(v) = line.strip_prefix("event: ") {
                    ev = v.to_string();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(v).unwrap();
                } else if !line.starts_with(':') {
                    panic!("unexpected line {line:?}");
                }
            }
            (id, ev, data)
        })
        .collect()
}

async fn all_events(z: &zaby::Zaby, run_id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let page = z.agents().list_run_events(run_id, json!({"cursor": cursor, "limit": 2})).json().await.unwrap();
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["nextCursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return out,
        }
    }
}

async fn hello_lifecycle(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "hello", json!({}), json!({})).await;
    let token = token_for(&z, &st, "u-hello").await;
    let rt = s.runtime(&token);

    let started = rt.runs().start(json!({"input": "hello"})).json().await.unwrap();
    let run_id = started["runId"].as_str().unwrap().to_string();
    assert_eq!(started["status"], "COMPLETED");
    assert_eq!(started["finalOutput"], "You said: hello");
    assert_eq!(started["latestSeq"], 5);
    assert_eq!(started["deploymentId"], st.deployment_id());
    assert_eq!(started["externalAppId"], st.app_id());
    let session = started["agentSessionId"].as_str().unwrap().to_string();

    // The exact transcript of `docs/streaming.md`.
    let body = raw_stream(&s, &token, &run_id, None, "").await;
    let expected = format!(
        ": connected\n\n\
         id: 1\nevent: RunStarted\ndata: {{\"runId\":\"{run_id}\",\"workflowId\":\"{wf}\",\"deploymentId\":\"{dep}\",\"agentSessionId\":\"{session}\"}}\n\n\
         id: 2\nevent: text\ndata: {{\"content\":\"You \"}}\n\n\
         id: 3\nevent: text\ndata: {{\"content\":\"said: \"}}\n\n\
         id: 4\nevent: text\ndata: {{\"content\":\"hello\"}}\n\n\
         id: 5\nevent: RunFinished\ndata: {{\"runId\":\"{run_id}\",\"status\":\"COMPLETED\",\"finalOutput\":\"You said: hello\",\"citations\":[]}}\n\n",
        wf = started["workflowId"].as_str().unwrap(),
        dep = st.deployment_id(),
    );
    assert_eq!(body, expected);

    // The SDK stream and the event list read the same rows.
    let streamed: Vec<zaby::SseEvent> =
        rt.runs().stream(&run_id, None).raw().map(|e| e.unwrap().into_event()).collect::<Vec<_>>().await;
    let listed = rt.runs().events(&run_id, None).json().await.unwrap();
    assert_eq!(listed["total"], 5);
    assert_eq!(listed["status"], "COMPLETED");
    assert_eq!(listed["nextCursor"], Value::Null);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(listed["events"], listed["items"]);
    assert_eq!(streamed.len(), items.len());
    for (sse, item) in streamed.iter().zip(items) {
        assert_eq!(sse.id.as_deref(), item["id"].as_str());
        assert_eq!(sse.event.as_deref(), item["event"].as_str());
        assert_eq!(sse.data, item["data"]);
        assert_eq!(item["runId"], run_id.as_str());
    }
    // Paging with seq cursors (limit 2) sees the same events.
    let paged = all_events(&z, &run_id).await;
    assert_eq!(&paged, items);
    // A position at the terminal event replays the terminal event only.
    let again = raw_stream(&s, &token, &run_id, Some("5"), "").await;
    assert_eq!(parse_blocks(&again).iter().map(|b| b.0).collect::<Vec<_>>(), vec![5]);
    let again = raw_stream(&s, &token, &run_id, None, "?afterSeq=3").await;
    assert_eq!(parse_blocks(&again).iter().map(|b| b.0).collect::<Vec<_>>(), vec![4, 5]);
    let bad = s
        .http()
        .get(s.url(&format!("/api/v1/agent-runtime/runs/{run_id}/aiui")))
        .bearer_auth(&token)
        .header("last-event-id", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let bad = s
        .http()
        .get(s.url(&format!("/api/v1/agent-runtime/runs/{run_id}/aiui?afterSeq=-1")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    // Progress.
    let p = z.agents().get_run_progress(&run_id).json().await.unwrap();
    assert_eq!(p["status"], "COMPLETED");
    assert_eq!(p["steps"], 1);
    assert_eq!(p["usage"], json!({"inputTokens": 1, "outputTokens": 3}));
    assert_eq!(p["latestSeq"], 5);
    assert_eq!(p["isTestRun"], false);
    assert_eq!(p["input"], "hello");
    assert_eq!(p["error"], Value::Null);
    assert_eq!(p["pendingApproval"], Value::Null);
    assert!(p["startedAt"].is_string() && p["completedAt"].is_string());

    // Feedback: alias, idempotent by requestId, at least one field.
    let fb = rt.feedback().create(&run_id, json!({"rating": "positive", "requestId": "fb-1"})).json().await.unwrap();
    assert_eq!(fb["accepted"], true);
    assert_eq!(fb["rating"], 5);
    assert_eq!(fb["source"], "RUNTIME");
    assert_eq!(fb["agentSessionId"], session.as_str());
    let again = rt.feedback().create(&run_id, json!({"rating": "positive", "requestId": "fb-1"})).json().await.unwrap();
    assert_eq!(again, fb);
    expect_err(rt.feedback().create(&run_id, json!({"rating": 4, "requestId": "fb-1"})), 409, "IDEMPOTENCY_KEY_REUSED")
        .await;
    expect_err(rt.feedback().create(&run_id, json!({"metadata": {}})), 422, "VALIDATION_ERROR").await;
    expect_err(rt.feedback().create(&run_id, json!({"rating": 6})), 422, "VALIDATION_ERROR").await;
    let e = expect_err(rt.feedback().create(&run_id, json!({"rating": "great"})), 422, "VALIDATION_ERROR").await;
    assert!(format!("{e:?}").contains("rating"), "{e:?}");
    let negative = rt.feedback().create(&run_id, json!({"rating": "negative"})).json().await.unwrap();
    assert_eq!(negative["rating"], 1);
    let fb2 =
        z.runtime_tokens().record_feedback(&run_id, json!({"label": "ok", "comment": "fine"})).json().await.unwrap();
    assert_eq!(fb2["source"], "PROVISIONING");
    assert_eq!(fb2["rating"], Value::Null);

    // Usage.
    let u = z.usage().get_agent_usage(json!({"agentId": st.deployed.agent_id()})).json().await.unwrap();
    let t = &u["totals"];
    assert_eq!(t["runs"], 1);
    assert_eq!(t["completedRuns"], 1);
    assert_eq!(t["events"], 5);
    assert_eq!(t["feedbackCount"], 3);
    assert_eq!(t["averageRating"], 3.0);
    assert_eq!(t["inputTokens"], 1);
    assert_eq!(t["outputTokens"], 3);
    assert!(t["avgLatencyMs"].is_number());
    assert_eq!(u["daily"].as_array().unwrap().len(), 1);
    let tu = z.runtime_token_usage().get(json!({"externalAppId": st.app_id()})).json().await.unwrap();
    assert_eq!(tu["totals"]["runsStarted"], 1);
    assert_eq!(tu["totals"]["concurrentRuns"], 0);

    // Signals.
    let mut conn = s.ctx().db.read().await.unwrap();
    let sigs = zaby_server::testing::runs::signals_of_run(&mut conn, &run_id).await.unwrap();
    let kinds: Vec<&str> = sigs.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(kinds, ["run_completed", "user_feedback", "user_feedback", "user_feedback"]);
    assert_eq!(sigs[0].2["toolCalls"], 0);
    assert_eq!(sigs[0].2["outputTokens"], 3);
    assert_eq!(sigs[1].1, Some(5.0));
    assert_eq!(sigs[1].2["feedbackId"], fb["id"]);

    // Listing runs (tenant route).
    let tenant = s.default_tenant().await;
    let tz = s.tenant_client(&s.tenant_token(&tenant, "admin").await);
    let list = tz.tenant_agents().list_runs(st.deployed.agent_id(), None).json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["runId"], run_id.as_str());
    let list = tz.tenant_agents().list_runs(st.deployed.agent_id(), json!({"status": "FAILED"})).json().await.unwrap();
    assert_eq!(list["total"], 0);
    // Another tenant sees nothing.
    let (_, key2) = s.second_tenant().await;
    expect_err(s.zaby_with_key(&key2).agents().get_run_progress(&run_id), 404, "NOT_FOUND").await;
}

async fn directives_and_test_runs(s: TestServer) {
    let z = s.zaby();
    let d = deployed_agent(&z, "directives").await;
    let a = d.agent_id();

    let r = z
        .agents()
        .start_run(a, json!({"input": {"message": "hi", "simulate": {"reply": "one two", "thinking": "hmm"}}}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "COMPLETED");
    assert_eq!(r["finalOutput"], "one two");
    assert_eq!(r["externalAppId"], Value::Null);
    let ev = all_events(&z, r["runId"].as_str().unwrap()).await;
    let names: Vec<&str> = ev.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["RunStarted", "thinking", "text", "text", "RunFinished"]);
    assert_eq!(ev[1]["data"], json!({"content": "hmm"}));

    let r = z.agents().start_run(a, json!({"input": {"simulate": {"fail": "boom"}}})).json().await.unwrap();
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["finalOutput"], Value::Null);
    let run_id = r["runId"].as_str().unwrap();
    let ev = all_events(&z, run_id).await;
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[1]["event"], "RunError");
    assert_eq!(ev[1]["data"], json!({"runId": run_id, "message": "boom", "code": "AGENT_EXECUTION_FAILED"}));
    let p = z.agents().get_run_progress(run_id).json().await.unwrap();
    assert_eq!(p["error"], json!({"code": "AGENT_EXECUTION_FAILED", "message": "boom"}));
    let mut conn = s.ctx().db.read().await.unwrap();
    let sigs = zaby_server::testing::runs::signals_of_run(&mut conn, run_id).await.unwrap();
    assert_eq!(sigs[0].0, "run_failed");
    assert_eq!(sigs[0].2["code"], "AGENT_EXECUTION_FAILED");
    drop(conn);

    // delayMs: the synchronous start gives up at ZABY_SYNC_WAIT_MS? Not here (25 s);
    // async start answers PENDING at once and the run takes at least 4 × delay.
    let t0 = std::time::Instant::now();
    let r = z
        .agents()
        .start_run(a, json!({"input": {"message": "a b c", "simulate": {"delayMs": 150}}, "respondAsync": true}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["finalOutput"], Value::Null);
    let done = wait_terminal(&z, r["runId"].as_str().unwrap()).await;
    assert_eq!(done["finalOutput"], "You said: a b c");
    assert!(t0.elapsed() >= Duration::from_millis(4 * 150));

    // A bad /tool line and an unknown tool fail the run.
    let r = z.agents().start_run(a, json!({"input": "/tool echo nope"})).json().await.unwrap();
    assert_eq!(r["status"], "FAILED");
    let r = z.agents().start_run(a, json!({"input": "/tool echo {}"})).json().await.unwrap();
    let p = z.agents().get_run_progress(r["runId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(p["error"]["code"], "AGENT_TOOL_NOT_ATTACHED");

    // Test runs use the draft, have no deployment, and may name a session.
    z.agents().update(a, json!({"instructions": "be brief"})).json().await.unwrap();
    let r = z
        .agents()
        .test_run(a, json!({"input": "x", "deploymentId": "ignored", "sessionId": "s-1"}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["deploymentId"], Value::Null);
    assert_eq!(r["agentSessionId"], "s-1");
    let p = z.agents().get_run_progress(r["runId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(p["isTestRun"], true);
    // Instructions count toward prompt tokens: "be brief" + "x".
    assert_eq!(p["usage"], json!({"inputTokens": 3, "outputTokens": 3}));

    // Validation and state.
    expect_err(z.agents().start_run(a, json!({})), 422, "VALIDATION_ERROR").await;
    expect_err(z.agents().start_run(a, json!({"input": "x", "deploymentId": "nope"})), 422, "VALIDATION_ERROR").await;
    expect_err(z.agents().start_run("00000000-0000-4000-8000-000000000000", json!({"input": "x"})), 404, "NOT_FOUND")
        .await;
    let fresh = z.agents().create(json!({"slug": "undeployed", "name": "u"})).json().await.unwrap();
    expect_err(z.agents().start_run(fresh["id"].as_str().unwrap(), json!({"input": "x"})), 409, "NO_ACTIVE_DEPLOYMENT")
        .await;
    z.agents().update(a, json!({"status": "PAUSED"})).json().await.unwrap();
    expect_err(z.agents().start_run(a, json!({"input": "x"})), 409, "AGENT_NOT_ACTIVE").await;
}

async fn idempotent_starts(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "idem", json!({}), json!({})).await;
    let token = token_for(&z, &st, "u-idem").await;
    let rt = s.runtime(&token);
    let body = json!({"input": {"message": "once", "simulate": {"delayMs": 20}}, "requestId": "r-1"});
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..500 {
        let rt = rt.clone();
        let body = body.clone();
        set.spawn(async move { rt.runs().start(body).json().await });
    }
    let mut ids = std::collections::HashSet::new();
    while let Some(r) = set.join_next().await {
        let r = r.unwrap().expect("start succeeds");
        ids.insert(r["runId"].as_str().unwrap().to_string());
        // Every caller was held until the run ended (synchronous start).
        assert_eq!(r["status"], "COMPLETED", "{r}");
    }
    assert_eq!(ids.len(), 1);
    let u = z.usage().get_agent_usage(json!({"agentId": st.deployed.agent_id()})).json().await.unwrap();
    assert_eq!(u["totals"]["runs"], 1);
    // Same key, different body → 409; a replay answers 200 with the header.
    expect_err(rt.runs().start(json!({"input": "other", "requestId": "r-1"})), 409, "IDEMPOTENCY_KEY_REUSED").await;
    let resp = s.http().post(s.url("/api/v1/agent-runtime/runs")).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["idempotent-replayed"], "true");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["runId"].as_str().unwrap(), ids.iter().next().unwrap());
    assert_eq!(v["latestSeq"], 5);
    assert_eq!(v["status"], "COMPLETED");

    // Management scope: the same key on E13 is another scope, and E12 another.
    let a = st.deployed.agent_id();
    let one = z.agents().start_run(a, json!({"input": "m", "requestId": "r-1"})).json().await.unwrap();
    let two = z.agents().start_run(a, json!({"input": "m", "requestId": "r-1"})).json().await.unwrap();
    assert_eq!(one["runId"], two["runId"]);
    let test = z.agents().test_run(a, json!({"input": "m", "requestId": "r-1"})).json().await.unwrap();
    assert_ne!(test["runId"], one["runId"]);
}

async fn concurrency_limit_is_exact(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "conc", json!({}), json!({})).await;
    let policy = z
        .runtime_token_policies()
        .create(json!({
            "name": "three", "externalAppId": st.app_id(), "deploymentId": st.deployment_id(), "maxConcurrentRuns": 3,
        }))
        .json()
        .await
        .unwrap();
    let t = z
        .runtime_tokens()
        .create(st.mint(json!({"quotaPolicyId": policy["id"], "externalUserId": "u-conc"})))
        .json()
        .await
        .unwrap();
    let rt = s.runtime(t["token"].as_str().unwrap());
    let body = json!({"input": {"message": "slow", "simulate": {"delayMs": 3000}}, "respondAsync": true});
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let rt = rt.clone();
        let body = body.clone();
        set.spawn(async move { rt.runs().start(body).json().await });
    }
    let (mut ok, mut limited) = (Vec::new(), 0);
    while let Some(r) = set.join_next().await {
        match r.unwrap() {
            Ok(v) => ok.push(v["runId"].as_str().unwrap().to_string()),
            Err(e) => {
                assert_eq!(e.api().and_then(|a| a.retry_after), Some(1));
                assert_eq!(err_of(e), (429, "RUNTIME_CONCURRENCY_LIMIT_EXCEEDED".into()));
                limited += 1;
            }
        }
    }
    assert_eq!((ok.len(), limited), (3, 97));
    let tu = z.runtime_token_usage().get(json!({"quotaPolicyId": policy["id"]})).json().await.unwrap();
    assert_eq!(tu["totals"]["concurrentRuns"], 3);
    assert_eq!(tu["totals"]["runsStarted"], 3);
    // A cancelled run frees its slot.
    rt.runs().cancel(&ok[0], None).json().await.unwrap();
    let again = rt.runs().start(body.clone()).json().await.unwrap();
    assert_eq!(again["status"], "PENDING");
    for id in ok.iter().skip(1).chain([again["runId"].as_str().unwrap().to_string()].iter()) {
        rt.runs().cancel(id, None).json().await.unwrap();
    }
}

async fn stream_resume_and_concurrent_streams(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "resume", json!({}), json!({})).await;
    let token = token_for(&z, &st, "u-resume").await;
    let rt = s.runtime(&token);
    let reply = "w1 w2 w3 w4 w5 w6 w7 w8";
    let r = rt
        .runs()
        .start(json!({"input": {"message": "x", "simulate": {"reply": reply, "delayMs": 120}}, "respondAsync": true}))
        .json()
        .await
        .unwrap();
    let run_id = r["runId"].as_str().unwrap().to_string();

    // Two concurrent streams from the start, each sees everything.
    let other = {
        let rt = rt.clone();
        let run_id = run_id.clone();
        tokio::spawn(async move {
            rt.runs().stream(&run_id, None).raw().map(|e| e.unwrap().into_event()).collect::<Vec<_>>().await
        })
    };
    // Read three events, then cut the connection.
    let mut first = rt.runs().stream(&run_id, None).max_reconnects(0);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let ev = first.next().await.unwrap().unwrap();
        seen.push(ev);
    }
    let last = first.last_event_id().unwrap();
    assert_eq!(last, "3");
    drop(first);
    // Reconnect with last-event-id and read to the end.
    let rest = raw_stream(&s, &token, &run_id, Some(&last), "").await;
    let rest = parse_blocks(&rest);
    let mut ids: Vec<i64> = seen.iter().map(|e: &zaby::RunEvent| e.id().unwrap().parse().unwrap()).collect();
    ids.extend(rest.iter().map(|b| b.0));
    let expected: Vec<i64> = (1..=10).collect();
    assert_eq!(ids, expected, "no gap, no duplicate");
    assert_eq!(rest.last().unwrap().1, "RunFinished");
    let text: String = rest.iter().filter(|b| b.1 == "text").map(|b| b.2["content"].as_str().unwrap()).collect();
    let early: String = seen
        .iter()
        .filter_map(|e| match e {
            zaby::RunEvent::Text { data, .. } => Some(data.content.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(format!("{early}{text}"), reply);
    let all = other.await.unwrap();
    assert_eq!(all.len(), 10);
    let page = rt.runs().events(&run_id, json!({"limit": 500})).json().await.unwrap();
    for (sse, item) in all.iter().zip(page["items"].as_array().unwrap()) {
        assert_eq!(sse.data, item["data"]);
        assert_eq!(sse.id.as_deref(), item["id"].as_str());
    }
}

async fn cancel_and_visibility(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "cancel", json!({}), json!({})).await;
    let token = token_for(&z, &st, "u-cancel").await;
    let rt = s.runtime(&token);
    let r = rt
        .runs()
        .start(json!({"input": {"message": "a b c d e f g", "simulate": {"delayMs": 400}}, "respondAsync": true}))
        .json()
        .await
        .unwrap();
    let run_id = r["runId"].as_str().unwrap().to_string();
    // Another end user cannot see it.
    let stranger = s.runtime(&token_for(&z, &st, "u-other").await);
    expect_err(stranger.runs().events(&run_id, None), 404, "NOT_FOUND").await;
    expect_err(stranger.runs().cancel(&run_id, None), 404, "NOT_FOUND").await;
    // Wait for a text event, then cancel.
    eventually("first text", || async {
        let p = rt.runs().events(&run_id, None).json().await.unwrap();
        (p["total"].as_i64().unwrap() >= 2).then_some(())
    })
    .await;
    let c = rt.runs().cancel(&run_id, json!({"reason": "enough"})).json().await.unwrap();
    assert_eq!(c["status"], "CANCELLED");
    let seq = c["latestSeq"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let page = rt.runs().events(&run_id, json!({"limit": 500})).json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(page["latestSeq"], seq);
    assert_eq!(items.len() as i64, seq);
    let last = items.last().unwrap();
    assert_eq!(last["event"], "RunFinished");
    assert_eq!(last["data"], json!({"runId": run_id, "status": "CANCELLED", "finalOutput": null, "citations": []}));
    let terminals = items.iter().filter(|e| matches!(e["event"].as_str(), Some("RunFinished" | "RunError"))).count();
    assert_eq!(terminals, 1);
    // Idempotent; a finished run cannot be cancelled.
    let again = z.agents().cancel_run(&run_id, None).json().await.unwrap();
    assert_eq!(again["status"], "CANCELLED");
    let done = rt.runs().start(json!({"input": "quick"})).json().await.unwrap();
    expect_err(rt.runs().cancel(done["runId"].as_str().unwrap(), None), 409, "RUN_ALREADY_FINISHED").await;
    let mut conn = s.ctx().db.read().await.unwrap();
    let sigs = zaby_server::testing::runs::signals_of_run(&mut conn, &run_id).await.unwrap();
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].0, "run_cancelled");
    assert_eq!(sigs[0].2["reason"], "enough");
}

async fn sessions_share_history(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "session", json!({}), json!({})).await;
    let token = token_for(&z, &st, "u-session").await;
    let rt = s.runtime(&token);
    let one = rt.runs().start(json!({"input": "first words"})).json().await.unwrap();
    let two = rt.runs().start(json!({"input": "second"})).json().await.unwrap();
    assert_eq!(one["agentSessionId"], two["agentSessionId"]);
    // History = "first words" (2) + "You said: first words" (4) + message (1).
    let p = z.agents().get_run_progress(two["runId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(p["usage"]["inputTokens"], 7);
    // Another session (another end user) has no history.
    let other = s.runtime(&token_for(&z, &st, "u-session-2").await);
    let three = other.runs().start(json!({"input": "second"})).json().await.unwrap();
    assert_ne!(three["agentSessionId"], one["agentSessionId"]);
    let p = z.agents().get_run_progress(three["runId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(p["usage"]["inputTokens"], 1);
}

async fn stream_ends_on_revocation_and_shutdown(mut s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "revoke", json!({}), json!({})).await;
    let t = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-revoke"}))).json().await.unwrap();
    let token = t["token"].as_str().unwrap().to_string();
    let rt = s.runtime(&token);
    let slow = json!({"input": {"message": "x", "simulate": {"delayMs": 5000}}, "respondAsync": true});
    let r = rt.runs().start(slow.clone()).json().await.unwrap();
    let url = s.url(&format!("/api/v1/agent-runtime/runs/{}/aiui", r["runId"].as_str().unwrap()));
    let resp = s.http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let reader = tokio::spawn(async move { resp.text().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    z.runtime_token_grants().revoke(t["grantId"].as_str().unwrap(), None).json().await.unwrap();
    let body = tokio::time::timeout(Duration::from_secs(10), reader).await.expect("stream ends").unwrap();
    assert!(body.starts_with(": connected\n\n"), "{body}");
    assert!(!body.contains("RunFinished") && !body.contains("RunError"), "{body}");

    // Shutdown: open streams get `: shutdown` and end.
    let token = token_for(&z, &st, "u-shutdown").await;
    let rt = s.runtime(&token);
    let r = rt.runs().start(slow).json().await.unwrap();
    let url = s.url(&format!("/api/v1/agent-runtime/runs/{}/aiui", r["runId"].as_str().unwrap()));
    let resp = s.http().get(&url).bearer_auth(&token).send().await.unwrap();
    let reader = tokio::spawn(async move { resp.text().await.unwrap_or_default() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.restart().await;
    let body = tokio::time::timeout(Duration::from_secs(15), reader).await.expect("stream ends").unwrap();
    assert!(body.ends_with(": shutdown\n\n"), "{body}");
    // The run was given back at shutdown and finishes after the restart.
    let z = s.zaby();
    let done = wait_terminal(&z, r["runId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
}

async fn superseded_deployment_runs_on_successor(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "succ", json!({}), json!({})).await;
    let token = token_for(&z, &st, "u-succ").await;
    let next = z
        .agents()
        .deploy(
            st.deployed.agent_id(),
            json!({"agentVersionId": st.deployed.version["id"], "environment": "PRODUCTION"}),
        )
        .json()
        .await
        .unwrap();
    let next_id = next["id"].as_str().unwrap();
    wait_active(&z, next_id).await;
    let r = s.runtime(&token).runs().start(json!({"input": "hi"})).json().await.unwrap();
    assert_eq!(r["status"], "COMPLETED");
    assert_eq!(r["deploymentId"], next_id);
    let r = z
        .agents()
        .start_run(st.deployed.agent_id(), json!({"input": "hi", "deploymentId": st.deployment_id()}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["deploymentId"], next_id);
}

/// Two servers on one database: every run is executed exactly once, and a stream
/// on one replica follows a run executed by either.
async fn two_replicas(s: TestServer) {
    let other = zaby_server::start(s.settings.clone()).await.expect("second replica");
    let z = s.zaby();
    let st = setup(&z, "replicas", json!({}), json!({})).await;
    let token = token_for(&z, &st, "u-replicas").await;
    let rt = s.runtime(&token);
    let mut cfg = s.config();
    cfg.api_origin = Some(format!("http://{}", other.addr));
    let rt2 = zaby::ZabyRuntime::builder().token(token.clone()).config(cfg).build().unwrap();
    let mut ids = Vec::new();
    for i in 0..10 {
        let body = json!({"input": {"message": format!("m{i}"), "simulate": {"delayMs": 30}}, "respondAsync": true});
        let r =
            if i % 2 == 0 { rt.runs().start(body).json().await } else { rt2.runs().start(body).json().await }.unwrap();
        ids.push(r["runId"].as_str().unwrap().to_string());
    }
    for (i, id) in ids.iter().enumerate() {
        let client = if i % 2 == 0 { &rt2 } else { &rt };
        let events: Vec<zaby::RunEvent> = client.runs().stream(id, None).map(|e| e.unwrap()).collect().await;
        let seqs: Vec<i64> = events.iter().map(|e| e.id().unwrap().parse().unwrap()).collect();
        assert_eq!(seqs, (1..=5).collect::<Vec<_>>());
        let zaby::RunEvent::RunFinished { data, .. } = &events[4] else { panic!("{:?}", events[4]) };
        assert_eq!(data.final_output.as_deref(), Some(format!("You said: m{i}").as_str()));
    }
    let mut conn = s.ctx().db.read().await.unwrap();
    for id in &ids {
        let r = zaby_server::testing::runs::get_by_id(&mut conn, id).await.unwrap().unwrap();
        assert_eq!((r.status.as_str(), r.claims), ("COMPLETED", 1));
    }
    drop(conn);
    other.shutdown().await;
}
