//! Every SDK method of the endpoint table, called through the generic entry points
//! (`Zaby::call`, `ZabyRuntime::call`, `paginate`, `stream`) against `MockTransport`:
//! the request each one sends (method, encoded path, query, body, headers) and, for
//! every `iter…` twin, cursor threading. Generated from `ENDPOINTS`, so no endpoint can
//! be skipped; a sample of the macro-generated Rust methods is checked at the end.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::*;
use futures::StreamExt;
use serde_json::{Value, json};
use zaby::endpoints::{ClientInfo, ENDPOINTS, Endpoint, Input, Owner, camel_case};
use zaby::testing::{MockRequest, MockResponse, MockTransport};
use zaby::types::{E3Query, E6Query, RuntimeTokenCreateInput};
use zaby::{Zaby, ZabyError, ZabyRuntime};

struct Clients {
    transport: Arc<MockTransport>,
    zaby: Zaby,
    runtime: ZabyRuntime,
}

impl Clients {
    fn new() -> Self {
        let transport = mock();
        // The runtime gets a tenant id through its config: it must still not send it.
        let runtime = ZabyRuntime::builder()
            .token(RUNTIME_TOKEN)
            .config(zaby::ZabyGlobalConfig { tenant_id: Some("ignored".into()), ..config() })
            .transport(transport.clone())
            .build()
            .unwrap();
        Clients { zaby: zaby(transport.clone()), runtime, transport }
    }

    fn owner(client: &str) -> Owner {
        ClientInfo::by_id(client).unwrap().owner
    }

    async fn call(
        &self,
        client: &str,
        method: &str,
        params: Vec<String>,
        input: Option<Value>,
        rid: Option<&str>,
    ) -> Result<Value, ZabyError> {
        let request = match Self::owner(client) {
            Owner::Zaby => self.zaby.call(client, method, params, input),
            Owner::Runtime => self.runtime.call(client, method, params, input),
        };
        let request = match rid {
            Some(id) => request.request_id(id),
            None => request,
        };
        request.send_json().await
    }

    fn paginate(&self, client: &str, iter: &str, params: Vec<String>, query: Option<Value>) -> zaby::Paginator {
        match Self::owner(client) {
            Owner::Zaby => self.zaby.paginate(client, iter, params, query),
            Owner::Runtime => self.runtime.paginate(client, iter, params, query),
        }
    }

    /// The single request sent since the last reset.
    fn only_request(&self) -> MockRequest {
        let requests = self.transport.requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        assert_eq!(self.transport.pending(), 0);
        self.transport.reset();
        requests.into_iter().next().unwrap()
    }

    fn expect_no_request(&self) {
        assert!(self.transport.requests().is_empty(), "no I/O expected: {:#?}", self.transport.requests());
        self.transport.reset();
    }
}

/// A path parameter value that needs encoding: `/`, a non-ASCII letter, a space, `:`.
fn param_value(name: &str, i: usize) -> String {
    format!("{name}/ü {i}:x")
}

fn param_encoded(name: &str, i: usize) -> String {
    format!("{name}%2F%C3%BC%20{i}%3Ax")
}

const MOVED_VALUE: &str = "app/1 ü";
const MOVED_ENCODED: &str = "app%2F1%20%C3%BC";

/// The template with each `{camelCase}` parameter replaced by its expected encoding.
fn expected_path(e: &Endpoint, params: &[&str], moved: Option<&str>) -> String {
    let mut out = e.path.to_owned();
    for p in e.path_params() {
        let value = match params.iter().position(|name| camel_case(name) == p) {
            Some(i) => param_encoded(params[i], i),
            None => {
                assert_eq!(Some(p), moved, "{}: parameter {p} has no source", e.id);
                MOVED_ENCODED.to_owned()
            }
        };
        out = out.replace(&format!("{{{p}}}"), &value);
    }
    assert!(!out.contains('{'), "{out}");
    out
}

#[track_caller]
fn assert_headers(r: &MockRequest, owner: Owner, has_body: bool, stream: bool, rid: Option<&str>) {
    let mut expected: BTreeMap<&str, String> = BTreeMap::new();
    expected.insert("accept", if stream { "text/event-stream" } else { "application/json" }.into());
    expected.insert("user-agent", format!("zaby-rust/{}", zaby::VERSION));
    match owner {
        Owner::Zaby => {
            expected.insert("x-zaby-api-key", API_KEY.into());
            expected.insert("authorization", format!("Bearer {ACCESS_TOKEN}"));
            expected.insert("x-tenant-id", TENANT.into());
        }
        Owner::Runtime => {
            expected.insert("authorization", format!("Bearer {RUNTIME_TOKEN}"));
        }
    }
    if has_body {
        expected.insert("content-type", "application/json".into());
    }
    if let Some(id) = rid {
        expected.insert("x-request-id", id.into());
    }
    let actual: BTreeMap<&str, String> = r.headers.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    assert_eq!(actual, expected, "{} {}", r.method, r.path);
}

