//! Feedback on runs (E28, E125): stored, answered `{accepted: true, …}`, recorded as
//! a `user_feedback` signal in the same transaction.

use serde_json::{Value, json};

use super::{Reader, load_visible, signals};
use crate::error::ApiResult;
use crate::services::idempotency::{self, Operation, Owner, Scope};
use crate::services::managed::runtime_auth::RuntimeCaller;
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::runs as store;
use crate::util::clock::{iso, now_ms};
use crate::util::ids::new_id;
use crate::util::input::Fields;

pub enum Giver<'a> {
    Provisioning(&'a Caller),
    Runtime(&'a RuntimeCaller),
}

fn rating(f: &mut Fields<'_>) -> Option<i64> {
    match f.raw("rating") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "positive" => Some(5),
        Some(Value::String(s)) if s == "negative" => Some(1),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|v| (1..=5).contains(&v)) => n.as_i64(),
        Some(_) => {
            f.error("rating", "must be an integer from 1 to 5, \"positive\" or \"negative\"");
            None
        }
    }
}

pub async fn create(ctx: &Ctx, giver: Giver<'_>, run_id: &str, body: &Value) -> ApiResult<Outcome> {
    let (reader, source, owner) = match &giver {
        Giver::Provisioning(c) => (Reader::Tenant(&c.tenant_id), "PROVISIONING", Owner::Tenant(&c.tenant_id)),
        Giver::Runtime(rc) => {
            (Reader::Runtime(rc), "RUNTIME", Owner::Session { tenant_id: &rc.tenant_id, session_id: rc.session_id() })
        }
    };
    let scope = Scope { owner, operation: Operation::GiveFeedback, resource: run_id };
    let mut tx = ctx.db.write().await?;
    let run = load_visible(tx.conn(), &reader, run_id).await?;
    let mut f = Fields::new(body);
    let rating = rating(&mut f);
    let label = f.opt_text("label", 200);
    let comment = f.opt_text("comment", 10_000);
    let domain_key = f.opt_text("domainKey", 200);
    let topic_key = f.opt_text("topicKey", 200);
    let metadata = match f.raw("metadata") {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(m)) => Value::Object(m.clone()),
        Some(_) => {
            f.error("metadata", "must be an object");
            Value::Null
        }
    };
    if rating.is_none() && label.is_none() && comment.is_none() && !f.has_errors_for(&["rating", "label", "comment"]) {
        f.error("rating", "at least one of rating, label and comment is required");
    }
    f.finish()?;
    let idem = idempotency::key(scope, body)?;
    if let Some(replay) = idempotency::claim(tx.conn(), &idem, ctx.settings.idempotency_ttl_s).await? {
        return Ok(replay);
    }
    let now = now_ms();
    let fb = json!({
        "id": new_id(),
        "runId": run.id,
        "accepted": true,
        "rating": rating,
        "label": label,
        "comment": comment,
        "domainKey": domain_key,
        "topicKey": topic_key,
        "metadata": metadata,
        "source": source,
        "agentSessionId": run.session_id,
        "createdAt": iso(now),
    });
    store::insert_feedback(tx.conn(), &run.tenant_id, &run.agent_id, &fb, now).await?;
    let payload = json!({
        "feedbackId": fb["id"], "label": fb["label"], "comment": fb["comment"], "topicKey": fb["topicKey"],
    });
    signals::record(tx.conn(), &run, "user_feedback", rating.map(|r| r as f64), payload).await?;
    idempotency::complete(tx.conn(), &idem, 201, &fb).await?;
    tx.commit().await?;
    Ok(Outcome::Created(fb))
}
