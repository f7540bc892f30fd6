/** The type catalogue (`@zaby/sdk/types`), the same for both builds. */
export type * from "../types.js";
