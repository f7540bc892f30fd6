/** The `@zaby/sdk` under test: the package directory the run script prepared. */
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export function sdkDir() {
  const dir = process.env.ZABY_SDK_PKG;
  if (!dir) throw new Error("ZABY_SDK_PKG (the @zaby/sdk package directory) is not set");
  return dir;
}

export async function loadSdk() {
  return import(pathToFileURL(join(sdkDir(), "dist", "index.js")).href);
}
