//! Intelligence: signals written by runs and feedback, rollups, and improvements
//! proposed from low ratings and reviewed (E93–E97).

use std::sync::Arc;

use futures::StreamExt;
use zaby::types::{
    ApproveImprovementInput, BindDeploymentInput, E93Query, E94Query, E95Query, FeedbackInput, Granularity,
    ImprovementCategory, ImprovementStatus, RejectImprovementInput, Rollup, RollupMetric, RunStartInput,
    RunStartStatus, SignalType,
};

use crate::support::{Ctx, app_token, deployed_agent, expect_err};

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let dep = deployed_agent(&ctx, "insight").await?;
    let agent_id = dep.agent_id.clone();
    let rt =
        ctx.runtime(&app_token(&ctx, &dep.deployment_id, BindDeploymentInput::default(), "critic").await?.token.token);

    // Two runs, both rated badly by the end user.
    let mut runs = Vec::new();
    for question in ["where is my parcel", "why so slow"] {
        let run = rt.runs().start(RunStartInput { input: question.into(), ..Default::default() }).await?;
        assert_eq!(run.status, RunStartStatus::Completed);
        let wrong = FeedbackInput { rating: Some(1), comment: Some("wrong".into()), ..Default::default() };
        rt.feedback().create(&run.run_id, wrong).await?;
        runs.push(run.run_id);
    }

    // E93: each run left a run_completed and a user_feedback signal.
    let signals =
        z.intelligence().list_signals(E93Query { agent_id: Some(agent_id.clone()), ..Default::default() }).await?;
    assert_eq!(signals.total, Some(4), "{signals:?}");
    let of_run =
        E93Query { run_id: Some(runs[0].clone()), r#type: Some(SignalType::UserFeedback), ..Default::default() };
    let feedback = z.intelligence().list_signals(of_run).await?;
    assert_eq!(feedback.total, Some(1));
    assert_eq!(
        (feedback.items[0].value, feedback.items[0].deployment_id.as_deref()),
        (Some(1.0), Some(dep.deployment_id.as_str()))
    );
    let completed_runs = E93Query {
        agent_id: Some(agent_id.clone()),
        r#type: Some(SignalType::RunCompleted),
        limit: Some(1),
        ..Default::default()
    };
    let mut iter = z.intelligence().iter_signals(completed_runs);
    let mut completed = 0;
    while let Some(sig) = iter.next().await {
        assert_eq!(sig?.r#type, SignalType::RunCompleted);
        completed += 1;
    }
    assert_eq!(completed, 2);

    // E94: the daily rollups count the two runs and the two ratings (summed over the
    // buckets, so a run on each side of midnight still adds up).
    let rollups = z.intelligence().list_rollups(E94Query { agent_id: agent_id.clone(), ..Default::default() }).await?;
    let of = |metric: RollupMetric| -> Vec<&Rollup> { rollups.items.iter().filter(|r| r.metric == metric).collect() };
    let total = |metric| of(metric).iter().map(|r| r.value.unwrap_or(0.0)).sum::<f64>();
    assert_eq!((total(RollupMetric::RunCount), total(RollupMetric::FeedbackCount)), (2.0, 2.0), "{rollups:?}");
    assert!(of(RollupMetric::RunCount).iter().all(|r| r.granularity == Granularity::Daily), "{rollups:?}");
    assert!(of(RollupMetric::AvgRating).iter().all(|r| r.value == Some(1.0)), "{rollups:?}");
    assert!(!of(RollupMetric::AvgRating).is_empty(), "{rollups:?}");
    let run_counts =
        E94Query { agent_id: agent_id.clone(), metric: Some(RollupMetric::RunCount), ..Default::default() };
    let mut iter = z.intelligence().iter_rollups(run_counts);
    let mut counted = 0;
    while let Some(r) = iter.next().await {
        counted += r?.count.unwrap_or(0);
    }
    assert_eq!(counted, 2, "two runs behind the run_count rollups");
    // E94 needs `agentId`; leaving the query out is a documented refusal.
    expect_err(z.intelligence().list_rollups(None), 422, "VALIDATION_ERROR").await;

    // E95: one QUALITY improvement per badly rated run.
    let proposed_of_agent =
        E95Query { agent_id: Some(agent_id.clone()), status: Some(ImprovementStatus::Proposed), ..Default::default() };
    let proposed = z.intelligence().list_improvements(proposed_of_agent.clone()).await?;
    assert_eq!(proposed.total, Some(2), "{proposed:?}");
    // A suggested change is free-form JSON; it names the run it comes from.
    let change = |i: &zaby::types::Improvement, key: &str| {
        i.suggested_change.as_ref().and_then(|c| c.get(key)).and_then(|v| v.as_str()).map(str::to_owned)
    };
    let by_run = |run: &str| {
        proposed
            .items
            .iter()
            .find(|i| change(i, "runId").as_deref() == Some(run))
            .cloned()
            .unwrap_or_else(|| panic!("no improvement for {run}"))
    };
    let (first, second) = (by_run(&runs[0]), by_run(&runs[1]));
    assert_eq!(
        (first.category.clone(), change(&first, "type").as_deref()),
        (Some(ImprovementCategory::Quality), Some("instructions"))
    );
    let mut iter =
        z.intelligence().iter_improvements(E95Query { agent_id: Some(agent_id.clone()), ..Default::default() });
    let mut n = 0;
    while let Some(i) = iter.next().await {
        i?;
        n += 1;
    }
    assert_eq!(n, 2);

    // E96: approved, then implemented; E97 rejects the other; decided ones are final.
    let intro = ApproveImprovementInput { comment: Some("rewrite the intro".into()), ..Default::default() };
    let approved = z.intelligence().approve_improvement(&first.id, intro).await?;
    assert_eq!(
        (approved.status, approved.comment.as_deref()),
        (ImprovementStatus::Approved, Some("rewrite the intro"))
    );
    let implemented = ApproveImprovementInput { status: Some("IMPLEMENTED".into()), ..Default::default() };
    let done = z.intelligence().approve_improvement(&first.id, implemented).await?;
    assert_eq!(done.status, ImprovementStatus::Implemented);
    let one_off = RejectImprovementInput { reason: Some("one-off".into()), ..Default::default() };
    let rejected = z.intelligence().reject_improvement(&second.id, one_off).await?;
    assert_eq!((rejected.status, rejected.reason.as_deref()), (ImprovementStatus::Rejected, Some("one-off")));
    let final_ =
        expect_err(z.intelligence().reject_improvement(&first.id, None), 409, "CANDIDATE_ALREADY_REVIEWED").await;
    assert!(final_.is("ZabyConflictError"));
    let open = z.intelligence().list_improvements(proposed_of_agent).await?;
    assert_eq!(open.total, Some(0), "reviewed improvements are not proposed again: {open:?}");
    Ok(())
}
