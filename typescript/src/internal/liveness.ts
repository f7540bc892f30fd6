/**
 * Process liveness and host exceptions.
 *
 * The native addon reports results through weak callbacks, so by itself it never keeps
 * Node running. The facade keeps one timer referenced while the core has work of its
 * own in flight (I/O, backoff) and lets it go while every in-flight operation only
 * waits on a host callable (a credential provider, a custom transport): whatever that
 * callable waits on keeps the process alive by itself, and a provider that never
 * settles must not (`docs/architecture.md` rule 5).
 */

let inFlight = 0;
let hostPending = 0;
let timer: NodeJS.Timeout | undefined;

function update(): void {
  const needed = inFlight - hostPending > 0;
  if (needed) {
    timer ??= setInterval(() => {}, 0x7fffffff);
    timer.ref();
  } else {
    timer?.unref();
  }
}

/** An operation of the core starts (`true`) or ends (`false`). */
export function operation(starting: boolean): void {
  inFlight += starting ? 1 : -1;
  update();
}

/** Runs a host callable; while it is pending it does not count as core work. */
export async function asHost<T>(fn: () => Promise<T>): Promise<T> {
  hostPending += 1;
  update();
  try {
    return await fn();
  } finally {
    hostPending -= 1;
    update();
  }
}

/**
 * Exceptions thrown by host code, kept until the error that carries them reaches the
 * caller, who gets the very same value (`docs/testing.md`). Errors the core absorbs (a
 * retried transport failure) are never claimed; entries older than the limit go.
 */
const HOST_ERROR_LIMIT_MS = 5 * 60_000;
const hostErrors = new Map<number, { error: unknown; at: number }>();
let nextHostError = 1;

export function keepHostError(error: unknown): number {
  const now = Date.now();
  for (const [id, entry] of hostErrors) {
    if (now - entry.at <= HOST_ERROR_LIMIT_MS) break; // insertion order = age order
    hostErrors.delete(id);
  }
  const id = nextHostError;
  nextHostError = nextHostError >= 0x7fffffff ? 1 : nextHostError + 1;
  hostErrors.set(id, { error, at: now });
  return id;
}

export function claimHostError(id: number): { found: boolean; error?: unknown } {
  const entry = hostErrors.get(id);
  if (!entry) return { found: false };
  hostErrors.delete(id);
  return { found: true, error: entry.error };
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  try {
    return String(error);
  } catch {
    return "non-printable exception";
  }
}