#[track_caller]
fn assert_invalid_argument(result: Result<Value, ZabyError>, what: &str) {
    let e = result.expect_err(what);
    assert_error(&e, "ZabyError", Some("INVALID_ARGUMENT"));
}

const QUERY_SUFFIX: &str = "?limit=5&q=a+b&flag=true&tag=x&tag=y";

fn query() -> Value {
    json!({"limit": 5, "q": "a b", "flag": true, "tag": ["x", "y"], "skip": null})
}

#[tokio::test]
async fn every_binding_sends_the_request_of_its_endpoint() {
    let c = Clients::new();
    let mut inputs_seen = BTreeSet::new();
    let mut bindings_tested = 0;
    for e in ENDPOINTS {
        for b in e.bindings {
            bindings_tested += 1;
            inputs_seen.insert(format!("{:?}", b.input).split(' ').next().unwrap().to_owned());
            let owner = Clients::owner(b.client);
            let params: Vec<String> = b.params.iter().enumerate().map(|(i, p)| param_value(p, i)).collect();
            let moved = match b.input {
                Input::BodyMovingToPath { param, .. } => Some(camel_case(param)),
                _ => None,
            };
            let path = expected_path(e, b.params, moved.as_deref());
            let method = e.method.as_str();
            let answer = json!({"endpoint": e.id});
            let label = format!("{} {}.{}", e.id, b.client, b.method);
            let rid = format!("rid-{}", e.id);

            // Sends `input`, checks the recorded request, returns it.
            let send = |input: Option<Value>, suffix: &str, body: Option<Value>| {
                let (params, answer, path, label, rid) =
                    (params.clone(), answer.clone(), path.clone(), label.clone(), rid.clone());
                let c = &c;
                let suffix = suffix.to_owned();
                async move {
                    c.transport.push(MockResponse::json(method, &path, 201, answer.clone()));
                    let out = c.call(b.client, b.method, params, input, Some(&rid)).await;
                    assert_eq!(out.unwrap_or_else(|err| panic!("{label}: {err:?}")), answer, "{label}");
                    let r = c.only_request();
                    assert_eq!(r.method, method, "{label}");
                    assert_eq!(r.path, format!("{path}{suffix}"), "{label}");
                    assert_eq!(r.url, format!("{ORIGIN}{path}{suffix}"), "{label}");
                    assert_eq!(r.json_body, body, "{label}");
                    assert!(!r.stream, "{label}");
                    assert_headers(&r, owner, body.is_some(), false, Some(&rid));
                }
            };

            let body = json!({"name": "n", "nested": {"list": [1, "two"]}, "requestId": null});
            match b.input {
                Input::None => {
                    send(None, "", None).await;
                }
                Input::Query => {
                    send(Some(query()), QUERY_SUFFIX, None).await;
                    send(None, "", None).await;
                    send(Some(json!({"a": null})), "", None).await;
                    assert_invalid_argument(
                        c.call(b.client, b.method, params.clone(), Some(json!({"a": {"b": 1}})), None).await,
                        &label,
                    );
                    c.expect_no_request();
                }
                Input::Body => {
                    send(Some(body.clone()), "", Some(body.clone())).await;
                    send(Some(json!({})), "", Some(json!({}))).await;
                    assert_invalid_argument(c.call(b.client, b.method, params.clone(), None, None).await, &label);
                    assert_invalid_argument(
                        c.call(b.client, b.method, params.clone(), Some(json!([1])), None).await,
                        &label,
                    );
                    c.expect_no_request();
                }
                Input::OptionalBody => {
                    send(Some(body.clone()), "", Some(body.clone())).await;
                    // Omitted input: no body at all and no content type.
                    send(None, "", None).await;
                }
                Input::BodyOrEmpty => {
                    send(Some(body.clone()), "", Some(body.clone())).await;
                    send(None, "", Some(json!({}))).await;
                }
                Input::BodyMovingToPath { field, .. } => {
                    assert_eq!(field, "externalAppId");
                    let input = json!({"externalAppId": MOVED_VALUE, "requestId": "idem-1", "channel": "web"});
                    send(Some(input), "", Some(json!({"requestId": "idem-1", "channel": "web"}))).await;
                    for bad in [json!({"channel": "web"}), json!({"externalAppId": ""}), json!({"externalAppId": 7})] {
                        let out = c.call(b.client, b.method, params.clone(), Some(bad), None).await;
                        let err = out.expect_err(&label);
                        assert_error(&err, "ZabyError", Some("INVALID_ARGUMENT"));
                        assert!(err.message().contains("externalAppId"), "{}", err.message());
                    }
                    assert_invalid_argument(c.call(b.client, b.method, params.clone(), None, None).await, &label);
                    c.expect_no_request();
                }
                Input::WhenGiven => {
                    send(Some(body.clone()), "", Some(body.clone())).await;
                }
                Input::WhenOmitted => {
                    send(None, "", None).await;
                }
                Input::Stream => {
                    let run_id = params[0].clone();
                    c.transport.set_sse(
                        method,
                        &path,
                        vec![json!({"id": "1", "event": "RunFinished", "data": answer})],
                    );
                    let events: Vec<_> = c.runtime.stream(&run_id, Some(query())).request_id(&rid).collect().await;
                    assert_eq!(events.len(), 1, "{label}");
                    assert_eq!(events[0].as_ref().unwrap().raw().data, answer);
                    let r = c.only_request();
                    assert_eq!((r.method.as_str(), r.path.clone()), (method, format!("{path}{QUERY_SUFFIX}")));
                    assert!(r.stream && r.json_body.is_none());
                    assert_headers(&r, owner, false, true, Some(&rid));
                }
            }

            // Path parameters: an empty one, or the wrong number, fails before any I/O.
            if !b.params.is_empty() && b.input != Input::Stream {
                let input = match b.input {
                    Input::Body | Input::BodyMovingToPath { .. } => Some(json!({"externalAppId": "x"})),
                    _ => None,
                };
                let mut empty = params.clone();
                empty[b.params.len() - 1] = String::new();
                let err = c.call(b.client, b.method, empty, input.clone(), None).await.expect_err(&label);
                assert_error(&err, "ZabyError", Some("INVALID_ARGUMENT"));
                assert!(err.message().contains(b.params[b.params.len() - 1]), "{label}: {}", err.message());
                let err = c.call(b.client, b.method, params[1..].to_vec(), input, None).await.expect_err(&label);
                assert_error(&err, "ZabyError", Some("INVALID_ARGUMENT"));
                c.expect_no_request();
            }
        }
    }
    assert_eq!(bindings_tested, 137, "135 endpoints; E8 and E30 have two bindings each");
    assert_eq!(inputs_seen.len(), 9, "every input rule exercised: {inputs_seen:?}");
}

