// The playground's entry: sign-in with an API key, then five panels (agents, chat,
// usage and signals, knowledge, webhooks) switched by tabs and the URL hash. Every call goes
// through the web build of @zaby/sdk to this page's own origin.
import { agentsPanel } from "./agents.js";
import { chatPanel } from "./chat.js";
import { busy, fill, h } from "./dom.js";
import { ErrorSlot, errorView } from "./errors.js";
import { insightsPanel } from "./insights.js";
import { knowledgePanel } from "./knowledge.js";
import { State } from "./state.js";
import { webhooksPanel } from "./webhooks.js";

const root = document.getElementById("app")!;
const state = new State();

// Whatever escapes a panel still ends up on screen, never as a blank page.
const fatal = h("div", { class: "fatal" });
document.body.prepend(fatal);
window.addEventListener("error", (e) => fill(fatal, errorView(e.error ?? e.message)));
window.addEventListener("unhandledrejection", (e) => fill(fatal, errorView(e.reason)));

function signInView(): HTMLElement {
  const errors = new ErrorSlot();
  const key = h("input", { name: "apiKey", type: "password", autocomplete: "off", spellcheck: "false", "aria-describedby": "key-hint" });
  const go = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "stack signin", "aria-label": "Sign in" },
    h("h2", {}, "Sign in"),
    h("label", {}, "API key", key),
    h("p", { id: "key-hint", class: "muted" },
      "A local zaby-server writes its development key to ", h("code", {}, ".zaby/dev-api-key"),
      " in the folder it was started from (the start-up report names the file). The key stays in this tab's session storage."),
    go, errors.el);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void busy(go, () => signIn(key.value.trim()), (e) => errors.show(e));
  });
  queueMicrotask(() => key.focus());
  return form;
}

/** Checks the key with one cheap call before keeping it. */
async function signIn(apiKey: string): Promise<void> {
  const zaby = State.client(apiKey);
  try {
    await zaby.agents.list({ limit: 1 });
  } catch (e) {
    await zaby.close();
    throw e;
  }
  state.signIn(apiKey, zaby);
  mainView();
}

const TABS = ["agents", "chat", "insights", "knowledge", "webhooks"] as const;
type Tab = (typeof TABS)[number];
const LABELS: Record<Tab, string> = { agents: "Agents", chat: "Chat", insights: "Usage & signals", knowledge: "Knowledge", webhooks: "Webhooks" };

function mainView(): void {
  const chat = chatPanel(state);
  const agents = agentsPanel(state, (agentId, deploymentId) => {
    chat.choose(agentId, deploymentId);
    location.hash = "/chat";
  });
  const panels = { agents, chat, insights: insightsPanel(state), knowledge: knowledgePanel(state), webhooks: webhooksPanel(state) };
  const buttons = TABS.map((t) => {
    const b = h("button", { type: "button", role: "tab", id: `tab-${t}`, "aria-controls": t }, LABELS[t]);
    // "#/chat", not "#chat": a fragment naming an element's id would scroll to it and drop the focus.
    b.addEventListener("click", () => (location.hash = "/" + t));
    return b;
  });
  const signOut = h("button", { type: "button", class: "link" }, "Sign out");
  signOut.addEventListener("click", () => {
    state.signOut();
    location.hash = "";
    fill(root, signInView());
  });
  const nav = h("nav", { role: "tablist", "aria-label": "Sections" }, ...buttons);
  // Arrow keys move between tabs, as in any tab list.
  nav.addEventListener("keydown", (ev) => {
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0 || (ev.key !== "ArrowRight" && ev.key !== "ArrowLeft")) return;
    const next = buttons[(i + (ev.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length];
    next.focus();
    next.click();
  });
  fill(root, h("div", { class: "bar" }, nav, signOut), ...TABS.map((t) => panels[t].el));

  const select = () => {
    const wanted = location.hash.slice(2);
    const tab: Tab = (TABS as readonly string[]).includes(wanted) ? (wanted as Tab) : "agents";
    TABS.forEach((t, i) => {
      panels[t].el.hidden = t !== tab;
      buttons[i].setAttribute("aria-selected", String(t === tab));
      buttons[i].tabIndex = t === tab ? 0 : -1;
    });
    void panels[tab].show();
  };
  window.onhashchange = select;
  select();
}

const stored = state.storedKey();
if (stored) {
  fill(root, h("p", { class: "muted" }, "Signing in…"));
  signIn(stored).catch((e) => {
    state.signOut();
    fill(root, signInView());
    root.prepend(errorView(e));
  });
} else {
  fill(root, signInView());
}
