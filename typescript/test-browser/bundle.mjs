// The web build as a browser app's bundler sees it (`docs/web.md`): `import … from
// "@zaby/sdk"` resolved through package.json `exports` from a scratch folder, esbuild
// with platform "browser", ESM, tree-shaken and minified, then gzip level 9. Shared by
// the bundle test (typescript/test/bundle.test.mjs) and the size benchmark (bench/web).
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

/** The budget for `ZabyRuntime` alone, gzip (BENCHMARKS.md reports it). */
export const GOAL_BYTES = 25 * 1024;
export const esbuildVersion = esbuild.version;

/** A bundler over a scratch folder that links `@zaby/sdk` to this package; `close()` removes it. */
export function webBundler() {
  const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
  const dir = mkdtempSync(join(tmpdir(), "zaby-bundle-"));
  mkdirSync(join(dir, "node_modules", "@zaby"), { recursive: true });
  symlinkSync(pkg, join(dir, "node_modules", "@zaby", "sdk"), "dir");
  let n = 0;
  return {
    /** The minified bundle of `source`: its text, the input files it used and its gzip size. */
    async bundle(source) {
      const entry = join(dir, `entry-${n++}.mjs`);
      writeFileSync(entry, source);
      const result = await esbuild.build({
        entryPoints: [entry],
        bundle: true,
        minify: true,
        format: "esm",
        platform: "browser",
        write: false,
        metafile: true,
        logLevel: "silent",
      });
      const text = result.outputFiles[0].text;
      const inputs = Object.keys(result.metafile.inputs);
      return { text, bytes: result.outputFiles[0].contents.length, inputs, gzip: gzipSync(text, { level: 9 }).length };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
