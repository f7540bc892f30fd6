//! The one place that maps endpoint ids (the SDK's table) to handlers.
//!
//! Endpoints whose behaviour belongs to later issues answer 501 `NOT_IMPLEMENTED`
//! after their credential is checked; replace the `_` arm per endpoint as the
//! runs, approvals, usage, knowledge, MCP, memory and intelligence domains land.

use axum::routing::{MethodFilter, MethodRouter, on};
use zaby::endpoints::{Auth, Endpoint, HttpMethod};

use super::auth::{Authed, RuntimeAuthed};
use super::handlers::{agents, knowledge, managed, memory, mcp, runs, system};
use crate::error::ApiError;
use crate::services::SharedCtx;

fn filter(m: HttpMethod) -> MethodFilter {
    match m {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Patch => MethodFilter::PATCH,
        HttpMethod::Delete => MethodFilter::DELETE,
    }
}

/// The handler of one endpoint, on the endpoint's own method.
pub fn handler(ep: &'static Endpoint) -> MethodRouter<SharedCtx> {
    let m = filter(ep.method);
    match ep.id {
        "E1" => on(m, system::health),
        "E2" | "E99" => on(m, agents::create),
        "E3" | "E98" => on(m, agents::list),
        "E4" | "E100" => on(m, agents::get),
        "E5" | "E101" => on(m, agents::update),
        "E6" | "E102" => on(m, agents::delete),
        "E7" | "E103" => on(m, agents::publish),
        "E8" | "E104" => on(m, agents::deploy),
        "E9" | "E114" => on(m, agents::attach_mcp_tool),
        "E10" | "E115" => on(m, agents::attach_knowledge_base),
        "E11" | "E116" => on(m, agents::attach_skill),
        "E14" | "E118" => on(m, agents::playground_token),
        "E15" => on(m, agents::playground_token_default),
        "E19" | "E113" => on(m, agents::provisioning),
        "E20" => on(m, managed::list_apps),
        "E21" => on(m, managed::create_app),
        "E22" => on(m, managed::get_app),
        "E23" => on(m, managed::update_app),
        "E24" => on(m, managed::bind),
        "E25" => on(m, managed::mint),
        "E26" => on(m, managed::rotate_by_unique_id),
        "E27" => on(m, managed::rotate),
        "E29" => on(m, managed::list_families),
        "E30" => on(m, managed::revoke_family),
        "E31" => on(m, managed::list_policies),
        "E32" => on(m, managed::create_policy),
        "E33" => on(m, managed::get_policy),
        "E34" => on(m, managed::update_policy),
        "E35" => on(m, managed::revoke_grant),
        "E36" => on(m, managed::usage),
        "E105" => on(m, agents::redeploy),
        "E117" => on(m, agents::list_external_apps),
        "E12" | "E106" => on(m, runs::test_run),
        "E13" | "E107" => on(m, runs::start_run),
        "E16" | "E109" => on(m, runs::progress),
        "E17" | "E110" => on(m, runs::events),
        "E18" => on(m, runs::cancel),
        "E28" => on(m, runs::feedback),
        "E37" => on(m, runs::list_approvals),
        "E38" | "E111" => on(m, runs::approve),
        "E39" | "E112" => on(m, runs::reject),
        "E40" => on(m, runs::usage),
        "E108" => on(m, runs::list_runs),
        "E119" => on(m, runs::runtime_start),
        "E120" => on(m, runs::runtime_events),
        "E121" => on(m, runs::stream),
        "E122" => on(m, runs::runtime_cancel),
        "E123" => on(m, runs::runtime_approve),
        "E124" => on(m, runs::runtime_reject),
        "E125" => on(m, runs::runtime_feedback),
        "E68" => on(m, mcp::catalog),
        "E69" => on(m, mcp::create_server),
        "E70" => on(m, mcp::get_server),
        "E71" => on(m, mcp::update_server),
        "E72" => on(m, mcp::discover_tools),
        "E73" => on(m, mcp::install),
        "E74" => on(m, mcp::list_installations),
        "E75" => on(m, mcp::update_installation),
        "E76" => on(m, mcp::revoke_installation),
        "E77" => on(m, mcp::installation_tools),
        "E78" => on(m, mcp::update_tool_policy),
        "E79" => on(m, mcp::preflight),
        "E80" => on(m, mcp::invoke),
        "E81" => on(m, mcp::create_binding),
        "E82" => on(m, mcp::delete_binding),
        "E83" => on(m, mcp::upsert_auth_policy),
        "E84" => on(m, mcp::grant_access),
        "E41" => on(m, knowledge::create),
        "E42" => on(m, knowledge::upload_text),
        "E43" => on(m, knowledge::create_library_text),
        "E44" => on(m, knowledge::list_library),
        "E45" => on(m, knowledge::list_findings),
        "E46" => on(m, knowledge::link_library),
        "E47" => on(m, knowledge::project),
        "E48" => on(m, knowledge::retrieve),
        "E49" => on(m, knowledge::provisional_answer),
        "E50" => on(m, knowledge::list_groups),
        "E51" => on(m, knowledge::create_group),
        "E52" => on(m, knowledge::update_group),
        "E53" => on(m, knowledge::list_sources),
        "E54" => on(m, knowledge::create_source),
        "E55" => on(m, knowledge::update_source),
        "E56" => on(m, knowledge::reprocess_source),
        "E57" => on(m, knowledge::link_credential),
        "E58" => on(m, knowledge::list_policies),
        "E59" => on(m, knowledge::create_policy),
        "E60" => on(m, knowledge::update_policy),
        "E61" => on(m, knowledge::upsert_governance),
        "E62" => on(m, knowledge::list_profiles),
        "E63" => on(m, knowledge::create_profile),
        "E64" => on(m, knowledge::update_profile),
        "E65" => on(m, knowledge::list_jobs),
        "E66" => on(m, knowledge::get_job),
        "E67" => on(m, knowledge::cancel_job),
        "E85" => on(m, memory::list_items),
        "E86" => on(m, memory::get_item),
        "E87" => on(m, memory::disable_item),
        "E88" => on(m, memory::delete_item),
        "E89" => on(m, memory::retrieve),
        "E90" => on(m, memory::list_candidates),
        "E91" => on(m, memory::approve_candidate),
        "E92" => on(m, memory::reject_candidate),
        _ => not_implemented(ep, m),
    }
}

/// Checks the endpoint's credential, then answers 501 naming the endpoint.
fn not_implemented(ep: &'static Endpoint, m: MethodFilter) -> MethodRouter<SharedCtx> {
    let id = ep.id;
    match ep.auth {
        Auth::Runtime => on(m, move |_: RuntimeAuthed| async move { Err::<(), _>(ApiError::not_implemented(id)) }),
        Auth::ApiKey | Auth::Tenant => {
            on(m, move |_: Authed| async move { Err::<(), _>(ApiError::not_implemented(id)) })
        }
        Auth::None => on(m, move || async move { Err::<(), _>(ApiError::not_implemented(id)) }),
    }
}
