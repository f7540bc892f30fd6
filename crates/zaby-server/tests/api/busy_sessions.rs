//! Busy sessions (docs/busy-sessions.md): `onBusy` on run starts and as the agent's
//! default — `parallel`, `reject`, `enqueue` (across replicas too) and `interrupt` —
//! under concurrent starts, and idempotent replays after the session's state changed.

use serde_json::{Value, json};
use zaby_server::testing::runs::{RunRow, get_by_id};

use crate::common::*;
use crate::on_both;

on_both!(
    parallel_is_unchanged,
    reject_admits_one_of_concurrent_starts,
    enqueue_runs_one_at_a_time_in_creation_order,
    enqueue_across_two_replicas,
    interrupt_cancels_the_running_run,
    interrupt_frees_its_slot_under_max_concurrent_runs,
    concurrent_interrupts_leave_the_last_one,
    agent_config_gives_the_default,
    replay_answers_the_original_outcome,
);

const RUNTIME_RUNS: &str = "/api/v1/agent-runtime/runs";

/// A runtime start against `base` (a replica's origin): `(status, body)`.
async fn start_at(s: &TestServer, base: &str, token: &str, body: &Value) -> (u16, Value) {
    let resp = s.http().post(format!("{base}{RUNTIME_RUNS}")).bearer_auth(token).json(body).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn start(s: &TestServer, token: &str, body: &Value) -> (u16, Value) {
    start_at(s, &s.base, token, body).await
}

/// A slow run's body: the development model waits `delay_ms` before each event.
fn slow(message: &str, delay_ms: u64, on_busy: Option<&str>) -> Value {
    let mut b = json!({"input": {"message": message, "simulate": {"delayMs": delay_ms}}, "respondAsync": true});
    if let Some(m) = on_busy {
        b["onBusy"] = json!(m);
    }
    b
}

/// A deployed agent and a runtime token (one session) for it; the grant id too.
async fn session_token(s: &TestServer, slug: &str) -> (String, String) {
    let z = s.zaby();
    let st = setup(&z, slug, json!({}), json!({})).await;
    let t = z.runtime_tokens().create(st.mint(json!({"externalUserId": format!("u-{slug}")}))).json().await.unwrap();
    (t["token"].as_str().unwrap().to_string(), t["grantId"].as_str().unwrap().to_string())
}

async fn row(s: &TestServer, id: &str) -> RunRow {
    let mut conn = s.ctx().db.read().await.unwrap();
    get_by_id(&mut conn, id).await.unwrap().unwrap()
}

/// The runs once they have all ended, in creation order.
async fn ended(s: &TestServer, ids: &[String]) -> Vec<RunRow> {
    let mut rows = eventually("the runs end", || async {
        let mut rows = Vec::new();
        for id in ids {
            rows.push(row(s, id).await);
        }
        rows.iter().all(|r| r.is_terminal()).then_some(rows)
    })
    .await;
    rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    rows
}

fn run_id(body: &Value) -> String {
    body["runId"].as_str().unwrap_or_else(|| panic!("no runId in {body}")).to_string()
}

/// Without `onBusy` (and no agent default) a start runs at once beside the session's
/// running run, as before busy sessions existed.
async fn parallel_is_unchanged(s: TestServer) {
    let (token, _) = session_token(&s, "parallel").await;
    let (_, first) = start(&s, &token, &slow("first", 1000, None)).await;
    let (status, second) = start(&s, &token, &json!({"input": "second"})).await;
    assert_eq!((status, second["status"].as_str()), (201, Some("COMPLETED")), "{second}");
    assert!(!row(&s, &run_id(&first)).await.is_terminal(), "the first run is still going");
    s.zaby().agents().cancel_run(&run_id(&first), None).json().await.unwrap();
}

/// Eight `reject` starts at once into an idle session: one runs, seven answer 409
/// `SESSION_BUSY` naming it, and only the admitted start consumed a token use.
async fn reject_admits_one_of_concurrent_starts(s: TestServer) {
    let (token, grant_id) = session_token(&s, "reject").await;
    let starts = (0..8).map(|i| {
        let (s, token) = (&s, &token);
        async move { start(s, token, &slow(&format!("m{i}"), 1000, Some("reject"))).await }
    });
    let answers = futures::future::join_all(starts).await;
    let admitted: Vec<&Value> = answers.iter().filter(|(st, _)| *st == 201).map(|(_, b)| b).collect();
    assert_eq!(admitted.len(), 1, "{answers:?}");
    let winner = run_id(admitted[0]);
    for (status, body) in answers.iter().filter(|(st, _)| *st != 201) {
        assert_eq!((*status, body["code"].as_str()), (409, Some("SESSION_BUSY")), "{body}");
        assert_eq!(body["details"]["activeRunIds"], json!([winner]), "{body}");
        assert!(body["message"].as_str().unwrap().contains(&winner), "{body}");
    }
    let g = s.zaby().runtime_token_grants().revoke(&grant_id, None).json().await.unwrap();
    assert_eq!(g["usedCount"], 1, "refused starts consumed uses: {g}");
    s.zaby().agents().cancel_run(&winner, None).json().await.unwrap();
}

/// Enqueued runs of one session execute strictly one after the other, in creation
/// order, and each one's history holds the answers of those before it: the
/// development model counts the session's earlier messages and replies as prompt
/// tokens (crates/zaby-models/README.md), one word for `m<i>` and three for `You said: m<i>`.
fn check_serial(rows: &[RunRow]) {
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(r.status, "COMPLETED", "{r:?}");
        assert_eq!(r.input_tokens, 4 * k as i64 + 1, "run {k} saw the answers of the runs before it: {r:?}");
        if k > 0 {
            let before = &rows[k - 1];
            assert!(
                r.started_at.unwrap() >= before.completed_at.unwrap(),
                "run {k} started before run {} ended: {r:?} / {before:?}",
                k - 1
            );
        }
    }
}

