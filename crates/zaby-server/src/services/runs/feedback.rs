//! Feedback on runs (E28, E125): stored, answered `{accepted: true, …}`, recorded as
//! a `user_feedback` signal in the same transaction.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use zaby::types::{FeedbackInput, FeedbackSource};

use super::{Reader, load_visible, signals};
use crate::error::{ApiError, ApiResult};
use crate::services::idempotency::{self, Operation, Owner, Scope};
use crate::services::managed::runtime_auth::RuntimeCaller;
use crate::services::webhooks::outbox;
use crate::services::{Caller, Ctx};
use crate::storage::runs::{self as store, FeedbackRow};
use crate::util::clock::now_ms;
use crate::util::ids::new_id;
use crate::util::input::Problems;

pub enum Giver<'a> {
    Provisioning(&'a Caller),
    Runtime(&'a RuntimeCaller),
}

/// Recorded feedback, and whether it is the answer an earlier request with the
/// same `requestId` got (docs/idempotency.md: the original `Feedback`).
pub(crate) struct Given {
    pub(crate) feedback: FeedbackRow,
    pub(crate) replayed: bool,
}

/// What an idempotency record keeps: the feedback's id (a record written before
/// feedback was typed holds the whole answer, whose `id` reads the same).
#[derive(Serialize, Deserialize)]
struct Record {
    id: String,
}

/// What the catalogue cannot say: the rating's range, lengths, and that one of
/// `rating`, `label` and `comment` is given.
fn check(input: &FeedbackInput) -> ApiResult<()> {
    let mut p = Problems::default();
    if let Some(r) = input.rating
        && !(1..=5).contains(&r)
    {
        p.add("rating", "must be an integer from 1 to 5, \"positive\" or \"negative\"");
    }
    for (field, value, max) in [
        ("label", &input.label, 200),
        ("comment", &input.comment, 10_000),
        ("domainKey", &input.domain_key, 200),
        ("topicKey", &input.topic_key, 200),
    ] {
        if let Some(v) = value {
            p.text(field, v, max, true);
        }
    }
    if input.rating.is_none() && input.label.is_none() && input.comment.is_none() {
        p.add("rating", "at least one of rating, label and comment is required");
    }
    p.finish()
}

/// E28 / E125. The body is checked once the run is found (an unknown run is a 404
/// whatever the body holds).
pub(crate) async fn create(
    ctx: &Ctx,
    giver: Giver<'_>,
    run_id: &str,
    input: ApiResult<FeedbackInput>,
) -> ApiResult<Given> {
    let (reader, source, owner) = match &giver {
        Giver::Provisioning(c) => {
            (Reader::Tenant(&c.tenant_id), FeedbackSource::Provisioning, Owner::Tenant(&c.tenant_id))
        }
        Giver::Runtime(rc) => (
            Reader::Runtime(rc),
            FeedbackSource::Runtime,
            Owner::Session { tenant_id: &rc.tenant_id, session_id: rc.session_id() },
        ),
    };
    let scope = Scope { owner, operation: Operation::GiveFeedback, resource: run_id };
    let mut tx = ctx.db.write().await?;
    let run = load_visible(tx.conn(), &reader, run_id).await?;
    let input = input?;
    check(&input)?;
    let fingerprint = serde_json::to_value(&input)
        .map_err(|e| ApiError::internal("the feedback body could not be read back").with_cause(e.to_string()))?;
    let idem = idempotency::key(scope, &fingerprint)?;
    if let Some(stored) = idempotency::claim(tx.conn(), &idem, ctx.settings.idempotency_ttl_s).await? {
        let unreadable = |e: String| ApiError::internal("a stored feedback answer could not be read").with_cause(e);
        let record: Record = serde_json::from_value(stored).map_err(|e| unreadable(e.to_string()))?;
        let feedback = store::get_feedback(tx.conn(), &run.tenant_id, &record.id)
            .await?
            .ok_or_else(|| unreadable(format!("feedback {} is gone", record.id)))?;
        return Ok(Given { feedback, replayed: true });
    }
    let fb = FeedbackRow {
        id: new_id(),
        tenant_id: run.tenant_id.clone(),
        run_id: run.id.clone(),
        agent_id: run.agent_id.clone(),
        rating: input.rating,
        label: input.label,
        comment: input.comment,
        domain_key: input.domain_key,
        topic_key: input.topic_key,
        metadata: Value::Object(input.metadata.unwrap_or_default()),
        source: source.as_str().to_string(),
        agent_session_id: Some(run.session_id.clone()),
        created_at: now_ms(),
    };
    store::insert_feedback(tx.conn(), &fb).await?;
    signals::feedback_given(tx.conn(), &run, &fb).await?;
    outbox::record_feedback(tx.conn(), &fb).await?;
    let record = serde_json::to_value(Record { id: fb.id.clone() })
        .map_err(|e| ApiError::internal("the feedback record could not be written").with_cause(e.to_string()))?;
    idempotency::complete(tx.conn(), &idem, 201, &record).await?;
    tx.commit().await?;
    Ok(Given { feedback: fb, replayed: false })
}
