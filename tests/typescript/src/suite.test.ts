/**
 * The TypeScript end-to-end suite: one live zaby-server for the whole file, the domain
 * tests in order, and the coverage check last (node:test runs a file's top-level
 * tests one after another, in the order they were registered).
 */
import "./support/context.js";
import "./agents.js";
import "./apps.js";
import "./runs.js";
import "./function-tools.js";
import "./mcp.js";
import "./knowledge.js";
import "./memory.js";
import "./intelligence.js";
import "./tenant.js";
import "./webhooks.js";
import "./dropin.js";
import "./readme.js";
import "./coverage.js";
