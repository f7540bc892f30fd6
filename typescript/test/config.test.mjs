// Configuration (`docs/configuration.md`): precedence, global functions, environment variables.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { sdk, MockTransport, USER_AGENT } from "./helpers.mjs";

afterEach(() => {
  sdk.resetZabyConfigForTests();
  delete process.env.ZABY_API_ORIGIN;
  delete process.env.ZABY_ENVIRONMENT;
});

test("constants and defaults", () => {
  assert.equal(sdk.DEFAULT_ZABY_API_ORIGIN, "https://genapi.zaby.io");
  assert.equal(sdk.LOCAL_ZABY_API_ORIGIN, "http://localhost:9080");
  const resolved = sdk.resolveZabyConfig();
  const { backoffMs } = resolved.retries;
  assert.deepEqual(resolved, {
    environment: "production",
    apiOrigin: "https://genapi.zaby.io",
    timeoutMs: 30000,
    retries: { attempts: 0, retryMethods: [], retryStatuses: [], backoffMs },
    userAgent: undefined,
    tenantId: null,
  });
  assert.ok("userAgent" in resolved && resolved.userAgent === undefined, "undefined, not null");
  assert.deepEqual([0, 1, 2, 3, 4, 9].map(backoffMs), [100, 200, 400, 800, 1000, 1000], "the schedule of docs/configuration.md#retries");
  assert.deepEqual(sdk.resolveZabyConfig({ retries: 0 }).retries.retryMethods, []);
  const three = sdk.resolveZabyConfig({ retries: 3 }).retries;
  assert.deepEqual([three.attempts, three.retryMethods, three.retryStatuses.length], [3, ["GET", "HEAD", "OPTIONS"], 6]);
});

test("an unknown environment is INVALID_CONFIG at every level, naming it and the accepted ones", () => {
  const accepted = /"production", "staging", "local"/;
  for (const make of [
    () => sdk.resolveZabyConfig({ environment: "dev" }),
    () => {
      sdk.configureZaby({ environment: "dev" });
      return new sdk.Zaby({ apiKey: "k" });
    },
    () => {
      sdk.resetZabyConfigForTests();
      process.env.ZABY_ENVIRONMENT = "dev";
      return new sdk.ZabyRuntime({ token: "t" });
    },
  ]) {
    assert.throws(make, (e) => e.code === "INVALID_CONFIG" && /"dev"/.test(e.message) && accepted.test(e.message));
  }
  assert.match(
    (() => { try { sdk.resolveZabyConfig(); } catch (e) { return e.message; } })(),
    /ZABY_ENVIRONMENT/,
    "the message says where the value came from",
  );
});

test("apiOrigin and its alias baseURL on both constructors win over every level", () => {
  process.env.ZABY_API_ORIGIN = "https://env.example";
  sdk.configureZaby({ apiOrigin: "https://global.example" });
  const config = { apiOrigin: "https://config.example" };
  assert.equal(new sdk.Zaby({ apiKey: "k", config, apiOrigin: "http://localhost:1/" }).config.apiOrigin, "http://localhost:1");
  assert.equal(new sdk.Zaby({ apiKey: "k", config, baseURL: "http://localhost:2" }).config.apiOrigin, "http://localhost:2");
  assert.equal(new sdk.ZabyRuntime({ token: "t", apiOrigin: "http://localhost:3" }).config.apiOrigin, "http://localhost:3");
  assert.equal(new sdk.ZabyRuntime({ token: "t", baseURL: "http://localhost:4" }).config.apiOrigin, "http://localhost:4");
  assert.equal(new sdk.Zaby({ apiKey: "k", config }).config.apiOrigin, "https://config.example");
});

test("fetch is accepted at every level and resolveZabyConfig returns it as given", () => {
  const instanceFetch = async () => new Response("{}");
  const globalFetch = async () => new Response("{}");
  assert.equal(sdk.resolveZabyConfig().fetch, undefined);
  assert.equal(sdk.resolveZabyConfig({ fetch: instanceFetch }).fetch, instanceFetch);
  sdk.configureZaby({ fetch: globalFetch });
  assert.equal(sdk.resolveZabyConfig().fetch, globalFetch);
  assert.equal(sdk.resolveZabyConfig({ fetch: instanceFetch }).fetch, instanceFetch, "instance over global");
  assert.equal(new sdk.Zaby({ apiKey: "k", config: { fetch: instanceFetch } }).config.fetch, instanceFetch);
  assert.throws(() => sdk.configureZaby({ fetch: 3 }), (e) => e.code === "INVALID_CONFIG" && /fetch must be a function/.test(e.message));
  sdk.resetZabyConfigForTests();
  assert.equal(sdk.resolveZabyConfig().fetch, undefined, "reset forgets it");
});

