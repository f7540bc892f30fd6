//! Webhook endpoints and their deliveries: E128–E135.

use std::sync::Arc;

use zaby::types::{E134Query, WebhookDeliveryStatus, WebhookEndpointInput, WebhookEndpointUpdateInput};

use crate::support::{Ctx, expect_err};

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;

    // E128: the secret is shown once, here. A URL that is neither https nor loopback is refused.
    let input = WebhookEndpointInput {
        url: "http://127.0.0.1:9/zaby-hooks".into(),
        events: vec!["run.completed".into(), "run.failed".into()],
        description: Some("e2e".into()),
        ..Default::default()
    };
    let created = z.webhooks().create(input).await?;
    let secret = created.secret.clone().expect("the secret is shown at creation");
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(created.enabled && created.disabled_reason.is_none());
    let id = created.id.clone();
    let plain = WebhookEndpointInput {
        url: "http://hooks.example.com/x".into(),
        events: vec!["*".into()],
        ..Default::default()
    };
    let refused = expect_err(z.webhooks().create(plain), 422, "VALIDATION_ERROR").await;
    assert!(refused.message().contains("url"), "{refused}");

    // E129, E130: listed and read, never with the secret.
    let page = z.webhooks().list(None).await?;
    let listed = page.items.iter().find(|w| w.id == id).expect("the new endpoint is listed");
    assert!(listed.secret.is_none());
    let read = z.webhooks().get(&id).await?;
    assert_eq!((read.url.as_str(), read.secret.as_deref()), ("http://127.0.0.1:9/zaby-hooks", None));

    // E131: only what is sent changes.
    let update = WebhookEndpointUpdateInput { enabled: Some(false), ..Default::default() };
    let updated = z.webhooks().update(&id, update).await?;
    assert_eq!((updated.enabled, updated.description.as_str()), (false, "e2e"));

    // E133: a new secret, shown once.
    let rotated = z.webhooks().rotate_secret(&id).await?;
    let new_secret = rotated.secret.expect("the new secret is shown by the rotation");
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);

    // E134: no event happened for this endpoint; E135 of an unknown delivery is 404.
    let query = E134Query { status: Some(WebhookDeliveryStatus::Pending), ..Default::default() };
    let deliveries = z.webhooks().list_deliveries(&id, Some(query)).await?;
    assert!(deliveries.items.is_empty());
    expect_err(z.webhooks().redeliver(&id, "no-such-delivery"), 404, "NOT_FOUND").await;

    // E132: gone afterwards.
    let deleted = z.webhooks().delete(&id).await?;
    assert!(deleted.deleted);
    expect_err(z.webhooks().get(&id), 404, "NOT_FOUND").await;
    Ok(())
}
