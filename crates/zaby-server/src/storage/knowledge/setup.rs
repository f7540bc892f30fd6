//! Sources, source groups, ingestion policies, profiles and the governance policy of a
//! knowledge base.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::FromRow;
use zaby::types::IngestionPolicyStatus;
use zaby_knowledge::{FieldError, ProfileConfig};

use crate::args;
use crate::storage::columns::stored_document;
use crate::storage::page::{Page, PageRequest, fetch_page};
use crate::storage::sql::{Arg, Conn, DbResult, Filter, all_as, exec, one_as, scalar_i64};

/// The shape shared by source groups, sources, ingestion policies and profiles: a
/// few filterable columns plus the rest as the kind's own document `D`.
#[derive(Debug, Clone, FromRow)]
pub struct ItemRow<D> {
    pub id: String,
    pub tenant_id: String,
    pub kb_id: String,
    /// `status` (groups, sources, policies) or `is_default` as "1"/"0" (profiles).
    pub status: String,
    /// `source_group_id` (sources) or `source_id` (policies).
    #[sqlx(default)]
    pub link: Option<String>,
    /// `type` (sources) or `schedule` (policies).
    #[sqlx(default)]
    pub extra: Option<String>,
    /// Policies: the time up to which due times were considered.
    #[sqlx(default)]
    pub checked_until: i64,
    pub doc: D,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The document of one kind of item: the members without a column, stored as the
/// JSON object `doc` by their wire names. A member added later takes
/// `#[serde(default)]`, so the rows written before it still read.
pub trait ItemDoc:
    Serialize + DeserializeOwned + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin
{
    /// The table the documents of this type live in.
    const KIND: Kind;
    /// The document bound as its JSON text.
    fn arg(&self) -> Arg;
}

/// Declares a document type of an item kind (see [`ItemDoc`]).
macro_rules! item_doc {
    ($doc:ty, $kind:expr) => {
        stored_document!($doc);

        impl ItemDoc for $doc {
            const KIND: Kind = $kind;
            fn arg(&self) -> Arg {
                Arg::from(self)
            }
        }
    };
}

/// A source group's document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupDoc {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub source_type: String,
    #[serde(default)]
    pub sync_mode: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

impl Default for GroupDoc {
    /// A new group: `docs/api/knowledge-bases.md` gives MANUAL_UPLOAD and MANUAL.
    fn default() -> Self {
        GroupDoc {
            name: String::new(),
            source_type: "MANUAL_UPLOAD".into(),
            sync_mode: "MANUAL".into(),
            description: None,
            metadata: Map::new(),
        }
    }
}

item_doc!(GroupDoc, Kind::SourceGroup);

/// A source's document; its type and group have columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceDoc {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub config: Map<String, Value>,
    #[serde(default)]
    pub credential_id: Option<String>,
    /// Epoch milliseconds of the last completed sync.
    #[serde(default)]
    pub last_synced_at: Option<i64>,
    #[serde(default)]
    pub last_job_id: Option<String>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

item_doc!(SourceDoc, Kind::Source);

/// An ingestion policy's document; its source and schedule have columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDoc {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub source_group_id: Option<String>,
    #[serde(default)]
    pub config: Map<String, Value>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

item_doc!(PolicyDoc, Kind::Policy);

/// A profile's document; whether it is the default has a column.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileDoc {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Checked by [`ProfileConfig`] when saved.
    #[serde(default)]
    pub config: Map<String, Value>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

item_doc!(ProfileDoc, Kind::Profile);

impl ProfileDoc {
    pub fn profile_config(&self) -> Result<ProfileConfig, FieldError> {
        ProfileConfig::from_json(&Value::Object(self.config.clone()))
    }
}

/// Which table an [`ItemRow`] lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SourceGroup,
    Source,
    Policy,
    Profile,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::SourceGroup => "kb_source_groups",
            Kind::Source => "kb_sources",
            Kind::Policy => "kb_ingestion_policies",
            Kind::Profile => "kb_profiles",
        }
    }
    fn status_col(self) -> &'static str {
        if self == Kind::Profile { "is_default" } else { "status" }
    }
    fn link_col(self) -> Option<&'static str> {
        match self {
            Kind::Source => Some("source_group_id"),
            Kind::Policy => Some("source_id"),
            _ => None,
        }
    }
    fn extra_col(self) -> Option<&'static str> {
        match self {
            Kind::Source => Some("type"),
            Kind::Policy => Some("schedule"),
            _ => None,
        }
    }

    /// The table as [`ItemRow`] reads it: every column, plus this kind's own columns
    /// under the shared names `status`, `link` and `extra`.
    fn relation(self) -> String {
        let mut aliases = String::new();
        if self == Kind::Profile {
            aliases.push_str(", CASE WHEN is_default = 0 THEN '0' ELSE '1' END AS status");
        }
        if let Some(c) = self.link_col() {
            aliases.push_str(&format!(", {c} AS link"));
        }
        if let Some(c) = self.extra_col() {
            aliases.push_str(&format!(", {c} AS extra"));
        }
        format!("(SELECT *{aliases} FROM {}) AS items", self.table())
    }
}

