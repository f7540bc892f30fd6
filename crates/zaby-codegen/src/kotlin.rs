//! Generated Kotlin clients: one class per sub-client of `zaby::endpoints::CLIENTS` with
//! one camelCase `suspend` method per binding of the endpoint table (the same names as
//! TypeScript), `Flow` twins for the `iter…` methods and the run stream, and the
//! `ZabyClients` / `ZabyRuntimeClients` bases holding the sub-clients; and (`types`) the
//! data classes of the type catalogue that those methods take and return. Every method
//! forwards to the native core by client id and method name; no behaviour is generated.

use std::fmt::Write;

use zaby::endpoints::{CLIENTS, ClientInfo, Input, Owner, camel_case};

use crate::Generated;
use crate::types::model::Catalogue;
use crate::typescript::{Method, methods_of};

const PATH: &str = "kotlin/src/main/kotlin/ai/zaby/sdk/GeneratedClients.kt";

/// Kotlin's hard keywords, which a method or parameter name must not be unquoted.
const KEYWORDS: &[&str] = &[
    "as",
    "break",
    "class",
    "continue",
    "do",
    "else",
    "false",
    "for",
    "fun",
    "if",
    "in",
    "interface",
    "is",
    "null",
    "object",
    "package",
    "return",
    "super",
    "this",
    "throw",
    "true",
    "try",
    "typealias",
    "typeof",
    "val",
    "var",
    "when",
    "while",
];

mod types;

pub fn generate() -> Vec<Generated> {
    let cat = crate::types::catalogue();
    vec![
        Generated { path: PATH, contents: clients_kt(&cat) },
        Generated { path: types::PATH, contents: types::emit(&cat) },
    ]
}

fn ident(snake: &str) -> String {
    let name = camel_case(snake);
    if KEYWORDS.contains(&name.as_str()) { format!("`{name}`") } else { name }
}

fn doc(out: &mut String, m: &Method, extra: &str) {
    let routes: Vec<String> =
        m.endpoints.iter().map(|e| format!("{} `{} {}`", e.id, e.method.as_str(), e.path)).collect();
    let _ = writeln!(out, "    /** {}{extra} */", routes.join("; "));
}

/// The typed input of a method: its Kotlin type and serializer, from the endpoint table.
fn request_ref(m: &Method) -> Option<(String, String)> {
    m.endpoints.iter().find_map(|e| e.request).map(types::kotlin_ref)
}

fn emit_method(out: &mut String, cat: &Catalogue, client: &ClientInfo, m: &Method) {
    let name = ident(m.name);
    let names: Vec<String> = m.params.iter().map(|p| ident(p)).collect();
    let decl: String = names.iter().map(|n| format!("{n}: String, ")).collect();
    let list = format!("listOf({})", names.join(", "));
    let (client_id, method) = (client.id, m.name);
    let response = m.endpoints[0].response;
    let (answer, answer_ser) = types::kotlin_ref(response);
    let call =
        |input: &str| format!("core.call(\"{client_id}\", \"{method}\", {list}, {input}, options, {answer_ser})");
    match m.input {
        Input::Stream => {
            doc(out, m, ": the run's events, reconnecting and de-duplicating; ends after the terminal event");
            let run_id = names.first().cloned().unwrap_or_else(|| "runId".to_owned());
            let _ = writeln!(
                out,
                "    fun {name}({run_id}: String, query: Map<String, Any?>? = null, options: StreamOptions? = null): Flow<RunEvent> =\n        core.stream({run_id}, query, options)\n"
            );
            return;
        }
        Input::None | Input::WhenOmitted => {
            doc(out, m, "");
            let _ = writeln!(
                out,
                "    suspend fun {name}({decl}options: RequestOptions? = null): {answer} =\n        {}\n",
                call("null")
            );
        }
        Input::Query => {
            doc(out, m, "");
            let _ = writeln!(
                out,
                "    suspend fun {name}({decl}query: Map<String, Any?>? = null, options: RequestOptions? = null): {answer} =\n        {}\n",
                call("body(query, \"query\")")
            );
        }
        Input::Body | Input::BodyMovingToPath { .. } | Input::OptionalBody | Input::BodyOrEmpty | Input::WhenGiven => {
            let (optional, note) = match m.input {
                Input::OptionalBody => (true, " (no body when `input` is null)"),
                Input::BodyOrEmpty => (true, " (sends `{}` when `input` is null)"),
                Input::WhenGiven => (true, " (the first route when `input` is given, the second when null)"),
                _ => (false, ""),
            };
            let (input, input_ser) = request_ref(m).expect("a method with a body names its request type");
            let default = if optional { "? = null" } else { "" };
            doc(out, m, note);
            let _ = writeln!(
                out,
                "    suspend fun {name}({decl}input: {input}{default}, options: RequestOptions? = null): {answer} =\n        {}\n",
                call(&format!("body({input_ser}, input)"))
            );
            doc(out, m, ": the input as a map, for members this SDK version does not declare");
            let _ = writeln!(
                out,
                "    suspend fun {name}({decl}input: Map<String, Any?>, options: RequestOptions? = null): {answer} =\n        {}\n",
                call("body(input)")
            );
        }
    }
    if let Some(iter) = m.iter {
        let (item, item_ser) = types::item_ref(cat, response).expect("a list answer has items");
        doc(out, m, &format!(": auto-paginating twin of `{name}`, emitting items and fetching pages lazily"));
        let _ = writeln!(
            out,
            "    fun {}({decl}query: Map<String, Any?>? = null, options: RequestOptions? = null): Flow<{item}> =\n        core.iter(\"{client_id}\", \"{iter}\", {list}, query, options, {item_ser})\n",
            ident(iter)
        );
    }
}

fn clients_kt(cat: &Catalogue) -> String {
    let mut out = String::new();
    out.push_str(
        "// GENERATED by `zaby-codegen` from the endpoint table (`crates/zaby/src/endpoints/table.rs`);\n\
         // do not edit by hand (`cargo run -p zaby-codegen` rewrites this file).\n\
         //\n\
         // One class per sub-client, one method per binding. Every method forwards to the\n\
         // native core by client id and method name; the core builds and sends the request.\n\n\
         package ai.zaby.sdk\n\n\
         import ai.zaby.sdk.internal.Core\n\
         import ai.zaby.sdk.internal.body\n",
    );
    out.push_str(&types::client_imports());
    out.push_str("import kotlinx.coroutines.flow.Flow\n\n");
    for client in CLIENTS {
        let _ = writeln!(out, "/** `{}` (client id `{}`). */", camel_case(client.attr), client.id);
        let _ = writeln!(out, "class {} internal constructor(internal val core: Core) {{", client.class);
        for m in methods_of(client) {
            emit_method(&mut out, cat, client, &m);
        }
        while out.ends_with("\n\n") {
            out.pop();
        }
        out.push_str("}\n\n");
    }
    for (owner, base) in [(Owner::Zaby, "ZabyClients"), (Owner::Runtime, "ZabyRuntimeClients")] {
        let _ = writeln!(
            out,
            "/** The sub-clients, as properties. */\nabstract class {base} internal constructor(internal val core: Core) {{"
        );
        for c in CLIENTS.iter().filter(|c| c.owner == owner) {
            let _ = writeln!(out, "    val {}: {} = {}(core)", camel_case(c.attr), c.class, c.class);
        }
        out.push_str("}\n\n");
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