#[tokio::test]
async fn request_id_header_is_only_sent_when_given_and_content_type_only_with_a_body() {
    let c = Clients::new();
    c.transport.set_response("GET", "/health", 200, json!({"status": "ok"}));
    c.zaby.call("health", "check", vec![], None).send_json().await.unwrap();
    let r = c.only_request();
    assert_headers(&r, Owner::Zaby, false, false, None);
    // The API key goes out on GET /health too.
    assert_eq!(r.headers["x-zaby-api-key"], API_KEY);
}

#[tokio::test]
async fn zaby_with_only_an_api_key_sends_no_authorization() {
    let t = mock();
    let zaby = Zaby::builder().api_key("k").config(config()).transport(t.clone()).build().unwrap();
    t.set_response("GET", "/api/v1/provisioning/agentic-os/agents/a", 200, json!({}));
    zaby.agents().get("a").json().await.unwrap();
    let h = &t.requests()[0].headers;
    assert_eq!(h.get("x-zaby-api-key").map(String::as_str), Some("k"));
    assert!(!h.contains_key("authorization") && !h.contains_key("x-tenant-id"));

    // Access token only: no API key header; tenant id from config.
    let t = mock();
    let zaby = Zaby::builder()
        .access_token("jwt")
        .config(zaby::ZabyGlobalConfig { tenant_id: Some("cfg-tenant".into()), ..config() })
        .transport(t.clone())
        .build()
        .unwrap();
    t.set_response("GET", "/api/v1/tenant/agents", 200, json!({"items": []}));
    zaby.tenant_agents().list(None).json().await.unwrap();
    let h = &t.requests()[0].headers;
    assert_eq!(h.get("authorization").map(String::as_str), Some("Bearer jwt"));
    assert_eq!(h.get("x-tenant-id").map(String::as_str), Some("cfg-tenant"));
    assert!(!h.contains_key("x-zaby-api-key"));

    // The constructor's tenant id wins over the config's.
    let t = mock();
    let zaby = Zaby::builder()
        .api_key("k")
        .tenant_id("ctor-tenant")
        .config(zaby::ZabyGlobalConfig { tenant_id: Some("cfg-tenant".into()), ..config() })
        .transport(t.clone())
        .build()
        .unwrap();
    t.set_response("GET", "/health", 200, json!({}));
    zaby.health().check().json().await.unwrap();
    assert_eq!(t.requests()[0].headers["x-tenant-id"], "ctor-tenant");
}

