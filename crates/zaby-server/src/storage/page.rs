//! Cursor pagination (`docs/pagination.md`): stable order by `created_at`, then `id`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::sql::{Arg, Conn, DbResult, Filter, all, scalar_i64};

/// Where a page starts and how long it is.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<(i64, String)>,
}

/// One page of rows plus the cursor of the next page and the total count.
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor going on right after each item, so a page cut short when rendered
    /// (by bytes, `ZABY_MAX_PAGE_BYTES`) still continues exactly where it stopped.
    pub cursors: Vec<String>,
    pub next_cursor: Option<String>,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            cursors: self.cursors,
            next_cursor: self.next_cursor,
            total: self.total,
        }
    }
}

pub fn encode_cursor(created_at: i64, id: &str) -> String {
    B64.encode(format!("c1:{created_at}:{id}"))
}

/// `None` when the cursor was not made by [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Option<(i64, String)> {
    let raw = B64.decode(cursor).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let rest = text.strip_prefix("c1:")?;
    let (ts, id) = rest.split_once(':')?;
    if id.is_empty() || id.len() > 64 {
        return None;
    }
    Some((ts.parse().ok()?, id.to_string()))
}

/// Reads one page of `table` (which must have `created_at` and `id`), each row
/// decoded by its `FromRow` struct.
pub async fn fetch_page<T>(conn: &mut Conn, table: &str, filter: &Filter, page: &PageRequest) -> DbResult<Page<T>>
where
    T: for<'r> FromRow<'r, AnyRow>,
{
    let total =
        scalar_i64(conn, &format!("SELECT COUNT(*) FROM {table} WHERE {}", filter.sql()), filter.args.clone()).await?;
    let mut f = filter.clone();
    if let Some((ts, id)) = &page.after {
        let a = f.bind(*ts);
        let b = f.bind(Arg::from(id.clone()));
        let a2 = f.bind(*ts);
        f.clause(format!("(created_at > {a} OR (created_at = {a2} AND id > {b}))"));
    }
    let lim = f.bind(page.limit + 1);
    let sql = format!("SELECT * FROM {table} WHERE {} ORDER BY created_at, id LIMIT {lim}", f.sql());
    let mut rows = all(conn, &sql, f.args).await?;
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let cursors = rows
        .iter()
        .map(|r| Ok(encode_cursor(r.try_get("created_at")?, r.try_get("id")?)))
        .collect::<DbResult<Vec<_>>>()?;
    let next_cursor = if more { cursors.last().cloned() } else { None };
    let items = rows.iter().map(T::from_row).collect::<DbResult<Vec<_>>>()?;
    Ok(Page { items, cursors, next_cursor, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let c = encode_cursor(123, "abc");
        assert_eq!(decode_cursor(&c), Some((123, "abc".to_string())));
        assert_eq!(decode_cursor("nonsense"), None);
        assert_eq!(decode_cursor(""), None);
    }
}
