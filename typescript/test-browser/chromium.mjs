// Headless Chromium as every browser test of the repository starts it (`docs/web.md`):
// Debian's /usr/bin/chromium (ZABY_CHROMIUM overrides) driven by playwright-core, never
// a downloaded browser, with the flags this sandbox needs and a fresh profile that is
// removed on close.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.ZABY_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser context on a fresh profile; `close()` also removes the profile. */
export async function launchChromium(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), "zaby-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      ...options,
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
    });
    const close = context.close.bind(context);
    context.close = async () => {
      await close();
      rmSync(profile, { recursive: true, force: true });
    };
    return context;
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
