// Chat with a deployment (`docs/web.md`, items 2–4): a playground runtime token (E14) for
// a chosen end user, runs started with respondAsync and streamed through the web
// build; text as it arrives, tool calls and results, approvals and client tool calls
// answered in place, citations, the terminal status, feedback, and every raw SSE event with its id.
import { ZabyRuntime } from "@zaby/sdk";
import { append, busy, fields, fill, h, json } from "./dom.js";
import { ErrorSlot, errorView } from "./errors.js";
import type { State } from "./state.js";

interface Chosen {
  agentId: string;
  deploymentId: string;
}

type Data = Record<string, unknown>;

export interface ChatPanel {
  el: HTMLElement;
  show(): void;
  choose(agentId: string, deploymentId: string): void;
}

export function chatPanel(state: State): ChatPanel {
  const errors = new ErrorSlot();
  const report = (e: unknown) => errors.show(e);
  let runtime: ZabyRuntime | null = null;
  let chosen: Chosen | null = null;
  let running: AbortController | null = null;
  /** The run being streamed, for Stop. */
  let current: { rt: ZabyRuntime; runId: string } | null = null;

  const deployment = h("select", { name: "deployment", "aria-label": "Deployment" });
  const user = h("input", { name: "externalUserId", value: "playground-user", autocomplete: "off" });
  const connect = h("button", { type: "submit" }, "Start chat");
  const tokenInfo = h("p", { class: "muted token-info", "aria-live": "polite" });
  const setup = h(
    "form",
    { class: "row", "aria-label": "Choose a deployment" },
    h("label", {}, "Deployment ", deployment),
    h("label", {}, "End user ", user),
    connect,
  );

  const log = h("div", { class: "messages", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  const raw = h("ul", { class: "raw", "aria-label": "Raw events" });
  const message = h("textarea", { name: "message", rows: 2, placeholder: 'Say hello, or /tool sum {"numbers":[2,3]}', disabled: true });
  const send = h("button", { type: "submit", disabled: true }, "Send");
  const stop = h("button", { type: "button", disabled: true }, "Stop");
  const composer = h("form", { class: "composer", "aria-label": "Message" }, message, h("div", { class: "row" }, send, stop));

  function options(): void {
    const current = deployment.value;
    const opts = state.agents.flatMap((a) =>
      a.activeDeployments.map((d) =>
        h("option", { value: `${a.id} ${d.id}` }, `${a.slug} · ${d.environment ?? ""} · ${d.id}`),
      ),
    );
    fill(deployment, ...(opts.length ? opts : [h("option", { value: "" }, "No active deployment: deploy an agent first")]));
    const want = chosen ? `${chosen.agentId} ${chosen.deploymentId}` : current;
    if ([...deployment.options].some((o) => o.value === want)) deployment.value = want;
  }
  state.onChange(options);

  setup.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const [agentId, deploymentId] = deployment.value.split(" ");
    const externalUserId = fields(setup).externalUserId;
    void busy(connect, async () => {
      if (!agentId || !deploymentId) throw Object.assign(new Error("choose a deployment first"), { code: "NO_DEPLOYMENT" });
      const minted = await state.api.agents.playgroundRuntimeTokens(agentId, { deploymentId, externalUserId });
      await runtime?.close();
      runtime = new ZabyRuntime({ token: minted.token, apiOrigin: location.origin });
      chosen = { agentId, deploymentId };
      fill(tokenInfo, "Runtime token for ", h("code", {}, externalUserId || "(none)"), ` until ${minted.expiresAt} · family `,
        h("code", { class: "family" }, minted.tokenFamilyId));
      errors.clear();
      message.disabled = false;
      send.disabled = false;
      message.focus();
    }, report);
  });

  // Enter sends, Shift+Enter starts a new line.
  message.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      composer.requestSubmit();
    }
  });
  composer.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = message.value.trim();
    if (!text || !runtime || running) return;
    message.value = "";
    void converse(runtime, text);
  });
  // Stop cancels the run on the server too (E122), then stops reading its stream.
  stop.addEventListener("click", () => {
    const run = current;
    running?.abort();
    if (run) void run.rt.runs.cancel(run.runId).catch(report);
  });

  async function converse(rt: ZabyRuntime, text: string): Promise<void> {
    log.append(h("div", { class: "msg user" }, h("span", { class: "who" }, "you"), h("p", {}, text)));
    const answer = h("p", { class: "text" });
    const parts = h("div", { class: "parts" });
    const status = h("span", { class: "badge run-status" }, "starting");
    const bubble = h("div", { class: "msg agent" }, h("span", { class: "who" }, "agent ", status), answer, parts);
    log.append(bubble);
    running = new AbortController();
    send.disabled = true;
    stop.disabled = false;
    try {
      const started = await rt.runs.start({ input: { message: text }, respondAsync: true });
      const runId = started.runId;
      current = { rt, runId };
      status.textContent = "RUNNING";
      bubble.dataset.run = runId;
      for await (const ev of rt.runs.stream(runId, undefined, { signal: running.signal })) {
        // Named events are rendered; an event name this page does not know is still in the raw panel.
        const name = String(ev.event ?? "");
        rawEvent(ev.id, name, ev.data);
        render(rt, runId, name, (ev.data ?? {}) as Data, { answer, parts, status });
        log.scrollTop = log.scrollHeight;
      }
      if (status.textContent === "COMPLETED") parts.append(feedback(rt, runId));
    } catch (e) {
      // Stopping by hand is not an error; anything else is shown in the answer and the chat goes on.
      if (running.signal.aborted) status.textContent = "stopped";
      else {
        status.textContent = "error";
        parts.append(errorView(e));
      }
    } finally {
      running = null;
      current = null;
      send.disabled = false;
      stop.disabled = true;
      message.focus();
    }
  }

  function rawEvent(id: string | undefined, event: string | undefined, data: unknown): void {
    raw.append(h("li", {}, h("code", { class: "id" }, id ?? "–"), " ", h("strong", {}, event ?? "message"), " ", h("code", {}, json(data))));
    raw.scrollTop = raw.scrollHeight;
  }

  interface Parts {
    answer: HTMLElement;
    parts: HTMLElement;
    status: HTMLElement;
  }

  function render(rt: ZabyRuntime, runId: string, event: string, d: Data, p: Parts): void {
    switch (event) {
      case "text":
        p.answer.append(String(d.content ?? ""));
        return;
      case "thinking":
        p.parts.append(h("p", { class: "thinking" }, String(d.content ?? "")));
        return;
      case "tool_call":
        if (d.execution === "client") {
          p.status.textContent = "WAITING_FOR_TOOL_RESULT";
          p.parts.append(clientTool(rt, runId, d));
          return;
        }
        p.parts.append(h("div", { class: "card tool" }, "tool call ", h("code", {}, String(d.toolName)), " ", h("code", {}, json(d.arguments))));
        return;
      case "approval_required":
        p.status.textContent = "WAITING_FOR_APPROVAL";
        p.parts.append(approval(rt, runId, d));
        return;
      case "tool_result":
        p.parts.append(h("div", { class: d.isError ? "card tool failed" : "card tool" }, "result of ",
          h("code", {}, String(d.toolName)), " ", h("code", { class: "result" }, json(d.result))));
        return;
      case "RunFinished":
        p.status.textContent = String(d.status ?? "COMPLETED");
        append(p.parts, citations(d.citations));
        return;
      case "RunError":
        p.status.textContent = "FAILED";
        p.parts.append(errorView(d));
        return;
      default:
        if (event === "RunStarted") p.status.textContent = "RUNNING";
    }
  }

  function approval(rt: ZabyRuntime, runId: string, d: Data): HTMLElement {
    const approvalId = String(d.approvalId);
    const reason = h("input", { name: "reason", placeholder: "reason (optional)", "aria-label": "Reason" });
    const approve = h("button", { type: "button", class: "approve" }, "Approve");
    const reject = h("button", { type: "button", class: "reject" }, "Reject");
    const outcome = h("span", { class: "outcome", "aria-live": "polite" });
    const card = h("div", { class: "card approval", "data-approval": approvalId },
      h("strong", {}, "approval needed"), " ", h("code", {}, String(d.toolName)), " ", h("code", {}, json(d.arguments)),
      h("div", { class: "row" }, reason, approve, reject), outcome);
    const decide = (yes: boolean, button: HTMLButtonElement) =>
      busy(button, async () => {
        const input = reason.value.trim() ? { reason: reason.value.trim() } : undefined;
        const a = yes ? await rt.approvals.approve(runId, approvalId, input) : await rt.approvals.reject(runId, approvalId, input);
        approve.remove();
        reject.remove();
        reason.remove();
        fill(outcome, h("span", { class: "badge" }, a.status));
      }, (e) => fill(outcome, errorView(e)));
    approve.addEventListener("click", () => void decide(true, approve));
    reject.addEventListener("click", () => void decide(false, reject));
    queueMicrotask(() => approve.focus());
    return card;
  }

  /**
   * A client tool call (`docs/function-tools.md`): this page is the client, so the person
   * answers it, with a JSON result or an error message, sent with E126.
   */
  function clientTool(rt: ZabyRuntime, runId: string, d: Data): HTMLElement {
    const toolCallId = String(d.toolCallId);
    const result = h("textarea", { name: "result", rows: 2, placeholder: '{"status": "shipped"}', "aria-label": "Result (JSON)" });
    const message = h("input", { name: "errorMessage", placeholder: "what went wrong", "aria-label": "Error message" });
    const submit = h("button", { type: "button", class: "approve" }, "Send result");
    const fail = h("button", { type: "button", class: "reject" }, "Send error");
    const outcome = h("div", { class: "outcome", "aria-live": "polite" });
    const form = h("div", { class: "stack" }, result, h("div", { class: "row" }, submit), h("div", { class: "row" }, message, fail));
    const card = h("div", { class: "card approval client-tool", "data-tool-call": toolCallId },
      h("strong", {}, "your tool"), " ", h("code", {}, String(d.toolName)), " ", h("code", {}, json(d.arguments)),
      h("p", { class: "muted" }, "This tool runs in the client: answer it with its result as JSON, or with an error."),
      form, outcome);
    const answer = (button: HTMLButtonElement, body: () => Parameters<ZabyRuntime["runs"]["submitToolResult"]>[1]) =>
      busy(button, async () => {
        fill(outcome);
        await rt.runs.submitToolResult(runId, body());
        form.remove();
        fill(outcome, h("span", { class: "badge" }, "result sent"));
      }, (e) => fill(outcome, errorView(e)));
    submit.addEventListener("click", () => void answer(submit, () => {
      try {
        return { toolCallId, result: JSON.parse(result.value) as unknown };
      } catch (e) {
        throw Object.assign(new Error(`the result is not JSON: ${(e as Error).message}`), { code: "INVALID_JSON" });
      }
    }));
    fail.addEventListener("click", () => void answer(fail, () =>
      ({ toolCallId, isError: true, message: message.value.trim() || "failed in the playground" })));
    queueMicrotask(() => result.focus());
    return card;
  }

  function citations(list: unknown): HTMLElement | null {
    if (!Array.isArray(list) || list.length === 0) return null;
    return h("div", { class: "card citations" }, h("strong", {}, "citations"),
      h("ul", { class: "plain" }, ...list.map((c: Data) =>
        h("li", {}, String(c.title ?? c.kind), " ", h("span", { class: "score" }, Number(c.score).toFixed(3))))));
  }

  function feedback(rt: ZabyRuntime, runId: string): HTMLElement {
    const up = h("button", { type: "button" }, "Helpful");
    const down = h("button", { type: "button" }, "Not helpful");
    const done = h("span", { class: "outcome", "aria-live": "polite" });
    const send = (rating: number, button: HTMLButtonElement) =>
      busy(button, async () => {
        await rt.feedback.create(runId, { rating, label: rating >= 4 ? "positive" : "negative" });
        up.remove();
        down.remove();
        fill(done, `feedback sent (rating ${rating})`);
      }, (e) => fill(done, errorView(e)));
    up.addEventListener("click", () => void send(5, up));
    down.addEventListener("click", () => void send(1, down));
    return h("div", { class: "row feedback" }, "Was this helpful? ", up, down, done);
  }

  const el = h(
    "section",
    { id: "chat", class: "panel", "aria-label": "Chat" },
    errors.el,
    h("h2", {}, "Chat"),
    setup,
    tokenInfo,
    h("div", { class: "columns chat" },
      h("div", { class: "conversation" }, log, composer),
      h("details", { class: "raw-panel", open: true }, h("summary", {}, "Raw events"), raw)),
  );
  return {
    el,
    show: options,
    choose(agentId, deploymentId) {
      chosen = { agentId, deploymentId };
      options();
    },
  };
}