fn status_arg(kind: Kind, status: &str) -> Arg {
    if kind == Kind::Profile { Arg::from(status == "1") } else { Arg::from(status) }
}

pub async fn insert_item<D: ItemDoc>(conn: &mut Conn, r: &ItemRow<D>) -> DbResult<()> {
    let kind = D::KIND;
    let mut cols = vec!["id", "tenant_id", "kb_id", kind.status_col(), "doc", "created_at", "updated_at"];
    let mut vals: Vec<Arg> = args![&r.id, &r.tenant_id, &r.kb_id];
    vals.push(status_arg(kind, &r.status));
    vals.extend([r.doc.arg(), Arg::from(r.created_at), Arg::from(r.updated_at)]);
    if let Some(c) = kind.link_col() {
        cols.push(c);
        vals.push(Arg::from(&r.link));
    }
    if let Some(c) = kind.extra_col() {
        cols.push(c);
        vals.push(Arg::from(&r.extra));
    }
    if kind == Kind::Policy {
        cols.push("checked_until");
        vals.push(Arg::from(r.checked_until));
    }
    let ps: Vec<String> = (1..=vals.len()).map(|i| format!("${i}")).collect();
    exec(conn, &format!("INSERT INTO {} ({}) VALUES ({})", kind.table(), cols.join(", "), ps.join(", ")), vals).await?;
    Ok(())
}

pub async fn update_item<D: ItemDoc>(conn: &mut Conn, r: &ItemRow<D>) -> DbResult<()> {
    let kind = D::KIND;
    let mut sets = vec![format!("{} = $2", kind.status_col()), "doc = $3".to_string(), "updated_at = $4".to_string()];
    let mut vals: Vec<Arg> = args![&r.id];
    vals.push(status_arg(kind, &r.status));
    vals.extend([r.doc.arg(), Arg::from(r.updated_at)]);
    if let Some(c) = kind.link_col() {
        vals.push(Arg::from(&r.link));
        sets.push(format!("{c} = ${}", vals.len()));
    }
    if let Some(c) = kind.extra_col() {
        vals.push(Arg::from(&r.extra));
        sets.push(format!("{c} = ${}", vals.len()));
    }
    if kind == Kind::Policy {
        vals.push(Arg::from(r.checked_until));
        sets.push(format!("checked_until = ${}", vals.len()));
    }
    exec(conn, &format!("UPDATE {} SET {} WHERE id = $1", kind.table(), sets.join(", ")), vals).await?;
    Ok(())
}

pub async fn get_item<D: ItemDoc>(
    conn: &mut Conn,
    tenant_id: &str,
    kb_id: &str,
    id: &str,
) -> DbResult<Option<ItemRow<D>>> {
    one_as(
        conn,
        &format!("SELECT * FROM {} WHERE tenant_id = $1 AND kb_id = $2 AND id = $3", D::KIND.relation()),
        args![tenant_id, kb_id, id],
    )
    .await
}

/// Filters for listing: `(column, value)` equalities.
pub async fn list_items<D: ItemDoc>(
    conn: &mut Conn,
    tenant_id: &str,
    kb_id: &str,
    eqs: &[(&str, String)],
    page: &PageRequest,
) -> DbResult<Page<ItemRow<D>>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id).eq("kb_id", kb_id);
    for (c, v) in eqs {
        f.eq(c, v.as_str());
    }
    fetch_page(conn, &D::KIND.relation(), &f, page).await
}

/// Every item of a knowledge base matching the equalities, oldest first.
pub async fn all_items<D: ItemDoc>(conn: &mut Conn, kb_id: &str, eqs: &[(&str, String)]) -> DbResult<Vec<ItemRow<D>>> {
    let mut f = Filter::new();
    f.eq("kb_id", kb_id);
    for (c, v) in eqs {
        f.eq(c, v.as_str());
    }
    all_as(conn, &format!("SELECT * FROM {} WHERE {} ORDER BY created_at, id", D::KIND.relation(), f.sql()), f.args)
        .await
}

pub async fn count_group_sources(conn: &mut Conn, group_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM kb_sources WHERE source_group_id = $1", args![group_id]).await
}

/// The default profile of a knowledge base.
pub async fn default_profile(conn: &mut Conn, kb_id: &str) -> DbResult<Option<ItemRow<ProfileDoc>>> {
    one_as(
        conn,
        &format!(
            "SELECT * FROM {} WHERE kb_id = $1 AND is_default = 1 ORDER BY updated_at DESC, id LIMIT 1",
            Kind::Profile.relation()
        ),
        args![kb_id],
    )
    .await
}

pub async fn clear_default_profiles(conn: &mut Conn, kb_id: &str, except: &str, now: i64) -> DbResult<()> {
    exec(
        conn,
        "UPDATE kb_profiles SET is_default = 0, updated_at = $3 WHERE kb_id = $1 AND id <> $2 AND is_default = 1",
        args![kb_id, except, now],
    )
    .await?;
    Ok(())
}

