/**
 * Client tools in the web build (`docs/function-tools.md`), mirroring the core's
 * `crates/zaby/src/tools.rs`: on a `tool_call` with `execution: "client"` that `tools`
 * names, the function runs (calls of one step at the same time) and its answer is
 * submitted; every event is still yielded; a refused result ends the stream with its error.
 */
import { runTool, type ClientTool, type ToolAnswer } from "../client-tools.js";
import type { RunEvent } from "../types.js";

/** Submits one result (E126 on the runtime client). */
export type SubmitToolResult = (body: Record<string, unknown>) => Promise<unknown>;

function resultBody(toolCallId: string, answer: ToolAnswer): Record<string, unknown> {
  return answer.ok ? { toolCallId, result: answer.value ?? null } : { toolCallId, isError: true, message: answer.message };
}

export async function* withTools(
  events: AsyncGenerator<RunEvent, undefined, unknown>,
  entries: [string, ClientTool][],
  submit: SubmitToolResult,
): AsyncGenerator<RunEvent, undefined, unknown> {
  const byName = new Map(entries);
  const running = new Set<Promise<void>>();
  let fail: (error: unknown) => void = () => {};
  // A refused result ends the stream even while no event is coming (the run waits for it).
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  try {
    for (;;) {
      const step = await Promise.race([events.next(), failed]);
      if (step.done) break;
      const data = (step.value.event === "tool_call" ? step.value.data : undefined) as Record<string, unknown> | undefined;
      const tool = data?.execution === "client" && typeof data.toolName === "string" ? byName.get(data.toolName) : undefined;
      if (data && tool) {
        const toolCallId = String(data.toolCallId);
        const task: Promise<void> = runTool(tool, data.arguments)
          .then((answer) => submit(resultBody(toolCallId, answer)))
          .then(() => {}, fail)
          .finally(() => running.delete(task));
        running.add(task);
      }
      yield step.value;
    }
    // The run's events are over: what remains is answering the calls still running.
    await Promise.race([Promise.all(running), failed]);
    return undefined;
  } finally {
    void events.return(undefined).catch(() => {});
  }
}