#[tokio::test]
async fn user_agent_comes_from_config_or_the_binding_default() {
    let t = mock();
    let runtime = ZabyRuntime::builder()
        .token("t")
        .default_user_agent("zaby-python/9.9")
        .config(config())
        .transport(t.clone())
        .build()
        .unwrap();
    t.set_response("POST", "/api/v1/agent-runtime/runs", 201, json!({}));
    runtime.runs().start(json!({"input": "hi"})).json().await.unwrap();
    assert_eq!(t.requests()[0].headers["user-agent"], "zaby-python/9.9");

    let t = mock();
    let zaby = Zaby::builder()
        .api_key("k")
        .default_user_agent("zaby-node/1")
        .config(zaby::ZabyGlobalConfig { user_agent: Some("my-app/2".into()), ..config() })
        .transport(t.clone())
        .build()
        .unwrap();
    t.set_response("GET", "/health", 200, json!({}));
    zaby.health().check().json().await.unwrap();
    assert_eq!(t.requests()[0].headers["user-agent"], "my-app/2");
}

#[tokio::test]
async fn unknown_methods_and_methods_of_the_other_client_are_rejected() {
    let c = Clients::new();
    let err = c.zaby.call("agents", "nope", vec![], None).send_json().await.unwrap_err();
    assert_error(&err, "ZabyError", Some("INVALID_ARGUMENT"));
    assert!(err.message().contains("agents.nope"));
    let err = c.zaby.call("runtime_runs", "start", vec![], Some(json!({}))).send_json().await.unwrap_err();
    assert_error(&err, "ZabyError", Some("INVALID_ARGUMENT"));
    let err = c.runtime.call("agents", "get", vec!["a".into()], None).send_json().await.unwrap_err();
    assert_error(&err, "ZabyError", Some("INVALID_ARGUMENT"));
    let err = c.zaby.paginate("agents", "iter_nope", vec![], None).next().await.unwrap().unwrap_err();
    assert_error(&err, "ZabyError", Some("INVALID_ARGUMENT"));
    c.expect_no_request();
}

#[tokio::test]
async fn every_iterator_threads_the_cursor_through_pages() {
    let c = Clients::new();
    let mut iterators = 0;
    for e in ENDPOINTS.iter().filter(|e| e.list) {
        for b in e.bindings {
            let iter = b.iter.expect("list bindings have an iterator");
            iterators += 1;
            let params: Vec<String> = b.params.iter().enumerate().map(|(i, p)| param_value(p, i)).collect();
            let path = expected_path(e, b.params, None);
            // Queued paths with `?` must match the query exactly (as a multiset).
            c.transport.set_response(
                "GET",
                &format!("{path}?status=ACTIVE&limit=2"),
                200,
                json!({"items": [1, 2], "nextCursor": "c 1", "total": 3}),
            );
            c.transport.set_response(
                "GET",
                &format!("{path}?status=ACTIVE&limit=2&cursor=c+1"),
                200,
                json!({"items": [3], "nextCursor": null, "total": 3}),
            );
            let items: Vec<Value> = c
                .paginate(b.client, iter, params, Some(json!({"status": "ACTIVE", "limit": 2})))
                .request_id("pages")
                .map(|r| r.unwrap_or_else(|err| panic!("{} {}: {err:?}", e.id, iter)))
                .collect()
                .await;
            assert_eq!(items, [json!(1), json!(2), json!(3)], "{} {}.{}", e.id, b.client, iter);
            let requests = c.transport.requests();
            let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
            assert_eq!(
                paths,
                [format!("{path}?status=ACTIVE&limit=2"), format!("{path}?status=ACTIVE&limit=2&cursor=c+1")]
            );
            for r in &requests {
                assert_headers(r, Clients::owner(b.client), false, false, Some("pages"));
            }
            assert_eq!(c.transport.pending(), 0);
            c.transport.reset();
        }
    }
    assert_eq!(iterators, 28, "one per list endpoint of docs/api/endpoints.md");
}

