// What only the web build does (`docs/web.md`): package.json conditions send browsers,
// workers and unknown runtimes to it and Node to the addon; the API-key warning in a
// page; no default user agent from a browser. The shared behaviour is tested by the
// other suites, run against both builds.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as web from "../dist/web/index.js";
import { MockTransport } from "../dist/web/testing.js";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = mkdtempSync(join(tmpdir(), "zaby-exports-"));
mkdirSync(join(dir, "node_modules", "@zaby"), { recursive: true });
symlinkSync(pkg, join(dir, "node_modules", "@zaby", "sdk"), "dir");
after(() => rmSync(dir, { recursive: true, force: true }));

function resolved(conditions) {
  const script = ["", "/runtime", "/errors", "/testing", "/types"]
    .map((sub) => `console.log(import.meta.resolve("@zaby/sdk${sub}"))`)
    .join(";");
  const args = [...conditions.map((c) => `--conditions=${c}`), "--input-type=module", "-e", script];
  return execFileSync(process.execPath, args, { cwd: dir, encoding: "utf8" })
    .trim()
    .split("\n")
    .map((url) => fileURLToPath(url).slice(pkg.length));
}

test("exports: Node gets the native build, browser and worker get the web build", () => {
  const names = ["index", "runtime", "errors", "testing", "types"];
  assert.deepEqual(resolved([]), names.map((n) => `/dist/${n}.js`));
  for (const condition of ["browser", "worker"]) {
    assert.deepEqual(resolved([condition]), names.map((n) => `/dist/web/${n}.js`), condition);
  }
});

function withDocument(fn) {
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => warnings.push(args.join(" "));
  globalThis.document = {};
  try {
    fn();
  } finally {
    delete globalThis.document;
    console.warn = warn;
  }
  return warnings;
}

test("an apiKey in a page logs one warning; an access token or a server does not", () => {
  const transport = new MockTransport();
  assert.deepEqual(
    withDocument(() => new web.Zaby({ apiKey: "k", transport })),
    ["API keys belong on a server; use a runtime token in browsers"],
  );
  assert.deepEqual(withDocument(() => new web.Zaby({ accessToken: "tenant-jwt", transport })), []);
  assert.deepEqual(withDocument(() => new web.ZabyRuntime({ token: "t", transport })), []);
  const warn = console.warn;
  let warned = false;
  console.warn = () => (warned = true);
  try {
    new web.Zaby({ apiKey: "k", transport });
  } finally {
    console.warn = warn;
  }
  assert.equal(warned, false);
});

test("from a page the browser's own user agent is left alone unless one is configured", async () => {
  const transport = new MockTransport();
  for (let i = 0; i < 3; i++) transport.setResponse("GET", "/health", 200, { status: "ok" });
  let inPage;
  let configured;
  withDocument(() => {
    inPage = new web.Zaby({ accessToken: "a", transport });
    configured = new web.Zaby({ accessToken: "a", transport, config: { userAgent: "my-app/1" } });
  });
  await inPage.health.check();
  await configured.health.check();
  await new web.Zaby({ accessToken: "a", transport }).health.check();
  const agents = transport.requests.map((r) => r.headers["user-agent"]);
  assert.equal(agents[0], undefined);
  assert.equal(agents[1], "my-app/1");
  assert.match(agents[2], /^zaby-web\/\d+\.\d+\.\d+$/);
});

test("a transport that fails after the deadline leaves no unhandled rejection", async () => {
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  try {
    const transport = {
      send: (request) =>
        new Promise((_, reject) => request.signal.addEventListener("abort", () => setTimeout(() => reject(new Error("late")), 5))),
    };
    const zaby = new web.Zaby({ accessToken: "a", transport });
    const err = await zaby.health.check({ timeoutMs: 20 }).then(() => undefined, (e) => e);
    assert.ok(err instanceof web.ZabyTimeoutError);
    assert.equal(err.timeoutMs, 20);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});
