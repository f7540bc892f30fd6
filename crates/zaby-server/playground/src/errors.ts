// How the playground shows a failure: the server's `code`, `message` and `requestId`
// (`docs/errors.md`) when there is one, so a developer can find the request in the logs.
import { h, fill } from "./dom.js";

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  requestId?: unknown;
  status?: unknown;
}

/** A readable block for any thrown value. */
export function errorView(err: unknown): HTMLElement {
  const e = (err ?? {}) as ErrorFields;
  const code = typeof e.code === "string" ? e.code : "ERROR";
  const message = typeof e.message === "string" && e.message !== "" ? e.message : String(err);
  const status = typeof e.status === "number" ? ` (HTTP ${e.status})` : "";
  return h(
    "div",
    { class: "error", role: "alert" },
    h("strong", { class: "code" }, code + status),
    " ",
    h("span", { class: "message" }, message),
    typeof e.requestId === "string" ? h("small", { class: "request-id" }, "requestId: " + e.requestId) : null,
  );
}

/** A place in a panel where the last error of that panel is shown. */
export class ErrorSlot {
  readonly el = h("div", { class: "error-slot", "aria-live": "assertive" });

  show(err: unknown): void {
    fill(this.el, errorView(err));
  }

  clear(): void {
    fill(this.el);
  }
}
