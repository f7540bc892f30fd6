//! The command line: every command, argument and help text (`crates/zaby-cli/README.md`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use zaby::types::{AgentModel, AgentStatus, ApprovalStatus, DeploymentEnvironment, WebhookDeliveryStatus};

#[derive(Parser)]
#[command(
    name = "zaby",
    version,
    about = "Talk to a Zaby server: agents, chats, runs, approvals, knowledge, MCP tools, webhooks and usage.",
    after_help = "Examples:\n  zaby dev                                   # a local server on http://127.0.0.1:9080\n  zaby agents create --slug helper --name Helper\n  zaby chat helper --message \"hello\"\n\nThe server is ZABY_API_ORIGIN (or --origin) with ZABY_API_KEY (or --api-key); with neither set,\nthe local server started by `zaby dev` in this folder (its key is ./.zaby/dev-api-key)."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub(crate) struct Global {
    /// Origin of the Zaby server.
    #[arg(long, global = true, env = "ZABY_API_ORIGIN", value_name = "URL")]
    pub origin: Option<String>,
    /// API key (zaby_pk_…).
    #[arg(long, global = true, env = "ZABY_API_KEY", hide_env_values = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Print the API objects as one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Start a local zaby-server on SQLite and print how to reach it.
    #[command(after_help = "Example: zaby dev --port 9080")]
    Dev {
        /// SQLite database file [default: ./.zaby/zaby.db].
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// Port on 127.0.0.1.
        #[arg(long, default_value_t = 9080)]
        port: u16,
    },
    /// Origin, server version, database kind, and whether the API key works.
    #[command(after_help = "Example: zaby status")]
    Status,
    /// Create, publish, deploy and delete agents.
    #[command(subcommand)]
    Agents(AgentsCmd),
    /// Chat with a deployed agent (one turn with --message).
    #[command(after_help = "Example: zaby chat helper --message \"what is on my order?\"")]
    Chat {
        /// Agent id or slug.
        agent: String,
        /// End-user id the chat runs as [default: a generated zaby-cli-… user].
        #[arg(long, value_name = "ID")]
        user: Option<String>,
        /// Send this one message, print the answer and exit (0 when the run completed).
        #[arg(long, value_name = "TEXT")]
        message: Option<String>,
    },
    /// Inspect and cancel runs.
    #[command(subcommand)]
    Runs(RunsCmd),
    /// Decide approvals that runs wait for.
    #[command(subcommand)]
    Approvals(ApprovalsCmd),
    /// Runtime tokens for external apps.
    #[command(subcommand)]
    Tokens(TokensCmd),
    /// Knowledge bases: create, upload documents, search.
    #[command(subcommand)]
    Kb(KbCmd),
    /// MCP servers: register, list tools, call a tool.
    #[command(subcommand)]
    Mcp(McpCmd),
    /// Webhook endpoints: create, update, rotate the secret, deliveries, redeliver.
    #[command(subcommand)]
    Webhooks(WebhooksCmd),
    /// Usage of agents over a time window, as a table.
    #[command(after_help = "Example: zaby usage --agent helper --from 2026-12-01T00:00:00Z")]
    Usage {
        /// Agent id or slug [default: every agent].
        #[arg(long, value_name = "AGENT")]
        agent: Option<String>,
        /// Start of the window (ISO-8601) [default: 30 days ago].
        #[arg(long)]
        from: Option<String>,
        /// End of the window (ISO-8601) [default: now].
        #[arg(long)]
        to: Option<String>,
    },
    /// Print a shell completion script.
    #[command(after_help = "Example: zaby completions bash > ~/.local/share/bash-completion/completions/zaby")]
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
pub(crate) enum AgentsCmd {
    /// List agents.
    #[command(after_help = "Example: zaby agents list --status ACTIVE")]
    List {
        /// Only agents in this status (DRAFT, ACTIVE, PAUSED, DISABLED).
        #[arg(long)]
        status: Option<AgentStatus>,
    },
    /// Show one agent.
    #[command(after_help = "Example: zaby agents get helper")]
    Get { agent: String },
    /// Create a draft agent.
    #[command(after_help = "Example: zaby agents create --slug helper --name Helper --instructions @prompt.txt")]
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// The instructions, or @FILE to read them from a file.
        #[arg(long, value_name = "TEXT|@FILE")]
        instructions: Option<String>,
        /// Model name [server default: zaby].
        #[arg(long)]
        model: Option<AgentModel>,
    },
    /// Publish the agent's current configuration as a new version.
    #[command(after_help = "Example: zaby agents publish helper")]
    Publish { agent: String },
    /// Deploy the newest published version.
    #[command(after_help = "Example: zaby agents deploy helper --wait")]
    Deploy {
        agent: String,
        /// TEST, STAGING or PRODUCTION [server default: TEST].
        #[arg(long)]
        environment: Option<DeploymentEnvironment>,
        /// Wait until the deployment is ACTIVE.
        #[arg(long)]
        wait: bool,
    },
    /// Delete an agent.
    #[command(after_help = "Example: zaby agents delete helper --force")]
    Delete {
        agent: String,
        /// Deactivate its deployments first.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum RunsCmd {
    /// Show a run.
    #[command(after_help = "Example: zaby runs get 01JF…")]
    Get { run: String },
    /// Print a run's events (--follow: until the run ends).
    #[command(after_help = "Example: zaby runs events 01JF… --follow")]
    Events {
        run: String,
        #[arg(long)]
        follow: bool,
    },
    /// Cancel a run.
    #[command(after_help = "Example: zaby runs cancel 01JF… --reason \"wrong input\"")]
    Cancel {
        run: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum ApprovalsCmd {
    /// List approvals.
    #[command(after_help = "Example: zaby approvals list --status PENDING")]
    List {
        /// PENDING, APPROVED, REJECTED, EXPIRED or CANCELLED.
        #[arg(long, default_value = "PENDING")]
        status: ApprovalStatus,
        /// Only this run's approvals.
        #[arg(long)]
        run: Option<String>,
    },
    /// Approve a pending tool call.
    #[command(after_help = "Example: zaby approvals approve RUN APPROVAL --reason ok")]
    Approve(Decision),
    /// Reject a pending tool call.
    #[command(after_help = "Example: zaby approvals reject RUN APPROVAL --reason \"too costly\"")]
    Reject(Decision),
}

#[derive(Args)]
pub(crate) struct Decision {
    pub run: String,
    pub approval: String,
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum TokensCmd {
    /// Mint a runtime token for an end user of an external app.
    #[command(after_help = "Example: zaby tokens mint --app APP_ID --user customer-42")]
    Mint {
        /// External app id.
        #[arg(long)]
        app: String,
        /// The end user's id in your system.
        #[arg(long)]
        user: String,
        /// Runtime-token policy id [default: the app's only active policy].
        #[arg(long)]
        policy: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum KbCmd {
    /// Create a knowledge base.
    #[command(after_help = "Example: zaby kb create \"Product docs\"")]
    Create { name: String },
    /// Upload text files and wait until each is ingested.
    #[command(after_help = "Example: zaby kb upload KB_ID docs/*.md")]
    Upload {
        kb: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Search a knowledge base.
    #[command(after_help = "Example: zaby kb search KB_ID \"refund policy\"")]
    Search {
        kb: String,
        query: String,
        /// Number of chunks.
        #[arg(long, default_value_t = 5)]
        top_k: u32,
    },
}

#[derive(Subcommand)]
pub(crate) enum McpCmd {
    /// Register an MCP server (Streamable HTTP) and install it.
    #[command(after_help = "Example: zaby mcp add docs --url https://mcp.example.com/mcp")]
    Add {
        name: String,
        #[arg(long)]
        url: String,
    },
    /// List the tools of an installation (by name or id).
    #[command(after_help = "Example: zaby mcp tools zaby-builtin")]
    Tools { name: String },
    /// Call a tool of an installation.
    #[command(after_help = "Example: zaby mcp call zaby-builtin sum '{\"numbers\":[2,3]}'")]
    Call {
        name: String,
        tool: String,
        /// Arguments as a JSON object.
        #[arg(default_value = "{}")]
        arguments: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum WebhooksCmd {
    /// List webhook endpoints.
    #[command(after_help = "Example: zaby webhooks list")]
    List,
    /// Create an endpoint; its secret is printed this once.
    #[command(
        after_help = "Example: zaby webhooks create --url https://example.com/zaby --events run.completed,run.failed"
    )]
    Create {
        /// https://…, or http:// to a loopback host.
        #[arg(long)]
        url: String,
        /// Event types, comma-separated (run.completed, approval.decided, …), or * for all.
        #[arg(long, required = true, value_delimiter = ',')]
        events: Vec<String>,
        #[command(flatten)]
        scope: WebhookScope,
        /// Create it paused (no deliveries until enabled).
        #[arg(long)]
        disabled: bool,
    },
    /// Show one endpoint.
    #[command(after_help = "Example: zaby webhooks get WEBHOOK_ID")]
    Get { webhook: String },
    /// Change an endpoint; only the options given change.
    #[command(after_help = "Example: zaby webhooks update WEBHOOK_ID --disable")]
    Update {
        webhook: String,
        #[arg(long)]
        url: Option<String>,
        /// Event types, comma-separated, or * for all.
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
        #[command(flatten)]
        scope: WebhookScope,
        /// Resume deliveries (clears a disabled reason).
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Pause deliveries.
        #[arg(long)]
        disable: bool,
    },
    /// Delete an endpoint and its deliveries.
    #[command(after_help = "Example: zaby webhooks delete WEBHOOK_ID")]
    Delete { webhook: String },
    /// A new secret, printed this once (the old one still signs for 24 hours).
    #[command(after_help = "Example: zaby webhooks rotate-secret WEBHOOK_ID")]
    RotateSecret { webhook: String },
    /// An endpoint's deliveries: status, attempts, last answer.
    #[command(after_help = "Example: zaby webhooks deliveries WEBHOOK_ID --status FAILED")]
    Deliveries {
        webhook: String,
        /// PENDING, SUCCEEDED or FAILED.
        #[arg(long)]
        status: Option<WebhookDeliveryStatus>,
    },
    /// Queue a new attempt of a delivery now (a succeeded one too).
    #[command(after_help = "Example: zaby webhooks redeliver WEBHOOK_ID DELIVERY_ID")]
    Redeliver { webhook: String, delivery: String },
}

#[derive(Args)]
pub(crate) struct WebhookScope {
    /// Only this agent's events (id or slug; repeat for several) [default: every agent].
    #[arg(long = "agent", value_name = "AGENT")]
    pub agents: Vec<String>,
    #[arg(long)]
    pub description: Option<String>,
}
