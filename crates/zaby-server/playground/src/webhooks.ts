// Webhook endpoints (`docs/webhooks.md`; E128–E135): the list, a create form whose answer
// shows the secret this one time, enable/disable, a new secret, delete, and for the
// chosen endpoint its deliveries (status, attempts, the answer's status) with redeliver.
import type { WebhookDelivery, WebhookEndpoint, WebhookEventType } from "@zaby/sdk/types";
import { busy, fields, fill, h } from "./dom.js";
import { ErrorSlot } from "./errors.js";
import type { State } from "./state.js";

// A record, so that the compiler fails when the SDK gains an event type this page lacks.
const EVENT_TYPES = Object.keys({
  "run.started": 0, "run.completed": 0, "run.failed": 0, "run.cancelled": 0, "run.waiting_for_approval": 0,
  "run.waiting_for_tool_result": 0, "approval.decided": 0, "feedback.created": 0, "deployment.active": 0,
  "deployment.failed": 0, "knowledge.job.succeeded": 0, "knowledge.job.failed": 0,
} satisfies Record<WebhookEventType, 0>);

export function webhooksPanel(state: State): { el: HTMLElement; show(): void } {
  const errors = new ErrorSlot();
  const report = (e: unknown) => errors.show(e);
  const list = h("tbody");
  const secretSlot = h("div", { "aria-live": "polite" });
  const deliveriesTitle = h("h3", {}, "Deliveries");
  const deliveries = h("tbody");
  let chosen: WebhookEndpoint | null = null;

  const events = h("fieldset", { class: "events" }, h("legend", {}, "Events"),
    ...["*", ...EVENT_TYPES].map((t) => h("label", {},
      h("input", { type: "checkbox", name: "events", value: t, checked: t === "*" }), t === "*" ? "all events (*)" : t)));
  const create = h("form", { class: "stack", "aria-label": "Add a webhook endpoint" },
    h("h3", {}, "New endpoint"),
    h("label", {}, "URL", h("input", { name: "url", autocomplete: "off", placeholder: "https://example.com/zaby" })),
    h("label", {}, "Description", h("input", { name: "description", autocomplete: "off" })),
    events,
    h("button", { type: "submit" }, "Create endpoint"));
  create.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = fields(create);
    const picked = [...create.querySelectorAll<HTMLInputElement>('input[name="events"]:checked')].map((c) => c.value);
    void busy(create.querySelector("button"), async () => {
      // The server checks the URL and the events; its answer is shown as is.
      const made = await state.api.webhooks.create({ url: f.url, events: picked, description: f.description || undefined });
      errors.clear();
      create.reset();
      showSecret(made, "created");
      await refresh();
    }, report);
  });

  /** The secret of a create or rotate answer: the only time the server shows it. */
  function showSecret(w: WebhookEndpoint, what: string): void {
    fill(secretSlot, h("div", { class: "card secret", role: "status" },
      h("p", {}, `Endpoint ${what}: `, h("code", {}, w.id)),
      h("p", {}, "Signing secret: ", h("code", { class: "secret-value" }, w.secret ?? "–")),
      h("p", { class: "warn" }, "Store it now: it will not be shown again.")));
  }

  async function refresh(): Promise<void> {
    const all: WebhookEndpoint[] = [];
    for await (const w of state.api.webhooks.iter({ limit: 100 })) all.push(w);
    fill(list, ...all.map(row));
    if (all.length === 0) fill(list, h("tr", {}, h("td", { colspan: 4 }, "No endpoints yet: create one.")));
    chosen = all.find((w) => w.id === chosen?.id) ?? null;
    await showDeliveries();
  }

  function row(w: WebhookEndpoint): HTMLElement {
    const open = h("button", { class: "link", type: "button" }, w.url);
    open.addEventListener("click", () => {
      chosen = w;
      void busy(null, refresh, report);
    });
    const toggle = h("button", { type: "button" }, w.enabled ? "Disable" : "Enable");
    toggle.addEventListener("click", () => void busy(toggle, async () => {
      await state.api.webhooks.update(w.id, { enabled: !w.enabled });
      errors.clear();
      await refresh();
    }, report));
    const rotate = h("button", { type: "button" }, "New secret");
    rotate.addEventListener("click", () => void busy(rotate, async () => {
      showSecret(await state.api.webhooks.rotateSecret(w.id), "given a new secret (the old one signs too for 24 hours)");
      errors.clear();
    }, report));
    const remove = h("button", { type: "button", class: "reject" }, "Delete");
    remove.addEventListener("click", () => void busy(remove, async () => {
      await state.api.webhooks.delete(w.id);
      errors.clear();
      await refresh();
    }, report));
    const stateText = w.disabledReason ? `disabled: ${w.disabledReason}` : w.enabled ? "enabled" : "disabled";
    return h("tr", { "data-webhook": w.id, class: w.id === chosen?.id ? "selected" : undefined },
      h("td", {}, open, w.description ? h("div", { class: "muted" }, w.description) : null),
      h("td", {}, w.events.join(", ")),
      h("td", {}, h("span", { class: w.enabled ? "badge active" : "badge pending" }, stateText)),
      h("td", {}, h("div", { class: "row" }, toggle, rotate, remove)));
  }

  async function showDeliveries(): Promise<void> {
    if (!chosen) {
      fill(deliveriesTitle, "Deliveries");
      fill(deliveries, h("tr", {}, h("td", { colspan: 7 }, "Choose an endpoint to see its deliveries.")));
      return;
    }
    const page = await state.api.webhooks.listDeliveries(chosen.id, { limit: 100 });
    fill(deliveriesTitle, "Deliveries to ", h("code", {}, chosen.url));
    fill(deliveries, ...page.items.map(deliveryRow));
    if (page.items.length === 0) fill(deliveries, h("tr", {}, h("td", { colspan: 7 }, "No deliveries yet.")));
  }

  function deliveryRow(d: WebhookDelivery): HTMLElement {
    const again = h("button", { type: "button" }, "Redeliver");
    again.addEventListener("click", () => void busy(again, async () => {
      await state.api.webhooks.redeliver(d.webhookId, d.id);
      errors.clear();
      await showDeliveries();
    }, report));
    const badge = d.status === "SUCCEEDED" ? "badge active" : d.status === "PENDING" ? "badge pending" : "badge failed";
    return h("tr", { "data-delivery": d.id, "data-event": d.eventType },
      h("td", {}, d.eventType, h("div", {}, h("code", {}, d.eventId))),
      h("td", {}, h("span", { class: badge }, d.status)),
      h("td", { class: "attempts" }, String(d.attempts)),
      h("td", { class: "response" }, d.responseStatus == null ? "–" : String(d.responseStatus)),
      h("td", {}, d.lastAttemptAt ?? "–"),
      h("td", {}, d.nextAttemptAt ?? "–"),
      h("td", {}, again));
  }

  const reload = h("button", { type: "button" }, "Refresh");
  reload.addEventListener("click", () => void busy(reload, refresh, report));

  const el = h("section", { id: "webhooks", class: "panel", "aria-label": "Webhooks" },
    errors.el,
    h("div", { class: "row" }, h("h2", {}, "Webhooks"), reload),
    h("div", { class: "columns" },
      h("div", {},
        h("div", { class: "scroll" }, h("table", { "aria-label": "Endpoints" },
          h("thead", {}, h("tr", {}, h("th", {}, "URL"), h("th", {}, "Events"), h("th", {}, "State"), h("th", {}, ""))), list))),
      h("div", {}, secretSlot, create)),
    deliveriesTitle,
    h("div", { class: "scroll" }, h("table", { "aria-label": "Deliveries" },
      h("thead", {}, h("tr", {}, h("th", {}, "Event"), h("th", {}, "Status"), h("th", {}, "Attempts"), h("th", {}, "Response"),
        h("th", {}, "Last attempt"), h("th", {}, "Next attempt"), h("th", {}, ""))), deliveries)));
  return { el, show: () => void busy(reload, refresh, report) };
}
