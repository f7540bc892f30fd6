//! Who waits for what: streams and held starts wait on their run, streams also on
//! their grant. A change wakes only the waiters of that key (not every stream of the
//! process), and one poller per process ([`poll`]) reads storage for all of them at
//! once, for changes made by other replicas and for revocations, instead of every
//! stream polling on its own.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::services::SharedCtx;
use crate::storage::runs as store;

/// How often the poller reads the watched runs and grants.
pub const POLL: Duration = Duration::from_millis(500);
/// The poller reads at least this often, changes or not: a connection that died
/// silently (no reset ever reached us) would keep PostgreSQL's listener waiting, and
/// its marker unchanged, for as long as TCP takes to notice.
const FULL_LOOK: Duration = Duration::from_secs(30);
/// Ids per query of the poller.
const CHUNK: usize = 500;

type Map<V> = Arc<Mutex<HashMap<String, watch::Sender<V>>>>;

/// Waiters keyed by id; an entry lives while someone watches it.
pub struct Watchers<V> {
    map: Map<V>,
}

impl<V: Clone + Default> Default for Watchers<V> {
    fn default() -> Self {
        Watchers { map: Arc::new(Mutex::new(HashMap::new())) }
    }
}

impl<V: Clone + Default> Watchers<V> {
    pub fn watch(&self, key: &str) -> Watch<V> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let rx = map.entry(key.to_string()).or_insert_with(|| watch::channel(V::default()).0).subscribe();
        Watch { rx, key: key.to_string(), map: self.map.clone() }
    }

    /// Changes the value of a watched key (nothing when nobody watches it).
    pub fn update(&self, key: &str, f: impl FnOnce(&mut V)) {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = map.get(key) {
            tx.send_modify(f);
        }
    }

    pub fn keys(&self) -> Vec<String> {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }
}

/// One waiter; dropping the last one of a key removes the key.
pub struct Watch<V> {
    rx: watch::Receiver<V>,
    key: String,
    map: Map<V>,
}

impl<V: Clone> Watch<V> {
    /// The current value, marked as seen: a later change makes [`Watch::changed`] return.
    pub fn seen(&mut self) -> V {
        self.rx.borrow_and_update().clone()
    }

    /// Waits for a change not yet seen.
    pub async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl<V> Drop for Watch<V> {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        // Our receiver is still alive here, so 1 means it is the last one.
        if map.get(&self.key).is_some_and(|tx| tx.receiver_count() <= 1) {
            map.remove(&self.key);
        }
    }
}

/// The process's poller: every [`POLL`], the watched runs whose `latest_seq` or status
/// changed since it last looked (or that it sees for the first time) are woken, and
/// the watched grants that were revoked (grant or family) are flagged. When storage
/// says nothing was committed since the last complete look (its change marker), it
/// reads nothing, up to [`FULL_LOOK`]: idle streams cost no queries.
pub async fn poll(ctx: SharedCtx, mut stop: watch::Receiver<bool>) {
    let mut seen: HashMap<String, (i64, String)> = HashMap::new();
    let mut looked_at = None;
    let mut last_look = tokio::time::Instant::now();
    loop {
        tokio::select! {
            r = stop.changed() => if r.is_err() || *stop.borrow() { return },
            _ = tokio::time::sleep(POLL) => {}
        }
        // Read before the look, so a commit during it makes the next tick look again.
        let marker = ctx.db.change_marker().await;
        if marker.is_some() && marker == looked_at && last_look.elapsed() < FULL_LOOK {
            continue;
        }
        last_look = tokio::time::Instant::now();
        match poll_once(&ctx, &mut seen).await {
            Ok(()) => looked_at = marker,
            Err(e) => {
                looked_at = None;
                tracing::warn!(error = %e, "polling watched runs failed");
            }
        }
    }
}

async fn poll_once(ctx: &SharedCtx, seen: &mut HashMap<String, (i64, String)>) -> sqlx::Result<()> {
    let runs = ctx.runs.run_watchers.keys();
    let watched: HashSet<&String> = runs.iter().collect();
    seen.retain(|id, _| watched.contains(id));
    for chunk in runs.chunks(CHUNK) {
        let states = {
            let mut conn = ctx.db.read().await?;
            store::states_of(&mut conn, chunk).await?
        };
        for (id, seq, status) in states {
            let now = (seq, status);
            if seen.get(&id) != Some(&now) {
                ctx.runs.run_watchers.update(&id, |v| *v += 1);
                seen.insert(id, now);
            }
        }
    }
    let grants = ctx.runs.grant_watchers.keys();
    for chunk in grants.chunks(CHUNK) {
        let revoked = {
            let mut conn = ctx.db.read().await?;
            crate::storage::tokens::revoked_among(&mut conn, chunk).await?
        };
        for id in revoked {
            ctx.runs.grant_watchers.update(&id, |v| *v = true);
        }
    }
    Ok(())
}