async fn enqueue_runs_one_at_a_time_in_creation_order(s: TestServer) {
    let (token, _) = session_token(&s, "enqueue").await;
    let starts = (0..8).map(|i| {
        let (s, token) = (&s, &token);
        async move { start(s, token, &slow(&format!("m{i}"), 30, Some("enqueue"))).await }
    });
    let mut ids = Vec::new();
    for (status, body) in futures::future::join_all(starts).await {
        assert_eq!((status, body["status"].as_str()), (201, Some("PENDING")), "{body}");
        ids.push(run_id(&body));
    }
    check_serial(&ended(&s, &ids).await);
}

/// The claim condition lives in the executors' claim query, so two replicas sharing
/// the database keep one session's enqueued runs in order between them.
async fn enqueue_across_two_replicas(s: TestServer) {
    let other = zaby_server::start(s.settings.clone()).await.expect("second replica");
    let other_base = format!("http://{}", other.addr);
    let (token, _) = session_token(&s, "enqueue-replicas").await;
    let starts = (0..6).map(|i| {
        let (s, token) = (&s, &token);
        let base = if i % 2 == 0 { s.base.clone() } else { other_base.clone() };
        async move { start_at(s, &base, token, &slow(&format!("m{i}"), 30, Some("enqueue"))).await }
    });
    let mut ids = Vec::new();
    for (status, body) in futures::future::join_all(starts).await {
        assert_eq!(status, 201, "{body}");
        ids.push(run_id(&body));
    }
    check_serial(&ended(&s, &ids).await);
    other.shutdown().await;
}

/// `interrupt` cancels the session's running run (reason `interrupted by run <id>`,
/// a terminal `RunFinished` event) and the new run completes.
async fn interrupt_cancels_the_running_run(s: TestServer) {
    let (token, _) = session_token(&s, "interrupt").await;
    let (_, first) = start(&s, &token, &slow("first", 1000, None)).await;
    let first = run_id(&first);
    let (status, second) = start(&s, &token, &json!({"input": "second", "onBusy": "interrupt"})).await;
    assert_eq!((status, second["status"].as_str()), (201, Some("COMPLETED")), "{second}");
    let cancelled = row(&s, &first).await;
    assert_eq!(cancelled.status, "CANCELLED");
    assert_eq!(cancelled.cancel_reason, Some(format!("interrupted by run {}", run_id(&second))));
    let z = s.zaby();
    let page = z.agents().list_run_events(&first, json!({"limit": 500})).json().await.unwrap();
    let last = page["items"].as_array().unwrap().last().cloned().unwrap();
    assert_eq!((last["event"].as_str(), last["data"]["status"].as_str()), (Some("RunFinished"), Some("CANCELLED")));
}

/// With a policy allowing one run at a time, an interrupting start is not refused
/// for the run it cancels: the limit is counted after the cancels.
async fn interrupt_frees_its_slot_under_max_concurrent_runs(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "interrupt-limit", json!({}), json!({})).await;
    z.runtime_token_policies().update(st.policy_id(), json!({"maxConcurrentRuns": 1})).json().await.unwrap();
    let t = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-limit"}))).json().await.unwrap();
    let token = t["token"].as_str().unwrap();
    let (_, first) = start(&s, token, &slow("first", 1000, None)).await;
    let (status, limited) = start(&s, token, &slow("second", 1000, None)).await;
    assert_eq!((status, limited["code"].as_str()), (429, Some("RUNTIME_CONCURRENCY_LIMIT_EXCEEDED")), "{limited}");
    let (status, second) = start(&s, token, &json!({"input": "second", "onBusy": "interrupt"})).await;
    assert_eq!((status, second["status"].as_str()), (201, Some("COMPLETED")), "{second}");
    assert_eq!(row(&s, &run_id(&first)).await.status, "CANCELLED");
}

