// The API reference (/docs): reads this server's /openapi.json and renders every
// operation grouped by client (the document's tags), with its credentials,
// parameters, request and response schemas and error responses, then every named
// schema. Plain DOM: text is always set as text, never parsed as HTML.
"use strict";

(function () {
  const content = document.getElementById("content");
  const statusLine = document.getElementById("status");
  const METHODS = ["get", "post", "put", "patch", "delete"];

  /** `el("p", { class: "x" }, "text", child…)`; strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  /** Text with `code` spans, as the document's descriptions write them. */
  function prose(text, tag = "p", attrs = {}) {
    const parts = String(text || "").split("`");
    return el(tag, attrs, parts.map((part, i) => (i % 2 === 1 ? el("code", {}, part) : part)));
  }

  const refName = (ref) => ref.split("/").pop();
  const schemaId = (name) => `schema-${name}`;

  /** Follows `#/components/…` references. */
  function resolve(doc, value) {
    let v = value;
    for (let i = 0; v && v.$ref && i < 10; i++) {
      v = v.$ref.slice(2).split("/").reduce((o, k) => (o ? o[k] : undefined), doc);
    }
    return v || {};
  }

  /** A one-line type: `string`, `Agent` (a link), `array of Agent`, `A | null`. */
  function typeLabel(s) {
    if (!s || typeof s !== "object") return "any";
    if (s.$ref) return el("a", { href: `#${schemaId(refName(s.$ref))}` }, refName(s.$ref));
    const alts = s.anyOf || s.oneOf;
    if (alts) return el("span", {}, alts.flatMap((a, i) => (i ? [" | ", typeLabel(a)] : [typeLabel(a)])));
    if (s.allOf) return el("span", {}, s.allOf.flatMap((a, i) => (i ? [" & ", typeLabel(a)] : [typeLabel(a)])));
    if (s.const !== undefined) return el("code", {}, JSON.stringify(s.const));
    const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    const parts = types.map((t) => {
      if (t === "array") return el("span", {}, "array of ", typeLabel(s.items));
      if (t === "object" && s.additionalProperties && typeof s.additionalProperties === "object") {
        return el("span", {}, "map of ", typeLabel(s.additionalProperties));
      }
      return t + (s.format ? ` (${s.format})` : "");
    });
    if (parts.length === 0) return s.properties ? "object" : "any";
    return el("span", {}, parts.flatMap((p, i) => (i ? [" | ", p] : [p])));
  }

  /** Constraints worth a reader's eye: enum values, bounds, defaults. */
  function notes(s) {
    const out = [];
    const enumOf = s.enum || (s.items && s.items.enum);
    if (enumOf) out.push(`one of ${enumOf.map((v) => JSON.stringify(v)).join(", ")}`);
    for (const [k, label] of [["minimum", "≥"], ["maximum", "≤"], ["minLength", "length ≥"], ["maxLength", "length ≤"], ["minItems", "items ≥"], ["maxItems", "items ≤"]]) {
      if (s[k] !== undefined) out.push(`${label} ${s[k]}`);
    }
    if (s.default !== undefined) out.push(`default ${JSON.stringify(s.default)}`);
    return out.length ? el("span", { class: "note" }, out.join("; ")) : null;
  }

  /** A schema: its properties as a table (nested objects below their row), else its type. */
  function schemaView(doc, schema, depth = 0) {
    const named = schema && schema.$ref ? refName(schema.$ref) : null;
    // Named schemas are expanded one level where they are used; deeper, they are links.
    const s = depth === 0 ? resolve(doc, schema) : schema || {};
    const box = el("div", { class: "schema" });
    if (named && depth === 0) box.append(el("p", { class: "note" }, "Schema ", typeLabel(schema)));
    // Deeper, the row above already shows the description.
    if (s.description && !named && depth === 0) box.append(prose(s.description, "p", { class: "note" }));
    if (s.properties && !(depth > 0 && schema.$ref)) {
      const required = new Set(s.required || []);
      const rows = Object.entries(s.properties).map(([name, p]) => {
        // Inline objects (not named schemas), or arrays of them, are expanded below their row.
        const inline = p.items && !p.items.$ref && p.items.properties ? p.items : p;
        const nested = !inline.$ref && inline.properties && depth < 3 ? schemaView(doc, inline, depth + 1) : null;
        return el(
          "tr",
          {},
          el("td", {}, el("code", {}, name), required.has(name) ? el("span", { class: "req", title: "required" }, " *") : null),
          el("td", {}, typeLabel(p), " ", notes(p)),
          el("td", {}, p.description ? prose(p.description, "span") : null, nested),
        );
      });
      box.append(
        el("div", { class: "scroll" }, el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "description"))), el("tbody", {}, rows))),
      );
      if (required.size) box.append(el("p", { class: "note" }, el("span", { class: "req" }, "*"), " required"));
    } else {
      box.append(el("p", {}, typeLabel(depth === 0 && named ? schema : s), " ", notes(s)));
    }
    return box;
  }

  function parametersView(doc, params) {
    const rows = params.map((raw) => {
      const p = resolve(doc, raw);
      return el(
        "tr",
        {},
        el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "req", title: "required" }, " *") : null),
        el("td", {}, p.in),
        el("td", {}, typeLabel(p.schema), " ", p.schema ? notes(p.schema) : null),
        el("td", {}, p.description ? prose(p.description, "span") : null),
      );
    });
    return el("div", { class: "scroll" }, el("table", {}, el("thead", {}, el("tr", {}, ["name", "in", "type", "description"].map((h) => el("th", {}, h)))), el("tbody", {}, rows)));
  }

  /** The body of a response or request: a schema per media type, or the events of a stream. */
  function contentView(doc, content) {
    const out = [];
    for (const [media, m] of Object.entries(content || {})) {
      out.push(el("p", { class: "note" }, el("code", {}, media)));
      if (m["x-events"]) {
        const rows = Object.entries(m["x-events"]).map(([event, s]) => el("tr", {}, el("td", {}, el("code", {}, event)), el("td", {}, typeLabel(s))));
        out.push(el("div", { class: "scroll" }, el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "event"), el("th", {}, "data"))), el("tbody", {}, rows))));
      } else if (m.schema) {
        out.push(schemaView(doc, m.schema));
      }
    }
    return out;
  }

  function responsesView(doc, responses) {
    return Object.entries(responses || {}).map(([code, raw]) => {
      const r = resolve(doc, raw);
      const head = el("p", {}, el("span", { class: "status-code" }, code), " ", prose(r.description, "span"));
      // Shared error responses link to the Errors section instead of repeating the Error schema.
      if (raw.$ref) return el("div", {}, head, el("p", { class: "note" }, "Body: ", el("a", { href: "#errors" }, "Error"), "."));
      return el("div", {}, head, contentView(doc, r.content));
    });
  }

  function securityView(doc, security) {
    const names = (security || []).flatMap((req) => Object.keys(req));
    if (names.length === 0) return el("p", {}, "Credentials: none.");
    return el("p", {}, "Credentials: ", names.flatMap((n, i) => [i ? " or " : "", el("a", { href: "#auth" }, n)]), ".");
  }

  function operationView(doc, path, method, op) {
    const id = `op-${op.operationId || `${method}-${path}`}`.replace(/[^A-Za-z0-9_.-]/g, "-");
    const body = el("div", { class: "body" });
    const details = el(
      "details",
      { class: "operation", id, "data-search": `${method} ${path} ${op.summary || ""} ${op.operationId || ""} ${op["x-endpoint-id"] || ""}`.toLowerCase() },
      el("summary", {}, el("span", { class: `method ${method}` }, method.toUpperCase()), el("span", { class: "path" }, path), el("span", { class: "summary" }, op.summary || "")),
      body,
    );
    // Filled on first open: 125 operations' tables are many nodes a reader never opens.
    details.addEventListener("toggle", () => {
      if (!details.open || body.childElementCount) return;
      if (op.description) body.append(prose(op.description));
      body.append(securityView(doc, op.security));
      if (op.parameters && op.parameters.length) body.append(el("h3", {}, "Parameters"), parametersView(doc, op.parameters));
      if (op.requestBody) {
        const rb = resolve(doc, op.requestBody);
        body.append(el("h3", {}, "Request body", rb.required ? "" : " (optional)"), ...contentView(doc, rb.content));
      }
      body.append(el("h3", {}, "Responses"), ...responsesView(doc, op.responses));
    });
    return details;
  }

  function overview(doc) {
    const schemes = doc.components && doc.components.securitySchemes ? doc.components.securitySchemes : {};
    const auth = el("section", { id: "auth" }, el("h2", {}, "Authentication"));
    for (const [name, s] of Object.entries(schemes)) {
      const how = s.type === "apiKey" ? el("span", {}, "header ", el("code", {}, s.name)) : el("span", {}, el("code", {}, `authorization: Bearer <${s.bearerFormat || "token"}>`));
      auth.append(el("p", {}, el("strong", {}, name), ": ", how, ". ", prose(s.description, "span")));
    }
    // The shared error responses, with the statuses that use them.
    const statuses = new Map();
    for (const item of Object.values(doc.paths || {})) {
      for (const op of Object.values(item)) {
        for (const [code, r] of Object.entries(op.responses || {})) {
          if (r.$ref) statuses.set(refName(r.$ref), code);
        }
      }
    }
    const errors = el("section", { id: "errors" }, el("h2", {}, "Errors"), el("p", {}, "Every error answers this body, with the ", el("code", {}, "x-request-id"), " header naming the request in the server's log:"));
    errors.append(schemaView(doc, { $ref: "#/components/schemas/Error" }));
    const rows = Object.entries((doc.components && doc.components.responses) || {}).map(([name, r]) =>
      el("tr", {}, el("td", { class: "status-code" }, statuses.get(name) || ""), el("td", {}, prose(r.description, "span"))),
    );
    errors.append(el("div", { class: "scroll" }, el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "when"))), el("tbody", {}, rows))));
    return [auth, errors];
  }

  function render(doc) {
    const tags = (doc.tags || []).map((t) => t.name);
    const byTag = new Map(tags.map((t) => [t, []]));
    let total = 0;
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const method of Object.keys(item)) {
        if (!METHODS.includes(method)) continue;
        const op = item[method];
        const tag = (op.tags && op.tags[0]) || "other";
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operationView(doc, path, method, op));
        total += 1;
      }
    }

    const info = doc.info || {};
    document.getElementById("meta").replaceChildren(
      `${info.title || "API"} ${info.version || ""}`,
      doc.servers && doc.servers[0] ? ` at ${doc.servers[0].url}` : "",
      ". Rendered from ",
      el("a", { href: "/openapi.json" }, "/openapi.json"),
      `: ${total} operations.`,
    );

    const navList = el("ul", {});
    const sections = [];
    for (const [tag, ops] of byTag) {
      if (ops.length === 0) continue;
      navList.append(el("li", {}, el("a", { href: `#client-${tag}` }, tag), " ", el("span", { class: "count" }, `(${ops.length})`)));
      sections.push(el("section", { class: "client", id: `client-${tag}`, "data-client": tag }, el("h2", {}, tag, " ", el("span", { class: "count" }, `${ops.length} operations`)), ops));
    }
    document.getElementById("clients").replaceChildren(
      el("h2", { class: "note" }, "Clients"),
      navList,
      el("p", {}, el("a", { href: "#auth" }, "Authentication"), el("br"), el("a", { href: "#errors" }, "Errors"), el("br"), el("a", { href: "#schemas" }, "Schemas")),
    );

    const filter = el("input", { id: "filter", type: "search", placeholder: "method, path, summary or id", autocomplete: "off" });
    const count = el("output", { for: "filter", "aria-live": "polite" }, `${total} of ${total}`);
    filter.addEventListener("input", () => {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const section of sections) {
        let inSection = 0;
        for (const op of section.querySelectorAll(".operation")) {
          const match = words.every((w) => op.dataset.search.includes(w));
          op.hidden = !match;
          if (match) inSection += 1;
        }
        section.hidden = inSection === 0;
        shown += inSection;
      }
      count.value = `${shown} of ${total}`;
    });

    const schemas = el("section", { id: "schemas" }, el("h2", {}, "Schemas"));
    for (const name of Object.keys((doc.components && doc.components.schemas) || {})) {
      const d = el("details", { id: schemaId(name) }, el("summary", {}, el("code", {}, name)));
      d.addEventListener("toggle", () => {
        if (d.open && d.childElementCount === 1) d.append(el("div", { class: "body" }, schemaView(doc, { $ref: `#/components/schemas/${name}` })));
      });
      schemas.append(d);
    }

    content.replaceChildren(
      ...overview(doc),
      el("h2", { id: "operations", tabindex: "-1" }, "Operations"),
      el("div", { class: "filter" }, el("label", { for: "filter" }, "Filter operations"), filter, count),
      ...sections,
      schemas,
    );
    content.setAttribute("data-rendered", "");
    openTarget();
  }

  /** A link to an operation or a schema opens it. */
  function openTarget() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openTarget);

  /** Never a blank page: what failed, with the server's code, message and request id. */
  function fail(title, detail) {
    statusLine.replaceWith(el("div", { class: "alert", role: "alert" }, el("strong", {}, title), el("p", {}, detail)));
  }

  fetch("/openapi.json", { headers: { accept: "application/json" } })
    .then(async (res) => {
      const text = await res.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
      if (!res.ok) {
        const e = body || {};
        const requestId = e.requestId || res.headers.get("x-request-id");
        fail("The API description could not be loaded.", `${e.code || `HTTP ${res.status}`}: ${e.message || text.slice(0, 200)}${requestId ? ` (request ${requestId})` : ""}`);
        return;
      }
      if (!body || !body.paths) {
        fail("The API description could not be read.", "/openapi.json did not answer an OpenAPI document.");
        return;
      }
      render(body);
    })
    .catch((e) => fail("The server could not be reached.", String((e && e.message) || e)));
})();
