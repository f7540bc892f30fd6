/**
 * The README's TypeScript example, extracted from the root README.md at test time,
 * type-checked and compiled with tsc against the installed package and run with node
 * against the live server, on the SDK's built-in transport; and the lifecycle example
 * (`examples/typescript/lifecycle.mjs`), run unchanged the same way.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, test } from "node:test";
import { ctx } from "./support/context.js";

const run = promisify(execFile);
/** The installed suite: `build/` holds this file, `node_modules/` the package and tsc. */
const suiteDir = dirname(dirname(fileURLToPath(import.meta.url)));

function readmeBlock(): string {
  const readme = process.env.ZABY_E2E_README;
  if (!readme) throw new Error("ZABY_E2E_README is not set (tests/typescript/run sets it to the root README.md)");
  const blocks = [...readFileSync(readme, "utf8").matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  assert.equal(blocks.length, 1, "the README has one ```ts block");
  return blocks[0];
}

describe("README", () => {
  test("the ```ts example type-checks, compiles and streams a run to its end", async () => {
    const dir = join(suiteDir, "readme-example");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "example.mts"), readmeBlock());
    const tsc = join(suiteDir, "node_modules", "typescript", "bin", "tsc");
    const flags = ["--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node"];
    await run(process.execPath, [tsc, ...flags, "--outDir", dir, join(dir, "example.mts")], { cwd: suiteDir }).catch(
      (err: { stdout?: string }) => assert.fail(`tsc rejected the README example:\n${err.stdout ?? String(err)}`),
    );

    const { server, zaby } = ctx();
    const { stdout } = await run(process.execPath, [join(dir, "example.mjs")], {
      cwd: dir,
      timeout: 120_000,
      env: { ...process.env, ZABY_API_ORIGIN: server.origin, ZABY_API_KEY: server.apiKey },
    });
    // console.log(event.event, event.data): objects are printed by util.inspect, long
    // ones over several lines, so the output is read as text rather than line by line.
    const out = stdout.trim();
    assert.match(out, /^RunStarted /, out);
    const finished = out.lastIndexOf("\nRunFinished ");
    assert.ok(finished > 0, `the stream ends with RunFinished:\n${out}`);
    const terminal = out.slice(finished + 1);
    assert.match(terminal, /status: 'COMPLETED'/);
    assert.match(terminal, /finalOutput: 'You said: hello'/);
    const texts = [...out.slice(0, finished).matchAll(/^text \{ content: '([^']*)' \}$/gm)].map((m) => m[1]);
    assert.equal(texts.join(""), "You said: hello", `the reply streamed in pieces:\n${out}`);

    // What the example did is visible on the server.
    const agents = await zaby.agents.list({ q: "helper" });
    const helper = agents.items.find((a) => a.slug === "helper");
    assert.ok(helper, "the example created the agent `helper`");
    assert.equal(helper.activeDeployments?.length, 1);
  });

  test("the lifecycle example runs unchanged against the installed package", async () => {
    const readme = process.env.ZABY_E2E_README;
    assert.ok(readme, "ZABY_E2E_README is set");
    // Beside the suite's node_modules, so `@zaby/sdk` resolves to the installed tarball.
    const dir = join(suiteDir, "lifecycle-example");
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(dirname(readme), "examples", "typescript", "lifecycle.mjs"), join(dir, "lifecycle.mjs"));
    const { server } = ctx();
    const { stdout } = await run(process.execPath, [join(dir, "lifecycle.mjs")], {
      cwd: dir,
      timeout: 180_000,
      env: { ...process.env, ZABY_API_ORIGIN: server.origin, ZABY_API_KEY: server.apiKey },
    });
    for (const line of [
      "\u2192 deployment: PENDING",
      "\u2192 deployment: ACTIVE",
      '    tool call sum {"numbers":[30,5]}',
      '    result    {"sum":35}',
      '    tool call getWeather {"city":"Lyon"}',
      '    result    {"city":"Lyon","forecast":"sunny","celsius":21}',
      "\u2192 usage: 3 runs, 2 tool calls",
    ]) {
      assert.ok(stdout.includes(line), `${JSON.stringify(line)} not in the example's output:\n${stdout}`);
    }
    assert.equal(stdout.split("    finished  COMPLETED").length - 1, 3, stdout);
  });
});
