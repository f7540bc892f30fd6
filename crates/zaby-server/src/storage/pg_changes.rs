//! PostgreSQL's change marker: every write transaction of every replica that changed a
//! row notifies `zaby_changes` with its `COMMIT` (so a notification exists if and only
//! if the change was committed; one that changed nothing, such as a worker's claim that
//! found no job, has no transaction id and sends none), and each process keeps one
//! `LISTEN` connection that counts them. The process's poller reads the watched runs and grants only when the count
//! moved, so idle streams cost no queries, as SQLite's `data_version` gives there.
//!
//! The notification carries no payload: the poller reads the state of every watched
//! run and grant anyway, and PostgreSQL folds identical notifications of a transaction
//! into one, so a transaction that touches many rows sends one.
//!
//! Nothing may be missed when the listening connection is lost: while it is down there
//! is no marker (the poller reads on every tick), and every (re)connection counts as a
//! change once it listens, so the next tick reads everything committed while nobody
//! listened.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use sqlx::postgres::PgListener;

/// The channel, and the statement that ends every write transaction.
const CHANNEL: &str = "zaby_changes";
pub(super) const NOTIFY_AND_COMMIT: &str =
    "SELECT pg_notify('zaby_changes', '') WHERE txid_current_if_assigned() IS NOT NULL; COMMIT";
/// How long to wait before connecting again after a failure.
const RETRY: Duration = Duration::from_secs(1);
/// Lets an operator (and the tests) tell the listening connection in `pg_stat_activity`.
const APPLICATION_NAME: &str = "zaby-listener";

#[derive(Default)]
struct State {
    count: AtomicI64,
    listening: AtomicBool,
}

/// The listening task of one process; stopped when dropped.
pub(super) struct Changes {
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Changes {
    pub(super) fn start(url: &str) -> Changes {
        let state = Arc::new(State::default());
        let task = tokio::spawn(listen(with_application_name(url), state.clone()));
        Changes { state, task }
    }

    /// The number of changes seen, or `None` while not listening.
    pub(super) fn marker(&self) -> Option<i64> {
        self.state.listening.load(Ordering::Acquire).then(|| self.state.count.load(Ordering::Acquire))
    }

    pub(super) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Changes {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn with_application_name(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name={APPLICATION_NAME}")
}

async fn listen(url: String, state: Arc<State>) {
    loop {
        match connect(&url).await {
            Ok(mut listener) => {
                // Listening from here: what was committed before is read by the next look.
                state.count.fetch_add(1, Ordering::AcqRel);
                state.listening.store(true, Ordering::Release);
                loop {
                    match listener.try_recv().await {
                        Ok(Some(_)) => {}
                        // The connection was lost and is listening again on a new one;
                        // what was notified in between is gone, so count it as a change.
                        Ok(None) => tracing::warn!("the PostgreSQL change listener reconnected"),
                        Err(e) => {
                            tracing::warn!(error = %e, "the PostgreSQL change listener stopped");
                            break;
                        }
                    }
                    state.count.fetch_add(1, Ordering::AcqRel);
                }
                state.listening.store(false, Ordering::Release);
            }
            Err(e) => tracing::warn!(error = %e, "the PostgreSQL change listener cannot connect"),
        }
        tokio::time::sleep(RETRY).await;
    }
}

async fn connect(url: &str) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
