-- Busy sessions (docs/busy-sessions.md): a run started with `onBusy: "enqueue"` is
-- claimed only once no earlier run of its session is still going. The flag tells the
-- executor's claim which QUEUED runs wait so; every other run starts as before.
-- Portable as in 0001.

ALTER TABLE runs ADD COLUMN enqueued INTEGER NOT NULL DEFAULT 0;
