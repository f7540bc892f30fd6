-- MCP (API.md §4.13): server definitions and their discovered tools, installations
-- with tool policies, credential bindings, auth policies and access grants, and
-- credentials (sealed with the secrets key). Portable as in 0001.

CREATE TABLE mcp_servers (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    transport TEXT NOT NULL,
    auth_mode TEXT NOT NULL,
    kind TEXT NOT NULL,
    is_builtin BIGINT NOT NULL DEFAULT 0,
    doc TEXT NOT NULL,
    last_discovered_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, slug)
);
CREATE INDEX mcp_servers_page ON mcp_servers (tenant_id, created_at, id);

CREATE TABLE mcp_tools (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    server_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    input_schema TEXT NOT NULL,
    risk_level TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (server_id, name)
);
CREATE INDEX mcp_tools_page ON mcp_tools (tenant_id, created_at, id);

CREATE TABLE mcp_installations (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    server_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    rate_limit_per_minute BIGINT,
    require_tool_approval BIGINT NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX mcp_installations_page ON mcp_installations (tenant_id, created_at, id);
CREATE INDEX mcp_installations_server ON mcp_installations (server_id, created_at);

-- A policy row exists once a policy was set (or the installation was revoked);
-- requires_approval NULL follows the installation's require_tool_approval.
CREATE TABLE mcp_tool_policies (
    installation_id TEXT NOT NULL,
    tool_id TEXT NOT NULL,
    risk_override TEXT,
    requires_approval BIGINT,
    enabled BIGINT NOT NULL DEFAULT 1,
    required_role TEXT,
    metadata TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (installation_id, tool_id)
);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE mcp_credential_bindings (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX mcp_credential_bindings_installation ON mcp_credential_bindings (installation_id, created_at);

CREATE TABLE mcp_auth_policies (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    installation_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    config TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE mcp_access_grants (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    permissions TEXT NOT NULL,
    expires_at BIGINT,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (installation_id, agent_id)
);
