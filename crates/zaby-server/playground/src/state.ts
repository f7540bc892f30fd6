// What the panels share: the signed-in client, the agents last listed, the knowledge
// bases this page knows of, and change listeners. The API key lives in
// sessionStorage only (`docs/web.md`), so it goes away with the tab.
import { Zaby } from "@zaby/sdk";
import type { Agent } from "@zaby/sdk/types";

const KEY_ITEM = "zaby.playground.apiKey";

export interface KnownKnowledgeBase {
  id: string;
  name: string;
}

export class State {
  zaby: Zaby | null = null;
  agents: Agent[] = [];
  knowledgeBases: KnownKnowledgeBase[] = [];
  private listeners: Array<() => void> = [];

  /** A client for `apiKey` against this page's own origin. */
  static client(apiKey: string): Zaby {
    return new Zaby({ apiKey, apiOrigin: location.origin });
  }

  storedKey(): string | null {
    return sessionStorage.getItem(KEY_ITEM);
  }

  signIn(apiKey: string, zaby: Zaby): void {
    sessionStorage.setItem(KEY_ITEM, apiKey);
    this.zaby = zaby;
  }

  signOut(): void {
    sessionStorage.removeItem(KEY_ITEM);
    void this.zaby?.close();
    this.zaby = null;
    this.agents = [];
    this.listeners = [];
  }

  /** The signed-in client (panels are only shown after sign-in). */
  get api(): Zaby {
    if (!this.zaby) throw Object.assign(new Error("sign in first"), { code: "UNAUTHORIZED" });
    return this.zaby;
  }

  async refreshAgents(): Promise<Agent[]> {
    const agents: Agent[] = [];
    for await (const a of this.api.agents.iter({ limit: 100 })) agents.push(a);
    this.agents = agents;
    for (const a of this.agents) {
      for (const kb of a.knowledgeBases ?? []) this.rememberKnowledgeBase({ id: kb.knowledgeBaseId, name: kb.name });
    }
    this.changed();
    return this.agents;
  }

  rememberKnowledgeBase(kb: KnownKnowledgeBase): void {
    if (!this.knowledgeBases.some((k) => k.id === kb.id)) this.knowledgeBases.push(kb);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  changed(): void {
    for (const l of this.listeners) l();
  }
}
