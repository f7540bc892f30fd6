// One call through the installed `@zaby/sdk` (its Node entry loads the native addon) and
// its MockTransport. Run from a folder where the package was installed
// (scripts/check-install, scripts/check-dist); the argument names what was installed.
import { Zaby } from "@zaby/sdk";
import { MockTransport } from "@zaby/sdk/testing";

const transport = new MockTransport([{ method: "GET", path: "/health", json: { status: "ok" } }]);
const health = await new Zaby({ apiKey: "k", transport }).health.check();
if (health.status !== "ok") throw new Error(`unexpected ${JSON.stringify(health)}`);
console.log(`${process.argv[2] ?? "@zaby/sdk"}: @zaby/sdk OK`);