test("precedence: instance > global > environment > default, per field", () => {
  process.env.ZABY_ENVIRONMENT = "local";
  assert.equal(sdk.resolveZabyConfig().apiOrigin, "http://localhost:9080");
  process.env.ZABY_API_ORIGIN = "https://env.example/";
  assert.equal(sdk.resolveZabyConfig({ environment: "local" }).apiOrigin, "https://env.example");
  sdk.configureZaby({ apiOrigin: "https://global.example", timeoutMs: 5000 });
  sdk.configureZaby({ userAgent: "ua/1" });
  const r = sdk.resolveZabyConfig({ timeoutMs: 7000, retries: 3 });
  assert.equal(r.apiOrigin, "https://global.example");
  assert.equal(r.timeoutMs, 7000);
  assert.equal(r.userAgent, "ua/1");
  assert.equal(r.retries.attempts, 3);
  assert.equal(sdk.resolveZabyConfig({ retries: -4 }).retries.attempts, 0);
  sdk.resetZabyConfigForTests();
  assert.equal(sdk.resolveZabyConfig().apiOrigin, "https://env.example");
  process.env.ZABY_API_ORIGIN = "";
  assert.equal(sdk.resolveZabyConfig().apiOrigin, "http://localhost:9080", "empty env var counts as unset");
});

test("configuration is resolved once, at construction; headers follow it", async () => {
  const transport = new MockTransport();
  sdk.configureZaby({ apiOrigin: "http://127.0.0.1:1", tenantId: "t-global", userAgent: "my-agent/2" });
  const zaby = new sdk.Zaby({ apiKey: "k", transport });
  const tenantWins = new sdk.Zaby({ apiKey: "k", transport, tenantId: "t-ctor" });
  const runtime = new sdk.ZabyRuntime({ token: "tok", transport });
  sdk.configureZaby({ apiOrigin: "https://later.example" });
  assert.equal(zaby.config.apiOrigin, "http://127.0.0.1:1");
  for (let i = 0; i < 3; i++) transport.setResponse("GET", "/health", 200, {});
  await zaby.health.check();
  await tenantWins.health.check();
  await runtime.runs.events("r").catch(() => {});
  const [a, b, c] = transport.requests;
  assert.equal(a.url, "http://127.0.0.1:1/health");
  assert.equal(a.headers["x-tenant-id"], "t-global");
  assert.equal(a.headers["user-agent"], "my-agent/2");
  assert.equal(b.headers["x-tenant-id"], "t-ctor");
  assert.equal(c.headers["x-tenant-id"], undefined, "ZabyRuntime never sends x-tenant-id");
  assert.equal(c.headers["x-zaby-api-key"], undefined);
});

test("the default user agent names the Node SDK", async () => {
  const transport = new MockTransport([{ method: "GET", path: "/health", json: {} }]);
  await new sdk.Zaby({ apiKey: "k", transport }).health.check();
  assert.match(transport.requests[0].headers["user-agent"], USER_AGENT);
});

test("resolveZabyConfig keeps a given backoffMs and rejects bad values clearly", () => {
  const backoffMs = (n) => n;
  assert.equal(sdk.resolveZabyConfig({ retries: { attempts: 1, backoffMs } }).retries.backoffMs, backoffMs);
  sdk.configureZaby({ retries: { attempts: 2, backoffMs } });
  assert.equal(sdk.resolveZabyConfig().retries.backoffMs, backoffMs, "the global policy's function");
  const client = new sdk.Zaby({ apiKey: "k" });
  assert.equal(client.config.retries.backoffMs, backoffMs);
  sdk.configureZaby({ retries: 1 });
  assert.equal(sdk.resolveZabyConfig().retries.backoffMs(3), 800, "a count brings the default schedule back");
  assert.equal(client.config.retries.backoffMs, backoffMs, "a client keeps what it resolved at construction");
  assert.throws(() => sdk.configureZaby({ retries: { attempts: 1, retryStatuses: ["x"] } }), /retryStatuses/);
  assert.throws(() => sdk.configureZaby({ retries: { tries: 1 } }), /unknown retry policy field "tries"/);
});
