// Shared helpers of the node:test suites. The suites run against the built package
// (`npm run build` first): dist/ and the native addon in native/.
import * as sdk from "../dist/index.js";
import { MockTransport } from "../dist/testing.js";
import { native } from "../dist/native.js";

export { sdk, MockTransport, native };

export const RT = "/api/v1/agent-runtime";

/** A Zaby client and a runtime client sharing one MockTransport. */
export function clients(responses = [], config) {
  const transport = new MockTransport(responses);
  const zaby = new sdk.Zaby({ apiKey: "test-key", accessToken: "tenant-jwt", transport, config });
  const runtime = new sdk.ZabyRuntime({ token: "test-token", transport, config });
  return { transport, zaby, runtime };
}

/** Asserts that `promise` rejects and returns the rejection. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

export async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A custom transport built from a function, recording what it was sent. */
export function fnTransport(fn) {
  const sent = [];
  return {
    sent,
    async send(request) {
      sent.push(request);
      return fn(request, sent.length - 1);
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
