//! Stored rows the wire tests render, one sample of each, shared by the tests of the
//! families whose answers embed them (an agent's deployments, a provisioning's apps and
//! policies, a usage report's quota windows).

use serde_json::{Value, json};

use crate::storage::apps::AppRow;
use crate::storage::deployments::DeploymentRow;
use crate::storage::policies::PolicyRow;

/// An ACTIVE TEST deployment `d-1` of agent `a-1`, version `v-1`.
pub(super) fn deployment_row() -> DeploymentRow {
    DeploymentRow {
        id: "d-1".into(),
        tenant_id: "t".into(),
        agent_id: "a-1".into(),
        agent_version_id: "v-1".into(),
        environment: "TEST".into(),
        status: "ACTIVE".into(),
        metadata: json!({"k": 1}),
        error: None,
        activate_after: 0,
        superseded_by: None,
        activated_at: Some(2),
        created_at: 0,
        updated_at: 1,
    }
}

/// The ACTIVE policy `p-1` "Default" of app `app-1` on `d-1`, its settings in `doc`.
pub(super) fn policy_row(doc: Value) -> PolicyRow {
    let doc = serde_json::from_value(doc).expect("a stored policy document");
    PolicyRow {
        id: "p-1".into(),
        tenant_id: "t".into(),
        external_app_id: "app-1".into(),
        deployment_id: "d-1".into(),
        name: "Default".into(),
        status: "ACTIVE".into(),
        doc,
        created_at: 0,
        updated_at: 1,
    }
}

/// The ACTIVE external app `app-1` "Shop", its other members in `doc` (its stored form).
pub(super) fn app_row(doc: Value) -> AppRow {
    let doc = serde_json::from_value(doc).expect("a stored app document");
    AppRow {
        id: "app-1".into(),
        tenant_id: "t".into(),
        slug: "shop".into(),
        name: "Shop".into(),
        agent_id: None,
        status: "ACTIVE".into(),
        doc,
        created_at: 0,
        updated_at: 1,
    }
}
