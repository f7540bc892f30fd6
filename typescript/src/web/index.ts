/**
 * `@zaby/sdk`, web build: the same API as the Node build, over `fetch`, for browsers,
 * Web Workers and other fetch-based runtimes. `package.json` sends the `browser`,
 * `worker` and `default` conditions here and `node` to the native addon.
 *
 * ```ts
 * import { ZabyRuntime } from "@zaby/sdk";
 * const runtime = new ZabyRuntime({ token, apiOrigin: "https://zaby.example.com" });
 * ```
 */
export { Zaby, type ZabyClientOptions, type ZabyApiKeyProvider, type ZabyAccessTokenProvider } from "./client.js";
export { ZabyRuntime, type ZabyRuntimeOptions, type ZabyRuntimeTokenProvider } from "./runtime.js";
export {
  configureZaby,
  resetZabyConfigForTests,
  resolveZabyConfig,
  DEFAULT_ZABY_API_ORIGIN,
  LOCAL_ZABY_API_ORIGIN,
  type ZabyGlobalConfig,
  type RetryPolicy,
  type ResolvedZabyConfig,
} from "./config.js";
export * from "./errors.js";
export * as webhooks from "./webhooks.js";
export * from "../generated/clients.js";
export type { RequestOptions, StreamOptions, StreamQuery, Query, QueryValue, QueryScalar } from "../options.js";
export type { ClientTool, ClientTools } from "../client-tools.js";
export type { ZabyTransport, TransportRequest, TransportResponse } from "../transport.js";
export { FetchTransport } from "../fetch.js";
export type { WaitUntilActiveOptions } from "../wait.js";
import "../wait.js";
export type * from "../types.js";
