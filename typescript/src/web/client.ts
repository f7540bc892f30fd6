/** `Zaby` in the web build: the management client (API key and/or tenant access token). */
import type { ZabyClientOptions } from "../client.js";
import { zabyClients, type ZabyClients } from "../generated/clients.js";
import type { ResolvedZabyConfig } from "./config.js";
import { WebCore } from "./core.js";
import { ZABY_ROUTES } from "./generated/routes.js";

export type { ZabyClientOptions, ZabyApiKeyProvider, ZabyAccessTokenProvider } from "../client.js";

const API_KEY_WARNING = "API keys belong on a server; use a runtime token in browsers";

export interface Zaby extends ZabyClients {}

/**
 * The management client. Complete in the web build, because an admin console holding
 * a tenant access token is legitimate; an API key in a page is not, hence the warning.
 */
export class Zaby {
  /** @internal */
  readonly _core: WebCore;

  constructor(options: ZabyClientOptions = {}) {
    this._core = new WebCore({ ...options, kind: "zaby", routes: ZABY_ROUTES });
    if (options.apiKey != null && (globalThis as { document?: unknown }).document !== undefined) {
      console.warn(API_KEY_WARNING);
    }
    Object.assign(this, zabyClients(this._core));
  }

  /** The configuration resolved at construction. */
  get config(): ResolvedZabyConfig {
    return this._core.config;
  }

  /** Closes the client (idempotent); later calls reject with `CLIENT_CLOSED`. */
  close(): Promise<void> {
    return this._core.close();
  }
}
