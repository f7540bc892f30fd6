//! How stored forms become Rust types in `#[derive(sqlx::FromRow)]` row structs.
//!
//! Flags are stored as integers and JSON documents as TEXT on both databases, and
//! sqlx's `Any` driver decodes neither into `bool` or `serde_json::Value`. A field
//! names the stored form with `#[sqlx(try_from = "…")]`: `Flag` for a flag, `Json`
//! for a JSON document, `JsonOpt` for a nullable one, `ErrorOpt` for a failure. A document with a type of its
//! own (`AgentDoc`, …) is declared with [`stored_document!`] and needs no attribute.
//! A malformed document is a decode error naming the column, like any other type
//! mismatch.

use serde_json::Value;
use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Decode, Type};
use zaby::types::ErrorInfo;

use super::sql::Arg;

/// An integer column read as a flag (non-zero is true).
pub struct Flag(bool);

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Flag(<i64 as Decode<Any>>::decode(value)? != 0))
    }
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

/// A TEXT column holding a JSON document.
pub struct Json(Value);

impl Type<Any> for Json {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Json {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Any>>::decode(value)?;
        Ok(Json(serde_json::from_str(text)?))
    }
}

impl From<Json> for Value {
    fn from(j: Json) -> Value {
        j.0
    }
}

/// Makes a typed document (a `Deserialize + Serialize` struct of the storage layer) a
/// column type: read from its TEXT column, and bound as its JSON text by `args!`.
macro_rules! stored_document {
    ($doc:ty) => {
        impl sqlx::Type<sqlx::Any> for $doc {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $doc {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Any>>::decode(value)?;
                Ok(serde_json::from_str(text)?)
            }
        }

        impl From<&$doc> for $crate::storage::sql::Arg {
            /// A document serialises unless a member's own `Serialize` fails (none
            /// here does); if one did, the NULL bound would fail the statement on
            /// the column's NOT NULL rather than store a wrong document.
            fn from(doc: &$doc) -> Self {
                $crate::storage::sql::Arg::Text(serde_json::to_string(doc).ok())
            }
        }
    };
}
pub(crate) use stored_document;

/// A nullable TEXT column holding a JSON document.
pub struct JsonOpt(Option<Value>);

impl Type<Any> for JsonOpt {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for JsonOpt {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(JsonOpt(<Option<Json> as Decode<Any>>::decode(value)?.map(Value::from)))
    }
}

impl From<JsonOpt> for Option<Value> {
    fn from(j: JsonOpt) -> Option<Value> {
        j.0
    }
}

/// A nullable TEXT column holding a failure as the wire's `ErrorInfo` (a failed
/// knowledge job's or deployment's `{code, message}`); bound by `args!` as its JSON text.
pub struct ErrorOpt(Option<ErrorInfo>);

impl Type<Any> for ErrorOpt {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for ErrorOpt {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <Option<&str> as Decode<Any>>::decode(value)?;
        // A JSON `null` is no error, as SQL NULL is.
        Ok(ErrorOpt(text.map(serde_json::from_str::<Option<ErrorInfo>>).transpose()?.flatten()))
    }
}

impl From<ErrorOpt> for Option<ErrorInfo> {
    fn from(e: ErrorOpt) -> Option<ErrorInfo> {
        e.0
    }
}

impl From<&ErrorInfo> for Arg {
    /// As `stored_document!`: an `ErrorInfo` always serialises.
    fn from(e: &ErrorInfo) -> Self {
        Arg::Text(serde_json::to_string(e).ok())
    }
}

/// A nullable integer column read as an optional flag.
pub struct FlagOpt(Option<bool>);

impl Type<Any> for FlagOpt {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for FlagOpt {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(FlagOpt(<Option<Flag> as Decode<Any>>::decode(value)?.map(bool::from)))
    }
}

impl From<FlagOpt> for Option<bool> {
    fn from(f: FlagOpt) -> Option<bool> {
        f.0
    }
}

/// A TEXT column holding a JSON array of strings (scopes, permissions).
pub struct StringList(Vec<String>);

impl Type<Any> for StringList {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for StringList {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Any>>::decode(value)?;
        Ok(StringList(serde_json::from_str(text)?))
    }
}

impl From<StringList> for Vec<String> {
    fn from(l: StringList) -> Vec<String> {
        l.0
    }
}

