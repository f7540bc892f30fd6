//! Sources, source groups, ingestion policies, profiles and the governance policy of a
//! knowledge base.

use serde_json::Value;
use sqlx::FromRow;

use crate::args;
use crate::storage::columns::Json;
use crate::storage::page::{Page, PageRequest, fetch_page};
use crate::storage::sql::{Arg, Conn, DbResult, Filter, all_as, exec, one_as, scalar_i64};

/// The shape shared by source groups, sources, ingestion policies and profiles:
/// a few filterable columns plus the rest as a JSON document.
#[derive(Debug, Clone, FromRow)]
pub struct ItemRow {
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
    #[sqlx(try_from = "Json")]
    pub doc: Value,
    pub created_at: i64,
    pub updated_at: i64,
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

pub async fn insert_item(conn: &mut Conn, kind: Kind, r: &ItemRow) -> DbResult<()> {
    let mut cols = vec!["id", "tenant_id", "kb_id", kind.status_col(), "doc", "created_at", "updated_at"];
    let mut vals: Vec<Arg> = args![&r.id, &r.tenant_id, &r.kb_id];
    vals.push(status_arg(kind, &r.status));
    vals.extend(args![&r.doc, r.created_at, r.updated_at]);
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

pub async fn update_item(conn: &mut Conn, kind: Kind, r: &ItemRow) -> DbResult<()> {
    let mut sets = vec![format!("{} = $2", kind.status_col()), "doc = $3".to_string(), "updated_at = $4".to_string()];
    let mut vals: Vec<Arg> = args![&r.id];
    vals.push(status_arg(kind, &r.status));
    vals.extend(args![&r.doc, r.updated_at]);
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

pub async fn get_item(
    conn: &mut Conn,
    kind: Kind,
    tenant_id: &str,
    kb_id: &str,
    id: &str,
) -> DbResult<Option<ItemRow>> {
    one_as(
        conn,
        &format!("SELECT * FROM {} WHERE tenant_id = $1 AND kb_id = $2 AND id = $3", kind.relation()),
        args![tenant_id, kb_id, id],
    )
    .await
}

/// Filters for listing: `(column, value)` equalities.
pub async fn list_items(
    conn: &mut Conn,
    kind: Kind,
    tenant_id: &str,
    kb_id: &str,
    eqs: &[(&str, String)],
    page: &PageRequest,
) -> DbResult<Page<ItemRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id).eq("kb_id", kb_id);
    for (c, v) in eqs {
        f.eq(c, v.as_str());
    }
    fetch_page(conn, &kind.relation(), &f, page).await
}

/// Every item of a knowledge base matching the equalities, oldest first.
pub async fn all_items(conn: &mut Conn, kind: Kind, kb_id: &str, eqs: &[(&str, String)]) -> DbResult<Vec<ItemRow>> {
    let mut f = Filter::new();
    f.eq("kb_id", kb_id);
    for (c, v) in eqs {
        f.eq(c, v.as_str());
    }
    all_as(conn, &format!("SELECT * FROM {} WHERE {} ORDER BY created_at, id", kind.relation(), f.sql()), f.args).await
}

pub async fn count_group_sources(conn: &mut Conn, group_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM kb_sources WHERE source_group_id = $1", args![group_id]).await
}

/// The default profile of a knowledge base.
pub async fn default_profile(conn: &mut Conn, kb_id: &str) -> DbResult<Option<ItemRow>> {
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
pub async fn scheduled_policies(conn: &mut Conn) -> DbResult<Vec<ItemRow>> {
    all_as(
        conn,
        &format!(
            "SELECT * FROM {} WHERE status = 'ACTIVE' AND schedule IS NOT NULL ORDER BY created_at, id",
            Kind::Policy.relation()
        ),
        vec![],
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
    #[sqlx(try_from = "Json")]
    pub doc: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

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
