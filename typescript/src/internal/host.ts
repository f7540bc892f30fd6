/**
 * Host callables as the addon calls them: every user function is wrapped so that it
 * never throws into native code. It answers `{ ok: true, … }` or
 * `{ ok: false, errorId, message }`, `errorId` naming the original exception, which
 * the caller later gets back unchanged.
 */
import { ZabyConnectionError, ZabyError, ZabyTimeoutError } from "../errors.js";
import type { CredentialArg, HostAnswer, PullAnswer, TransportParts } from "../native.js";
import type { TransportResponse, ZabyTransport } from "../transport.js";
import { asHost, keepHostError, messageOf } from "./liveness.js";

/** A credential provider: a string, or a sync or async function returning one. */
export type CredentialProvider = string | (() => string | Promise<string>);

function failed(error: unknown): HostAnswer {
  const zaby =
    error instanceof ZabyError
      ? {
          className: error.name,
          code: error.code,
          timeoutMs: error instanceof ZabyTimeoutError ? error.timeoutMs : null,
        }
      : null;
  return { ok: false, errorId: keepHostError(error), message: messageOf(error), zaby };
}

export function wrapCredential(value: unknown, name: string): CredentialArg {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "function") {
    const provider = value as () => unknown;
    return () =>
      asHost(async () => {
        try {
          return { ok: true, value: await provider() };
        } catch (e) {
          return failed(e);
        }
      });
  }
  throw new ZabyError(`${name} must be a string or a function returning one, got ${typeof value}`, {
    code: "INVALID_ARGUMENT",
  });
}

function iteratorOf(body: TransportResponse["bodyStream"]): AsyncIterator<Uint8Array | string> {
  const source = body as AsyncIterable<Uint8Array | string> & ReadableStream<Uint8Array>;
  if (typeof source[Symbol.asyncIterator] === "function") return source[Symbol.asyncIterator]();
  if (typeof source.getReader === "function") {
    const reader = source.getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
      return: async () => {
        await reader.cancel();
        return { done: true, value: undefined };
      },
    };
  }
  throw new ZabyError("TransportResponse.bodyStream must be a ReadableStream or an AsyncIterable of Uint8Array", {
    code: "INVALID_ARGUMENT",
  });
}

const encoder = new TextEncoder();
/** Body stream ids live above send ids (which the addon counts from 1). */
const FIRST_BODY_ID = 0x80000000;

export function wrapTransport(transport: ZabyTransport): TransportParts {
  if (!transport || typeof transport.send !== "function") {
    throw new ZabyError("transport must be an object with a send(request) method", { code: "INVALID_ARGUMENT" });
  }
  const inFlight = new Map<number, AbortController>();
  const bodies = new Map<number, AsyncIterator<Uint8Array | string>>();
  let nextBody = FIRST_BODY_ID;

  return {
    // Unlike a provider, a transport call runs under the core's deadline (a timer the
    // core owns), so it counts as core work for liveness: no `asHost` here.
    send: async (request) => {
        const id = request.id as number;
        const controller = new AbortController();
        inFlight.set(id, controller);
        try {
          const response = await transport.send({
            method: request.method as string,
            url: request.url as string,
            path: request.path as string,
            headers: request.headers as Record<string, string>,
            ...(request.json === null || request.json === undefined ? {} : { json: request.json }),
            stream: request.stream as boolean,
            timeoutMs: request.timeoutMs as number,
            signal: controller.signal,
          });
          if (!response || typeof response !== "object") {
            throw new ZabyError(`the custom transport must resolve to a TransportResponse, got ${String(response)}`, {
              code: "INVALID_ARGUMENT",
            });
          }
          const answer: HostAnswer = {
            ok: true,
            status: response.status,
            headers: response.headers ?? {},
            json: response.json,
            body: response.body,
          };
          if (response.bodyStream !== undefined && response.bodyStream !== null) {
            const streamId = nextBody;
            nextBody = nextBody >= 0xfffffff0 ? FIRST_BODY_ID : nextBody + 1;
            bodies.set(streamId, iteratorOf(response.bodyStream));
            answer.streamId = streamId;
          }
          return answer;
        } catch (e) {
          return failed(e);
        } finally {
          inFlight.delete(id);
        }
      },
    pull: async (id): Promise<PullAnswer> => {
        const body = bodies.get(id);
        if (!body) return { ok: true, done: true };
        try {
          const next = await body.next();
          if (next.done) {
            bodies.delete(id);
            return { ok: true, done: true };
          }
          const chunk = typeof next.value === "string" ? encoder.encode(next.value) : next.value;
          return { ok: true, chunk };
        } catch (e) {
          bodies.delete(id);
          const answer = failed(e);
          return {
            ok: false,
            errorId: answer.errorId as number,
            message: answer.message as string,
            connectionError: e instanceof ZabyConnectionError,
          };
        }
      },
    cancel: (id) => {
      inFlight.get(id)?.abort();
      const body = bodies.get(id);
      if (body) {
        bodies.delete(id);
        void body.return?.()?.catch?.(() => {});
      }
    },
  };
}
