/** `ZabyRuntime`: the end-user runtime client (runtime token). `@zaby/sdk/runtime`. */
import type { ResolvedZabyConfig, ZabyGlobalConfig } from "./config.js";
import { runtimeClients, type ZabyRuntimeClients } from "./generated/clients.js";
import { Core } from "./internal/core.js";
import type { CredentialProvider } from "./internal/host.js";
import type { ZabyTransport } from "./transport.js";

export type { SseEvent, StreamOptions } from "./options.js";
export type { RunEvent, RunEventOf, RunEventPayloads, OtherRunEvent, UnknownRunEventName } from "./types.js";

export type ZabyRuntimeTokenProvider = CredentialProvider;

export interface ZabyRuntimeOptions {
  /** The runtime token, sent as `authorization: Bearer …` (required). */
  token: ZabyRuntimeTokenProvider;
  transport?: ZabyTransport;
  config?: ZabyGlobalConfig;
  /** The origin to talk to; wins over `config.apiOrigin` and every other level. */
  apiOrigin?: string;
  /** Alias of `apiOrigin`. */
  baseURL?: string;
}

export interface ZabyRuntime extends ZabyRuntimeClients {}

/** The runtime client: start runs, stream their events, answer approvals, send feedback. */
export class ZabyRuntime {
  /** @internal */
  readonly _core: Core;

  constructor(options: ZabyRuntimeOptions) {
    this._core = new Core({
      kind: "runtime",
      token: options?.token,
      transport: options?.transport,
      config: options?.config,
      apiOrigin: options?.apiOrigin,
      baseURL: options?.baseURL,
    });
    Object.assign(this, runtimeClients(this._core));
  }

  get config(): ResolvedZabyConfig {
    return this._core.config as unknown as ResolvedZabyConfig;
  }

  /** Closes the client (idempotent); open streams end, later calls reject with `CLIENT_CLOSED`. */
  close(): Promise<void> {
    return this._core.close();
  }
}