/// Eight `interrupt` starts at once: each cancels the runs before it, so exactly one
/// completes and every other run was interrupted by another run of the set.
async fn concurrent_interrupts_leave_the_last_one(s: TestServer) {
    let (token, _) = session_token(&s, "interrupts").await;
    let starts = (0..8).map(|i| {
        let (s, token) = (&s, &token);
        async move { start(s, token, &slow(&format!("m{i}"), 300, Some("interrupt"))).await }
    });
    let ids: Vec<String> = futures::future::join_all(starts).await.iter().map(|(_, b)| run_id(b)).collect();
    let rows = ended(&s, &ids).await;
    let completed: Vec<_> = rows.iter().filter(|r| r.status == "COMPLETED").collect();
    assert_eq!(completed.len(), 1, "{rows:?}");
    for r in rows.iter().filter(|r| r.status != "COMPLETED") {
        assert_eq!(r.status, "CANCELLED");
        let by = r.cancel_reason.as_deref().and_then(|c| c.strip_prefix("interrupted by run ")).unwrap();
        assert!(ids.iter().any(|id| id == by) && by != r.id, "{r:?}");
    }
}

/// The agent's `config.onBusy` is the default of its starts (here test runs, which run
/// the draft); a start's own `onBusy` wins; another session is not busy. A value that is
/// not a mode is refused when the agent is written.
async fn agent_config_gives_the_default(s: TestServer) {
    let z = s.zaby();
    for body in [
        json!({"slug": "busy-bad", "name": "Busy", "config": {"onBusy": "queue"}}),
        json!({"slug": "busy-bad", "name": "Busy", "config": {"onBusy": 1}}),
    ] {
        let e = z.agents().create(body).json().await.unwrap_err();
        assert_eq!((e.status(), e.code()), (Some(422), Some("VALIDATION_ERROR")), "{e}");
        assert!(e.to_string().contains("config.onBusy"), "{e}");
    }
    let agent = z
        .agents()
        .create(json!({"slug": "busy-default", "name": "Busy", "config": {"onBusy": "reject"}}))
        .json()
        .await
        .unwrap();
    let url = s.url(&format!("/api/v1/provisioning/agentic-os/agents/{}/test-runs", agent["id"].as_str().unwrap()));
    let test_run = |body: Value| {
        let req = s.http().post(&url).header("x-zaby-api-key", &s.api_key).json(&body);
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let mut first = slow("first", 1000, None);
    first["sessionId"] = json!("s-1");
    let (status, running) = test_run(first.clone()).await;
    assert_eq!(status, 201, "{running}");
    let (status, refused) = test_run(first.clone()).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("SESSION_BUSY")), "{refused}");
    assert_eq!(refused["details"]["activeRunIds"], json!([run_id(&running)]));
    first["onBusy"] = json!("parallel");
    assert_eq!(test_run(first.clone()).await.0, 201);
    first["sessionId"] = json!("s-2");
    first.as_object_mut().unwrap().remove("onBusy");
    assert_eq!(test_run(first).await.0, 201);
    let id = agent["id"].as_str().unwrap();
    let e = z.agents().update(id, json!({"config": {"onBusy": "later"}})).json().await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(422), Some("VALIDATION_ERROR")), "{e}");
}

/// A replayed start (same `requestId`) answers its first outcome whatever the session
/// is doing now: a `reject` start is not refused because its own run is still going,
/// and an `interrupt` start does not cancel the runs started since.
async fn replay_answers_the_original_outcome(s: TestServer) {
    let (token, _) = session_token(&s, "replay").await;
    let mut keyed = slow("first", 1000, Some("reject"));
    keyed["requestId"] = json!("busy-1");
    let (status, first) = start(&s, &token, &keyed).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = start(&s, &token, &keyed).await;
    assert_eq!((status, run_id(&again)), (200, run_id(&first)), "{again}");

    let interrupting = json!({"input": "second", "onBusy": "interrupt", "requestId": "busy-2"});
    let (status, second) = start(&s, &token, &interrupting).await;
    assert_eq!((status, second["status"].as_str()), (201, Some("COMPLETED")), "{second}");
    assert_eq!(row(&s, &run_id(&first)).await.status, "CANCELLED");
    let (_, third) = start(&s, &token, &slow("third", 1000, None)).await;
    let (status, replayed) = start(&s, &token, &interrupting).await;
    assert_eq!((status, run_id(&replayed)), (200, run_id(&second)), "{replayed}");
    assert!(!row(&s, &run_id(&third)).await.is_terminal(), "the replay interrupted nothing");
    s.zaby().agents().cancel_run(&run_id(&third), None).json().await.unwrap();
}
