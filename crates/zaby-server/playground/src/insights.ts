// Usage and intelligence signals of an agent (`docs/web.md`, item 4; E40, E93).
import { busy, fill, h, json } from "./dom.js";
import { ErrorSlot } from "./errors.js";
import type { State } from "./state.js";

export function insightsPanel(state: State): { el: HTMLElement; show(): void } {
  const errors = new ErrorSlot();
  const agent = h("select", { name: "agentId", "aria-label": "Agent" });
  const load = h("button", { type: "submit" }, "Show");
  const totals = h("dl", { class: "totals" });
  const signals = h("tbody");
  const form = h("form", { class: "row", "aria-label": "Choose an agent" }, h("label", {}, "Agent ", agent), load);

  function options(): void {
    const current = agent.value;
    fill(agent, ...state.agents.map((a) => h("option", { value: a.id }, a.slug)));
    if (current) agent.value = current;
  }
  state.onChange(options);

  async function show(): Promise<void> {
    if (!agent.value) return;
    const [usage, page] = await Promise.all([
      state.api.usage.getAgentUsage({ agentId: agent.value }),
      state.api.intelligence.listSignals({ agentId: agent.value, limit: 50 }),
    ]);
    const t = usage.totals;
    const stats: Array<[string, unknown]> = t
      ? [["runs", t.runs], ["completed", t.completedRuns], ["failed", t.failedRuns], ["tool calls", t.toolCalls],
        ["approvals requested", t.approvalsRequested], ["feedback", t.feedbackCount], ["average rating", t.averageRating ?? "–"],
        ["input tokens", t.inputTokens], ["output tokens", t.outputTokens], ["p95 latency ms", t.p95LatencyMs ?? "–"]]
      : [];
    fill(totals, ...stats.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-stat": k }, String(v))]));
    fill(signals, ...page.items.map((s) =>
      h("tr", {}, h("td", {}, s.type), h("td", {}, s.value == null ? "–" : String(s.value)),
        h("td", {}, h("code", {}, s.runId ?? "–")), h("td", {}, h("code", {}, json(s.payload ?? {}))))));
    if (page.items.length === 0) fill(signals, h("tr", {}, h("td", { colspan: 4 }, "No signals yet.")));
    errors.clear();
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void busy(load, show, (e) => errors.show(e));
  });

  const el = h("section", { id: "insights", class: "panel", "aria-label": "Usage and signals" },
    errors.el, h("h2", {}, "Usage and signals"), form,
    h("h3", {}, "Usage, last 30 days"), totals,
    h("h3", {}, "Intelligence signals"),
    h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Type"), h("th", {}, "Value"), h("th", {}, "Run"), h("th", {}, "Payload"))), signals)));
  return {
    el,
    show() {
      options();
      void busy(load, show, (e) => errors.show(e));
    },
  };
}
