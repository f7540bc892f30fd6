//! `zaby webhooks …`: endpoints that receive the server's events, their secrets and
//! their deliveries (docs/webhooks.md).

use zaby::Zaby;
use zaby::types::{E134Query, WebhookDelivery, WebhookEndpoint, WebhookEndpointInput, WebhookEndpointUpdateInput};

use super::{agents, collect};
use crate::cli::{WebhookScope, WebhooksCmd};
use crate::error::CliResult;
use crate::output::{BOLD, GREEN, Out, RED, YELLOW, or_dash};

pub(crate) async fn run(z: &Zaby, cmd: WebhooksCmd, out: Out) -> CliResult {
    let hooks = z.webhooks();
    match cmd {
        WebhooksCmd::List => {
            let list = collect(hooks.iter(None)).await?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|w| vec![w.id.clone(), w.url.clone(), w.events.join(","), state(w), w.description.clone()])
                .collect();
            out.show(&list, |o| o.table(&["ID", "URL", "EVENTS", "STATE", "DESCRIPTION"], &rows));
        }
        WebhooksCmd::Create { url, events, scope, disabled } => {
            let (agent_ids, description) = resolve_scope(z, scope).await?;
            let input = WebhookEndpointInput {
                url,
                events,
                agent_ids,
                description,
                enabled: disabled.then_some(false),
                ..Default::default()
            };
            let w = hooks.create(input).await?;
            out.show(&w, |o| format!("{} webhook {}\n{}", o.paint(GREEN, "created"), w.id, with_secret(o, &w)));
        }
        WebhooksCmd::Get { webhook } => {
            let w = hooks.get(&webhook).await?;
            out.show(&w, |o| describe(o, &w));
        }
        WebhooksCmd::Update { webhook, url, events, scope, enable, disable } => {
            let (agent_ids, description) = resolve_scope(z, scope).await?;
            let enabled = match (enable, disable) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let input =
                WebhookEndpointUpdateInput { url, events, agent_ids, description, enabled, ..Default::default() };
            let w = hooks.update(&webhook, input).await?;
            out.show(&w, |o| format!("{} webhook {}\n{}", o.paint(GREEN, "updated"), w.id, describe(o, &w)));
        }
        WebhooksCmd::Delete { webhook } => {
            let deleted = hooks.delete(&webhook).await?;
            out.show(&deleted, |o| format!("{} webhook {}", o.paint(GREEN, "deleted"), deleted.id));
        }
        WebhooksCmd::RotateSecret { webhook } => {
            let w = hooks.rotate_secret(&webhook).await?;
            out.show(&w, |o| {
                let overlap = "the old secret still signs deliveries for 24 hours, beside the new one";
                format!("{} for webhook {} ({overlap})\n{}", o.paint(GREEN, "new secret"), w.id, with_secret(o, &w))
            });
        }
        WebhooksCmd::Deliveries { webhook, status } => {
            let list = collect(hooks.iter_deliveries(&webhook, E134Query { status, ..Default::default() })).await?;
            let rows: Vec<Vec<String>> = list.iter().map(delivery_row).collect();
            out.show(&list, |o| {
                o.table(
                    &["ID", "EVENT", "TYPE", "STATUS", "ATTEMPTS", "RESPONSE", "LAST ATTEMPT", "NEXT ATTEMPT"],
                    &rows,
                )
            });
        }
        WebhooksCmd::Redeliver { webhook, delivery } => {
            let d = hooks.redeliver(&webhook, &delivery).await?;
            out.show(&d, |o| {
                format!("{} delivery {} of {} ({})", o.paint(GREEN, "queued"), d.id, d.event_type, d.status)
            });
        }
    }
    Ok(())
}

/// The agent ids of `--agent` (ids or slugs; none: `None`, every agent) and the description.
async fn resolve_scope(z: &Zaby, scope: WebhookScope) -> CliResult<(Option<Vec<String>>, Option<String>)> {
    let mut ids = Vec::with_capacity(scope.agents.len());
    for agent in &scope.agents {
        ids.push(agents::find(z, agent).await?.id);
    }
    Ok((Some(ids).filter(|ids| !ids.is_empty()), scope.description))
}

/// `enabled`, `disabled`, or the reason the server disabled it.
fn state(w: &WebhookEndpoint) -> String {
    match (&w.disabled_reason, w.enabled) {
        (Some(reason), _) => format!("disabled: {reason}"),
        (None, true) => "enabled".to_owned(),
        (None, false) => "disabled".to_owned(),
    }
}

fn describe(out: &Out, w: &WebhookEndpoint) -> String {
    let agents = if w.agent_ids.is_empty() { "every agent".to_owned() } else { w.agent_ids.join(", ") };
    let state = state(w);
    let lines = [
        format!("{} {}", out.paint(BOLD, "webhook"), w.id),
        format!("  url          {}", w.url),
        format!("  events       {}", w.events.join(", ")),
        format!("  agents       {agents}"),
        format!("  state        {}", out.paint(if w.enabled { GREEN } else { RED }, &state)),
        format!("  description  {}", or_dash(Some(&w.description).filter(|d| !d.is_empty()))),
        format!("  created      {}", w.created_at),
        format!("  updated      {}", w.updated_at),
    ];
    lines.join("\n")
}

/// The endpoint and its secret, with the warning that this is the only time it is shown.
fn with_secret(out: &Out, w: &WebhookEndpoint) -> String {
    let secret = w.secret.as_deref().unwrap_or("-");
    format!(
        "{}\n  secret       {secret}\n{}",
        describe(out, w),
        out.paint(YELLOW, "Store the secret now: it will not be shown again.")
    )
}

fn delivery_row(d: &WebhookDelivery) -> Vec<String> {
    vec![
        d.id.clone(),
        d.event_id.clone(),
        d.event_type.to_string(),
        d.status.to_string(),
        d.attempts.to_string(),
        or_dash(d.response_status),
        or_dash(d.last_attempt_at.as_deref()),
        or_dash(d.next_attempt_at.as_deref()),
    ]
}
