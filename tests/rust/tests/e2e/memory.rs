//! Memory: candidates proposed by runs with an end user, reviewed into items that
//! later runs use (E85–E92).

use std::sync::Arc;

use futures::StreamExt;
use zaby::types::{
    ApproveMemoryCandidateInput, BindDeploymentInput, DeleteMemoryItemInput, DisableMemoryItemInput, E85Query,
    E90Query, MemoryKind, MemoryRetrieveInput, RejectMemoryCandidateInput, RunStartInput, RunStartStatus,
};

use crate::support::{Ctx, app_token, deployed_agent, eventually, expect_err};

/// A run input: the plain text of the end user.
fn says(text: &str) -> RunStartInput {
    RunStartInput { input: text.into(), ..Default::default() }
}

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let dep = deployed_agent(&ctx, "memo").await?;
    let user = ctx.slug("mia");
    let rt =
        ctx.runtime(&app_token(&ctx, &dep.deployment_id, BindDeploymentInput::default(), &user).await?.token.token);
    let of_user = E90Query { external_user_id: Some(user.clone()), ..Default::default() };

    // A completed run with an end user proposes what it was told to remember.
    let run = rt.runs().start(says("remember that my favourite colour is green")).await?;
    assert_eq!(run.status, RunStartStatus::Completed);
    // The candidate whose text starts with `content` (the sentence's end mark may stay).
    let wanted = |content: &'static str| {
        let of_user = of_user.clone();
        move || {
            let of_user = of_user.clone();
            async move {
                let list = z.memory().list_candidates(of_user).await?;
                Ok(list.items.into_iter().find(|c| c.content.starts_with(content)))
            }
        }
    };
    // E90
    let candidate = eventually("a memory candidate", wanted("my favourite colour is green")).await;
    assert_eq!((candidate.status.as_deref(), candidate.kind), (Some("PENDING"), Some(MemoryKind::Fact)));
    assert_eq!(
        (candidate.run_id.as_deref(), candidate.agent_id.as_deref()),
        (Some(run.run_id.as_str()), Some(dep.agent_id.as_str()))
    );
    let mut iter = z.memory().iter_candidates(E90Query { agent_id: Some(dep.agent_id.clone()), ..Default::default() });
    assert_eq!(iter.next().await.expect("the candidate")?.id, candidate.id);

    // E91: approved with edited text, it becomes an ACTIVE item (E86); twice is refused.
    let edit = ApproveMemoryCandidateInput {
        reviewed_by: Some("support".into()),
        content: Some("Favourite colour: green".into()),
        ..Default::default()
    };
    let approved = z.memory().approve_candidate(&candidate.id, edit).await?;
    assert_eq!((approved.status.as_deref(), approved.reviewed_by.as_deref()), (Some("APPROVED"), Some("support")));
    let item_id = approved.memory_item_id.expect("the approved candidate's item");
    let item = z.memory().get_item(&item_id).await?;
    assert_eq!((item.content.as_str(), item.status.as_deref()), ("Favourite colour: green", Some("ACTIVE")));
    assert_eq!(item.external_user_id, Some(user.clone()));
    let twice = expect_err(z.memory().approve_candidate(&candidate.id, None), 409, "CANDIDATE_ALREADY_REVIEWED").await;
    assert!(twice.is("ZabyConflictError"));

    // E85: listed for the user; E89: retrieved by meaning of the words.
    let listed = z.memory().list_items(E85Query { external_user_id: Some(user.clone()), ..Default::default() }).await?;
    assert_eq!((listed.total, listed.items[0].id.as_str()), (Some(1), item_id.as_str()));
    let mut iter = z.memory().iter_items(E85Query { agent_id: Some(dep.agent_id.clone()), ..Default::default() });
    assert_eq!(iter.next().await.expect("the item")?.id, item_id);
    let colour = MemoryRetrieveInput {
        query: "favourite colour".into(),
        external_user_id: Some(user.clone()),
        ..Default::default()
    };
    let found = z.memory().retrieve(colour.clone()).await?;
    assert_eq!(found.items[0].id, item_id);
    assert!(found.items[0].score > 0.0);

    // A later run of the same user answers from memory.
    let later = rt.runs().start(says("what is my favourite colour?")).await?;
    assert_eq!(later.final_output.as_deref(), Some("From memory: Favourite colour: green"));

    // E92: another candidate, rejected.
    rt.runs().start(says("I like long walks.")).await?;
    let walks = eventually("a second candidate", wanted("I like long walks")).await;
    assert_eq!(walks.kind, Some(MemoryKind::Preference));
    let not_useful = RejectMemoryCandidateInput { reason: Some("not useful".into()), ..Default::default() };
    let rejected = z.memory().reject_candidate(&walks.id, not_useful).await?;
    assert_eq!((rejected.status.as_deref(), rejected.reason.as_deref()), (Some("REJECTED"), Some("not useful")));
    let open = z.memory().list_candidates(of_user).await?;
    assert_eq!(open.total, Some(0), "no PENDING candidate is left: {open:?}");

    // E87: disabled (idempotently), the item leaves retrieval; E88 deletes it for good.
    let stale = DisableMemoryItemInput { reason: Some("stale".into()), ..Default::default() };
    let disabled = z.memory().disable_item(&item_id, stale).await?;
    assert_eq!((disabled.status.as_deref(), disabled.disable_reason.as_deref()), (Some("DISABLED"), Some("stale")));
    assert_eq!(z.memory().disable_item(&item_id, None).await?.disabled_at, disabled.disabled_at);
    let found = z.memory().retrieve(colour).await?;
    assert!(found.items.is_empty(), "{found:?}");
    let asked = DeleteMemoryItemInput { reason: Some("user asked".into()), ..Default::default() };
    let deleted = z.memory().delete_item(&item_id, asked).await?;
    assert_eq!((deleted.id.as_str(), deleted.deleted, deleted.extra.len()), (item_id.as_str(), true, 0));
    let gone = expect_err(z.memory().get_item(&item_id), 404, "NOT_FOUND").await;
    assert!(gone.is("ZabyNotFoundError"));
    let after = rt.runs().start(says("what is my favourite colour?")).await?;
    assert_eq!(after.final_output.as_deref(), Some("You said: what is my favourite colour?"));
    Ok(())
}
