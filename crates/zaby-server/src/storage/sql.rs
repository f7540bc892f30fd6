//! Portable query helpers. Every statement is written once with `$1…$n` placeholders,
//! which both SQLite and PostgreSQL accept. On PostgreSQL it runs through sqlx's `Any`
//! driver; on SQLite in-process on the calling thread ([`super::sqlite_exec`]), with
//! the same rows and errors.

use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, FromRow, Row};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::DbKind;
use super::sqlite_exec;

pub use super::arg::{Arg, DbResult};

/// A connection of either database, as the queries see it.
pub struct Conn(pub(crate) Link);

pub(crate) enum Link {
    Sqlite(SqliteConn),
    Postgres(PoolConnection<Any>),
}

/// The process's SQLite write connection, behind the lock every write transaction
/// holds; `None` until opened, and after a failed `COMMIT`/`ROLLBACK` closed it.
pub(crate) type Writer = std::sync::Arc<Mutex<Option<Conn>>>;

/// Takes the process's SQLite write lock. A task that already holds it (a write
/// transaction open while the same task writes through a read connection) would
/// otherwise wait forever; after this long it gets an error instead, as a writer kept
/// out by another process does.
pub(crate) async fn lock_writer(writer: &Writer) -> DbResult<OwnedMutexGuard<Option<Conn>>> {
    const WAIT: std::time::Duration = std::time::Duration::from_secs(30);
    tokio::time::timeout(WAIT, writer.clone().lock_owned()).await.map_err(|_| sqlx::Error::PoolTimedOut)
}

pub(crate) struct SqliteConn {
    pub(crate) db: rusqlite::Connection,
    /// For a read connection: the write lock, taken around a statement that writes
    /// outside a transaction, so that it never waits in SQLite's busy handler (on
    /// this thread) for a transaction of this process. `None` for the writer itself.
    pub(crate) writer: Option<Writer>,
}

impl Conn {
    pub fn kind(&self) -> DbKind {
        match &self.0 {
            Link::Sqlite(_) => DbKind::Sqlite,
            Link::Postgres(_) => DbKind::Postgres,
        }
    }
}

/// `args![a, b, c]` builds a parameter list.
#[macro_export]
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$($crate::storage::sql::Arg::from($a)),*] };
}

/// SQL text here is only ever assembled from constants and `$n` placeholders;
/// values are always bound, never spliced.
fn build(sql: &str, args: Vec<Arg>) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            // sqlx-core 0.9.0's Any driver swaps the null kinds of REAL and DOUBLE
            // (`Option::<f64>::None` is declared to PostgreSQL as FLOAT4), so a
            // statement prepared with a null and later bound with a value fails with
            // "incorrect binary data format". A null f32 is declared as FLOAT8.
            Arg::Float(None) => q.bind(None::<f32>),
            Arg::Float(Some(v)) => q.bind(Some(v)),
        };
    }
    q
}

/// Runs a statement on SQLite: its rows (the first only when `first_only`) and the
/// rows it changed.
async fn sqlite(c: &mut SqliteConn, sql: &str, args: Vec<Arg>, first_only: bool) -> DbResult<(Vec<AnyRow>, u64)> {
    let lock = match &c.writer {
        Some(writer) if sqlite_exec::writes(&c.db, sql)? => Some(lock_writer(writer).await?),
        _ => None,
    };
    let out = sqlite_exec::run(&c.db, sql, &args, first_only);
    drop(lock);
    out
}

/// Runs a statement; returns the number of affected rows.
pub async fn exec(conn: &mut Conn, sql: &str, args: Vec<Arg>) -> DbResult<u64> {
    match &mut conn.0 {
        Link::Sqlite(c) => Ok(sqlite(c, sql, args, false).await?.1),
        Link::Postgres(c) => Ok(build(sql, args).execute(&mut **c).await?.rows_affected()),
    }
}

pub async fn all(conn: &mut Conn, sql: &str, args: Vec<Arg>) -> DbResult<Vec<AnyRow>> {
    match &mut conn.0 {
        Link::Sqlite(c) => Ok(sqlite(c, sql, args, false).await?.0),
        Link::Postgres(c) => build(sql, args).fetch_all(&mut **c).await,
    }
}

pub async fn one(conn: &mut Conn, sql: &str, args: Vec<Arg>) -> DbResult<Option<AnyRow>> {
    match &mut conn.0 {
        Link::Sqlite(c) => Ok(sqlite(c, sql, args, true).await?.0.pop()),
        Link::Postgres(c) => build(sql, args).fetch_optional(&mut **c).await,
    }
}

