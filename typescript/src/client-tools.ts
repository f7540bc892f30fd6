/**
 * Client tools the SDK runs for the caller (`docs/function-tools.md`): the types of
 * `stream(runId, { tools })` and the steps both builds share (no native import here).
 * The native build hands the functions to the core; the web build runs them itself.
 */
import { describe, invalidArgument } from "./common.js";

/** A client tool: gets the call's arguments, returns (or resolves to) its JSON result; a throw is a failed call. */
export type ClientTool = (args: Record<string, unknown>) => unknown;

/** The client tools a stream answers, by tool name. */
export type ClientTools = { readonly [name: string]: ClientTool };

/** What running a tool gave, as the native layer reads it. */
export type ToolAnswer = { ok: true; value: unknown } | { ok: false; message: string };

/** The `[name, function]` pairs of `tools`, checked; `undefined` when there are none. */
export function toolEntries(tools: unknown): [string, ClientTool][] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (typeof tools !== "object" || Array.isArray(tools)) {
    throw invalidArgument(`tools must be an object of name → function, got ${describe(tools)}`);
  }
  const entries = Object.entries(tools as Record<string, unknown>);
  for (const [name, fn] of entries) {
    if (typeof fn !== "function") throw invalidArgument(`tools.${name} must be a function, got ${describe(fn)}`);
  }
  return entries.length ? (entries as [string, ClientTool][]) : undefined;
}

/**
 * The tools of a `stream` call and the query left: `tools` in the options, or, as
 * `stream(runId, { tools })` writes it, in the second argument (a query value is never
 * an object, so such a member can only be the tools).
 */
export function streamTools(query: unknown, options: { tools?: unknown } | undefined): [unknown, [string, ClientTool][] | undefined] {
  const q = query as Record<string, unknown> | undefined;
  if (q && typeof q === "object" && typeof q.tools === "object" && q.tools !== null) {
    const { tools, ...rest } = q;
    return [Object.keys(rest).length ? rest : undefined, toolEntries(tools)];
  }
  return [query, toolEntries(options?.tools)];
}

/** Runs one tool, never throwing: its value, or the message of what it threw. */
export async function runTool(tool: ClientTool, args: unknown): Promise<ToolAnswer> {
  try {
    return { ok: true, value: await tool((args ?? {}) as Record<string, unknown>) };
  } catch (e) {
    const message = e instanceof Error ? e.message || e.name : String(e);
    return { ok: false, message };
  }
}
