//! Intelligence: signals written by runs and feedback, rollups, and improvements
//! proposed from low ratings and reviewed (E93–E97).

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::support::{Ctx, app_token, deployed_agent, expect_err, items, s};

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let dep = deployed_agent(&ctx, "insight", json!({})).await?;
    let agent_id = dep.agent_id.clone();
    let rt = ctx.runtime(&app_token(&ctx, &dep.deployment_id, json!({}), "critic").await?.token);

    // Two runs, both rated badly by the end user.
    let mut runs = Vec::new();
    for question in ["where is my parcel", "why so slow"] {
        let run = rt.runs().start(json!({ "input": question })).json().await?;
        assert_eq!(run["status"], "COMPLETED");
        rt.feedback().create(s(&run, "runId"), json!({ "rating": 1, "comment": "wrong" })).json().await?;
        runs.push(s(&run, "runId").to_string());
    }

    // E93: each run left a run_completed and a user_feedback signal.
    let signals = z.intelligence().list_signals(json!({ "agentId": agent_id })).json().await?;
    assert_eq!(signals["total"], 4, "{signals}");
    let feedback = z.intelligence().list_signals(json!({ "runId": runs[0], "type": "user_feedback" })).json().await?;
    assert_eq!(feedback["total"], 1);
    assert_eq!(
        (items(&feedback)[0]["value"].as_f64(), items(&feedback)[0]["deploymentId"].as_str()),
        (Some(1.0), Some(dep.deployment_id.as_str()))
    );
    let mut iter =
        z.intelligence().iter_signals(json!({ "agentId": agent_id, "type": "run_completed", "limit": 1 })).json();
    let mut completed = 0;
    while let Some(sig) = iter.next().await {
        assert_eq!(sig?["type"], "run_completed");
        completed += 1;
    }
    assert_eq!(completed, 2);

    // E94: the daily rollups count the two runs and the two ratings (summed over the
    // buckets, so a run on each side of midnight still adds up).
    let rollups = z.intelligence().list_rollups(json!({ "agentId": agent_id })).json().await?;
    let of = |name: &str| -> Vec<Value> { items(&rollups).iter().filter(|r| r["metric"] == name).cloned().collect() };
    let total = |name: &str| of(name).iter().map(|r| r["value"].as_f64().unwrap_or(0.0)).sum::<f64>();
    assert_eq!((total("run_count"), total("feedback_count")), (2.0, 2.0), "{rollups}");
    assert!(of("run_count").iter().all(|r| r["granularity"] == "daily"), "{rollups}");
    assert!(of("avg_rating").iter().all(|r| r["value"] == 1.0), "{rollups}");
    assert!(!of("avg_rating").is_empty(), "{rollups}");
    let mut iter = z.intelligence().iter_rollups(json!({ "agentId": agent_id, "metric": "run_count" })).json();
    let mut counted = 0;
    while let Some(r) = iter.next().await {
        counted += r?["count"].as_i64().unwrap_or(0);
    }
    assert_eq!(counted, 2, "two runs behind the run_count rollups");
    expect_err(z.intelligence().list_rollups(None), 422, "VALIDATION_ERROR").await;

    // E95: one QUALITY improvement per badly rated run.
    let proposed =
        z.intelligence().list_improvements(json!({ "agentId": agent_id, "status": "PROPOSED" })).json().await?;
    assert_eq!(proposed["total"], 2, "{proposed}");
    let by_run = |run: &str| {
        items(&proposed)
            .iter()
            .find(|i| i["suggestedChange"]["runId"] == run)
            .cloned()
            .unwrap_or_else(|| panic!("no improvement for {run}"))
    };
    let (first, second) = (by_run(&runs[0]), by_run(&runs[1]));
    assert_eq!(
        (first["category"].as_str(), first["suggestedChange"]["type"].as_str()),
        (Some("QUALITY"), Some("instructions"))
    );
    let mut iter = z.intelligence().iter_improvements(json!({ "agentId": agent_id })).json();
    let mut n = 0;
    while let Some(i) = iter.next().await {
        i?;
        n += 1;
    }
    assert_eq!(n, 2);

    // E96: approved, then implemented; E97 rejects the other; decided ones are final.
    let approved =
        z.intelligence().approve_improvement(s(&first, "id"), json!({ "comment": "rewrite the intro" })).json().await?;
    assert_eq!(
        (approved["status"].as_str(), approved["comment"].as_str()),
        (Some("APPROVED"), Some("rewrite the intro"))
    );
    let done = z.intelligence().approve_improvement(s(&first, "id"), json!({ "status": "IMPLEMENTED" })).json().await?;
    assert_eq!(done["status"], "IMPLEMENTED");
    let rejected = z.intelligence().reject_improvement(s(&second, "id"), json!({ "reason": "one-off" })).json().await?;
    assert_eq!((rejected["status"].as_str(), rejected["reason"].as_str()), (Some("REJECTED"), Some("one-off")));
    let final_ =
        expect_err(z.intelligence().reject_improvement(s(&first, "id"), None), 409, "CANDIDATE_ALREADY_REVIEWED").await;
    assert!(final_.is("ZabyConflictError"));
    let open = z.intelligence().list_improvements(json!({ "agentId": agent_id, "status": "PROPOSED" })).json().await?;
    assert_eq!(open["total"], 0, "reviewed improvements are not proposed again: {open}");
    Ok(())
}