/// ACTIVE ingestion policies with a schedule, across tenants (the scheduler).
pub async fn scheduled_policies(conn: &mut Conn) -> DbResult<Vec<ItemRow<PolicyDoc>>> {
    all_as(
        conn,
        &format!(
            "SELECT * FROM {} WHERE status = $1 AND schedule IS NOT NULL ORDER BY created_at, id",
            Kind::Policy.relation()
        ),
        args![IngestionPolicyStatus::Active.as_str()],
    )
    .await
}

/// Advances a policy's `checked_until` from `from` to `to`; `false` when another
/// replica moved it first (so each due time fires once).
pub async fn advance_policy(conn: &mut Conn, id: &str, from: i64, to: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE kb_ingestion_policies SET checked_until = $3 WHERE id = $1 AND checked_until = $2",
        args![id, from, to],
    )
    .await?
        > 0)
}

#[derive(Debug, Clone, FromRow)]
pub struct GovernanceRow {
    pub id: String,
    pub kb_id: String,
    pub version: i64,
    pub doc: GovernanceDoc,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The governance policy's members, stored and versioned, not interpreted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GovernanceDoc {
    #[serde(default)]
    pub rules: Vec<Map<String, Value>>,
    #[serde(default)]
    pub settings: Map<String, Value>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

stored_document!(GovernanceDoc);

pub async fn get_governance(conn: &mut Conn, kb_id: &str) -> DbResult<Option<GovernanceRow>> {
    one_as(conn, "SELECT * FROM kb_governance_policies WHERE kb_id = $1", args![kb_id]).await
}

pub async fn save_governance(conn: &mut Conn, tenant_id: &str, g: &GovernanceRow, insert: bool) -> DbResult<()> {
    if insert {
        exec(
            conn,
            "INSERT INTO kb_governance_policies (id, tenant_id, kb_id, version, doc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![&g.id, tenant_id, &g.kb_id, g.version, &g.doc, g.created_at, g.updated_at],
        )
        .await?;
    } else {
        exec(
            conn,
            "UPDATE kb_governance_policies SET version = $2, doc = $3, updated_at = $4 WHERE id = $1",
            args![&g.id, g.version, &g.doc, g.updated_at],
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `doc` read as `D`, and the document `D` writes back.
    fn round_trip<D: ItemDoc>(old: &Value) -> (D, Value) {
        let doc: D = serde_json::from_value(old.clone()).unwrap();
        let back = serde_json::to_value(&doc).unwrap();
        (doc, back)
    }

    #[test]
    fn old_item_documents_read_and_are_written_back_unchanged() {
        // As the server wrote them before the typed documents (defaults, then members set).
        let old = json!({"sourceType": "MANUAL_UPLOAD", "syncMode": "MANUAL", "description": null, "metadata": {}, "name": "G"});
        let (group, back) = round_trip::<GroupDoc>(&old);
        assert_eq!((group.name.as_str(), group.sync_mode.as_str()), ("G", "MANUAL"));
        assert_eq!(back, old);
        let old = json!({
            "config": {"url": "https://x"}, "credentialId": "c-1", "lastSyncedAt": 5, "lastJobId": "j-1",
            "metadata": {}, "name": "S",
        });
        let (source, back) = round_trip::<SourceDoc>(&old);
        assert_eq!((source.last_synced_at, source.last_job_id.as_deref()), (Some(5), Some("j-1")));
        assert_eq!(back, old);
        let old = json!({"sourceGroupId": "g-1", "config": {}, "metadata": {"k": 1}, "name": "P"});
        let (policy, back) = round_trip::<PolicyDoc>(&old);
        assert_eq!(policy.source_group_id.as_deref(), Some("g-1"));
        assert_eq!(back, old);
        let old = json!({"description": null, "config": {"chunkSize": 200}, "metadata": {}, "name": "Default"});
        let (profile, back) = round_trip::<ProfileDoc>(&old);
        assert_eq!(profile.profile_config().unwrap().chunk_size, 200);
        assert_eq!(back, old);
    }

    #[test]
    fn members_left_out_take_their_defaults() {
        let group: GroupDoc = serde_json::from_value(json!({"name": "G"})).unwrap();
        assert_eq!((group.source_type.as_str(), group.description), ("", None));
        assert_eq!(serde_json::from_value::<SourceDoc>(json!({})).unwrap(), SourceDoc::default());
        assert_eq!(serde_json::from_value::<GovernanceDoc>(json!({})).unwrap(), GovernanceDoc::default());
        let new = GroupDoc::default();
        assert_eq!((new.source_type.as_str(), new.sync_mode.as_str()), ("MANUAL_UPLOAD", "MANUAL"));
    }

    #[test]
    fn an_old_governance_document_reads_and_is_written_back_unchanged() {
        let old = json!({"rules": [{"deny": "pii"}], "settings": {"strict": true}, "metadata": {}});
        let doc: GovernanceDoc = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(doc.rules.len(), 1);
        assert_eq!(serde_json::to_value(&doc).unwrap(), old);
    }
}
