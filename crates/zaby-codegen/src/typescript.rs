//! Generated TypeScript clients: one class per sub-client of `zaby::endpoints::CLIENTS`
//! with one camelCase method per binding of the endpoint table (plus the `iter…`
//! twins and the stream), typed with `typescript/src/types.ts`. Every method forwards
//! to the native addon by client id and method name; no behaviour is generated.

use std::fmt::Write;

use zaby::endpoints::{CLIENTS, ClientInfo, ENDPOINTS, Endpoint, Input, Owner, camel_case};

use crate::Generated;

const PATH: &str = "typescript/src/generated/clients.ts";

pub fn generate() -> Vec<Generated> {
    vec![Generated { path: PATH, contents: clients_ts() }]
}

/// `ListResponse<Agent>` → `T.ListResponse<T.Agent>`: every identifier names a type of
/// `types.ts`.
fn type_ref(name: &str) -> String {
    let mut out = String::new();
    let mut ident = String::new();
    let flush = |ident: &mut String, out: &mut String| {
        if !ident.is_empty() {
            out.push_str("T.");
            out.push_str(ident);
            ident.clear();
        }
    };
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() || ch == '_' {
            ident.push(ch);
        } else {
            flush(&mut ident, &mut out);
            if ch != ' ' {
                out.push(ch);
            }
            if ch == ',' {
                out.push(' ');
            }
        }
    }
    flush(&mut ident, &mut out);
    out
}

/// One TS (and Kotlin) method: a binding, or the two bindings of E14/E15 merged.
pub(crate) struct Method {
    pub(crate) name: &'static str,
    pub(crate) params: &'static [&'static str],
    pub(crate) input: Input,
    pub(crate) endpoints: Vec<&'static Endpoint>,
    pub(crate) iter: Option<&'static str>,
}

pub(crate) fn methods_of(client: &ClientInfo) -> Vec<Method> {
    let mut out: Vec<Method> = Vec::new();
    for e in ENDPOINTS {
        for b in e.bindings.iter().filter(|b| b.client == client.id) {
            if let Some(m) = out.iter_mut().find(|m| m.name == b.method) {
                // E14 (input given) and E15 (input omitted) share one method.
                m.endpoints.push(e);
                if b.input == Input::WhenGiven {
                    m.input = Input::WhenGiven;
                }
                continue;
            }
            out.push(Method { name: b.method, params: b.params, input: b.input, endpoints: vec![e], iter: b.iter });
        }
    }
    out
}

fn response_type(m: &Method) -> String {
    let mut types: Vec<String> = m.endpoints.iter().map(|e| type_ref(e.response)).collect();
    types.dedup();
    types.join(" | ")
}

fn request_type(m: &Method) -> String {
    m.endpoints.iter().find_map(|e| e.request).map(type_ref).unwrap_or_else(|| "Record<string, unknown>".to_owned())
}

fn doc(out: &mut String, m: &Method, extra: &str) {
    let routes: Vec<String> =
        m.endpoints.iter().map(|e| format!("{} `{} {}`", e.id, e.method.as_str(), e.path)).collect();
    let _ = writeln!(out, "  /** {}{extra} */", routes.join("; "));
}

fn params_decl(m: &Method) -> (String, String) {
    let names: Vec<String> = m.params.iter().map(|p| camel_case(p)).collect();
    let decl = names.iter().map(|n| format!("{n}: string, ")).collect::<String>();
    (decl, format!("[{}]", names.join(", ")))
}

