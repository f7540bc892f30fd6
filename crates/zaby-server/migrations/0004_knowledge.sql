-- Knowledge bases, documents, chunks (with per-chunk term statistics), ingestion
-- jobs, the knowledge library, sources, policies and profiles; memory; improvements.
-- Portable between SQLite and PostgreSQL (see 0001_core.sql).

CREATE TABLE knowledge_bases (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, slug)
);

CREATE TABLE kb_documents (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    kb_id TEXT NOT NULL,
    source_id TEXT,
    status TEXT NOT NULL,
    origin TEXT NOT NULL,
    job_id TEXT,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    chunk_count BIGINT NOT NULL DEFAULT 0,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_documents_kb ON kb_documents (kb_id, created_at, id);
CREATE INDEX kb_documents_source ON kb_documents (source_id);

CREATE TABLE kb_chunks (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    kb_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    source_id TEXT,
    idx BIGINT NOT NULL,
    content TEXT NOT NULL,
    term_len BIGINT NOT NULL,
    metadata TEXT NOT NULL,
    embedding TEXT,
    doc_created_at BIGINT NOT NULL
);
CREATE INDEX kb_chunks_kb ON kb_chunks (kb_id, document_id);
CREATE INDEX kb_chunks_document ON kb_chunks (document_id, idx);

CREATE TABLE kb_chunk_terms (
    chunk_id TEXT NOT NULL,
    kb_id TEXT NOT NULL,
    term TEXT NOT NULL,
    tf BIGINT NOT NULL,
    PRIMARY KEY (chunk_id, term)
);
CREATE INDEX kb_chunk_terms_kb_term ON kb_chunk_terms (kb_id, term);

CREATE TABLE kb_jobs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    kb_id TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    document_id TEXT,
    source_id TEXT,
    selection_id TEXT,
    items_processed BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    run_after BIGINT NOT NULL,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    completed_at BIGINT,
    cancelled_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_jobs_kb ON kb_jobs (kb_id, created_at, id);
CREATE INDEX kb_jobs_due ON kb_jobs (status, run_after);

CREATE TABLE library_documents (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    current_version_id TEXT NOT NULL,
    version_count BIGINT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX library_documents_page ON library_documents (tenant_id, created_at, id);

CREATE TABLE library_versions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    library_document_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (library_document_id, version)
);

CREATE TABLE library_findings (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    library_document_id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX library_findings_version ON library_findings (version_id, idx);

CREATE TABLE kb_selections (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    kb_id TEXT NOT NULL,
    library_document_id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    is_included BIGINT NOT NULL,
    metadata TEXT NOT NULL,
    projected_document_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (kb_id, library_document_id)
);

CREATE TABLE kb_source_groups (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    kb_id TEXT NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_source_groups_kb ON kb_source_groups (kb_id, created_at, id);

CREATE TABLE kb_sources (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    kb_id TEXT NOT NULL,
    source_group_id TEXT,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_sources_kb ON kb_sources (kb_id, created_at, id);

CREATE TABLE kb_ingestion_policies (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    kb_id TEXT NOT NULL,
    source_id TEXT,
    status TEXT NOT NULL,
    schedule TEXT,
    checked_until BIGINT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_ingestion_policies_kb ON kb_ingestion_policies (kb_id, created_at, id);

CREATE TABLE kb_governance_policies (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    kb_id TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE kb_profiles (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    kb_id TEXT NOT NULL,
    is_default BIGINT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_profiles_kb ON kb_profiles (kb_id, created_at, id);

CREATE TABLE memory_items (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    deployment_id TEXT,
    external_user_id TEXT,
    unique_id_hash TEXT,
    session_id TEXT,
    content TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    candidate_id TEXT,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX memory_items_agent ON memory_items (tenant_id, agent_id, created_at, id);

CREATE TABLE memory_candidates (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    deployment_id TEXT,
    external_user_id TEXT,
    unique_id_hash TEXT,
    session_id TEXT,
    run_id TEXT,
    content TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reviewed_by TEXT,
    reason TEXT,
    memory_item_id TEXT,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    reviewed_at BIGINT
);
CREATE INDEX memory_candidates_agent ON memory_candidates (tenant_id, agent_id, created_at, id);

CREATE TABLE memory_deletions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    memory_item_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    external_user_id TEXT,
    unique_id_hash TEXT,
    reason TEXT,
    deleted_at BIGINT NOT NULL
);

CREATE TABLE improvements (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    status TEXT NOT NULL,
    cause TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX improvements_agent ON improvements (tenant_id, agent_id, created_at, id);
CREATE INDEX improvements_cause ON improvements (tenant_id, agent_id, cause)
