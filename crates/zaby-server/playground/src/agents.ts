// Agents and deployments (`docs/web.md`, item 1): the list, a create form, and for the
// selected agent its tools and knowledge bases, publish, deploy, and the deployment
// watched from PENDING to ACTIVE.
import type { Agent, CatalogEntry } from "@zaby/sdk/types";
import { busy, fields, fill, h } from "./dom.js";
import { ErrorSlot } from "./errors.js";
import type { State } from "./state.js";

export interface AgentsPanel {
  el: HTMLElement;
  show(): Promise<void>;
}

/** `openChat(agentId, deploymentId)` moves to the chat with that deployment chosen. */
export function agentsPanel(state: State, openChat: (agentId: string, deploymentId: string) => void): AgentsPanel {
  const errors = new ErrorSlot();
  const list = h("tbody");
  const detail = h("div", { class: "detail", "aria-live": "polite" });
  let selected: string | null = null;
  // Kept across re-renders of the same agent, so "Published…" and the deployment's
  // progress stay visible after the list is refreshed.
  const status = h("p", { class: "deploy-status", "aria-live": "polite" });
  let catalog: CatalogEntry[] | null = null;

  const report = (e: unknown) => errors.show(e);

  const createForm = h(
    "form",
    { class: "stack", "aria-label": "Create an agent" },
    h("h3", {}, "New agent"),
    h("label", {}, "Slug", h("input", { name: "slug", autocomplete: "off", placeholder: "support-bot" })),
    h("label", {}, "Name", h("input", { name: "name", autocomplete: "off", placeholder: "Support bot" })),
    h("label", {}, "Instructions", h("textarea", { name: "instructions", rows: 3 })),
    h("label", {}, "Model", h("input", { name: "model", value: "zaby", autocomplete: "off" })),
    h("button", { type: "submit" }, "Create agent"),
  );
  createForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = fields(createForm);
    // The server validates slug and name (one rule set, `docs/api/health.md`); its answer is shown as is.
    void busy(createForm.querySelector("button"), async () => {
      const agent = await state.api.agents.create({
        slug: f.slug,
        name: f.name || f.slug,
        instructions: f.instructions || null,
        defaultModel: f.model || "zaby",
      });
      errors.clear();
      createForm.reset();
      fill(status);
      selected = agent.id;
      await refresh();
    }, report);
  });

  async function refresh(): Promise<void> {
    const agents = await state.refreshAgents();
    fill(list, ...agents.map(row));
    if (agents.length === 0) fill(list, h("tr", {}, h("td", { colspan: 4 }, "No agents yet: create one.")));
    renderDetail(agents.find((a) => a.id === selected) ?? null);
  }

  function row(a: Agent): HTMLElement {
    const open = h("button", { class: "link", type: "button" }, a.slug);
    open.addEventListener("click", () => {
      if (selected !== a.id) fill(status);
      selected = a.id;
      renderDetail(a);
    });
    return h(
      "tr",
      { "data-agent": a.slug, class: a.id === selected ? "selected" : undefined },
      h("td", {}, open),
      h("td", {}, a.name),
      h("td", {}, h("span", { class: "badge" }, a.status)),
      h("td", {}, a.latestVersion != null ? "v" + a.latestVersion : "–", " · ", String(a.activeDeployments.length), " active"),
    );
  }

  function renderDetail(a: Agent | null): void {
    if (!a) {
      fill(detail, h("p", { class: "muted" }, "Select an agent to publish, deploy and chat with it."));
      return;
    }
    const publish = h("button", { type: "button" }, "Publish");
    const env = h("select", { name: "environment", "aria-label": "Environment" },
      h("option", { value: "TEST" }, "TEST"), h("option", { value: "STAGING" }, "STAGING"), h("option", { value: "PRODUCTION" }, "PRODUCTION"));
    const deploy = h("button", { type: "button", disabled: a.latestVersionId == null }, "Deploy latest version");
    publish.addEventListener("click", () =>
      void busy(publish, async () => {
        const v = await state.api.agents.publish(a.id);
        fill(status, `Published version ${v.version}.`);
        errors.clear();
        await refresh();
      }, report));
    deploy.addEventListener("click", () =>
      void busy(deploy, async () => {
        const d = await state.api.agents.deploy(a.id, { agentVersionId: a.latestVersionId!, environment: env.value as "TEST" });
        fill(status, "Deployment ", h("code", {}, d.id), " ", h("span", { class: "badge pending" }, d.status));
        errors.clear();
        await state.api.deployments.waitUntilActive(d.id, { timeoutMs: 60_000 });
        fill(status, "Deployment ", h("code", {}, d.id), " ", h("span", { class: "badge active" }, "ACTIVE"));
        await refresh();
      }, report));

    const deployments = a.activeDeployments.map((d) => {
      const chat = h("button", { type: "button" }, "Chat");
      chat.addEventListener("click", () => openChat(a.id, d.id));
      return h("li", {}, h("code", {}, d.id), " ", d.environment ?? "", " ", h("span", { class: "badge active" }, d.status), " ", chat);
    });
    fill(
      detail,
      h("h3", {}, a.name, " ", h("span", { class: "badge" }, a.status)),
      h("p", { class: "muted" }, h("code", {}, a.slug), " · model ", a.defaultModel, a.latestVersion != null ? ` · version ${a.latestVersion}` : ""),
      h("div", { class: "row" }, publish, env, deploy),
      status,
      h("h4", {}, "Active deployments"),
      deployments.length ? h("ul", { class: "plain" }, ...deployments) : h("p", { class: "muted" }, "None yet: publish, then deploy."),
      h("h4", {}, "Tools"),
      h("ul", { class: "plain" }, ...(a.mcpTools ?? []).map((t) => h("li", {}, h("code", {}, t.key), " approval ", t.approvalMode))),
      toolForm(a),
      h("h4", {}, "Knowledge bases"),
      h("ul", { class: "plain" }, ...(a.knowledgeBases ?? []).map((k) => h("li", {}, k.name, " ", h("code", {}, k.knowledgeBaseId)))),
      knowledgeForm(a),
    );
  }

  function toolForm(a: Agent): HTMLElement {
    const tool = h("select", { name: "toolId", "aria-label": "Tool" }, h("option", { value: "" }, "loading the MCP catalog…"));
    const mode = h("select", { name: "approvalMode", "aria-label": "Approval mode" },
      h("option", { value: "MANUAL" }, "manual approval"), h("option", { value: "AUTO" }, "no approval"),
      h("option", { value: "TENANT_POLICY" }, "tenant policy"));
    const attach = h("button", { type: "submit" }, "Attach tool");
    const form = h("form", { class: "row", "aria-label": "Attach a tool" }, tool, mode, attach);
    const load = async () => {
      catalog ??= (await state.api.mcp.listCatalog({ limit: 100 })).items;
      fill(tool, ...catalog.map((c) => h("option", { value: c.toolId }, `${c.toolName} (${c.serverSlug})`)));
    };
    void load().catch(report);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void busy(attach, async () => {
        await state.api.agents.attachMcpTool(a.id, { toolId: tool.value, approvalMode: mode.value as "MANUAL" });
        errors.clear();
        await refresh();
      }, report);
    });
    return form;
  }

  function knowledgeForm(a: Agent): HTMLElement {
    const kb = h("select", { name: "knowledgeBaseId", "aria-label": "Knowledge base" },
      ...state.knowledgeBases.map((k) => h("option", { value: k.id }, k.name)));
    const attach = h("button", { type: "submit", disabled: state.knowledgeBases.length === 0 }, "Attach knowledge base");
    const form = h("form", { class: "row", "aria-label": "Attach a knowledge base" }, kb, attach);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void busy(attach, async () => {
        await state.api.agents.attachKnowledgeBase(a.id, { knowledgeBaseId: kb.value });
        errors.clear();
        await refresh();
      }, report);
    });
    return form;
  }

  const refreshButton = h("button", { type: "button" }, "Refresh");
  refreshButton.addEventListener("click", () => void busy(refreshButton, refresh, report));

  const el = h(
    "section",
    { id: "agents", class: "panel", "aria-label": "Agents" },
    errors.el,
    h(
      "div",
      { class: "columns" },
      h(
        "div",
        {},
        h("div", { class: "row" }, h("h2", {}, "Agents"), refreshButton),
        h("div", { class: "scroll" }, h("table", {},
          h("thead", {}, h("tr", {}, h("th", {}, "Slug"), h("th", {}, "Name"), h("th", {}, "Status"), h("th", {}, "Versions"))),
          list)),
        createForm,
      ),
      detail,
    ),
  );
  renderDetail(null);
  return { el, show: () => refresh().catch(report) };
}
