//! Whether storage currently refuses writes for lack of room or permission (a full
//! disk, a read-only file or volume). `/health` reports it, so an operator sees the
//! cause while requests answer 503.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::util::clock::now_ms;

/// How long a fault is reported after it was last seen when no write succeeded since
/// (an idle server learns of recovery only by writing).
const FAULT_MEMORY_MS: i64 = 30_000;

#[derive(Debug, Default)]
pub struct StorageHealth {
    /// Epoch ms of the last capacity fault; 0 when a write succeeded since.
    last_fault_ms: AtomicI64,
}

impl StorageHealth {
    pub fn fault(&self) {
        self.last_fault_ms.store(now_ms().max(1), Ordering::Release);
    }

    pub fn write_succeeded(&self) {
        self.last_fault_ms.store(0, Ordering::Release);
    }

    /// Records `err` when it is a capacity fault.
    pub fn observe(&self, err: &sqlx::Error) {
        if capacity_fault(err) {
            self.fault();
        }
    }

    pub fn degraded(&self) -> bool {
        let at = self.last_fault_ms.load(Ordering::Acquire);
        at != 0 && now_ms() - at < FAULT_MEMORY_MS
    }
}

/// A write refused because storage has no room or is read-only: SQLite's FULL (13),
/// READONLY (8), IOERR (10) and CANTOPEN (14) with their extended codes; PostgreSQL's
/// 53100 disk_full and 25006 read_only_sql_transaction. Such a fault passes when the
/// operator frees space or restores permissions, so requests answer 503.
pub fn capacity_fault(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else { return false };
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    if code.len() < 5 {
        return code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 8 | 10 | 13 | 14));
    }
    matches!(code.as_str(), "53100" | "25006")
}
