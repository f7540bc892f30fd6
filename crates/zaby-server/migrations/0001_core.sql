-- Tenancy, credentials, agents, deployments, external apps, runtime tokens and
-- idempotency records. Portable between SQLite and PostgreSQL: TEXT ids, BIGINT
-- epoch-millisecond timestamps and 0/1 flags, JSON documents as TEXT.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    is_default BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT,
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at, id);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    sealed_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    category TEXT,
    visibility TEXT NOT NULL,
    doc TEXT NOT NULL,
    latest_version BIGINT,
    latest_version_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, slug)
);
CREATE INDEX agents_page ON agents (tenant_id, created_at, id);

CREATE TABLE agent_versions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (agent_id, version)
);

CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    agent_version_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL,
    error TEXT,
    activate_after BIGINT NOT NULL,
    superseded_by TEXT,
    activated_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX deployments_agent ON deployments (tenant_id, agent_id, environment, status);
CREATE INDEX deployments_due ON deployments (status, activate_after);

CREATE TABLE external_apps (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    agent_id TEXT,
    status TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, slug)
);
CREATE INDEX external_apps_page ON external_apps (tenant_id, created_at, id);

CREATE TABLE deployment_bindings (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    external_app_id TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    allow_browser_runtime BIGINT NOT NULL,
    allow_server_runtime BIGINT NOT NULL,
    allow_approvals BIGINT NOT NULL,
    rate_limit_per_minute BIGINT,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (external_app_id, deployment_id)
);
CREATE INDEX deployment_bindings_deployment ON deployment_bindings (deployment_id);

CREATE TABLE runtime_token_policies (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    external_app_id TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX runtime_token_policies_page ON runtime_token_policies (tenant_id, created_at, id);

-- app_key is the external app id, or '' for playground tokens.
CREATE TABLE token_families (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    app_key TEXT NOT NULL,
    external_app_id TEXT,
    deployment_id TEXT NOT NULL,
    user_key TEXT NOT NULL,
    status TEXT NOT NULL,
    name TEXT,
    unique_id_hash TEXT,
    external_user_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoke_reason TEXT
);
CREATE UNIQUE INDEX token_families_one_active
    ON token_families (tenant_id, app_key, deployment_id, user_key) WHERE status = 'ACTIVE';
CREATE INDEX token_families_page ON token_families (tenant_id, created_at, id);

CREATE TABLE agent_sessions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    app_key TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    user_key TEXT NOT NULL,
    session_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, app_key, deployment_id, user_key, session_key)
);

CREATE TABLE token_grants (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    external_app_id TEXT,
    deployment_id TEXT NOT NULL,
    policy_id TEXT,
    session_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    scopes TEXT NOT NULL,
    max_uses BIGINT,
    used_count BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoke_reason TEXT
);
CREATE INDEX token_grants_family ON token_grants (family_id, created_at, id);
CREATE INDEX token_grants_policy ON token_grants (tenant_id, policy_id, created_at);

-- One row per authenticated runtime request (usage reports).
CREATE TABLE runtime_requests (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    external_app_id TEXT,
    deployment_id TEXT NOT NULL,
    policy_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX runtime_requests_window ON runtime_requests (tenant_id, created_at);

-- Fixed per-minute windows for rateLimitPerMinute (exact under concurrency).
CREATE TABLE rate_windows (
    window_key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (window_key, window_start)
);

CREATE TABLE idempotency_records (
    scope TEXT NOT NULL,
    request_key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (scope, request_key)
);
CREATE INDEX idempotency_records_expiry ON idempotency_records (expires_at);
