-- Intelligence (API.md §4.15, A.5). Signals are stored by the runs domain (0002);
-- improvements were created with the knowledge tables (0004).
-- At most one open (PROPOSED or APPROVED) improvement per agent and cause, enforced
-- by the database so concurrent generation passes on several replicas cannot both
-- insert one (the insert is `ON CONFLICT DO NOTHING`).
CREATE UNIQUE INDEX improvements_open_cause ON improvements (tenant_id, agent_id, cause) WHERE status IN ('PROPOSED', 'APPROVED');
CREATE INDEX improvements_page ON improvements (tenant_id, created_at, id);
CREATE INDEX signals_page ON signals (tenant_id, created_at, id);
CREATE INDEX signals_run ON signals (run_id, created_at);

-- What the last improvement pass saw of an agent's signals (count and newest time in
-- the evaluated window); a pass skips agents whose fingerprint has not changed.
CREATE TABLE improvement_scans (
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    scanned_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, agent_id)
);
