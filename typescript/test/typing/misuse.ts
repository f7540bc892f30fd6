// Deliberate misuse: every line marked below must be a compile error.
import { Zaby, ZabyRuntime } from "@zaby/sdk";

export async function misuse(): Promise<void> {
  const zaby = new Zaby({ apiKey: "k" });
  await zaby.agents.get(42); // MISUSE: path parameter must be a string
  await zaby.agents.create(); // MISUSE: input is required
  await zaby.agents.nonexistent(); // MISUSE: no such method
  await zaby.health.check({ timeoutMs: "5" }); // MISUSE: timeoutMs is a number
  new ZabyRuntime({}); // MISUSE: token is required
  new Zaby({ apiKey: 5 }); // MISUSE: apiKey is a string or a function
  const n: number = await zaby.health.check(); // MISUSE: Health is not a number
  void n;
}