/// Every row of a query, decoded by its `FromRow` struct.
pub async fn all_as<T>(conn: &mut Conn, sql: &str, args: Vec<Arg>) -> DbResult<Vec<T>>
where
    T: for<'r> FromRow<'r, AnyRow>,
{
    all(conn, sql, args).await?.iter().map(T::from_row).collect()
}

/// The first row of a query, if any, decoded by its `FromRow` struct.
pub async fn one_as<T>(conn: &mut Conn, sql: &str, args: Vec<Arg>) -> DbResult<Option<T>>
where
    T: for<'r> FromRow<'r, AnyRow>,
{
    one(conn, sql, args).await?.as_ref().map(T::from_row).transpose()
}

/// A single integer (`COUNT(*)`, …).
pub async fn scalar_i64(conn: &mut Conn, sql: &str, args: Vec<Arg>) -> DbResult<i64> {
    let row = one(conn, sql, args).await?.ok_or(sqlx::Error::RowNotFound)?;
    Ok(row.try_get::<Option<i64>, _>(0)?.unwrap_or(0))
}

/// Typed access to a single column read outside a row struct (`SELECT id …`), with
/// errors instead of panics; whole rows are decoded by their `FromRow` structs.
pub trait RowExt {
    fn text(&self, col: &str) -> DbResult<String>;
    fn text_opt(&self, col: &str) -> DbResult<Option<String>>;
    fn int(&self, col: &str) -> DbResult<i64>;
    fn int_opt(&self, col: &str) -> DbResult<Option<i64>>;
}

impl RowExt for AnyRow {
    fn text(&self, col: &str) -> DbResult<String> {
        self.try_get::<String, _>(col)
    }
    fn text_opt(&self, col: &str) -> DbResult<Option<String>> {
        self.try_get::<Option<String>, _>(col)
    }
    fn int(&self, col: &str) -> DbResult<i64> {
        self.try_get::<i64, _>(col)
    }
    fn int_opt(&self, col: &str) -> DbResult<Option<i64>> {
        self.try_get::<Option<i64>, _>(col)
    }
}

/// A `WHERE` clause under construction; numbers placeholders as it goes.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    clauses: Vec<String>,
    pub args: Vec<Arg>,
}

impl Filter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter and returns its placeholder.
    pub fn bind(&mut self, a: impl Into<Arg>) -> String {
        self.args.push(a.into());
        format!("${}", self.args.len())
    }

    /// `column = value`.
    pub fn eq(&mut self, column: &str, value: impl Into<Arg>) -> &mut Self {
        let p = self.bind(value);
        self.clauses.push(format!("{column} = {p}"));
        self
    }

    /// A raw clause whose placeholders were made with [`Filter::bind`].
    pub fn clause(&mut self, clause: String) -> &mut Self {
        self.clauses.push(clause);
        self
    }

    pub fn sql(&self) -> String {
        if self.clauses.is_empty() { "1 = 1".to_string() } else { self.clauses.join(" AND ") }
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_pattern(needle: &str) -> String {
    let mut out = String::from("%");
    for ch in needle.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// [`lock_row`] for a caller that does not need to know whether the row exists (it
/// reads it next): under SQLite, whose write transaction already excludes every other
/// writer, nothing is sent.
pub async fn lock(conn: &mut Conn, table: &str, id: &str) -> DbResult<()> {
    if conn.kind() == DbKind::Sqlite {
        return Ok(());
    }
    lock_row(conn, table, id).await.map(|_| ())
}

/// Takes a row lock (PostgreSQL) by a no-op update; under SQLite the write
/// transaction already excludes other writers. Returns whether the row exists.
pub async fn lock_row(conn: &mut Conn, table: &str, id: &str) -> DbResult<bool> {
    let sql = format!("UPDATE {table} SET id = id WHERE id = $1");
    Ok(exec(conn, &sql, args![id]).await? > 0)
}

/// `$1, …, $n` and the bound ids, for `IN (…)` over up to 500 ids. The list is padded
/// (with its first id) to 8, 64 or 500 entries, so that a handful of statement shapes
/// are prepared and cached instead of one per length.
pub fn id_list(ids: &[String]) -> (String, Vec<Arg>) {
    let len = [8, 64, 500].into_iter().find(|n| *n >= ids.len()).unwrap_or(ids.len());
    let first = ids.first().cloned().unwrap_or_default();
    let args: Vec<Arg> =
        ids.iter().cloned().chain(std::iter::repeat(first)).take(len.max(ids.len())).map(Arg::from).collect();
    let placeholders: Vec<String> = (1..=args.len()).map(|i| format!("${i}")).collect();
    (placeholders.join(", "), args)
}
