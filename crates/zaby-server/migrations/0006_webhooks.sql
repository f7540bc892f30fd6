-- Webhooks (docs/webhooks.md): endpoints with their sealed secrets, the outbox of
-- events, and one delivery row per event and endpoint. Portable as in 0001.

-- `secret_sealed` is the current secret, sealed with the secrets key; after a rotation
-- `previous_secret_sealed` keeps signing too until `previous_expires_at`.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    agent_ids TEXT NOT NULL,
    description TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    disabled_reason TEXT,
    secret_sealed TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_page ON webhook_endpoints (tenant_id, created_at, id);

-- The outbox: written in the transaction of the change it reports. `body` is the
-- exact JSON every delivery of the event sends.
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    type TEXT NOT NULL,
    run_id TEXT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- `seq` orders the deliveries of one run to one endpoint; `lease_owner` and
-- `lease_until` make one attempt at a time across replicas; `note` says when a
-- delivery went out of order after waiting for an earlier one.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    run_id TEXT,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_attempt_at BIGINT,
    next_attempt_at BIGINT,
    response_status BIGINT,
    response_body_excerpt TEXT,
    note TEXT,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_page ON webhook_deliveries (webhook_id, created_at, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_run ON webhook_deliveries (webhook_id, run_id, seq);
