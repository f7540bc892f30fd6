/**
 * `deployments.waitUntilActive`, added to the generated `DeploymentsClient`: the
 * polling lives in the core (the same for Rust, Python and TypeScript).
 */
import { DeploymentsClient } from "./generated/clients.js";
import type { Core } from "./internal/subclient.js";
import type { RequestOptions } from "./options.js";
import type * as T from "./types.js";

/** Options of `waitUntilActive`: how long to wait in total (default 60 000 ms), and per-call options for each poll. */
export type WaitUntilActiveOptions = RequestOptions & { timeoutMs?: number };

const DEFAULT_TIMEOUT_MS = 60_000;

declare module "./generated/clients.js" {
  interface DeploymentsClient {
    /**
     * Polls `getProvisioning` (E19) with backoff until the deployment is ACTIVE and
     * resolves with its provisioning. Rejects with `ZabyTimeoutError` (its message
     * carries the last answer) when `timeoutMs` has passed, and at once with any error
     * other than 404 `DEPLOYMENT_PROVISIONING_NOT_READY`.
     */
    waitUntilActive(deploymentId: string, options?: WaitUntilActiveOptions): Promise<T.Provisioning>;
  }
}

DeploymentsClient.prototype.waitUntilActive = function (
  this: DeploymentsClient,
  deploymentId: string,
  options: WaitUntilActiveOptions = {},
): Promise<T.Provisioning> {
  // `timeoutMs` bounds the whole wait here, not each poll.
  const { timeoutMs = DEFAULT_TIMEOUT_MS, ...perCall } = options;
  const core = (this as unknown as { _core: Core })._core;
  return core.waitUntilActive<T.Provisioning>(deploymentId, timeoutMs, perCall);
};
