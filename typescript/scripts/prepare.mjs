// `prepare` hook: when this folder is installed into another project straight from a
// clone (`npm install <clone>/typescript`), npm links it and runs this script here, but
// installs none of its devDependencies and builds nothing. So the script installs them
// and builds the native addon and dist/ — in the release profile unless
// ZABY_CARGO_PROFILE says otherwise. An install of this folder itself (`npm ci` here,
// as `make node-env` does) builds nothing: `npm run build` does that.
import { execSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = realpathSync(fileURLToPath(new URL("..", import.meta.url)));
const from = process.env.INIT_CWD ? realpathSync(process.env.INIT_CWD) : here;
if (from !== here) {
  const run = (cmd) => execSync(cmd, { cwd: here, stdio: "inherit" });
  if (!existsSync(`${here}/node_modules/.bin/napi`) || !existsSync(`${here}/node_modules/.bin/tsc`)) {
    run("npm ci --ignore-scripts --no-audit --no-fund");
  }
  process.env.ZABY_CARGO_PROFILE ??= "release";
  run("npm run build");
}
