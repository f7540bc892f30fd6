/**
 * `stream(runId, { tools })` for the addon: the tool names and one function that runs
 * any of them, never throwing (`bindings/node/src/tools.rs`). The core decides when to
 * call it and submits the answer.
 */
import { runTool, type ClientTool, type ToolAnswer } from "../client-tools.js";
import { asHost } from "./liveness.js";

export interface NativeTools {
  names: string[];
  call: (call: { name: string; arguments: unknown }) => Promise<ToolAnswer>;
}

export function wrapTools(entries: [string, ClientTool][] | undefined): NativeTools | undefined {
  if (!entries) return undefined;
  const byName = new Map(entries);
  return {
    names: [...byName.keys()],
    // A tool is host work: what it waits on keeps the process alive, not the core.
    call: ({ name, arguments: args }) =>
      asHost(() => {
        const tool = byName.get(name);
        return tool ? runTool(tool, args) : Promise.resolve<ToolAnswer>({ ok: false, message: `no client tool named ${name}` });
      }),
  };
}
