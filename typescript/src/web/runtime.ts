/** `ZabyRuntime` in the web build: the end-user runtime client. `@zaby/sdk/runtime`. */
import { runtimeClients, type ZabyRuntimeClients } from "../generated/clients.js";
import type { ZabyRuntimeOptions } from "../runtime.js";
import type { ResolvedZabyConfig } from "./config.js";
import { WebCore } from "./core.js";
import { RUNTIME_ROUTES } from "./generated/routes.js";

export type {
  ZabyRuntimeOptions,
  ZabyRuntimeTokenProvider,
  SseEvent,
  StreamOptions,
  RunEvent,
  RunEventOf,
  RunEventPayloads,
  OtherRunEvent,
  UnknownRunEventName,
} from "../runtime.js";

export interface ZabyRuntime extends ZabyRuntimeClients {}

/** The runtime client: start runs, stream their events, answer approvals, send feedback. */
export class ZabyRuntime {
  /** @internal */
  readonly _core: WebCore;

  constructor(options: ZabyRuntimeOptions) {
    this._core = new WebCore({
      kind: "runtime",
      routes: RUNTIME_ROUTES,
      token: options?.token,
      transport: options?.transport,
      config: options?.config,
      apiOrigin: options?.apiOrigin,
      baseURL: options?.baseURL,
    });
    Object.assign(this, runtimeClients(this._core));
  }

  get config(): ResolvedZabyConfig {
    return this._core.config;
  }

  /** Closes the client (idempotent); open streams end, later calls reject with `CLIENT_CLOSED`. */
  close(): Promise<void> {
    return this._core.close();
  }
}
