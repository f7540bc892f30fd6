//! `RunEventStream::with_tools` and `AgentsClient::answer_client_tools` over `MockTransport`:
//! client calls answered through E126/E127, every event delivered, other calls left alone,
//! the calls of one step run together, and a refused result ends the stream with its error.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Barrier;
use zaby::{ClientTools, RunEvent, ZabyError};

const STREAM: &str = "/api/v1/agent-runtime/runs/run-42/aiui";
const RUNTIME_RESULTS: &str = "/api/v1/agent-runtime/runs/run-42/tool-results";
const KEY_RESULTS: &str = "/api/v1/provisioning/agentic-os/agents/runs/run-42/tool-results";

fn tool_call(id: &str, call: &str, name: &str, execution: Option<&str>, args: Value) -> Value {
    let mut data = json!({"toolCallId": call, "toolName": name, "arguments": args});
    if let Some(execution) = execution {
        data["execution"] = json!(execution);
    }
    json!({"id": id, "event": "tool_call", "data": data})
}

fn finished(id: &str) -> Value {
    json!({"id": id, "event": "RunFinished", "data": {"runId": "run-42", "status": "COMPLETED"}})
}

fn run() -> Value {
    json!({"id": "run-42", "status": "RUNNING"})
}

async fn drain(mut s: impl Stream<Item = zaby::Result<RunEvent>> + Unpin) -> (Vec<String>, Option<ZabyError>) {
    let mut names = Vec::new();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(5), s.next()).await.expect("the stream stalled") {
        match item {
            Ok(ev) => names.push(ev.name().unwrap_or("-").to_owned()),
            Err(e) => return (names, Some(e)),
        }
    }
    (names, None)
}

fn weather() -> ClientTools {
    ClientTools::new()
        .with("get_weather", |args: Value| async move {
            let city = args["city"].as_str().ok_or("no city")?.to_owned();
            Ok::<_, String>(json!({"city": city, "celsius": 21}))
        })
        .with("explode", |_args: Value| async move { Err::<Value, _>("the sensor is offline") })
}

#[tokio::test]
async fn client_calls_are_answered_and_every_event_still_arrives() {
    let t = mock();
    t.set_sse(
        "GET",
        STREAM,
        vec![
            tool_call("1", "call-1", "get_weather", Some("client"), json!({"city": "Lyon"})),
            tool_call("2", "call-2", "explode", Some("client"), json!({})),
            finished("3"),
        ],
    );
    t.set_response("POST", RUNTIME_RESULTS, 200, run());
    t.set_response("POST", RUNTIME_RESULTS, 200, run());
    let runtime = runtime(t.clone());
    let s = runtime.runs().stream("run-42", None).with_tools(weather());
    assert_eq!(s.run_id(), "run-42");

    let (names, err) = drain(s).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(names, ["tool_call", "tool_call", "RunFinished"]);
    let mut bodies: Vec<Value> = t.requests()[1..].iter().map(|r| r.json_body.clone().unwrap()).collect();
    bodies.sort_by_key(|b| b["toolCallId"].to_string());
    assert_eq!(
        bodies,
        [
            json!({"toolCallId": "call-1", "result": {"city": "Lyon", "celsius": 21}}),
            json!({"toolCallId": "call-2", "isError": true, "message": "the sensor is offline"}),
        ]
    );
}

#[tokio::test]
async fn calls_the_map_does_not_answer_are_left_to_the_caller() {
    let t = mock();
    t.set_sse(
        "GET",
        STREAM,
        vec![
            tool_call("1", "call-1", "lookup", Some("client"), json!({})),
            tool_call("2", "call-2", "get_weather", Some("http"), json!({"city": "Lyon"})),
            tool_call("3", "call-3", "get_weather", None, json!({"city": "Lyon"})),
            finished("4"),
        ],
    );
    let runtime = runtime(t.clone());
    let (names, err) = drain(runtime.runs().stream("run-42", None).with_tools(weather())).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(names, ["tool_call", "tool_call", "tool_call", "RunFinished"]);
    assert_eq!(t.requests().len(), 1, "only the stream was requested");
}

#[tokio::test]
async fn the_calls_of_one_step_run_at_the_same_time() {
    // Each call waits for the other one: answered one after the other, they never finish.
    let both = Arc::new(Barrier::new(2));
    let tools = ClientTools::new().with("meet", move |args: Value| {
        let both = both.clone();
        async move {
            both.wait().await;
            Ok::<_, String>(args)
        }
    });
    let t = mock();
    t.set_sse(
        "GET",
        STREAM,
        vec![
            tool_call("1", "call-1", "meet", Some("client"), json!({"n": 1})),
            tool_call("2", "call-2", "meet", Some("client"), json!({"n": 2})),
            finished("3"),
        ],
    );
    t.set_response("POST", RUNTIME_RESULTS, 200, run());
    t.set_response("POST", RUNTIME_RESULTS, 200, run());
    let runtime = runtime(t.clone());
    let (names, err) = drain(runtime.runs().stream("run-42", None).with_tools(tools)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(names.len(), 3);
    assert_eq!(t.requests().len(), 3, "both results were submitted");
}

#[tokio::test]
async fn a_refused_result_ends_the_stream_with_its_error() {
    let t = mock();
    t.set_sse(
        "GET",
        STREAM,
        vec![tool_call("1", "call-1", "get_weather", Some("client"), json!({"city": "Lyon"})), finished("2")],
    );
    let refusal =
        json!({"code": "RUN_NOT_WAITING_FOR_TOOL_RESULT", "message": "run run-42 is not waiting for a tool result"});
    t.set_response("POST", RUNTIME_RESULTS, 409, refusal);
    let runtime = runtime(t.clone());
    let (names, err) = drain(runtime.runs().stream("run-42", None).with_tools(weather())).await;
    // The mock sends the end right behind the call; a server would wait for the result.
    assert_eq!(names.first().map(String::as_str), Some("tool_call"), "{names:?}");
    let err = err.expect("the refusal surfaces");
    assert_eq!(err.code(), Some("RUN_NOT_WAITING_FOR_TOOL_RESULT"), "{err:?}");
}

#[tokio::test]
async fn an_api_key_answers_through_e127() {
    let t = mock();
    t.set_sse(
        "GET",
        STREAM,
        vec![tool_call("1", "call-1", "get_weather", Some("client"), json!({"city": "Oslo"})), finished("2")],
    );
    t.set_response("POST", KEY_RESULTS, 200, run());
    let events = runtime(t.clone()).runs().stream("run-42", None);
    let s = zaby(t.clone()).agents().answer_client_tools("run-42", events, weather());
    let (names, err) = drain(s).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(names, ["tool_call", "RunFinished"]);
    let submitted = &t.requests()[1];
    assert_eq!(submitted.headers.get("x-zaby-api-key").map(String::as_str), Some(API_KEY));
    assert_eq!(submitted.json_body, Some(json!({"toolCallId": "call-1", "result": {"city": "Oslo", "celsius": 21}})));
}
