//! `GET /openapi.json`: an OpenAPI 3.1 document generated from the endpoint table.

use serde_json::{Map, Value, json};
use zaby::endpoints::{Auth, Endpoint};

use super::paths;

fn params(ep: &Endpoint) -> Vec<Value> {
    let mut out: Vec<Value> = ep
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    if ep.list {
        out.push(json!({"name": "cursor", "in": "query", "required": false, "schema": {"type": "string"}}));
        out.push(
            json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1}}),
        );
    }
    out
}

fn operation(ep: &Endpoint) -> Value {
    let binding = ep.bindings.first();
    let (tag, op_id) = match binding {
        Some(b) => (b.client.to_string(), format!("{}.{}", b.client, b.method)),
        None => ("other".to_string(), ep.id.to_string()),
    };
    let security = match ep.auth {
        Auth::None => json!([]),
        Auth::ApiKey => json!([{"apiKey": []}]),
        Auth::Tenant => json!([{"tenantAccessToken": []}]),
        Auth::Runtime => json!([{"runtimeToken": []}]),
    };
    let ok = if ep.sse {
        json!({"description": "Server-sent events", "content": {"text/event-stream": {"schema": {"type": "string"}}}})
    } else {
        json!({"description": "Success", "content": {"application/json": {"schema": {}}}})
    };
    let mut op = json!({
        "operationId": op_id,
        "summary": format!("{} {}", ep.id, op_id),
        "tags": [tag],
        "parameters": params(ep),
        "security": security,
        "responses": {
            "2XX": ok,
            "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
        "x-endpoint-id": ep.id,
        "x-idempotent": ep.idempotent,
        "x-extension": ep.extension,
    });
    if binding.is_some_and(|b| b.input.takes_body()) {
        op["requestBody"] = json!({
            "required": !binding.is_some_and(|b| b.input.input_optional()),
            "content": {"application/json": {"schema": {"type": "object"}}},
        });
    }
    op
}

pub fn document(public_origin: &str) -> Value {
    let mut paths_obj = Map::new();
    for (path, eps) in paths() {
        let mut item = Map::new();
        for ep in eps {
            item.insert(ep.method.as_str().to_ascii_lowercase(), operation(ep));
        }
        paths_obj.insert(path.to_string(), Value::Object(item));
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Zaby API", "version": env!("CARGO_PKG_VERSION")},
        "servers": [{"url": public_origin}],
        "paths": paths_obj,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-zaby-api-key"},
                "tenantAccessToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "runtimeToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "details": {"type": "object"},
                    },
                },
            },
        },
    })
}
