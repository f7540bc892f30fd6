// The web build as a browser bundler sees it (`docs/web.md`): esbuild, platform "browser",
// resolving `@zaby/sdk` through package.json `exports`. The bundles must hold no trace
// of the native addon or of Node built-ins, and `ZabyRuntime` alone (tree-shaken,
// minified) must stay ≤ 25 KiB gzip — the figure BENCHMARKS.md reports.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { GOAL_BYTES, webBundler } from "../test-browser/bundle.mjs";

const bundler = webBundler();
after(() => bundler.close());
const bundle = (_name, source) => bundler.bundle(source);

function assertBrowserOnly({ text, inputs }) {
  assert.ok(inputs.length > 0);
  for (const input of inputs) {
    // The modules of the native build that load or reach the addon.
    assert.doesNotMatch(
      input,
      /dist\/(native|errors|config|client|runtime|testing|index|internal\/(core|ops|host|liveness|convert|args))\.js$|\.node$|^node:/,
      `${input} belongs to the native build`,
    );
  }
  assert.doesNotMatch(text, /\.node\b["'`]|node:[a-z]|createRequire|process\.dlopen|zaby\.[a-z0-9-]+\.node/);
}

test("ZabyRuntime alone bundles for the browser without the addon and within 25 KiB gzip", async (t) => {
  const out = await bundle("runtime", 'import { ZabyRuntime } from "@zaby/sdk";\nglobalThis.ZabyRuntime = ZabyRuntime;\n');
  assertBrowserOnly(out);
  assert.ok(out.inputs.some((i) => i.includes("dist/web/")), "the web build was picked");
  t.diagnostic(`ZabyRuntime bundle: ${out.text.length} bytes minified, ${out.gzip} bytes gzip`);
  assert.ok(out.gzip <= GOAL_BYTES, `${out.gzip} bytes gzip > ${GOAL_BYTES}`);
  assert.doesNotMatch(out.text, /whsec_|webhook-signature/, "webhooks.verify is shaken off when unused");
});

test("the whole package and every subpath bundle for the browser without the addon", async () => {
  const out = await bundle(
    "all",
    [
      'import * as sdk from "@zaby/sdk";',
      'import * as runtime from "@zaby/sdk/runtime";',
      'import * as errors from "@zaby/sdk/errors";',
      'import * as testing from "@zaby/sdk/testing";',
      'import "@zaby/sdk/types";',
      "globalThis.all = { sdk, runtime, errors, testing };",
    ].join("\n"),
  );
  assertBrowserOnly(out);
});
