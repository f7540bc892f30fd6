//! One statement on an in-process SQLite connection (`rusqlite`), run on the calling
//! thread: a statement on indexed tables takes microseconds, less than handing it to a
//! connection thread and back. What comes out looks exactly like sqlx's `Any` driver
//! over SQLite: rows as [`AnyRow`] with the value kinds that driver gives (so every
//! `FromRow` struct and [`super::sql::RowExt`] decode as before), errors as
//! [`sqlx::Error`] carrying SQLite's extended result code (so the unique-violation,
//! capacity-fault and retry checks read them as before).

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ffi};
use sqlx::any::{AnyRow, AnyTypeInfo, AnyTypeInfoKind, AnyValue};
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx_core::any::{AnyColumn, AnyValueKind};
use sqlx_core::ext::ustr::UStr;

use super::arg::{Arg, DbResult};

/// Prepared statements kept per connection: more than the server's distinct
/// statement shapes, so none is parsed twice.
pub(crate) const STATEMENT_CACHE: usize = 256;

/// The columns of a result: name → index, and each column.
type Shape = (Arc<sqlx_core::HashMap<UStr, usize>>, Vec<AnyColumn>);

/// Runs `sql` with `args` bound to its `$1…$n`; returns its rows (all of them, or the
/// first only when `first_only`) and the rows it changed.
pub(crate) fn run(conn: &Connection, sql: &str, args: &[Arg], first_only: bool) -> DbResult<(Vec<AnyRow>, u64)> {
    log(sql);
    let mut stmt = conn.prepare_cached(sql).map_err(error)?;
    bind(&mut stmt, args)?;
    let names: Vec<UStr> = stmt.column_names().into_iter().map(UStr::new).collect();
    let mut out = Vec::new();
    let mut rows = stmt.raw_query();
    // Built with the first row, then shared by every row of the result.
    let mut shape: Option<Shape> = None;
    while let Some(row) = rows.next().map_err(error)? {
        let mut values = Vec::with_capacity(names.len());
        for i in 0..names.len() {
            values.push(AnyValue { kind: value(row.get_ref(i).map_err(error)?, i)? });
        }
        let (column_names, columns) = shape.get_or_insert_with(|| columns_of(&names, &values));
        out.push(AnyRow { column_names: column_names.clone(), columns: columns.clone(), values });
        // A statement's changes are all made by its first step, so a `RETURNING`
        // read for its first row has done its work.
        if first_only {
            break;
        }
    }
    drop(rows);
    Ok((out, conn.changes()))
}

/// Whether `sql` may write: such a statement outside a transaction must first take
/// the process's write lock.
pub(crate) fn writes(conn: &Connection, sql: &str) -> DbResult<bool> {
    Ok(!conn.prepare_cached(sql).map_err(error)?.readonly())
}

/// Statements are logged like sqlx logs its own (`bench/server --count-statements`
/// counts them): the first four words as the summary.
fn log(sql: &str) {
    if tracing::enabled!(target: "zaby_server::sql", tracing::Level::DEBUG) {
        let mut summary = sql.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
        if summary != sql {
            summary.push_str(" …");
        }
        tracing::debug!(target: "zaby_server::sql", summary, statement = sql);
    }
}

/// SQLite numbers `$N` as named parameters in order of first appearance, so each
/// placeholder is bound by its name: `$N` takes `args[N - 1]`.
fn bind(stmt: &mut rusqlite::CachedStatement<'_>, args: &[Arg]) -> DbResult<()> {
    for i in 1..=stmt.parameter_count() {
        let name = stmt.parameter_name(i).unwrap_or("?");
        let arg =
            name.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()).and_then(|n| args.get(n.checked_sub(1)?));
        let Some(arg) = arg else {
            return Err(sqlx::Error::Protocol(format!(
                "parameter {name} of the statement has no value ({} bound)",
                args.len()
            )));
        };
        let bound = match arg {
            Arg::Int(v) => stmt.raw_bind_parameter(i, v),
            Arg::Text(v) => stmt.raw_bind_parameter(i, v),
            Arg::Float(v) => stmt.raw_bind_parameter(i, v),
        };
        bound.map_err(error)?;
    }
    Ok(())
}

