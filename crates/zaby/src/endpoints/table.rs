//! One row per endpoint of the API (E1…E135, indexed in docs/api/endpoints.md). See the module docs of `endpoints`.

use super::{Auth, Binding, Endpoint, HttpMethod, Input, endpoint_table};

endpoint_table! {
    E1 GET "/health" none [] "" -> "Health" "Check the server's health" { health.check() none; }
    E2 POST "/api/v1/provisioning/agentic-os/agents" key [] "AgentInput" -> "Agent" "Create an agent" { agents.create() body; }
    E3 GET "/api/v1/provisioning/agentic-os/agents" key [list] "" -> "ListResponse<Agent>" "List agents" { agents.list() query => iter; }
    E4 GET "/api/v1/provisioning/agentic-os/agents/{agentId}" key [] "" -> "Agent" "Get an agent" { agents.get(agent_id) none; }
    E5 PATCH "/api/v1/provisioning/agentic-os/agents/{agentId}" key [] "AgentUpdateInput" -> "Agent" "Update an agent" { agents.update(agent_id) body; }
    E6 DELETE "/api/v1/provisioning/agentic-os/agents/{agentId}" key [] "" -> "DeletedResponse" "Delete an agent" { agents.delete(agent_id) query; }
    E7 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/publish" key [] "" -> "AgentVersion" "Publish an agent version" { agents.publish(agent_id) none; }
    E8 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/deployments" key [] "DeployInput" -> "Deployment" "Deploy an agent" { agents.deploy(agent_id) body; deployments.create(agent_id) body; }
    E9 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/mcp-tools" key [] "AttachMcpToolInput" -> "McpToolAttachment" "Attach an MCP tool to an agent" { agents.attach_mcp_tool(agent_id) body; }
    E10 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/knowledge-bases" key [] "AttachKnowledgeBaseInput" -> "KnowledgeBaseAttachment" "Attach a knowledge base to an agent" { agents.attach_knowledge_base(agent_id) body; }
    E11 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/skills" key [] "AttachSkillInput" -> "SkillAttachment" "Attach a skill to an agent" { agents.attach_skill(agent_id) body; }
    E12 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/test-runs" key [idem] "AgentRunInput" -> "RunStartResponse" "Start a test run of an agent" { agents.test_run(agent_id) body; }
    E13 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/runs" key [idem] "AgentRunInput" -> "RunStartResponse" "Start a run of an agent" { agents.start_run(agent_id) body; }
    E14 POST "/api/v1/provisioning/agentic-os/agents/{agentId}/playground/runtime-tokens" key [idem] "PlaygroundRuntimeTokenInput" -> "RuntimeTokenResponse" "Mint a playground runtime token" { agents.playground_runtime_tokens(agent_id) given; }
    E15 GET "/api/v1/provisioning/agentic-os/agents/{agentId}/playground/runtime-tokens" key [] "" -> "RuntimeTokenResponse" "Get a playground runtime token" { agents.playground_runtime_tokens(agent_id) omitted; }
    E16 GET "/api/v1/provisioning/agentic-os/agents/runs/{runId}/progress" key [] "" -> "Run" "Get a run's progress" { agents.get_run_progress(run_id) none; }
    E17 GET "/api/v1/provisioning/agentic-os/agents/runs/{runId}/events" key [list] "" -> "RunEventPage" "List a run's events" { agents.list_run_events(run_id) query => iter_run_events; }
    E18 POST "/api/v1/provisioning/agentic-os/agents/runs/{runId}/cancel" key [ext] "CancelRunInput" -> "Run" "Cancel a run" { agents.cancel_run(run_id) body_opt; }
    E19 GET "/api/v1/provisioning/managed-agents/deployments/{deploymentId}/provisioning" key [] "" -> "Provisioning" "Get a deployment's provisioning" { deployments.get_provisioning(deployment_id) none; }
    E20 GET "/api/v1/provisioning/managed-agents/external-apps" key [list] "" -> "ListResponse<ExternalApp>" "List external apps" { external_apps.list() query => iter; }
    E21 POST "/api/v1/provisioning/managed-agents/external-apps" key [] "ExternalAppInput" -> "ExternalApp" "Create an external app" { external_apps.create() body; }
    E22 GET "/api/v1/provisioning/managed-agents/external-apps/{externalAppId}" key [] "" -> "ExternalApp" "Get an external app" { external_apps.get(external_app_id) none; }
    E23 PATCH "/api/v1/provisioning/managed-agents/external-apps/{externalAppId}" key [] "ExternalAppUpdateInput" -> "ExternalApp" "Update an external app" { external_apps.update(external_app_id) body; }
    E24 POST "/api/v1/provisioning/managed-agents/external-apps/{externalAppId}/deployments" key [] "BindDeploymentInput" -> "DeploymentBinding" "Bind a deployment to an external app" { external_apps.bind_deployment(external_app_id) body; }
    E25 POST "/api/v1/provisioning/managed-agents/external-apps/{externalAppId}/runtime-tokens" key [idem] "RuntimeTokenCreateInput" -> "RuntimeTokenResponse" "Mint a runtime token" { runtime_tokens.create() body_moving(external_app_id); }
    E26 POST "/api/v1/provisioning/managed-agents/external-apps/{externalAppId}/runtime-tokens/rotate" key [idem] "RotateByUniqueIdInput" -> "RuntimeTokenResponse" "Rotate a runtime token by unique id" { runtime_tokens.rotate_by_unique_id() body_moving(external_app_id); }
    E27 POST "/api/v1/provisioning/managed-agents/runtime-tokens/rotate" key [idem] "RotateRuntimeTokenInput" -> "RuntimeTokenResponse" "Rotate a runtime token" { runtime_tokens.rotate() body; }
    E28 POST "/api/v1/provisioning/managed-agents/runs/{runId}/feedback" key [idem] "FeedbackInput" -> "Feedback" "Record feedback on a run" { runtime_tokens.record_feedback(run_id) body; }
    E29 GET "/api/v1/provisioning/managed-agents/runtime-token-families" key [list] "" -> "ListResponse<TokenFamily>" "List runtime token families" { runtime_token_families.list() query => iter; }
    E30 POST "/api/v1/provisioning/managed-agents/runtime-token-families/{tokenFamilyId}/revoke" key [] "RevokeFamilyInput" -> "FamilyRevocation" "Revoke a runtime token family" { runtime_token_families.revoke(token_family_id) body_opt; runtime_tokens.revoke_family(token_family_id) body; }
    E31 GET "/api/v1/provisioning/managed-agents/runtime-token-policies" key [list] "" -> "ListResponse<RuntimeTokenPolicy>" "List runtime token policies" { runtime_token_policies.list() query => iter; }
    E32 POST "/api/v1/provisioning/managed-agents/runtime-token-policies" key [] "RuntimeTokenPolicyInput" -> "RuntimeTokenPolicy" "Create a runtime token policy" { runtime_token_policies.create() body; }
    E33 GET "/api/v1/provisioning/managed-agents/runtime-token-policies/{policyId}" key [] "" -> "RuntimeTokenPolicy" "Get a runtime token policy" { runtime_token_policies.get(policy_id) none; }
    E34 PATCH "/api/v1/provisioning/managed-agents/runtime-token-policies/{policyId}" key [] "RuntimeTokenPolicyUpdateInput" -> "RuntimeTokenPolicy" "Update a runtime token policy" { runtime_token_policies.update(policy_id) body; }
    E35 POST "/api/v1/provisioning/managed-agents/runtime-token-grants/{grantId}/revoke" key [] "RevokeGrantInput" -> "Grant" "Revoke a runtime token grant" { runtime_token_grants.revoke(grant_id) body_or_empty; }
    E36 GET "/api/v1/provisioning/managed-agents/runtime-token-usage" key [] "" -> "TokenUsageReport" "Get runtime token usage" { runtime_token_usage.get() query; }
    E37 GET "/api/v1/provisioning/agentic-os/agents/approvals" key [list] "" -> "ListResponse<Approval>" "List approvals" { approvals.list() query => iter; }
    E38 POST "/api/v1/provisioning/agentic-os/agents/runs/{runId}/approvals/{approvalId}/approve" key [] "ApprovalDecisionInput" -> "Approval" "Approve a tool call" { approvals.approve(run_id, approval_id) body_opt; }
    E39 POST "/api/v1/provisioning/agentic-os/agents/runs/{runId}/approvals/{approvalId}/reject" key [] "ApprovalDecisionInput" -> "Approval" "Reject a tool call" { approvals.reject(run_id, approval_id) body_opt; }
    E40 GET "/api/v1/provisioning/agentic-os/agents/usage" key [] "" -> "UsageReport" "Get agent usage" { usage.get_agent_usage() query; }
    E41 POST "/api/v1/provisioning/agentic-os/knowledge-bases" key [] "KnowledgeBaseInput" -> "KnowledgeBase" "Create a knowledge base" { knowledge_bases.create() body; }
    E42 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/documents/text" key [] "TextDocumentInput" -> "Document" "Upload a text document to a knowledge base" { knowledge_bases.upload_text_document(knowledge_base_id) body; }
    E43 POST "/api/v1/provisioning/agentic-os/knowledge-library/documents/text" key [] "TextDocumentInput" -> "LibraryDocument" "Create a library text document" { knowledge_bases.create_library_text_document() body; }
    E44 GET "/api/v1/provisioning/agentic-os/knowledge-library/documents" key [list] "" -> "ListResponse<LibraryDocument>" "List library documents" { knowledge_bases.list_library_documents() query => iter_library_documents; }
    E45 GET "/api/v1/provisioning/agentic-os/knowledge-library/documents/{libraryDocumentId}/findings" key [list] "" -> "ListResponse<LibraryDocumentFinding>" "List a library document's findings" { knowledge_bases.list_library_document_findings(library_document_id) query => iter_library_document_findings; }
    E46 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/library-documents" key [] "LinkLibraryDocumentInput" -> "LibraryDocumentSelection" "Link a library document to a knowledge base" { knowledge_bases.link_library_document(knowledge_base_id) body; }
    E47 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/library-documents/{selectionId}/project" key [] "ProjectLibraryDocumentInput" -> "ProjectionResult" "Project a library document into a knowledge base" { knowledge_bases.project_library_document(knowledge_base_id, selection_id) body; }
    E48 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/retrieve" key [] "RetrieveInput" -> "RetrievalResult" "Retrieve from a knowledge base" { knowledge_bases.retrieve(knowledge_base_id) body; }
    E49 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/provisional-answer" key [] "RetrieveInput" -> "ProvisionalAnswer" "Get a provisional answer from a knowledge base" { knowledge_bases.provisional_answer(knowledge_base_id) body; }
    E50 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/source-groups" key [list] "" -> "ListResponse<SourceGroup>" "List source groups" { knowledge_bases.list_source_groups(knowledge_base_id) query => iter_source_groups; }
    E51 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/source-groups" key [] "SourceGroupInput" -> "SourceGroup" "Create a source group" { knowledge_bases.create_source_group(knowledge_base_id) body; }
    E52 PATCH "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/source-groups/{sourceGroupId}" key [] "SourceGroupUpdateInput" -> "SourceGroup" "Update a source group" { knowledge_bases.update_source_group(knowledge_base_id, source_group_id) body; }
    E53 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/sources" key [list] "" -> "ListResponse<Source>" "List sources" { knowledge_bases.list_sources(knowledge_base_id) query => iter_sources; }
    E54 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/sources" key [] "SourceInput" -> "Source" "Create a source" { knowledge_bases.create_source(knowledge_base_id) body; }
    E55 PATCH "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/sources/{sourceId}" key [] "SourceUpdateInput" -> "Source" "Update a source" { knowledge_bases.update_source(knowledge_base_id, source_id) body; }
    E56 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/sources/{sourceId}/reprocess" key [] "" -> "KnowledgeJob" "Reprocess a source" { knowledge_bases.reprocess_source(knowledge_base_id, source_id) none; }
    E57 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/sources/{sourceId}/auth" key [] "LinkSourceCredentialInput" -> "Source" "Link a credential to a source" { knowledge_bases.link_source_credential(knowledge_base_id, source_id) body; }
    E58 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/ingestion-policies" key [list] "" -> "ListResponse<IngestionPolicy>" "List ingestion policies" { knowledge_bases.list_ingestion_policies(knowledge_base_id) query => iter_ingestion_policies; }
    E59 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/ingestion-policies" key [] "IngestionPolicyInput" -> "IngestionPolicy" "Create an ingestion policy" { knowledge_bases.create_ingestion_policy(knowledge_base_id) body; }
    E60 PATCH "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/ingestion-policies/{policyId}" key [] "IngestionPolicyUpdateInput" -> "IngestionPolicy" "Update an ingestion policy" { knowledge_bases.update_ingestion_policy(knowledge_base_id, policy_id) body; }
    E61 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/governance-policy" key [] "GovernancePolicyInput" -> "GovernancePolicy" "Create or replace the governance policy" { knowledge_bases.upsert_governance_policy(knowledge_base_id) body; }
    E62 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/profiles" key [list] "" -> "ListResponse<KnowledgeProfile>" "List knowledge profiles" { knowledge_bases.list_profiles(knowledge_base_id) query => iter_profiles; }
    E63 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/profiles" key [] "ProfileInput" -> "KnowledgeProfile" "Create a knowledge profile" { knowledge_bases.create_profile(knowledge_base_id) body; }
    E64 PATCH "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/profiles/{profileId}" key [] "ProfileUpdateInput" -> "KnowledgeProfile" "Update a knowledge profile" { knowledge_bases.update_profile(knowledge_base_id, profile_id) body; }
    E65 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/idocs-jobs" key [list] "" -> "ListResponse<KnowledgeJob>" "List knowledge jobs" { knowledge_bases.list_jobs(knowledge_base_id) query => iter_jobs; }
    E66 GET "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/idocs-jobs/{jobId}" key [] "" -> "KnowledgeJob" "Get a knowledge job" { knowledge_bases.get_job(knowledge_base_id, job_id) none; }
    E67 POST "/api/v1/provisioning/agentic-os/knowledge-bases/{knowledgeBaseId}/idocs-jobs/{jobId}/cancel" key [] "" -> "KnowledgeJob" "Cancel a knowledge job" { knowledge_bases.cancel_job(knowledge_base_id, job_id) none; }
    E68 GET "/api/v1/provisioning/agentic-os/mcp/catalog" key [list] "" -> "ListResponse<CatalogEntry>" "List the MCP catalog" { mcp.list_catalog() query => iter_catalog; }
    E69 POST "/api/v1/provisioning/agentic-os/mcp/servers" key [] "McpServerInput" -> "McpServer" "Register an MCP server" { mcp.create_server() body; }
    E70 GET "/api/v1/provisioning/agentic-os/mcp/servers/{serverId}" key [] "" -> "McpServer" "Get an MCP server" { mcp.get_server(server_id) none; }
    E71 PATCH "/api/v1/provisioning/agentic-os/mcp/servers/{serverId}" key [] "McpServerUpdateInput" -> "McpServer" "Update an MCP server" { mcp.update_server(server_id) body; }
    E72 POST "/api/v1/provisioning/agentic-os/mcp/servers/{serverId}/discover-tools" key [] "" -> "ToolDiscovery" "Discover an MCP server's tools" { mcp.discover_tools(server_id) none; }
    E73 POST "/api/v1/provisioning/agentic-os/mcp/installations" key [] "McpInstallInput" -> "McpInstallation" "Install an MCP server" { mcp.install_server() body; }
    E74 GET "/api/v1/provisioning/agentic-os/mcp/installations" key [list] "" -> "ListResponse<McpInstallation>" "List MCP installations" { mcp.list_installations() query => iter_installations; }
    E75 PATCH "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}" key [] "McpInstallationUpdateInput" -> "McpInstallation" "Update an MCP installation" { mcp.update_installation(installation_id) body; }
    E76 DELETE "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}" key [] "" -> "McpInstallation" "Revoke an MCP installation" { mcp.revoke_installation(installation_id) none; }
    E77 GET "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/tools" key [list] "" -> "ListResponse<McpInstallationTool>" "List an installation's tools" { mcp.list_installation_tools(installation_id) query => iter_installation_tools; }
    E78 PATCH "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/tools/{toolId}/policy" key [] "ToolPolicyInput" -> "McpInstallationTool" "Set a tool's policy" { mcp.update_tool_policy(installation_id, tool_id) body; }
    E79 POST "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/tools/{toolName}/preflight" key [] "PreflightInput" -> "PreflightResult" "Preflight a tool invocation" { mcp.preflight_invocation(installation_id, tool_name) body; }
    E80 POST "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/tools/{toolName}/invoke" key [] "InvokeToolInput" -> "ToolInvocationResult" "Invoke an MCP tool" { mcp.invoke_tool(installation_id, tool_name) body; }
    E81 POST "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/credential-bindings" key [] "CredentialBindingInput" -> "CredentialBinding" "Create a credential binding" { mcp.create_credential_binding(installation_id) body; }
    E82 DELETE "/api/v1/provisioning/agentic-os/mcp/credential-bindings/{bindingId}" key [] "" -> "DeletedResponse" "Delete a credential binding" { mcp.delete_credential_binding(binding_id) none; }
    E83 POST "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/auth-policies" key [] "AuthPolicyInput" -> "AuthPolicy" "Create or replace an auth policy" { mcp.upsert_auth_policy(installation_id) body; }
    E84 POST "/api/v1/provisioning/agentic-os/mcp/installations/{installationId}/access-grants" key [] "AccessGrantInput" -> "AccessGrant" "Grant access to an installation" { mcp.grant_access(installation_id) body; }
    E85 GET "/api/v1/provisioning/agentic-os/agents/memory-items" key [list] "" -> "ListResponse<MemoryItem>" "List memory items" { memory.list_items() query => iter_items; }
    E86 GET "/api/v1/provisioning/agentic-os/agents/memory-items/{memoryItemId}" key [] "" -> "MemoryItem" "Get a memory item" { memory.get_item(memory_item_id) none; }
    E87 PATCH "/api/v1/provisioning/agentic-os/agents/memory-items/{memoryItemId}/disable" key [] "DisableMemoryItemInput" -> "MemoryItem" "Disable a memory item" { memory.disable_item(memory_item_id) body_or_empty; }
    E88 DELETE "/api/v1/provisioning/agentic-os/agents/memory-items/{memoryItemId}" key [] "DeleteMemoryItemInput" -> "DeletedResponse" "Delete a memory item" { memory.delete_item(memory_item_id) body_or_empty; }
    E89 POST "/api/v1/provisioning/agentic-os/agents/memory-retrievals" key [] "MemoryRetrieveInput" -> "MemoryRetrievalResult" "Retrieve memory items" { memory.retrieve() body; }
    E90 GET "/api/v1/provisioning/agentic-os/agents/memory-candidates" key [list] "" -> "ListResponse<MemoryCandidate>" "List memory candidates" { memory.list_candidates() query => iter_candidates; }
    E91 POST "/api/v1/provisioning/agentic-os/agents/memory-candidates/{candidateId}/approve" key [] "ApproveMemoryCandidateInput" -> "MemoryCandidate" "Approve a memory candidate" { memory.approve_candidate(candidate_id) body_or_empty; }
    E92 POST "/api/v1/provisioning/agentic-os/agents/memory-candidates/{candidateId}/reject" key [] "RejectMemoryCandidateInput" -> "MemoryCandidate" "Reject a memory candidate" { memory.reject_candidate(candidate_id) body_or_empty; }
    E93 GET "/api/v1/provisioning/agentic-os/agents/intelligence/signals" key [list] "" -> "ListResponse<Signal>" "List intelligence signals" { intelligence.list_signals() query => iter_signals; }
    E94 GET "/api/v1/provisioning/agentic-os/agents/intelligence/rollups" key [list] "" -> "ListResponse<Rollup>" "List intelligence rollups" { intelligence.list_rollups() query => iter_rollups; }
    E95 GET "/api/v1/provisioning/agentic-os/agents/intelligence/improvements" key [list] "" -> "ListResponse<Improvement>" "List improvement candidates" { intelligence.list_improvements() query => iter_improvements; }
    E96 POST "/api/v1/provisioning/agentic-os/agents/intelligence/improvements/{candidateId}/approve" key [] "ApproveImprovementInput" -> "Improvement" "Approve an improvement" { intelligence.approve_improvement(candidate_id) body_or_empty; }
    E97 POST "/api/v1/provisioning/agentic-os/agents/intelligence/improvements/{candidateId}/reject" key [] "RejectImprovementInput" -> "Improvement" "Reject an improvement" { intelligence.reject_improvement(candidate_id) body_or_empty; }
    E98 GET "/api/v1/tenant/agents" tenant [list] "" -> "ListResponse<Agent>" "List the tenant's agents" { tenant_agents.list() query => iter; }
    E99 POST "/api/v1/tenant/agents" tenant [] "AgentInput" -> "Agent" "Create an agent (tenant)" { tenant_agents.create() body; }
    E100 GET "/api/v1/tenant/agents/{agentId}" tenant [] "" -> "Agent" "Get an agent (tenant)" { tenant_agents.get(agent_id) none; }
    E101 PATCH "/api/v1/tenant/agents/{agentId}" tenant [] "AgentUpdateInput" -> "Agent" "Update an agent (tenant)" { tenant_agents.update(agent_id) body; }
    E102 DELETE "/api/v1/tenant/agents/{agentId}" tenant [] "" -> "DeletedResponse" "Delete an agent (tenant)" { tenant_agents.delete(agent_id) query; }
    E103 POST "/api/v1/tenant/agents/{agentId}/publish" tenant [] "" -> "AgentVersion" "Publish an agent version (tenant)" { tenant_agents.publish(agent_id) none; }
    E104 POST "/api/v1/tenant/agents/{agentId}/deployments" tenant [] "DeployInput" -> "Deployment" "Deploy an agent (tenant)" { tenant_agents.deploy(agent_id) body; }
    E105 POST "/api/v1/tenant/agents/{agentId}/redeploy" tenant [] "RedeployInput" -> "Deployment" "Redeploy an agent" { tenant_agents.redeploy(agent_id) body_or_empty; }
    E106 POST "/api/v1/tenant/agents/{agentId}/test-runs" tenant [idem] "AgentRunInput" -> "RunStartResponse" "Start a test run (tenant)" { tenant_agents.test_run(agent_id) body; }
    E107 POST "/api/v1/tenant/agents/{agentId}/runs" tenant [idem] "AgentRunInput" -> "RunStartResponse" "Start a run (tenant)" { tenant_agents.start_run(agent_id) body; }
    E108 GET "/api/v1/tenant/agents/{agentId}/runs" tenant [list] "" -> "ListResponse<Run>" "List an agent's runs" { tenant_agents.list_runs(agent_id) query => iter_runs; }
    E109 GET "/api/v1/tenant/agents/runs/{runId}/progress" tenant [] "" -> "Run" "Get a run's progress (tenant)" { tenant_agents.get_run_progress(run_id) none; }
    E110 GET "/api/v1/tenant/agents/runs/{runId}/events" tenant [list] "" -> "RunEventPage" "List a run's events (tenant)" { tenant_agents.list_run_events(run_id) query => iter_run_events; }
    E111 POST "/api/v1/tenant/agents/runs/{runId}/approvals/{approvalId}/approve" tenant [] "ApprovalDecisionInput" -> "Approval" "Approve a tool call (tenant)" { tenant_agents.approve_run_approval(run_id, approval_id) body_or_empty; }
    E112 POST "/api/v1/tenant/agents/runs/{runId}/approvals/{approvalId}/reject" tenant [] "ApprovalDecisionInput" -> "Approval" "Reject a tool call (tenant)" { tenant_agents.reject_run_approval(run_id, approval_id) body_or_empty; }
    E113 GET "/api/v1/tenant/agents/deployments/{deploymentId}/provisioning" tenant [] "" -> "Provisioning" "Get a deployment's provisioning (tenant)" { tenant_agents.get_deployment_provisioning(deployment_id) none; }
    E114 POST "/api/v1/tenant/agents/{agentId}/mcp-tools" tenant [] "AttachMcpToolInput" -> "McpToolAttachment" "Attach an MCP tool (tenant)" { tenant_agents.attach_mcp_tool(agent_id) body; }
    E115 POST "/api/v1/tenant/agents/{agentId}/knowledge-bases" tenant [] "AttachKnowledgeBaseInput" -> "KnowledgeBaseAttachment" "Attach a knowledge base (tenant)" { tenant_agents.attach_knowledge_base(agent_id) body; }
    E116 POST "/api/v1/tenant/agents/{agentId}/skills" tenant [] "AttachSkillInput" -> "SkillAttachment" "Attach a skill (tenant)" { tenant_agents.attach_skill(agent_id) body; }
    E117 GET "/api/v1/tenant/agents/external-apps" tenant [list] "" -> "ListResponse<ExternalApp>" "List external apps (tenant)" { tenant_agents.list_external_apps() query => iter_external_apps; }
    E118 POST "/api/v1/tenant/agents/{agentId}/playground/runtime-tokens" tenant [idem] "PlaygroundRuntimeTokenInput" -> "RuntimeTokenResponse" "Mint a playground runtime token (tenant)" { tenant_agents.mint_playground_runtime_token(agent_id) body; }
    E119 POST "/api/v1/agent-runtime/runs" runtime [idem] "RunStartInput" -> "RunStartResponse" "Start a run (runtime)" { runtime_runs.start() body; }
    E120 GET "/api/v1/agent-runtime/runs/{runId}/events" runtime [list] "" -> "RunEventPage" "List a run's events (runtime)" { runtime_runs.events(run_id) query => iter_events; }
    E121 GET "/api/v1/agent-runtime/runs/{runId}/aiui" runtime [sse] "" -> "SseEvent" "Stream a run's events" { runtime_runs.stream(run_id) stream; }
    E122 POST "/api/v1/agent-runtime/runs/{runId}/cancel" runtime [ext] "CancelRunInput" -> "Run" "Cancel a run (runtime)" { runtime_runs.cancel(run_id) body_opt; }
    E123 POST "/api/v1/agent-runtime/runs/{runId}/approvals/{approvalId}/approve" runtime [] "ApprovalDecisionInput" -> "Approval" "Approve a tool call (runtime)" { runtime_approvals.approve(run_id, approval_id) body_opt; }
    E124 POST "/api/v1/agent-runtime/runs/{runId}/approvals/{approvalId}/reject" runtime [] "ApprovalDecisionInput" -> "Approval" "Reject a tool call (runtime)" { runtime_approvals.reject(run_id, approval_id) body_opt; }
    E125 POST "/api/v1/agent-runtime/runs/{runId}/feedback" runtime [idem] "FeedbackInput" -> "Feedback" "Send feedback on a run (runtime)" { runtime_feedback.create(run_id) body; }
    E126 POST "/api/v1/agent-runtime/runs/{runId}/tool-results" runtime [ext] "ToolResultInput" -> "Run" "Submit a client tool result (runtime)" { runtime_runs.submit_tool_result(run_id) body; }
    E127 POST "/api/v1/provisioning/agentic-os/agents/runs/{runId}/tool-results" key [ext] "ToolResultInput" -> "Run" "Submit a client tool result" { agents.submit_tool_result(run_id) body; }
    E128 POST "/api/v1/provisioning/managed-agents/webhooks" key [ext] "WebhookEndpointInput" -> "WebhookEndpoint" "Create a webhook endpoint" { webhooks.create() body; }
    E129 GET "/api/v1/provisioning/managed-agents/webhooks" key [list, ext] "" -> "ListResponse<WebhookEndpoint>" "List webhook endpoints" { webhooks.list() query => iter; }
    E130 GET "/api/v1/provisioning/managed-agents/webhooks/{webhookId}" key [ext] "" -> "WebhookEndpoint" "Get a webhook endpoint" { webhooks.get(webhook_id) none; }
    E131 PATCH "/api/v1/provisioning/managed-agents/webhooks/{webhookId}" key [ext] "WebhookEndpointUpdateInput" -> "WebhookEndpoint" "Update a webhook endpoint" { webhooks.update(webhook_id) body; }
    E132 DELETE "/api/v1/provisioning/managed-agents/webhooks/{webhookId}" key [ext] "" -> "DeletedResponse" "Delete a webhook endpoint" { webhooks.delete(webhook_id) none; }
    E133 POST "/api/v1/provisioning/managed-agents/webhooks/{webhookId}/rotate-secret" key [ext] "" -> "WebhookEndpoint" "Rotate a webhook endpoint's secret" { webhooks.rotate_secret(webhook_id) none; }
    E134 GET "/api/v1/provisioning/managed-agents/webhooks/{webhookId}/deliveries" key [list, ext] "" -> "ListResponse<WebhookDelivery>" "List a webhook endpoint's deliveries" { webhooks.list_deliveries(webhook_id) query => iter_deliveries; }
    E135 POST "/api/v1/provisioning/managed-agents/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver" key [ext] "" -> "WebhookDelivery" "Redeliver a webhook delivery" { webhooks.redeliver(webhook_id, delivery_id) none; }
}