#[tokio::test]
async fn generated_rust_methods_send_the_same_requests() {
    let t = mock();
    let zaby = zaby(t.clone());
    let runtime = runtime(t.clone());
    let a = "/api/v1/provisioning/agentic-os/agents";
    let ma = "/api/v1/provisioning/managed-agents";
    let rt = "/api/v1/agent-runtime";
    for (m, p) in [
        ("GET", "/health".to_owned()),
        ("POST", a.to_owned()),
        ("GET", a.to_owned()),
        ("GET", format!("{a}/a%2F1")),
        ("GET", format!("{a}/a1/playground/runtime-tokens")),
        ("POST", format!("{a}/a1/playground/runtime-tokens")),
        ("POST", format!("{a}/a1/deployments")),
        ("POST", format!("{ma}/external-apps/app%201/runtime-tokens")),
        ("POST", format!("{ma}/runtime-token-grants/g1/revoke")),
        ("POST", format!("{a}/runs/r1/approvals/ap1/approve")),
        ("DELETE", format!("{a}/a1")),
        ("POST", format!("{rt}/runs")),
        ("POST", format!("{rt}/runs/r1/feedback")),
    ] {
        t.set_response(m, &p, 200, json!({"ok": true}));
    }
    zaby.health().check().json().await.unwrap();
    zaby.agents().create(json!({"slug": "s"})).json().await.unwrap();
    zaby.agents().list(E3Query { limit: Some(1), ..Default::default() }).json().await.unwrap();
    zaby.agents().get("a/1").json().await.unwrap();
    zaby.agents().playground_runtime_tokens("a1", None).json().await.unwrap();
    zaby.agents().playground_runtime_tokens("a1", json!({"ttlSeconds": 60})).json().await.unwrap();
    zaby.deployments().create("a1", json!({"environment": "TEST"})).json().await.unwrap();
    // A typed input struct serializes as the body.
    let mint = RuntimeTokenCreateInput {
        external_app_id: "app 1".into(),
        deployment_id: "d".into(),
        quota_policy_id: "q".into(),
        unique_id: Some("u".into()),
        ..Default::default()
    };
    zaby.runtime_tokens().create(mint).json().await.unwrap();
    zaby.runtime_token_grants().revoke("g1", None).json().await.unwrap();
    zaby.approvals().approve("r1", "ap1", None).json().await.unwrap();
    zaby.agents().delete("a1", E6Query { force: Some(true), ..Default::default() }).json().await.unwrap();
    runtime.runs().start(json!({"input": "hi"})).json().await.unwrap();
    runtime.feedback().create("r1", json!({"rating": 5})).json().await.unwrap();
    assert_eq!(t.pending(), 0);

    let r = t.requests();
    assert_eq!(r[2].path, format!("{a}?limit=1"));
    assert_eq!((r[4].method.as_str(), &r[4].json_body), ("GET", &None));
    assert_eq!((r[5].method.as_str(), &r[5].json_body), ("POST", &Some(json!({"ttlSeconds": 60}))));
    assert_eq!(r[7].json_body, Some(json!({"deploymentId": "d", "quotaPolicyId": "q", "uniqueId": "u"})));
    assert_eq!(r[8].json_body, Some(json!({})), "revoke sends {{}} when the input is omitted");
    assert_eq!(r[9].json_body, None, "approve sends no body when the input is omitted");
    assert!(!r[9].headers.contains_key("content-type"));
    assert_eq!(r[10].path, format!("{a}/a1?force=true"));
    assert_eq!(r[11].headers["authorization"], format!("Bearer {RUNTIME_TOKEN}"));

    // `typed` deserializes into a struct.
    t.set_response("GET", a, 200, json!({"items": [{"id": "x"}], "nextCursor": null, "total": 1, "extraField": 1}));
    let page: zaby::ListResponse = zaby.agents().list(None).typed().await.unwrap();
    assert_eq!((page.items.len(), page.total, page.extra.get("extraField")), (1, Some(1), Some(&json!(1))));

    // Iterator methods are generated too.
    t.set_response("GET", &format!("{rt}/runs/r1/events"), 200, json!({"items": [{"seq": 1}], "nextCursor": null}));
    let events: Vec<_> = runtime.runs().iter_events("r1", None).collect().await;
    assert_eq!(events.len(), 1);
}
