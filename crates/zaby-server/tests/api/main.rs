//! Integration tests over real HTTP. Every suite runs against SQLite and against
//! PostgreSQL (a throwaway cluster; skipped with a notice when PostgreSQL is not
//! installed, unless `ZABY_REQUIRE_POSTGRES=1`).

mod common;
mod pg;

mod agents;
mod busy_sessions;
mod cli;
mod function_tools;
mod function_tools_http;
mod http_rules;
mod intelligence;
mod knowledge;
mod knowledge_providers;
mod knowledge_runs;
mod lifecycle;
mod mcp;
mod mcp_runs;
mod mcp_secrets;
mod memory;
mod migrations;
mod operations;
mod playground;
mod reliability_conn;
mod reliability_disk;
mod reliability_events;
mod reliability_fairness;
mod reliability_fuzz;
mod reliability_input;
mod reliability_lists;
mod replicas;
mod runs;
mod runs_approvals;
mod runs_limits;
mod runs_process;
mod runtime;
mod tokens;
mod unknown_fields;
mod webhooks;
mod webhooks_events;
