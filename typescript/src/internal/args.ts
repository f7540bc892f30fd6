/**
 * Argument checks done in the facade, so that messages name arguments as a TypeScript
 * caller writes them (`agentId`, `apiKey`) rather than as the core or napi would
 * (`agent_id`, Rust type names).
 */
import { checkString, invalidArgument } from "../common.js";
import { native } from "../native.js";

export { checkString, invalidArgument };

let pathNames: Map<string, string[]> | undefined;

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Path parameter names by `client.method` (and `client.iter…`), from the core's table. */
function namesOf(client: string, method: string): string[] | undefined {
  if (!pathNames) {
    pathNames = new Map();
    for (const row of native().endpoints()) {
      for (const b of row.bindings) {
        const names = b.params.map(camel);
        pathNames.set(`${b.client}.${b.method}`, names);
        if (b.iter) pathNames.set(`${b.client}.${b.iter}`, names);
      }
    }
  }
  return pathNames.get(`${client}.${method}`);
}


/** The path parameters of `client.method`, before they reach native code. */
export function checkParams(client: string, method: string, params: unknown[]): void {
  const names = namesOf(client, method);
  params.forEach((value, i) => checkString(names?.[i] ?? `argument ${i + 1}`, value));
}

/** A credential given to a constructor: a non-empty string or a function. */
export function checkCredential(name: string, value: unknown): void {
  if (value === "") throw invalidArgument(`${name} must not be an empty string`);
}
