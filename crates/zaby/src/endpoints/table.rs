//! One row per endpoint of API.md §8. See the module docs of `endpoints`.

use super::{Auth, Binding, Endpoint, HttpMethod, Input, endpoint_table};

endpoint_table! {
    E1 GET "/health" none [] "" -> "Health" { health.check() none; }
    E2 POST "/api/v1/provisioning/agentic-os/agents" key [] "AgentInput" -> "Agent" { agents.create() body; }
    E3 GET "/api/v1/provisioning/agentic-os/agents" key [list] "" -> "ListResponse<Agent>" { agents.list() query => iter; }
    E4 GET "/api/v1/provisioning/agentic-os/agents/{agentId}" key [] "" -> "Agent" { agents.get(agent_id) none; }
    E5 PATCH "/api/v1/provisioning/agentic-os/agents/{agentId}" key [] "AgentUpdateInput" -> "Agent" { agents.update(agent_id) body; }
    E6 DELETE "/api/v1/provisioning/agentic-os/agents/{agentId}" key [] "" -> "DeletedResponse" { agents.delete(agent_id) query; }
    E7 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/publish" key [] "" -> "AgentVersion" { agents.publish(agent_id) none; }
    E8 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/deployments" key [] "DeployInput" -> "Deployment" { agents.deploy(agent_id) body; deployments.create(agent_id) body; }
    E9 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/mcp-tools" key [] "AttachMcpToolInput" -> "McpToolAttachment" { agents.attach_mcp_tool(agent_id) body; }
    E10 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/knowledge-bases" key [] "AttachKnowledgeBaseInput" -> "KnowledgeBaseAttachment" { agents.attach_knowledge_base(agent_id) body; }
    E11 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/skills" key [] "AttachSkillInput" -> "SkillAttachment" { agents.attach_skill(agent_id) body; }
    E12 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/test-runs" key [idem] "AgentRunInput" -> "RunStartResponse" { agents.test_run(agent_id) body; }
    E13 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/runs" key [idem] "AgentRunInput" -> "RunStartResponse" { agents.start_run(agent_id) body; }
    E14 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/playground/runtime-tokens" key [idem] "PlaygroundRuntimeTokenInput" -> "RuntimeTokenResponse" { agents.playground_runtime_tokens(agent_id) given; }
    E15 GET "/api/v1/provisioning/agentic-os/agents/{agentId}/playground/runtime-tokens" key [] "" -> "RuntimeTokenResponse" { agents.playground_runtime_tokens(agent_id) omitted; }
    E16 GET "/api/v1/provisioning/agentic-os/agents/runs/{runId}/progress" key [] "" -> "Run" { agents.get_run_progress(run_id) none; }
    E17 GET "/api/v1/provisioning/agentic-os/agents/runs/{runId}/events" key [list] "" -> "RunEventPage" { agents.list_run_events(run_id) query => iter_run_events; }
    E18 POST "/api/v1/provisioning/agentic-os/agents/runs/{runId}/cancel" key [ext] "CancelRunInput" -> "Run" { agents.cancel_run(run_id) body_opt; }
    E19 GET "/api/v1/provisioning/managed-agents/deployments/{deploymentId}/provisioning" key [] "" -> "Provisioning" { deployments.get_provisioning(deployment_id) none; }
    E20 GET "/api/v1/provisioning/managed-agents/external-apps" key [list] "" -> "ListResponse<ExternalApp>" { external_apps.list() query => iter; }
    E21 POST "/api/v1/provisioning/managed-agents/external-apps" key [] "ExternalAppInput" -> "ExternalApp" { external_apps.create() body; }
    E22 GET "/api/v1/provisioning/managed-agents/external-apps/{externalAppId}" key [] "" -> "ExternalApp" { external_apps.get(external_app_id) none; }
    E23 PATCH "/api/v1/provisioning/managed-agents/external-apps/{externalAppId}" key [] "ExternalAppUpdateInput" -> "ExternalApp" { external_apps.update(external_app_id) body; }
    E24 POST "/api/v1/provisioning/managed-agents/external-apps/{externalAppId}/deployments" key [] "BindDeploymentInput" -> "DeploymentBinding" { external_apps.bind_deployment(external_app_id) body; }
    E25 POST "/api/v1/provisioning/managed-agents/external-apps/{externalAppId}/runtime-tokens" key [idem] "RuntimeTokenCreateInput" -> "RuntimeTokenResponse" { runtime_tokens.create() body_moving(external_app_id); }
    E26 POST "/api/v1/provisioning/managed-agents/external-apps/{externalAppId}/runtime-tokens/rotate" key [idem] "RotateByUniqueIdInput" -> "RuntimeTokenResponse" { runtime_tokens.rotate_by_unique_id() body_moving(external_app_id); }
    E27 POST "/api/v1/provisioning/managed-agents/runtime-tokens/rotate" key [idem] "RotateRuntimeTokenInput" -> "RuntimeTokenResponse" { runtime_tokens.rotate() body; }
    E28 POST "/api/v1/provisioning/managed-agents/runs/{runId}/feedback" key [idem] "FeedbackInput" -> "Feedback" { runtime_tokens.record_feedback(run_id) body; }
    E29 GET "/api/v1/provisioning/managed-agents/runtime-token-families" key [list] "" -> "ListResponse<TokenFamily>" { runtime_token_families.list() query => iter; }
    E30 POST "/api/v1/provisioning/managed-agents/runtime-token-families/{tokenFamilyId}/revoke" key [] "RevokeFamilyInput" -> "FamilyRevocation" { runtime_token_families.revoke(token_family_id) body_opt; runtime_tokens.revoke_family(token_family_id) body; }
    E31 GET "/api/v1/provisioning/managed-agents/runtime-token-policies" key [list] "" -> "ListResponse<RuntimeTokenPolicy>" { runtime_token_policies.list() query => iter; }
    E32 POST "/api/v1/provisioning/managed-agents/runtime-token-policies" key [] "RuntimeTokenPolicyInput" -> "RuntimeTokenPolicy" { runtime_token_policies.create() body; }
    E33 GET "/api/v1/provisioning/managed-agents/runtime-token-policies/{policyId}" key [] "" -> "RuntimeTokenPolicy" { runtime_token_policies.get(policy_id) none; }
    E34 PATCH "/api/v1/provisioning/managed-agents/runtime-token-policies/{policyId}" key [] "RuntimeTokenPolicyUpdateInput" -> "RuntimeTokenPolicy" { runtime_token_policies.update(policy_id) body; }
    E35 POST "/api/v1/provisioning/managed-agents/runtime-token-grants/{grantId}/revoke" key [] "RevokeGrantInput" -> "Grant" { runtime_token_grants.revoke(grant_id) body_or_empty; }
    E36 GET "/api/v1/provisioning/managed-agents/runtime-token-usage" key [] "" -> "TokenUsageReport" { runtime_token_usage.get() query; }
    E37 GET "/api/v1/provisioning/agentic-os/agents/approvals" key [list] "" -> "ListResponse<Approval>" { approvals.list() query => iter; }
    E38 POST "/api/v1/provisioning/agentic-os/agents/runs/{runId}/approvals/{approvalId}/approve" key [] "ApprovalDecisionInput" -> "Approval" { approvals.approve(run_id, approval_id) body_opt; }
    E39 POST "/api/v1/provisioning/agentic-os/agents/runs/{runId}/approvals/{approvalId}/reject" key [] "ApprovalDecisionInput" -> "Approval" { approvals.reject(run_id, approval_id) body_opt; }
    E40 GET "/api/v1/provisioning/agentic-os/agents/usage" key [] "" -> "UsageReport" { usage.get_agent_usage() query; }
    E41 POST "/api/v1/provisioning/agentic-os/knowledge-bases" key [] "KnowledgeBaseInput" -> "KnowledgeBase" { knowledge_bases.create() body; }
    E42 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/documents/text" key [] "TextDocumentInput" -> "Document" { knowledge_bases.upload_text_document(knowledge_base_id) body; }
    E43 POST "/api/v1/provisioning/agentic-os/knowledge-library/documents/text" key [] "TextDocumentInput" -> "LibraryDocument" { knowledge_bases.create_library_text_document() body; }
    E44 GET "/api/v1/provisioning/agentic-os/knowledge-library/documents" key [list] "" -> "ListResponse<LibraryDocument>" { knowledge_bases.list_library_documents() query => iter_library_documents; }
    E45 GET "/api/v1/provisioning/agentic-os/knowledge-library/documents/{libraryDocumentId}/findings" key [list] "" -> "ListResponse<LibraryDocumentFinding>" { knowledge_bases.list_library_document_findings(library_document_id) query => iter_library_document_findings; }
    E46 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/library-documents" key [] "LinkLibraryDocumentInput" -> "LibraryDocumentSelection" { knowledge_bases.link_library_document(knowledge_base_id) body; }
    E47 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/library-documents/{selectionId}/project" key [] "ProjectLibraryDocumentInput" -> "ProjectionResult" { knowledge_bases.project_library_document(knowledge_base_id, selection_id) body; }
    E48 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/retrieve" key [] "RetrieveInput" -> "RetrievalResult" { knowledge_bases.retrieve(knowledge_base_id) body; }
    E49 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/provisional-answer" key [] "RetrieveInput" -> "ProvisionalAnswer" { knowledge_bases.provisional_answer(knowledge_base_id) body; }
    E50 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/source-groups" key [list] "" -> "ListResponse<SourceGroup>" { knowledge_bases.list_source_groups(knowledge_base_id) query => iter_source_groups; }
    E51 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/source-groups" key [] "SourceGroupInput" -> "SourceGroup" { knowledge_bases.create_source_group(knowledge_base_id) body; }
    E52 PATCH "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/source-groups/{sourceGroupId}" key [] "SourceGroupUpdateInput" -> "SourceGroup" { knowledge_bases.update_source_group(knowledge_base_id, source_group_id) body; }
    E53 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/sources" key [list] "" -> "ListResponse<Source>" { knowledge_bases.list_sources(knowledge_base_id) query => iter_sources; }
    E54 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/sources" key [] "SourceInput" -> "Source" { knowledge_bases.create_source(knowledge_base_id) body; }
    E55 PATCH "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/sources/{sourceId}" key [] "SourceUpdateInput" -> "Source" { knowledge_bases.update_source(knowledge_base_id, source_id) body; }
    E56 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/sources/{sourceId}/reprocess" key [] "" -> "KnowledgeJob" { knowledge_bases.reprocess_source(knowledge_base_id, source_id) none; }
    E57 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/sources/{sourceId}/auth" key [] "LinkSourceCredentialInput" -> "Source" { knowledge_bases.link_source_credential(knowledge_base_id, source_id) body; }
    E58 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/ingestion-policies" key [list] "" -> "ListResponse<IngestionPolicy>" { knowledge_bases.list_ingestion_policies(knowledge_base_id) query => iter_ingestion_policies; }
    E59 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/ingestion-policies" key [] "IngestionPolicyInput" -> "IngestionPolicy" { knowledge_bases.create_ingestion_policy(knowledge_base_id) body; }
    E60 PATCH "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/ingestion-policies/{policyId}" key [] "IngestionPolicyUpdateInput" -> "IngestionPolicy" { knowledge_bases.update_ingestion_policy(knowledge_base_id, policy_id) body; }
    E61 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/governance-policy" key [] "GovernancePolicyInput" -> "GovernancePolicy" { knowledge_bases.upsert_governance_policy(knowledge_base_id) body; }
    E62 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/profiles" key [list] "" -> "ListResponse<KnowledgeProfile>" { knowledge_bases.list_profiles(knowledge_base_id) query => iter_profiles; }
    E63 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/profiles" key [] "ProfileInput" -> "KnowledgeProfile" { knowledge_bases.create_profile(knowledge_base_id) body; }
    E64 PATCH "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/profiles/{profileId}" key [] "ProfileUpdateInput" -> "KnowledgeProfile" { knowledge_bases.update_profile(knowledge_base_id, profile_id) body; }
    E65 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/idocs-jobs" key [list] "" -> "ListResponse<KnowledgeJob>" { knowledge_bases.list_jobs(knowledge_base_id) query => iter_jobs; }
    E66 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/idocs-jobs/{jobId}" key [] "" -> "KnowledgeJob" { knowledge_bases.get_job(knowledge_base_id, job_id) none; }
    E67 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/idocs-jobs/{jobId}/cancel" key [] "" -> "KnowledgeJob" { knowledge_bases.cancel_job(knowledge_base_id, job_id) none; }
    E68 GET "/api/v1/provisioning/agentic-os/mcp/catalog" key [list] "" -> "ListResponse<CatalogEntry>" { mcp.list_catalog() query => iter_catalog; }
    E69 POST "/api/v1/provisioning/agentic-os/mcp/servers" key [] "McpServerInput" -> "McpServer" { mcp.create_server() body; }
    E70 GET "/api/v1/provisioning/agentic-os/mcp/servers/{serverId}" key [] "" -> "McpServer" { mcp.get_server(server_id) none; }
    E71 PATCH "/api/v1/provisioning/agentic-os/mcp/servers/{serverId}" key [] "McpServerUpdateInput" -> "McpServer" { mcp.update_server(server_id) body; }
    E72 POST "/api/v1/provisioning/agentic-os/mcp/servers/{serverId}/discover-tools" key [] "" -> "ToolDiscovery" { mcp.discover_tools(server_id) none; }
    E73 POST "/api/v1/provisioning/agentic-os/mcp/installations" key [] "McpInstallInput" -> "McpInstallation" { mcp.install_server() body; }
    E74 GET "/api/v1/provisioning/agentic-os/mcp/installations" key [list] "" -> "ListResponse<McpInstallation>" { mcp.list_installations() query => iter_installations; }
    E75 PATCH "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}" key [] "McpInstallationUpdateInput" -> "McpInstallation" { mcp.update_installation(installation_id) body; }
    E76 DELETE "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}" key [] "" -> "McpInstallation" { mcp.revoke_installation(installation_id) none; }
    E77 GET "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/tools" key [list] "" -> "ListResponse<McpInstallationTool>" { mcp.list_installation_tools(installation_id) query => iter_installation_tools; }
    E78 PATCH "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/tools/{toolId}/policy" key [] "ToolPolicyInput" -> "McpInstallationTool" { mcp.update_tool_policy(installation_id, tool_id) body; }
    E79 POST "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/tools/{toolName}/preflight" key [] "PreflightInput" -> "PreflightResult" { mcp.preflight_invocation(installation_id, tool_name) body; }
    E80 POST "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/tools/{toolName}/invoke" key [] "InvokeToolInput" -> "ToolInvocationResult" { mcp.invoke_tool(installation_id, tool_name) body; }
    E81 POST "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/credential-bindings" key [] "CredentialBindingInput" -> "CredentialBinding" { mcp.create_credential_binding(installation_id) body; }
    E82 DELETE "/api/v1/provisioning/agentic-os/mcp/credential-bindings/{bindingId}" key [] "" -> "DeletedResponse" { mcp.delete_credential_binding(binding_id) none; }
    E83 POST "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/auth-policies" key [] "AuthPolicyInput" -> "AuthPolicy" { mcp.upsert_auth_policy(installation_id) body; }
    E84 POST "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/access-grants" key [] "AccessGrantInput" -> "AccessGrant" { mcp.grant_access(installation_id) body; }
    E85 GET "/api/v1/provisioning/agentic-os/agents/memory-items" key [list] "" -> "ListResponse<MemoryItem>" { memory.list_items() query => iter_items; }
    E86 GET "/api/v1/provisioning/agentic-os/agents/memory-items/{memoryItemId}" key [] "" -> "MemoryItem" { memory.get_item(memory_item_id) none; }
    E87 PATCH "/api/v1/provisioning/agentic-os/agents/memory-items/{memoryItemId}/disable" key [] "DisableMemoryItemInput" -> "MemoryItem" { memory.disable_item(memory_item_id) body_or_empty; }
    E88 DELETE "/api/v1/provisioning/agentic-os/agents/memory-items/{memoryItemId}" key [] "DeleteMemoryItemInput" -> "DeletedResponse" { memory.delete_item(memory_item_id) body_or_empty; }
    E89 POST "/api/v1/provisioning/agentic-os/agents/memory-retrievals" key [] "MemoryRetrieveInput" -> "MemoryRetrievalResult" { memory.retrieve() body; }
    E90 GET "/api/v1/provisioning/agentic-os/agents/memory-candidates" key [list] "" -> "ListResponse<MemoryCandidate>" { memory.list_candidates() query => iter_candidates; }
    E91 POST "/api/v1/provisioning/agentic-os/agents/memory-candidates/{candidateId}/approve" key [] "ApproveMemoryCandidateInput" -> "MemoryCandidate" { memory.approve_candidate(candidate_id) body_or_empty; }
    E92 POST "/api/v1/provisioning/agentic-os/agents/memory-candidates/{candidateId}/reject" key [] "RejectMemoryCandidateInput" -> "MemoryCandidate" { memory.reject_candidate(candidate_id) body_or_empty; }
    E93 GET "/api/v1/provisioning/agentic-os/agents/intelligence/signals" key [list] "" -> "ListResponse<Signal>" { intelligence.list_signals() query => iter_signals; }
    E94 GET "/api/v1/provisioning/agentic-os/agents/intelligence/rollups" key [list] "" -> "ListResponse<Rollup>" { intelligence.list_rollups() query => iter_rollups; }
    E95 GET "/api/v1/provisioning/agentic-os/agents/intelligence/improvements" key [list] "" -> "ListResponse<Improvement>" { intelligence.list_improvements() query => iter_improvements; }
    E96 POST "/api/v1/provisioning/agentic-os/agents/intelligence/improvements/{candidateId}/approve" key [] "ApproveImprovementInput" -> "Improvement" { intelligence.approve_improvement(candidate_id) body_or_empty; }
    E97 POST "/api/v1/provisioning/agentic-os/agents/intelligence/improvements/{candidateId}/reject" key [] "RejectImprovementInput" -> "Improvement" { intelligence.reject_improvement(candidate_id) body_or_empty; }
    E98 GET "/api/v1/tenant/agents" tenant [list] "" -> "ListResponse<Agent>" { tenant_agents.list() query => iter; }
    E99 POST "/api/v1/tenant/agents" tenant [] "AgentInput" -> "Agent" { tenant_agents.create() body; }
    E100 GET "/api/v1/tenant/agents/{agentId}" tenant [] "" -> "Agent" { tenant_agents.get(agent_id) none; }
    E101 PATCH "/api/v1/tenant/agents/{agentId}" tenant [] "AgentUpdateInput" -> "Agent" { tenant_agents.update(agent_id) body; }
    E102 DELETE "/api/v1/tenant/agents/{agentId}" tenant [] "" -> "DeletedResponse" { tenant_agents.delete(agent_id) query; }
    E103 POST "/api/v1/tenant/agents/{agentId}/publish" tenant [] "" -> "AgentVersion" { tenant_agents.publish(agent_id) none; }
    E104 POST "/api/v1/tenant/agents/{agentId}/deployments" tenant [] "DeployInput" -> "Deployment" { tenant_agents.deploy(agent_id) body; }
    E105 POST "/api/v1/tenant/agents/{agentId}/redeploy" tenant [] "RedeployInput" -> "Deployment" { tenant_agents.redeploy(agent_id) body_or_empty; }
    E106 POST "/api/v1/tenant/agents/{agentId}/test-runs" tenant [idem] "AgentRunInput" -> "RunStartResponse" { tenant_agents.test_run(agent_id) body; }
    E107 POST "/api/v1/tenant/agents/{agentId}/runs" tenant [idem] "AgentRunInput" -> "RunStartResponse" { tenant_agents.start_run(agent_id) body; }
    E108 GET "/api/v1/tenant/agents/{agentId}/runs" tenant [list] "" -> "ListResponse<Run>" { tenant_agents.list_runs(agent_id) query => iter_runs; }
    E109 GET "/api/v1/tenant/agents/runs/{runId}/progress" tenant [] "" -> "Run" { tenant_agents.get_run_progress(run_id) none; }
    E110 GET "/api/v1/tenant/agents/runs/{runId}/events" tenant [list] "" -> "RunEventPage" { tenant_agents.list_run_events(run_id) query => iter_run_events; }
    E111 POST "/api/v1/tenant/agents/runs/{runId}/approvals/{approvalId}/approve" tenant [] "ApprovalDecisionInput" -> "Approval" { tenant_agents.approve_run_approval(run_id, approval_id) body_or_empty; }
    E112 POST "/api/v1/tenant/agents/runs/{runId}/approvals/{approvalId}/reject" tenant [] "ApprovalDecisionInput" -> "Approval" { tenant_agents.reject_run_approval(run_id, approval_id) body_or_empty; }
    E113 GET "/api/v1/tenant/agents/deployments/{deploymentId}/provisioning" tenant [] "" -> "Provisioning" { tenant_agents.get_deployment_provisioning(deployment_id) none; }
    E114 POST "/api/v1/tenant/agents/{agentId}/mcp-tools" tenant [] "AttachMcpToolInput" -> "McpToolAttachment" { tenant_agents.attach_mcp_tool(agent_id) body; }
    E115 POST "/api/v1/tenant/agents/{agentId}/knowledge-bases" tenant [] "AttachKnowledgeBaseInput" -> "KnowledgeBaseAttachment" { tenant_agents.attach_knowledge_base(agent_id) body; }
    E116 POST "/api/v1/tenant/agents/{agentId}/skills" tenant [] "AttachSkillInput" -> "SkillAttachment" { tenant_agents.attach_skill(agent_id) body; }
    E117 GET "/api/v1/tenant/agents/external-apps" tenant [list] "" -> "ListResponse<ExternalApp>" { tenant_agents.list_external_apps() query => iter_external_apps; }
    E118 POST "/api/v1/tenant/agents/{agentId}/playground/runtime-tokens" tenant [idem] "PlaygroundRuntimeTokenInput" -> "RuntimeTokenResponse" { tenant_agents.mint_playground_runtime_token(agent_id) body; }
    E119 POST "/api/v1/agent-runtime/runs" runtime [idem] "RunStartInput" -> "RunStartResponse" { runtime_runs.start() body; }
    E120 GET "/api/v1/agent-runtime/runs/{runId}/events" runtime [list] "" -> "RunEventPage" { runtime_runs.events(run_id) query => iter_events; }
    E121 GET "/api/v1/agent-runtime/runs/{runId}/aiui" runtime [sse] "" -> "SseEvent" { runtime_runs.stream(run_id) stream; }
    E122 POST "/api/v1/agent-runtime/runs/{runId}/cancel" runtime [ext] "CancelRunInput" -> "Run" { runtime_runs.cancel(run_id) body_opt; }
    E123 POST "/api/v1/agent-runtime/runs/{runId}/approvals/{approvalId}/approve" runtime [] "ApprovalDecisionInput" -> "Approval" { runtime_approvals.approve(run_id, approval_id) body_opt; }
    E124 POST "/api/v1/agent-runtime/runs/{runId}/approvals/{approvalId}/reject" runtime [] "ApprovalDecisionInput" -> "Approval" { runtime_approvals.reject(run_id, approval_id) body_opt; }
    E125 POST "/api/v1/agent-runtime/runs/{runId}/feedback" runtime [idem] "FeedbackInput" -> "Feedback" { runtime_feedback.create(run_id) body; }
}
