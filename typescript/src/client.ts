/** `Zaby`: the management client (API key and/or tenant access token). */
import type { ZabyGlobalConfig, ResolvedZabyConfig } from "./config.js";
import { zabyClients, type ZabyClients } from "./generated/clients.js";
import type { CredentialProvider } from "./internal/host.js";
import { Core } from "./internal/core.js";
import type { ZabyTransport } from "./transport.js";

export type ZabyApiKeyProvider = CredentialProvider;
export type ZabyAccessTokenProvider = CredentialProvider;

export interface ZabyClientOptions {
  /** Sent as `x-zaby-api-key`; required unless `accessToken` is given. */
  apiKey?: ZabyApiKeyProvider;
  /** Sent as `authorization: Bearer …`; needed for `tenantAgents`. */
  accessToken?: ZabyAccessTokenProvider;
  /** Sent as `x-tenant-id`; wins over `config.tenantId`. */
  tenantId?: string;
  /** Replaces the built-in HTTP transport (for example with `MockTransport`). */
  transport?: ZabyTransport;
  /** Per-instance overrides over the global configuration. */
  config?: ZabyGlobalConfig;
  /** The origin to talk to; wins over `config.apiOrigin` and every other level. */
  apiOrigin?: string;
  /** Alias of `apiOrigin`, as OpenAI-style SDKs name it. */
  baseURL?: string;
}

export interface Zaby extends ZabyClients {}

/**
 * The management client. Construction is synchronous and does no I/O; it throws a
 * `ZabyError` (`INVALID_ARGUMENT` / `INVALID_CONFIG`) for missing credentials or an
 * invalid configuration.
 */
export class Zaby {
  /** @internal */
  readonly _core: Core;

  constructor(options: ZabyClientOptions = {}) {
    this._core = new Core({
      kind: "zaby",
      apiKey: options.apiKey,
      accessToken: options.accessToken,
      tenantId: options.tenantId,
      transport: options.transport,
      config: options.config,
      apiOrigin: options.apiOrigin,
      baseURL: options.baseURL,
    });
    Object.assign(this, zabyClients(this._core));
  }

  /** The configuration resolved at construction. */
  get config(): ResolvedZabyConfig {
    return this._core.config as unknown as ResolvedZabyConfig;
  }

  /** Closes the client (idempotent); later calls reject with `CLIENT_CLOSED`. */
  close(): Promise<void> {
    return this._core.close();
  }
}
