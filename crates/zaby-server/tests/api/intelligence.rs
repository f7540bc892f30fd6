//! Intelligence (E93–E97): signals listed with filters, rollups over stored signals
//! in UTC buckets (values hand-computed), improvements generated from a real low
//! rating, their review, and tenant isolation.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Value, json};
use zaby_server::testing::parse_bound;

use crate::common::*;
use crate::on_both;

on_both!(signals_and_rollups, rollup_errors, improvements_from_low_rating);

fn ms(ts: &str) -> i64 {
    parse_bound(ts, false).unwrap()
}

/// Stores one signal as the runs domain does, at a chosen time.
#[allow(clippy::too_many_arguments)]
async fn signal(
    s: &TestServer,
    tenant: &str,
    agent: &str,
    run: &str,
    kind: &str,
    value: Option<f64>,
    payload: Value,
    test: bool,
    at: &str,
) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let mut tx = s.ctx().db.write().await.unwrap();
    zaby_server::testing::runs::insert_signal(
        tx.conn(),
        &id,
        tenant,
        agent,
        Some(run),
        kind,
        value,
        &payload,
        test,
        ms(at),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

fn run_payload(tool_calls: u64, input: u64, output: u64) -> Value {
    json!({"isTestRun": false, "toolCalls": tool_calls, "inputTokens": input, "outputTokens": output})
}

/// `(bucketStart, metric) → (value, count)` of a rollup list.
fn table(items: &[Value]) -> BTreeMap<(String, String), (f64, u64)> {
    items
        .iter()
        .map(|r| {
            let key = (r["bucketStart"].as_str().unwrap().to_string(), r["metric"].as_str().unwrap().to_string());
            (key, (r["value"].as_f64().unwrap(), r["count"].as_u64().unwrap()))
        })
        .collect()
}

fn expect(rows: &[(&str, &str, f64, u64)]) -> BTreeMap<(String, String), (f64, u64)> {
    rows.iter().map(|(b, m, v, c)| ((b.to_string(), m.to_string()), (*v, *c))).collect()
}

async fn signals_and_rollups(s: TestServer) {
    let z = s.zaby();
    let tenant = s.default_tenant().await;
    let agent = z.agents().create(json!({"slug": "intel", "name": "Intel"})).json().await.unwrap();
    let a = agent["id"].as_str().unwrap();
    // Around the UTC midnight between Sunday 2026-03-01 and Monday 2026-03-02 (a day
    // and ISO-week edge), and the month edge before 2026-03-01.
    let s9 = signal(
        &s,
        &tenant,
        a,
        "r9",
        "run_cancelled",
        None,
        json!({"reason": "x", "isTestRun": false, "toolCalls": 0, "inputTokens": 0, "outputTokens": 0}),
        false,
        "2026-02-28T23:59:59.999Z",
    )
    .await;
    signal(&s, &tenant, a, "r10", "run_completed", Some(200.0), run_payload(0, 0, 0), false, "2026-03-01T00:00:00Z")
        .await;
    let s4 = signal(
        &s,
        &tenant,
        a,
        "r4",
        "user_feedback",
        Some(4.0),
        json!({"feedbackId": "f4"}),
        false,
        "2026-03-01T10:00:00Z",
    )
    .await;
    signal(&s, &tenant, a, "r5", "user_feedback", None, json!({"feedbackId": "f5"}), false, "2026-03-01T11:00:00Z")
        .await;
    // A test run's signal: listed, but never aggregated.
    signal(&s, &tenant, a, "rt", "run_completed", Some(99_999.0), run_payload(9, 9, 9), true, "2026-03-01T12:00:00Z")
        .await;
    signal(
        &s,
        &tenant,
        a,
        "r1",
        "tool_error",
        None,
        json!({"toolName": "t", "toolCallId": "c1"}),
        false,
        "2026-03-01T23:00:00Z",
    )
    .await;
    signal(&s, &tenant, a, "r1", "run_completed", Some(100.0), run_payload(2, 10, 5), false, "2026-03-01T23:30:00Z")
        .await;
    let s2 = signal(
        &s,
        &tenant,
        a,
        "r2",
        "run_completed",
        Some(300.0),
        run_payload(0, 1, 1),
        false,
        "2026-03-01T23:59:59.999Z",
    )
    .await;
    let s3 = signal(
        &s,
        &tenant,
        a,
        "r3",
        "run_failed",
        None,
        json!({"code": "E", "message": "m", "isTestRun": false, "toolCalls": 1, "inputTokens": 4, "outputTokens": 0}),
        false,
        "2026-03-02T00:00:00Z",
    )
    .await;
    let s6 = signal(
        &s,
        &tenant,
        a,
        "r6",
        "user_feedback",
        Some(1.0),
        json!({"feedbackId": "f6"}),
        false,
        "2026-03-02T08:00:00Z",
    )
    .await;
    let s8 =
        signal(&s, &tenant, a, "r8", "run_completed", Some(50.0), run_payload(1, 2, 3), false, "2026-03-02T09:00:00Z")
            .await;

    // ---- E93 ----
    let all = z.intelligence().list_signals(json!({"agentId": a, "limit": 100})).json().await.unwrap();
    assert_eq!(all["total"], 11);
    let first = &all["items"][0];
    assert_eq!(first["id"], s9.as_str());
    assert_eq!(first["type"], "run_cancelled");
    assert_eq!(first["agentId"], a);
    assert_eq!(first["runId"], "r9");
    assert_eq!(first["deploymentId"], Value::Null);
    assert_eq!(first["value"], Value::Null);
    assert_eq!(first["createdAt"], "2026-02-28T23:59:59.999Z");
    assert_eq!(first["payload"]["reason"], "x");
    let day = z
        .intelligence()
        .list_signals(json!({"agentId": a, "from": "2026-03-02", "to": "2026-03-02"}))
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = day["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [s3.as_str(), s6.as_str(), s8.as_str()]);
    // `to` as a date is the end of that day; a timestamp is exact.
    let upto = z.intelligence().list_signals(json!({"agentId": a, "to": "2026-03-01"})).json().await.unwrap();
    assert_eq!(upto["total"], 8);
    let upto = z
        .intelligence()
        .list_signals(json!({"agentId": a, "to": "2026-03-01T23:59:59.998Z", "from": "2026-03-01T23:30:00Z"}))
        .json()
        .await
        .unwrap();
    assert_eq!(upto["total"], 1);
    let fb = z.intelligence().list_signals(json!({"type": "user_feedback", "agentId": a})).json().await.unwrap();
    let ids: Vec<&str> = fb["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], s4.as_str());
    assert_eq!(fb["items"][0]["value"], 4.0);
    let by_run = z.intelligence().list_signals(json!({"runId": "r2"})).json().await.unwrap();
    assert_eq!(by_run["total"], 1);
    assert_eq!(by_run["items"][0]["id"], s2.as_str());
    // Pages of 4, by createdAt then id.
    let mut paged = Vec::new();
    let mut it = z.intelligence().iter_signals(json!({"agentId": a, "limit": 4})).json();
    while let Some(item) = it.next().await {
        paged.push(item.unwrap());
    }
    assert_eq!(paged, all["items"].as_array().unwrap().clone());
    expect_err(z.intelligence().list_signals(json!({"from": "yesterday"})), 422, "VALIDATION_ERROR").await;
    expect_err(
        z.intelligence().list_signals(json!({"from": "2026-03-02", "to": "2026-03-01"})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    expect_err(z.intelligence().list_signals(json!({"cursor": "nope"})), 422, "VALIDATION_ERROR").await;

    // ---- E94, daily ----
    let window = json!({"agentId": a, "from": "2026-02-28", "to": "2026-03-02", "limit": 100});
    let daily = z.intelligence().list_rollups(window.clone()).json().await.unwrap();
    let items = daily["items"].as_array().unwrap();
    let (d28, d01, d02) = ("2026-02-28T00:00:00.000Z", "2026-03-01T00:00:00.000Z", "2026-03-02T00:00:00.000Z");
    assert_eq!(
        table(items),
        expect(&[
            (d28, "run_count", 1.0, 1),
            (d28, "tokens", 0.0, 1),
            (d01, "run_count", 3.0, 3),
            (d01, "avg_response_time", 200.0, 3),
            (d01, "p95_response_time", 300.0, 3),
            (d01, "failure_rate", 0.0, 3),
            (d01, "avg_rating", 4.0, 1),
            (d01, "feedback_count", 2.0, 2),
            (d01, "tool_error_rate", 0.5, 2),
            (d01, "tokens", 17.0, 3),
            (d02, "run_count", 2.0, 2),
            (d02, "avg_response_time", 50.0, 1),
            (d02, "p95_response_time", 50.0, 1),
            (d02, "failure_rate", 0.5, 2),
            (d02, "avg_rating", 1.0, 1),
            (d02, "feedback_count", 1.0, 1),
            (d02, "tool_error_rate", 0.0, 2),
            (d02, "tokens", 9.0, 2),
        ])
    );
    assert_eq!(daily["total"], 18);
    // Ordered by bucketStart, then metric.
    let order: Vec<(String, String)> = items
        .iter()
        .map(|r| (r["bucketStart"].as_str().unwrap().to_string(), r["metric"].as_str().unwrap().to_string()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    let r0 = &items[0];
    assert_eq!(r0["agentId"], a);
    assert_eq!(r0["granularity"], "daily");
    assert_eq!(r0["bucketEnd"], "2026-03-01T00:00:00.000Z");
    // Paginated per `docs/pagination.md` (the iterator walks the same list).
    let mut pages = Vec::new();
    let mut it = z
        .intelligence()
        .iter_rollups(json!({"agentId": a, "from": "2026-02-28", "to": "2026-03-02", "limit": 5}))
        .json();
    while let Some(item) = it.next().await {
        pages.push(item.unwrap());
    }
    assert_eq!(&pages, items);
    let p1 = z
        .intelligence()
        .list_rollups(json!({"agentId": a, "from": "2026-02-28", "to": "2026-03-02", "limit": 5}))
        .json()
        .await
        .unwrap();
    assert_eq!(p1["total"], 18);
    assert!(p1["nextCursor"].is_string());
    // Only the buckets overlapping the window, and one metric.
    let one = z
        .intelligence()
        .list_rollups(json!({"agentId": a, "from": "2026-03-02", "to": "2026-03-02", "metric": "avg_response_time"}))
        .json()
        .await
        .unwrap();
    assert_eq!(table(one["items"].as_array().unwrap()), expect(&[(d02, "avg_response_time", 50.0, 1)]));

    // ---- hourly, weekly, monthly ----
    let hourly = z
        .intelligence()
        .list_rollups(json!({
            "agentId": a, "granularity": "hourly", "metric": "run_count",
            "from": "2026-03-01T23:10:00Z", "to": "2026-03-02T00:10:00Z",
        }))
        .json()
        .await
        .unwrap();
    assert_eq!(
        table(hourly["items"].as_array().unwrap()),
        expect(&[("2026-03-01T23:00:00.000Z", "run_count", 2.0, 2), (d02, "run_count", 1.0, 1)])
    );
    assert_eq!(hourly["items"][0]["bucketEnd"], d02);
    assert_eq!(hourly["items"][1]["bucketEnd"], "2026-03-02T01:00:00.000Z");
    let weekly = z
        .intelligence()
        .list_rollups(json!({
            "agentId": a, "granularity": "weekly", "metric": "run_count", "from": "2026-02-28", "to": "2026-03-02",
        }))
        .json()
        .await
        .unwrap();
    assert_eq!(
        table(weekly["items"].as_array().unwrap()),
        expect(&[("2026-02-23T00:00:00.000Z", "run_count", 4.0, 4), (d02, "run_count", 2.0, 2)])
    );
    assert_eq!(weekly["items"][0]["bucketEnd"], d02);
    assert_eq!(weekly["items"][1]["bucketEnd"], "2026-03-09T00:00:00.000Z");
    let monthly = z
        .intelligence()
        .list_rollups(json!({
            "agentId": a, "granularity": "monthly", "metric": "tokens", "from": "2026-02-28", "to": "2026-03-02",
        }))
        .json()
        .await
        .unwrap();
    assert_eq!(
        table(monthly["items"].as_array().unwrap()),
        expect(&[("2026-02-01T00:00:00.000Z", "tokens", 0.0, 1), (d01, "tokens", 26.0, 5)])
    );
    assert_eq!(monthly["items"][0]["bucketEnd"], d01);
    assert_eq!(monthly["items"][1]["bucketEnd"], "2026-04-01T00:00:00.000Z");
    assert_eq!(monthly["items"][1]["granularity"], "monthly");
    // The default window is the last 30 days: these signals are older.
    let recent = z.intelligence().list_rollups(json!({"agentId": a})).json().await.unwrap();
    assert_eq!(recent["total"], 0);

    // Tenant isolation.
    let (_, key2) = s.second_tenant().await;
    let z2 = s.zaby_with_key(&key2);
    assert_eq!(z2.intelligence().list_signals(None).json().await.unwrap()["total"], 0);
    assert_eq!(z2.intelligence().list_signals(json!({"agentId": a})).json().await.unwrap()["total"], 0);
    expect_err(z2.intelligence().list_rollups(window), 404, "NOT_FOUND").await;
}

async fn rollup_errors(s: TestServer) {
    let z = s.zaby();
    let agent = z.agents().create(json!({"slug": "intel-errors", "name": "E"})).json().await.unwrap();
    let a = agent["id"].as_str().unwrap();
    let cases = [
        (json!({}), "agentId"),
        (json!({"agentId": a, "granularity": "yearly"}), "granularity"),
        (json!({"agentId": a, "metric": "nope"}), "metric"),
        (json!({"agentId": a, "limit": 0}), "limit"),
        (json!({"agentId": a, "limit": 101}), "limit"),
        (json!({"agentId": a, "cursor": "x"}), "cursor"),
        (json!({"agentId": a, "from": "soon"}), "from"),
        (json!({"agentId": a, "to": "2026-13-01"}), "to"),
        (json!({"agentId": a, "from": "2026-03-02", "to": "2026-03-01"}), "from"),
    ];
    for (query, field) in cases {
        let e = expect_err(z.intelligence().list_rollups(query.clone()), 422, "VALIDATION_ERROR").await;
        assert!(e.message().starts_with(field), "{query}: {}", e.message());
    }
    expect_err(z.intelligence().list_rollups(json!({"agentId": "nope"})), 404, "NOT_FOUND").await;
    // An agent without signals has no buckets.
    let empty = z.intelligence().list_rollups(json!({"agentId": a, "granularity": "weekly"})).json().await.unwrap();
    assert_eq!(empty, json!({"items": [], "nextCursor": null, "total": 0}));
    let e = expect_err(z.intelligence().list_improvements(json!({"status": "OPEN"})), 422, "VALIDATION_ERROR").await;
    assert!(e.message().starts_with("status"));
}

async fn improvements_from_low_rating(s: TestServer) {
    let z = s.zaby();
    let d = deployed_agent(&z, "intel-quality").await;
    let a = d.agent_id().to_string();
    let done = |run: Value| {
        let z = z.clone();
        async move {
            let id = run["runId"].as_str().or(run["id"].as_str()).unwrap().to_string();
            eventually("run completed", || async {
                let p = z.agents().get_run_progress(&id).json().await.unwrap();
                (p["status"] == "COMPLETED").then_some(())
            })
            .await;
            id
        }
    };
    let run_id = done(z.agents().start_run(&a, json!({"input": "hello"})).json().await.unwrap()).await;
    // A good rating and a test run rated 1 propose nothing.
    let good = done(z.agents().start_run(&a, json!({"input": "fine"})).json().await.unwrap()).await;
    z.runtime_tokens().record_feedback(&good, json!({"rating": 5})).json().await.unwrap();
    let test = done(z.agents().test_run(&a, json!({"input": "draft"})).json().await.unwrap()).await;
    z.runtime_tokens().record_feedback(&test, json!({"rating": 1})).json().await.unwrap();
    assert_eq!(z.intelligence().list_improvements(None).json().await.unwrap()["total"], 0);

    let fb =
        z.runtime_tokens().record_feedback(&run_id, json!({"rating": 1, "comment": "wrong"})).json().await.unwrap();
    let sig = z.intelligence().list_signals(json!({"runId": run_id, "type": "user_feedback"})).json().await.unwrap();
    assert_eq!(sig["total"], 1);
    let sig = &sig["items"][0];
    assert_eq!(sig["value"], 1.0);
    assert_eq!(sig["deploymentId"], d.deployment_id());
    assert_eq!(sig["payload"]["feedbackId"], fb["id"]);

    // Listed twice (also concurrently): exactly one improvement.
    let q = json!({"agentId": a});
    let (l1, l2) = tokio::join!(
        z.intelligence().list_improvements(q.clone()).json(),
        z.intelligence().list_improvements(q.clone()).json()
    );
    assert_eq!(l1.unwrap()["total"], 1);
    assert_eq!(l2.unwrap()["total"], 1);
    let list = z.intelligence().list_improvements(q.clone()).json().await.unwrap();
    assert_eq!(list["total"], 1);
    let imp = list["items"][0].clone();
    assert_eq!(imp["agentId"], a.as_str());
    assert_eq!(imp["category"], "QUALITY");
    assert_eq!(imp["status"], "PROPOSED");
    assert_eq!(imp["suggestedChange"], json!({"type": "instructions", "runId": run_id, "feedbackId": fb["id"]}));
    assert_eq!(imp["signalIds"], json!([sig["id"]]));
    assert_eq!(imp["comment"], Value::Null);
    assert_eq!(imp["reason"], Value::Null);
    assert_eq!(imp["decidedAt"], Value::Null);
    assert!(imp["title"].as_str().unwrap().contains(&run_id));
    assert!(imp["description"].as_str().unwrap().contains("wrong"));
    let id = imp["id"].as_str().unwrap().to_string();

    // Tenant isolation.
    let (_, key2) = s.second_tenant().await;
    let z2 = s.zaby_with_key(&key2);
    assert_eq!(z2.intelligence().list_improvements(None).json().await.unwrap()["total"], 0);
    expect_err(z2.intelligence().approve_improvement(&id, None), 404, "NOT_FOUND").await;
    expect_err(z2.intelligence().reject_improvement(&id, None), 404, "NOT_FOUND").await;

    // Review: PROPOSED → APPROVED → IMPLEMENTED; anything else is 409.
    expect_err(z.intelligence().approve_improvement(&id, json!({"status": "DONE"})), 422, "VALIDATION_ERROR").await;
    expect_err(z.intelligence().approve_improvement("nope", None), 404, "NOT_FOUND").await;
    let approved = z.intelligence().approve_improvement(&id, json!({"comment": "will do"})).json().await.unwrap();
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(approved["comment"], "will do");
    assert!(approved["decidedAt"].is_string());
    expect_err(z.intelligence().approve_improvement(&id, None), 409, "CANDIDATE_ALREADY_REVIEWED").await;
    let implemented = z.intelligence().approve_improvement(&id, json!({"status": "IMPLEMENTED"})).json().await.unwrap();
    assert_eq!(implemented["status"], "IMPLEMENTED");
    assert_eq!(implemented["comment"], "will do");
    expect_err(
        z.intelligence().approve_improvement(&id, json!({"status": "IMPLEMENTED"})),
        409,
        "CANDIDATE_ALREADY_REVIEWED",
    )
    .await;
    expect_err(z.intelligence().reject_improvement(&id, None), 409, "CANDIDATE_ALREADY_REVIEWED").await;
    // Nothing new without new evidence.
    assert_eq!(z.intelligence().list_improvements(q.clone()).json().await.unwrap()["total"], 1);

    // A second low rating of the same run is new evidence: a new proposal.
    z.runtime_tokens().record_feedback(&run_id, json!({"rating": 2})).json().await.unwrap();
    let open = z.intelligence().list_improvements(json!({"agentId": a, "status": "PROPOSED"})).json().await.unwrap();
    assert_eq!(open["total"], 1);
    let again = &open["items"][0];
    assert_ne!(again["id"], id.as_str());
    assert_eq!(again["signalIds"].as_array().unwrap().len(), 2);
    assert_eq!(again["signalIds"][0], sig["id"]);
    let id2 = again["id"].as_str().unwrap().to_string();
    let rejected = z.intelligence().reject_improvement(&id2, json!({"reason": "noise"})).json().await.unwrap();
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(rejected["reason"], "noise");
    assert!(rejected["decidedAt"].is_string());
    expect_err(z.intelligence().reject_improvement(&id2, None), 409, "CANDIDATE_ALREADY_REVIEWED").await;
    expect_err(z.intelligence().approve_improvement(&id2, None), 409, "CANDIDATE_ALREADY_REVIEWED").await;
    assert_eq!(z.intelligence().list_improvements(q.clone()).json().await.unwrap()["total"], 2);
    for (status, n) in [("PROPOSED", 0), ("APPROVED", 0), ("IMPLEMENTED", 1), ("REJECTED", 1)] {
        let l = z.intelligence().list_improvements(json!({"agentId": a, "status": status})).json().await.unwrap();
        assert_eq!(l["total"], n, "{status}");
    }
    // Rejecting from APPROVED works too.
    let run3 = done(z.agents().start_run(&a, json!({"input": "again"})).json().await.unwrap()).await;
    z.runtime_tokens().record_feedback(&run3, json!({"rating": 1})).json().await.unwrap();
    let open = z.intelligence().list_improvements(json!({"status": "PROPOSED"})).json().await.unwrap();
    assert_eq!(open["total"], 1);
    let id3 = open["items"][0]["id"].as_str().unwrap().to_string();
    z.intelligence().approve_improvement(&id3, None).json().await.unwrap();
    let r = z.intelligence().reject_improvement(&id3, None).json().await.unwrap();
    assert_eq!(r["status"], "REJECTED");
    assert_eq!(r["reason"], Value::Null);
}
