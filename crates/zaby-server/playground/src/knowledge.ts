// Knowledge bases (`docs/web.md`, item 5): create one and add a text document, then run a
// retrieval query and see each passage with its score (E41, E42, E48).
import { busy, fields, fill, h } from "./dom.js";
import { ErrorSlot } from "./errors.js";
import type { State } from "./state.js";

export function knowledgePanel(state: State): { el: HTMLElement; show(): void } {
  const errors = new ErrorSlot();
  const report = (e: unknown) => errors.show(e);
  const kb = h("select", { name: "knowledgeBaseId", "aria-label": "Knowledge base" });
  const results = h("tbody");
  const jobStatus = h("p", { class: "muted", "aria-live": "polite" });

  function options(): void {
    const current = kb.value;
    fill(kb, ...state.knowledgeBases.map((k) => h("option", { value: k.id }, `${k.name} (${k.id})`)));
    if (current) kb.value = current;
  }
  state.onChange(options);

  const create = h("form", { class: "stack", "aria-label": "Add a knowledge base" },
    h("h3", {}, "New knowledge base with one document"),
    h("label", {}, "Name", h("input", { name: "name", autocomplete: "off" })),
    h("label", {}, "Document title", h("input", { name: "title", autocomplete: "off" })),
    h("label", {}, "Text", h("textarea", { name: "content", rows: 5 })),
    h("button", { type: "submit" }, "Create and index"));
  create.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = fields(create);
    void busy(create.querySelector("button"), async () => {
      const made = await state.api.knowledgeBases.create({ name: f.name });
      state.rememberKnowledgeBase({ id: made.id, name: made.name });
      state.changed();
      kb.value = made.id;
      const doc = await state.api.knowledgeBases.uploadTextDocument(made.id, { title: f.title || undefined, content: f.content });
      errors.clear();
      create.reset();
      const jobId = doc.jobId;
      if (!jobId) return;
      for (let i = 0; i < 300; i++) {
        const job = await state.api.knowledgeBases.getJob(made.id, jobId);
        fill(jobStatus, `Indexing ${doc.title}: ${job.status}`);
        if (job.status !== "QUEUED" && job.status !== "RUNNING") return;
        await new Promise((r) => setTimeout(r, 200));
      }
    }, report);
  });

  const query = h("input", { name: "query", autocomplete: "off", "aria-label": "Query" });
  const topK = h("input", { name: "topK", type: "number", min: 1, max: 50, value: 5, "aria-label": "Results" });
  const search = h("button", { type: "submit" }, "Retrieve");
  const retrieve = h("form", { class: "row", "aria-label": "Retrieve" }, kb, query, topK, search);
  retrieve.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void busy(search, async () => {
      const r = await state.api.knowledgeBases.retrieve(kb.value, { query: query.value, topK: Number(topK.value) });
      fill(results, ...r.items.map((c) =>
        h("tr", {}, h("td", { class: "score" }, c.score.toFixed(3)), h("td", {}, c.title), h("td", {}, c.content))));
      if (r.items.length === 0) fill(results, h("tr", {}, h("td", { colspan: 3 }, "Nothing matched.")));
      errors.clear();
    }, report);
  });

  const el = h("section", { id: "knowledge", class: "panel", "aria-label": "Knowledge" },
    errors.el, h("h2", {}, "Knowledge"),
    h("div", { class: "columns" },
      h("div", {}, h("h3", {}, "Retrieval"), retrieve,
        h("div", { class: "scroll" }, h("table", {},
          h("thead", {}, h("tr", {}, h("th", {}, "Score"), h("th", {}, "Document"), h("th", {}, "Passage"))), results))),
      h("div", {}, create, jobStatus)));
  return { el, show: options };
}
