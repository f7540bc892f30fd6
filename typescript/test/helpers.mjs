// Shared helpers of the node:test suites. The suites run against the built package
// (`npm run build` first): dist/ and the native addon in native/. With
// ZABY_SDK_BUILD=web they load the web build (dist/web/) instead: the suites that do
// not need the addon run against both builds (`npm run test:web`).
export const BUILD = process.env.ZABY_SDK_BUILD === "web" ? "web" : "native";
const dist = BUILD === "web" ? "../dist/web/" : "../dist/";
export const sdk = await import(`${dist}index.js`);
export const errors = await import(`${dist}errors.js`);
export const testing = await import(`${dist}testing.js`);
export const { MockTransport } = testing;
/** The default user agent names the build: `zaby-node/x.y.z` or `zaby-web/x.y.z`. */
export const USER_AGENT = new RegExp(`^zaby-${BUILD === "web" ? "web" : "node"}/\\d+\\.\\d+\\.\\d+$`);
/** The addon (native build only). */
export const native = BUILD === "web" ? undefined : (await import("../dist/native.js")).native();

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
