// A few DOM helpers instead of a framework: the playground is a handful of forms and
// lists, and building nodes with `h()` keeps every piece of server text out of
// innerHTML (no markup injection from agent names, answers or tool results).

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** An element with attributes (`on…` keys are listeners; `false`/`undefined` are skipped) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `parent`. */
export function fill(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/** The named fields of a form, trimmed. */
export function fields(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  new FormData(form).forEach((v, k) => {
    out[k] = typeof v === "string" ? v.trim() : "";
  });
  return out;
}

/** Compact JSON for display. */
export const json = (v: unknown): string => JSON.stringify(v);

/**
 * Runs `work` with `button` disabled, so a double click cannot send twice; errors go
 * to `report`. The button is enabled again whatever happens.
 */
export async function busy(button: HTMLButtonElement | null, work: () => Promise<void>, report: (e: unknown) => void) {
  if (button) button.disabled = true;
  try {
    await work();
  } catch (e) {
    report(e);
  } finally {
    if (button) button.disabled = false;
  }
}
