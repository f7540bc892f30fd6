// Loading: importing the package, its error classes, configuration constants and
// types does not load the native addon (issue 23: `import("@zaby/sdk")` costs what a
// pure-TypeScript package does); the first client does, once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");

const CHILD = `
import { createRequire } from "node:module";
const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((p) => p.endsWith(".node"));
const sdk = await import(${JSON.stringify(join(dist, "index.js"))});
await import(${JSON.stringify(join(dist, "errors.js"))});
await import(${JSON.stringify(join(dist, "types.js"))});
new sdk.ZabyNotFoundError({ message: "missing", status: 404, code: "AGENT_NOT_FOUND" });
const origins = [sdk.DEFAULT_ZABY_API_ORIGIN, sdk.LOCAL_ZABY_API_ORIGIN];
const atImport = loaded();
const client = new sdk.Zaby({ apiKey: "k" });
const afterClient = loaded();
new sdk.ZabyRuntime({ token: "t" });
await client.close();
process.stdout.write(JSON.stringify({ atImport, afterClient, afterTwo: loaded(), origins }));
`;

test("the addon is loaded by the first client, not by the import", () => {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD], { encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const { atImport, afterClient, afterTwo, origins } = JSON.parse(r.stdout);
  assert.deepEqual(atImport, [], "nothing native is loaded by the import, the error classes or the constants");
  assert.equal(afterClient.length, 1, `one addon after new Zaby(…): ${afterClient}`);
  assert.match(afterClient[0], /zaby\.[^/\\]+\.node$/);
  assert.deepEqual(afterTwo, afterClient, "a second client loads nothing more");
  assert.deepEqual(origins, ["https://genapi.zaby.io", "http://localhost:9080"]);
});