/// A nullable TEXT column holding a chunk's embedding as a JSON array of numbers. One
/// that does not parse reads as none, so the chunk is still found by its terms.
pub struct Embedding(Option<Vec<f32>>);

impl Type<Any> for Embedding {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Embedding {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <Option<&str> as Decode<Any>>::decode(value)?;
        Ok(Embedding(text.and_then(|t| serde_json::from_str(t).ok())))
    }
}

impl From<Embedding> for Option<Vec<f32>> {
    fn from(e: Embedding) -> Option<Vec<f32>> {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use sqlx::FromRow;

    use zaby::types::ErrorInfo;

    use super::{Embedding, ErrorOpt, Flag, FlagOpt, Json, JsonOpt, StringList};
    use crate::storage::Db;
    use crate::storage::sql::Arg;
    use crate::storage::sql::{DbResult, one_as};

    #[derive(Debug, FromRow)]
    struct Stored {
        #[sqlx(try_from = "Flag")]
        flag: bool,
        #[sqlx(try_from = "FlagOpt")]
        flag_opt: Option<bool>,
        #[sqlx(try_from = "Json")]
        doc: Value,
        #[sqlx(try_from = "JsonOpt")]
        doc_opt: Option<Value>,
        #[sqlx(try_from = "StringList")]
        list: Vec<String>,
        #[sqlx(try_from = "Embedding")]
        embedding: Option<Vec<f32>>,
    }

    async fn read(db: &Db, select: &str) -> DbResult<Option<Stored>> {
        let mut conn = db.read().await?;
        one_as(&mut conn, select, vec![]).await
    }

    #[tokio::test]
    async fn stored_forms_decode_and_a_bad_document_names_its_column() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let row = read(
            &db,
            "SELECT 2 AS flag, NULL AS flag_opt, '{\"a\":[1]}' AS doc, NULL AS doc_opt, '[\"x\",\"y\"]' AS list, \
             'not numbers' AS embedding",
        )
        .await
        .unwrap()
        .unwrap();
        assert!(row.flag);
        assert_eq!(row.flag_opt, None);
        assert_eq!(row.doc, json!({"a": [1]}));
        assert_eq!(row.doc_opt, None);
        assert_eq!(row.list, ["x", "y"]);
        assert_eq!(row.embedding, None, "an unreadable embedding reads as none");

        let row = read(
            &db,
            "SELECT 0 AS flag, 1 AS flag_opt, '[]' AS doc, '{}' AS doc_opt, '[]' AS list, '[0.5]' AS embedding",
        )
        .await
        .unwrap()
        .unwrap();
        assert!(!row.flag);
        assert_eq!(row.flag_opt, Some(true));
        assert_eq!(row.doc_opt, Some(json!({})));
        assert_eq!(row.embedding, Some(vec![0.5]));

        let err = read(
            &db,
            "SELECT 1 AS flag, NULL AS flag_opt, '{oops' AS doc, NULL AS doc_opt, '[]' AS list, NULL AS embedding",
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("\"doc\""), "{err}");
        db.close().await;
    }

    #[derive(Debug, FromRow)]
    struct Failure {
        #[sqlx(try_from = "ErrorOpt")]
        error: Option<ErrorInfo>,
    }

    #[tokio::test]
    async fn a_stored_failure_reads_as_error_info_and_binds_as_its_json() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let mut conn = db.read().await.unwrap();
        let mut errors = Vec::new();
        for stored in [r#"'{"code":"AGENT_DISABLED","message":"off"}'"#, "'null'", "NULL"] {
            let row: Failure = one_as(&mut conn, &format!("SELECT {stored} AS error"), vec![]).await.unwrap().unwrap();
            errors.push(row.error);
        }
        let disabled = ErrorInfo { code: "AGENT_DISABLED".into(), message: "off".into(), extra: Default::default() };
        assert_eq!(errors, [Some(disabled.clone()), None, None]);
        let Arg::Text(Some(bound)) = Arg::from(&disabled) else { panic!("an error binds as text") };
        assert_eq!(serde_json::from_str::<Value>(&bound).unwrap(), json!({"code": "AGENT_DISABLED", "message": "off"}));
        drop(conn);
        db.close().await;
    }
}
