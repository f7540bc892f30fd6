//! The delivery worker: a background task on every replica that claims due
//! deliveries with a lease (one attempt at a time across replicas, like the run
//! executor), POSTs each signed event, and records what happened: success, a retry
//! on the schedule, `FAILED` once it is spent, or the endpoint disabled on a 410.

use std::time::Duration;

use rand::Rng;
use tokio::sync::watch;
use tokio::task::JoinSet;
use zaby::types::WebhookDeliveryStatus as Status;

use super::signed_post::{Answer, SealedSecrets, SignedRequest, post, signature};
use crate::error::ApiResult;
use crate::services::SharedCtx;
use crate::storage::webhooks as store;
use crate::storage::webhooks::deliveries::{self, Attempt, DeliveryRow};
use crate::util::clock::{iso, now_ms};
use crate::util::ids::new_id;

/// Idle time between looks for due deliveries.
const POLL: Duration = Duration::from_millis(500);
/// Deliveries attempted at once by one replica.
const BATCH: i64 = 16;
/// An attempt's answer must come within this.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Held while one attempt runs: its timeout and room to record the outcome. A
/// replica that dies mid-attempt leaves the delivery to another once it lapses.
const LEASE_MS: i64 = 30_000;
/// The waits after the 1st, 2nd, … failed attempt (docs/webhooks.md); after the last
/// one the delivery is `FAILED`.
const SCHEDULE_MS: [i64; 7] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
/// How much of an answer is kept.
const EXCERPT_BYTES: usize = 1024;

pub async fn run(ctx: SharedCtx, mut stop: watch::Receiver<bool>) {
    let owner = format!("webhooks-{}", new_id());
    loop {
        if *stop.borrow() {
            break;
        }
        let busy = match deliver_due(&ctx, &owner).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e.message, "webhook delivery pass failed");
                false
            }
        };
        // After a busy pass, look again at once: the next event of a run may be due.
        if busy {
            continue;
        }
        tokio::select! {
            r = stop.changed() => if r.is_err() { break },
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Claims what is due and attempts it; returns how many attempts were made.
async fn deliver_due(ctx: &SharedCtx, owner: &str) -> ApiResult<usize> {
    let due = {
        let mut conn = ctx.db.read().await?;
        deliveries::due(&mut conn, now_ms(), BATCH).await?
    };
    let mut attempts = JoinSet::new();
    for d in due {
        let mut tx = ctx.db.write().await?;
        if !deliveries::claim(tx.conn(), &d.id, owner, now_ms(), LEASE_MS).await? {
            continue;
        }
        let out_of_order = deliveries::earlier_pending(tx.conn(), &d).await?;
        tx.commit().await?;
        let (ctx, owner) = (ctx.clone(), owner.to_string());
        attempts.spawn(async move {
            if let Err(e) = attempt(&ctx, &owner, d, out_of_order).await {
                tracing::warn!(error = %e.message, "recording a webhook delivery failed; its lease will lapse");
            }
        });
    }
    let n = attempts.len();
    while attempts.join_next().await.is_some() {}
    Ok(n)
}

async fn attempt(ctx: &SharedCtx, owner: &str, d: DeliveryRow, out_of_order: bool) -> ApiResult<()> {
    let (endpoint, event) = {
        let mut conn = ctx.db.read().await?;
        (store::by_id(&mut conn, &d.webhook_id).await?, deliveries::event(&mut conn, &d.event_id).await?)
    };
    let (Some(endpoint), Some(event)) = (endpoint, event) else {
        return Ok(()); // Deleted with its endpoint meanwhile.
    };
    let secrets = SealedSecrets {
        current: &endpoint.secret_sealed,
        previous: endpoint.previous_secret_sealed.as_deref(),
        previous_expires_at: endpoint.previous_expires_at,
    };
    let answer = match signature(&ctx.runs.secrets, &secrets, &event.id, &event.body) {
        Ok((timestamp, signature)) => {
            post(SignedRequest {
                url: &endpoint.url,
                user_agent: concat!("zaby-webhooks/", env!("CARGO_PKG_VERSION")),
                id: &event.id,
                timestamp,
                signature: &signature,
                body: event.body,
                timeout: TIMEOUT,
                keep_bytes: EXCERPT_BYTES,
            })
            .await
        }
        Err(why) => Answer::None(why),
    };
    let now = now_ms();
    let attempts = d.attempts + 1;
    let (code, excerpt) = match answer {
        Answer::Status(code, body) => (Some(code), String::from_utf8_lossy(&body).into_owned()),
        Answer::Refused(why) | Answer::None(why) => (None, why),
    };
    let (status, next, response_status, excerpt) = match code {
        Some(code) if (200..300).contains(&code) => (Status::Succeeded.as_str(), None, Some(code), excerpt.as_str()),
        Some(410) => (Status::Failed.as_str(), None, Some(410), excerpt.as_str()),
        code => retry(ctx, attempts, now, code, &excerpt),
    };
    let note = out_of_order.then(|| {
        format!(
            "sent before an earlier event of run {} that was still being retried after an hour",
            d.run_id.as_deref().unwrap_or("")
        )
    });
    let outcome = Attempt {
        at: now,
        status,
        next_attempt_at: next,
        response_status: response_status.map(i64::from),
        excerpt: Some(excerpt),
        note: note.as_deref(),
    };
    let mut tx = ctx.db.write().await?;
    if !deliveries::finish(tx.conn(), &d.id, owner, &outcome).await? {
        return Ok(()); // The lease lapsed and another replica took over.
    }
    if response_status == Some(410) {
        let reason = format!("the endpoint answered 410 Gone at {}", iso(now));
        store::disable(tx.conn(), &endpoint.id, &reason, now).await?;
    }
    tx.commit().await?;
    let label = match response_status {
        Some(code) => code.to_string(),
        None => "none".into(),
    };
    metrics::counter!("zaby_webhook_deliveries_total", "outcome" => status, "status" => label).increment(1);
    Ok(())
}

/// `PENDING` again after the schedule's wait (shortened by `ZABY_WEBHOOK_RETRY_DIVISOR`,
/// ± 10 % jitter), or `FAILED` once the schedule is spent.
fn retry<'a>(
    ctx: &SharedCtx,
    attempts: i64,
    now: i64,
    code: Option<u16>,
    excerpt: &'a str,
) -> (&'static str, Option<i64>, Option<u16>, &'a str) {
    match SCHEDULE_MS.get((attempts - 1).max(0) as usize) {
        Some(wait) => {
            let wait = wait / ctx.settings.webhook_retry_divisor.max(1) as i64;
            let jitter = rand::rng().random_range(-(wait / 10)..=(wait / 10));
            (Status::Pending.as_str(), Some(now + wait + jitter), code, excerpt)
        }
        None => (Status::Failed.as_str(), None, code, excerpt),
    }
}
