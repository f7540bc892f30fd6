// Typed stream events: comparing `event` with a name narrows `data` (it must compile with
// `tsc --strict --noEmit`), and each `@ts-expect-error` line is a misuse that must not
// compile: were the typing to regress, tsc reports the directive as unused and fails.
// typing.test.mjs also compiles this file without the directives and checks that each
// marked line fails with the error code named in its comment.
import { ZabyRuntime, type RunEvent, type RunEventOf, type SseEvent } from "@zaby/sdk/runtime";
import type { RunEventPage, Citation } from "@zaby/sdk/types";
// The web build (browsers, workers) declares its own client classes over the same types.
import { ZabyRuntime as WebRuntime } from "../../dist/web/runtime.js";

function describe(ev: RunEvent): string {
  switch (ev.event) {
    case "RunStarted":
      return `run ${ev.data.runId} on ${ev.data.deploymentId ?? "a test run"}`;
    case "text":
    case "thinking":
      return ev.data.content;
    case "tool_call":
      return `${ev.data.toolName}(${JSON.stringify(ev.data.arguments)})`;
    case "tool_result":
      return ev.data.isError ? `failed: ${ev.data.toolName}` : `ok: ${ev.data.toolCallId}`;
    case "approval_required":
      return `approve ${ev.data.approvalId}?`;
    case "RunFinished": {
      const cited: Citation[] = ev.data.citations ?? [];
      return `${ev.data.status}: ${ev.data.finalOutput ?? ""} (${cited.length} sources)`;
    }
    case "RunError":
      return `${ev.data.code}: ${ev.data.message}`;
    default: {
      // A name from a newer server still arrives, untyped.
      const raw: unknown = ev.data;
      return `${String(ev.event)}: ${JSON.stringify(raw)}`;
    }
  }
}

function onText(ev: RunEventOf<"text">): string {
  return ev.data.content;
}

export async function stream(runtime: ZabyRuntime, runId: string, page: RunEventPage): Promise<string[]> {
  const out: string[] = [];
  for await (const ev of runtime.runs.stream(runId)) {
    if (ev.event === "text") out.push(onText(ev), ev.data.content);
    else if (ev.event === "tool_result" && !ev.data.isError) out.push(ev.data.toolCallId);
    out.push(describe(ev), ev.id ?? "");
    if (ev.event === "RunFinished" || ev.event === "RunError") break;
  }
  // Stored events (E17, E110, E120) are the same union.
  for (const stored of page.items) {
    if (stored.event === "tool_call") out.push(stored.data.toolName);
  }
  for await (const ev of runtime.runs.stream(runId)) {
    // @ts-expect-error TS2339: a tool call has no `content`
    if (ev.event === "tool_call") out.push(ev.data.content);
    // @ts-expect-error TS18046: without narrowing, `data` is `unknown` (any payload, or a newer one)
    out.push(ev.data.content);
    // @ts-expect-error TS2367: a misspelled event name
    if (ev.event === "txet") break;
    // @ts-expect-error TS2322: `finalOutput` may be null
    if (ev.event === "RunFinished") { const s: string = ev.data.finalOutput; out.push(s); }
    // @ts-expect-error TS2345: a thinking event is not a text event
    if (ev.event === "thinking") out.push(onText(ev));
  }
  const web = new WebRuntime({ token: "t" });
  for await (const ev of web.runs.stream(runId)) {
    if (ev.event === "approval_required") out.push(ev.data.approvalId, ev.data.toolName);
    // @ts-expect-error TS2339: an approval request has no `finalOutput`
    if (ev.event === "approval_required") out.push(ev.data.finalOutput);
  }
  const raw: SseEvent = { event: "text", data: { content: "x" } };
  // @ts-expect-error TS2322: an untyped `SseEvent` is not a `RunEvent`
  const typed: RunEvent = raw;
  void typed;
  return out;
}
