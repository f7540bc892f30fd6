-- Runs, their events, approvals, feedback and intelligence signals.
-- `snapshot` is the agent configuration the run executes (the deployed version, or
-- the draft for test runs), copied at start. `loop_state` is the executor's resume
-- point (tool rounds so far, the pending step's calls, the answer so far).

CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    deployment_id TEXT,
    external_app_id TEXT,
    policy_id TEXT,
    grant_id TEXT,
    session_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    status TEXT NOT NULL,
    is_test_run BIGINT NOT NULL,
    input TEXT NOT NULL,
    request_id TEXT,
    snapshot TEXT NOT NULL,
    end_user TEXT,
    mcp_bearer_sealed TEXT,
    final_output TEXT,
    error TEXT,
    latest_seq BIGINT NOT NULL DEFAULT 0,
    steps BIGINT NOT NULL DEFAULT 0,
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    tool_calls BIGINT NOT NULL DEFAULT 0,
    approvals_requested BIGINT NOT NULL DEFAULT 0,
    loop_state TEXT,
    cancel_reason TEXT,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    claims BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    completed_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX runs_agent_page ON runs (tenant_id, agent_id, created_at, id);
CREATE INDEX runs_claim ON runs (status, lease_until);
CREATE INDEX runs_session ON runs (tenant_id, session_id, status, created_at);
CREATE INDEX runs_policy ON runs (tenant_id, policy_id, status);
CREATE INDEX runs_window ON runs (tenant_id, created_at);

CREATE TABLE run_events (
    run_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    tenant_id TEXT NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    agent_id TEXT,
    deployment_id TEXT,
    external_app_id TEXT,
    tool_call_id TEXT NOT NULL,
    tool_name TEXT NOT NULL,
    arguments TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    decided_by TEXT,
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX approvals_page ON approvals (tenant_id, created_at, id);
CREATE INDEX approvals_run ON approvals (run_id, status);
CREATE INDEX approvals_expiry ON approvals (status, expires_at);

CREATE TABLE feedback (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    rating BIGINT,
    label TEXT,
    comment TEXT,
    domain_key TEXT,
    topic_key TEXT,
    metadata TEXT NOT NULL,
    source TEXT NOT NULL,
    agent_session_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX feedback_run ON feedback (run_id, created_at);
CREATE INDEX feedback_window ON feedback (tenant_id, agent_id, created_at);

-- Intelligence signals (API.md A.5), one row per trigger. value is a number or NULL;
-- payload is the JSON object of A.5; is_test_run copies the run's flag.
CREATE TABLE signals (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    run_id TEXT,
    type TEXT NOT NULL,
    value DOUBLE PRECISION,
    payload TEXT NOT NULL,
    is_test_run BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX signals_agent ON signals (tenant_id, agent_id, created_at);
CREATE INDEX signals_type ON signals (tenant_id, type, created_at);