fn emit_method(out: &mut String, client: &ClientInfo, m: &Method) {
    let ts = camel_case(m.name);
    let (decl, list) = params_decl(m);
    let (client_id, name) = (client.id, m.name);
    match m.input {
        Input::Stream => {
            doc(out, m, ": the run's events, reconnecting and de-duplicating; ends after the terminal event");
            let run_id = camel_case(m.params.first().copied().unwrap_or("run_id"));
            let _ = writeln!(
                out,
                "  {ts}({run_id}: string, query?: Query, options?: StreamOptions): AsyncGenerator<SseEvent, undefined, unknown> {{\n    return this._core.stream({run_id}, query, options);\n  }}\n"
            );
            return;
        }
        Input::None | Input::WhenOmitted => {
            doc(out, m, "");
            let _ = writeln!(
                out,
                "  {ts}({decl}options?: RequestOptions): Promise<{resp}> {{\n    return this._core.call(\"{client_id}\", \"{name}\", {list}, undefined, options);\n  }}\n",
                resp = response_type(m)
            );
        }
        Input::Query => {
            doc(out, m, "");
            let _ = writeln!(
                out,
                "  {ts}({decl}query?: Query, options?: RequestOptions): Promise<{resp}> {{\n    return this._core.call(\"{client_id}\", \"{name}\", {list}, query, options);\n  }}\n",
                resp = response_type(m)
            );
        }
        Input::Body | Input::BodyMovingToPath { .. } => {
            doc(out, m, "");
            let _ = writeln!(
                out,
                "  {ts}({decl}input: {req}, options?: RequestOptions): Promise<{resp}> {{\n    return this._core.call(\"{client_id}\", \"{name}\", {list}, input, options);\n  }}\n",
                req = request_type(m),
                resp = response_type(m)
            );
        }
        Input::OptionalBody | Input::BodyOrEmpty | Input::WhenGiven => {
            let note = match m.input {
                Input::BodyOrEmpty => " (sends `{}` when `input` is omitted)",
                Input::WhenGiven => " (the first route when `input` is given, the second when omitted)",
                _ => " (no body when `input` is omitted)",
            };
            doc(out, m, note);
            let _ = writeln!(
                out,
                "  {ts}({decl}input?: {req}, options?: RequestOptions): Promise<{resp}> {{\n    return this._core.call(\"{client_id}\", \"{name}\", {list}, input, options);\n  }}\n",
                req = request_type(m),
                resp = response_type(m)
            );
        }
    }
    if let Some(iter) = m.iter {
        let ts_iter = camel_case(iter);
        doc(out, m, &format!(": auto-paginating twin of `{ts}`, yielding items and fetching pages lazily"));
        let _ = writeln!(
            out,
            "  {ts_iter}({decl}query?: Query, options?: RequestOptions): AsyncGenerator<ItemOf<{resp}>, undefined, unknown> {{\n    return this._core.iter(\"{client_id}\", \"{iter}\", {list}, query, options);\n  }}\n",
            resp = response_type(m)
        );
    }
}

fn clients_ts() -> String {
    let mut out = String::new();
    out.push_str(
        "// GENERATED by `zaby-codegen` from the endpoint table (`crates/zaby/src/endpoints/table.rs`);\n\
         // do not edit by hand (`cargo run -p zaby-codegen` rewrites this file).\n\
         //\n\
         // One class per sub-client, one method per binding. Every method forwards to the\n\
         // native core by client id and method name; the core builds and sends the request.\n\n\
         import type * as T from \"../types.js\";\n\
         import type { Query, RequestOptions, SseEvent, StreamOptions } from \"../options.js\";\n\
         import { SubClient, type Core } from \"../internal/core.js\";\n\n\
         /** The item type of a list response. */\n\
         export type ItemOf<P> = P extends { items: ReadonlyArray<infer I> } ? I : unknown;\n\n",
    );
    for client in CLIENTS {
        let _ = writeln!(out, "/** `{}` (client id `{}`). */", camel_case(client.attr), client.id);
        let _ = writeln!(out, "export class {} extends SubClient {{", client.class);
        for m in methods_of(client) {
            emit_method(&mut out, client, &m);
        }
        // Drop the blank line after the last method.
        while out.ends_with("\n\n") {
            out.pop();
        }
        out.push_str("}\n\n");
    }
    for (owner, iface, factory) in
        [(Owner::Zaby, "ZabyClients", "zabyClients"), (Owner::Runtime, "ZabyRuntimeClients", "runtimeClients")]
    {
        let members: Vec<&ClientInfo> = CLIENTS.iter().filter(|c| c.owner == owner).collect();
        let _ = writeln!(out, "/** The sub-clients, as attributes. */\nexport interface {iface} {{");
        for c in &members {
            let _ = writeln!(out, "  readonly {}: {};", camel_case(c.attr), c.class);
        }
        let _ = writeln!(out, "}}\n\nexport function {factory}(core: Core): {iface} {{\n  return {{");
        for c in &members {
            let _ = writeln!(out, "    {}: new {}(core),", camel_case(c.attr), c.class);
        }
        out.push_str("  };\n}\n\n");
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_refs_name_types_ts() {
        assert_eq!(type_ref("Agent"), "T.Agent");
        assert_eq!(type_ref("ListResponse<Agent>"), "T.ListResponse<T.Agent>");
    }

    #[test]
    fn every_binding_becomes_a_method() {
        let ts = clients_ts();
        for e in ENDPOINTS {
            for b in e.bindings {
                let call = format!("\"{}\", \"{}\"", b.client, b.method);
                assert!(ts.contains(&call) || b.input == Input::Stream, "{} {}.{}", e.id, b.client, b.method);
                if let Some(iter) = b.iter {
                    assert!(ts.contains(&format!("\"{}\", \"{iter}\"", b.client)), "{} {iter}", e.id);
                }
            }
        }
        assert!(ts.contains("stream(runId: string"));
    }
}
