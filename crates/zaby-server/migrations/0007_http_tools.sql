-- Function tools run over HTTP (docs/function-tools.md): each agent's signing secret
-- and a record of every call sent. Portable as in 0001.

-- Sealed with the secrets key; after a rotation `previous_secret_sealed` keeps signing
-- too until `previous_expires_at` (two signatures, as for webhooks).
CREATE TABLE agent_tool_secrets (
    agent_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_expires_at BIGINT,
    updated_at BIGINT NOT NULL
);

-- Written before each attempt of a call, inside the run's lease: a run reclaimed after
-- a crash learns that the call may have reached the receiver, and how often it was sent
-- (one retry at most, with the same tool call id).
CREATE TABLE http_tool_calls (
    run_id TEXT NOT NULL,
    tool_call_id TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, tool_call_id)
);