/// The kinds sqlx's SQLite driver gives through `Any`: INTEGER as BIGINT, REAL as
/// DOUBLE, TEXT, BLOB, NULL.
fn value(v: ValueRef<'_>, column: usize) -> DbResult<AnyValueKind> {
    Ok(match v {
        ValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
        ValueRef::Integer(i) => AnyValueKind::BigInt(i),
        ValueRef::Real(f) => AnyValueKind::Double(f),
        ValueRef::Text(t) => AnyValueKind::Text(Arc::new(
            String::from_utf8(t.to_vec())
                .map_err(|e| sqlx::Error::ColumnDecode { index: column.to_string(), source: e.into() })?,
        )),
        ValueRef::Blob(b) => AnyValueKind::Blob(Arc::new(b.to_vec())),
    })
}

/// The name → index map (a later column of the same name wins, as in sqlx) and the
/// columns, typed by the first row's values (nothing here reads a column's type;
/// decoding goes by each value's kind).
fn columns_of(names: &[UStr], first: &[AnyValue]) -> Shape {
    let mut map = sqlx_core::HashMap::with_capacity(names.len());
    let mut columns = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        map.insert(name.clone(), i);
        let kind = match &first[i].kind {
            AnyValueKind::BigInt(_) => AnyTypeInfoKind::BigInt,
            AnyValueKind::Double(_) => AnyTypeInfoKind::Double,
            AnyValueKind::Text(_) => AnyTypeInfoKind::Text,
            AnyValueKind::Blob(_) => AnyTypeInfoKind::Blob,
            _ => AnyTypeInfoKind::Null,
        };
        columns.push(AnyColumn { ordinal: i, name: name.clone(), type_info: AnyTypeInfo { kind } });
    }
    (Arc::new(map), columns)
}

/// A `rusqlite` error as sqlx reports the same failure: a database error with
/// SQLite's extended code, or a driver error for a misuse of the API.
pub(crate) fn error(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => sqlx::Error::Database(Box::new(SqliteError {
            code: code.extended_code,
            message: message.unwrap_or_else(|| code.to_string()),
        })),
        other => sqlx::Error::AnyDriverError(Box::new(other)),
    }
}

/// Whether `e` is SQLite's BUSY: another process holds the lock asked for.
pub(crate) fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c.parse::<i32>().is_ok_and(|c| c & 0xff == ffi::SQLITE_BUSY))
}

/// What sqlx's SQLite driver reports: the extended result code and SQLite's message.
#[derive(Debug)]
pub(crate) struct SqliteError {
    code: i32,
    message: String,
}

impl fmt::Display for SqliteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The code is part of it: some messages are ambiguous ("database is locked").
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl StdError for SqliteError {}

impl DatabaseError for SqliteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn StdError + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => ErrorKind::UniqueViolation,
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Row;
    use sqlx::error::ErrorKind;

    use super::*;
    use crate::args;

    fn failure(db: &Connection, sql: &str, args: &[Arg]) -> sqlx::Error {
        match run(db, sql, args, false) {
            Err(e) => e,
            Ok(_) => panic!("{sql} succeeded"),
        }
    }

    fn memory() -> Connection {
        let db = Connection::open_in_memory().unwrap();
        run(&db, "CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, x REAL, b BLOB)", &[], false).unwrap();
        db
    }

    #[test]
    fn placeholders_bind_by_number_whatever_their_order() {
        let db = memory();
        // `$2` appears first, so SQLite numbers it 1: binding by position would swap them.
        let a_and_7 = args!["a", 7_i64];
        run(&db, "INSERT INTO t (n, id) VALUES ($2, $1)", &a_and_7, false).unwrap();
        let (rows, _) = run(&db, "SELECT id, n FROM t WHERE n = $2 AND id = $1 AND $2 > 0", &a_and_7, false).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get::<String, _>("id"), "a");
        assert_eq!(rows[0].get::<i64, _>("n"), 7);
    }

    #[test]
    fn a_placeholder_without_a_value_is_an_error() {
        let err = failure(&memory(), "SELECT $3", &[Arg::Int(Some(1))]);
        assert!(err.to_string().contains("$3"), "{err}");
    }

    #[test]
    fn rows_carry_the_kinds_of_sqlx_any_over_sqlite() {
        let db = memory();
        run(&db, "INSERT INTO t (id, n, x, b) VALUES ('a', 1, 2.5, X'0102')", &[], false).unwrap();
        run(&db, "INSERT INTO t (id) VALUES ('b')", &[], false).unwrap();
        let (rows, _) = run(&db, "SELECT id, n, x, b FROM t ORDER BY id", &[], false).unwrap();
        let kinds = |r: &AnyRow| r.values.iter().map(|v| format!("{:?}", v.kind)).collect::<Vec<_>>();
        assert_eq!(kinds(&rows[0]), ["Text(\"a\")", "BigInt(1)", "Double(2.5)", "Blob([1, 2])"]);
        assert_eq!(kinds(&rows[1]), ["Text(\"b\")", "Null(Null)", "Null(Null)", "Null(Null)"]);
        assert_eq!(rows[1].get::<Option<i64>, _>("n"), None);
        assert_eq!(rows[1].get::<Option<f64>, _>("x"), None);
        assert_eq!(rows[0].get::<f64, _>("x"), 2.5);
        assert_eq!(rows[0].get::<Vec<u8>, _>("b"), [1, 2]);
        // Both rows share one column map.
        assert!(Arc::ptr_eq(&rows[0].column_names, &rows[1].column_names));
    }

    #[test]
    fn a_later_column_of_the_same_name_wins_as_in_sqlx() {
        let (rows, _) = run(&memory(), "SELECT 1 AS v, 2 AS v", &[], false).unwrap();
        assert_eq!(rows[0].get::<i64, _>("v"), 2);
    }

    #[test]
    fn changes_and_first_row() {
        let db = memory();
        run(&db, "INSERT INTO t (id, n) VALUES ('a', 1), ('b', 2), ('c', 3)", &[], false).unwrap();
        let (_, changed) = run(&db, "UPDATE t SET n = n + 1 WHERE n >= 2", &[], false).unwrap();
        assert_eq!(changed, 2);
        let (rows, _) = run(&db, "SELECT id FROM t ORDER BY id", &[], true).unwrap();
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn a_unique_violation_reads_as_sqlx_reports_it() {
        let db = memory();
        run(&db, "INSERT INTO t (id) VALUES ('a')", &[], false).unwrap();
        let err = failure(&db, "INSERT INTO t (id) VALUES ('a')", &[]);
        let d = err.as_database_error().expect("a database error");
        assert_eq!(d.code().as_deref(), Some("1555"), "SQLITE_CONSTRAINT_PRIMARYKEY");
        assert!(matches!(d.kind(), ErrorKind::UniqueViolation));
        assert!(d.is_unique_violation());
        assert!(err.to_string().contains("(code: 1555) UNIQUE constraint failed: t.id"), "{err}");
        assert!(!crate::storage::health::capacity_fault(&err));
    }

    #[test]
    fn not_null_and_check_violations_have_their_kinds() {
        let db = Connection::open_in_memory().unwrap();
        run(&db, "CREATE TABLE c (v BIGINT NOT NULL CHECK (v > 0))", &[], false).unwrap();
        let kind = |sql: &str| failure(&db, sql, &[]).as_database_error().unwrap().kind();
        assert!(matches!(kind("INSERT INTO c (v) VALUES (NULL)"), ErrorKind::NotNullViolation));
        assert!(matches!(kind("INSERT INTO c (v) VALUES (0)"), ErrorKind::CheckViolation));
    }
}
