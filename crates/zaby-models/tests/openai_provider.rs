//! The `openai` provider against a scripted OpenAI-compatible server.

mod support;

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use support::{Scripted, ScriptedServer};
use zaby_models::{
    CompletedToolCall, ContextPassage, ErrorCode, HistoryTurn, MemoryCandidate, MemoryKind, ModelError, ModelEvent,
    ModelProvider, ModelRegistry, OpenAiConfig, OpenAiProvider, ProviderKind, RetryConfig, StepRequest, ToolCall,
    ToolRound, ToolSpec, Usage,
};

type Events = Vec<Result<ModelEvent, ModelError>>;

fn fast_retry(max_retries: u32) -> RetryConfig {
    RetryConfig { max_retries, initial_backoff: Duration::from_millis(10), max_backoff: Duration::from_millis(40) }
}

fn provider(server: &ScriptedServer, max_retries: u32) -> OpenAiProvider {
    let mut config = OpenAiConfig::new(server.base_url(), Some("sk-test-secret".into()), "gpt-test");
    config.retry = fast_retry(max_retries);
    config.timeout = Duration::from_secs(5);
    OpenAiProvider::new(config).unwrap()
}

fn weather_tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "get_weather".into(),
            description: "Weather of a city".into(),
            input_schema: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
        },
        // Not a valid function name on the wire: sent as `kb_search`, mapped back.
        ToolSpec { name: "kb.search".into(), description: "Search".into(), input_schema: json!({}) },
    ]
}

fn request(message: &str) -> StepRequest {
    StepRequest {
        model: "zaby-max".into(),
        instructions: "Be brief.".into(),
        message: message.into(),
        input: json!(message),
        config: json!({}),
        ..Default::default()
    }
}

fn delta(delta: Value) -> Value {
    json!({"id": "cmpl-1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
}

fn finish(reason: &str) -> Value {
    json!({"id": "cmpl-1", "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
}

fn usage_chunk(prompt: u64, completion: u64) -> Value {
    json!({"id": "cmpl-1", "choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}})
}

async fn collect(provider: &dyn ModelProvider, request: StepRequest) -> Events {
    provider.step(request).collect().await
}

fn only_error(events: &Events) -> &ModelError {
    assert_eq!(events.len(), 1, "{events:?}");
    events[0].as_ref().unwrap_err()
}

#[tokio::test]
async fn streams_text_deltas_and_usage() {
    // SSE lines split across network writes, including inside the JSON.
    let first = format!("data: {}\n\n", delta(json!({"role": "assistant", "content": ""})));
    let hel = format!("data: {}\n\n", delta(json!({"content": "Hel"})));
    let (hel_a, hel_b) = hel.split_at(17);
    let server = ScriptedServer::start(vec![Scripted::sse_raw(vec![
        first,
        hel_a.to_owned(),
        hel_b.to_owned(),
        format!("data: {}\n\ndata: {}\n\n", delta(json!({"content": "lo"})), delta(json!({"content": " world"}))),
        ": keep-alive comment\n\n".into(),
        format!("data: {}\n\n", finish("stop")),
        format!("data: {}\n\n", usage_chunk(31, 3)),
        "data: [DONE]\n\n".into(),
    ])])
    .await;
    let provider = provider(&server, 0);
    assert_eq!(provider.kind(), ProviderKind::OpenAi);
    assert!(!provider.kind().honours_directives());

    let mut req = request("hello");
    req.history = vec![HistoryTurn { user: "hi".into(), assistant: "Hello!".into() }];
    req.context = vec![
        ContextPassage::chunk("c1", "d1", "Handbook", "Refunds take 5 days.", 0.8),
        ContextPassage::memory("m1", "Prefers French.", 0.4),
    ];
    req.tools = weather_tools();
    let events = collect(&provider, req).await;
    assert_eq!(
        events,
        vec![
            Ok(ModelEvent::TextDelta("Hel".into())),
            Ok(ModelEvent::TextDelta("lo".into())),
            Ok(ModelEvent::TextDelta(" world".into())),
            Ok(ModelEvent::Usage(Usage { input_tokens: 31, output_tokens: 3 })),
        ]
    );

    let requests = server.script.requests.lock().unwrap().clone();
    let (headers, body) = &requests[0];
    assert_eq!(headers["authorization"], "Bearer sk-test-secret");
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages[0], json!({"role": "system", "content": "Be brief."}));
    assert_eq!(messages[1]["role"], "system");
    let context = messages[1]["content"].as_str().unwrap();
    assert!(context.contains("[1] document \"Handbook\" (score 0.800):\nRefunds take 5 days."), "{context}");
    assert!(context.contains("[2] memory about the user (score 0.400):\nPrefers French."), "{context}");
    assert_eq!(messages[2], json!({"role": "user", "content": "hi"}));
    assert_eq!(messages[3], json!({"role": "assistant", "content": "Hello!"}));
    assert_eq!(messages[4], json!({"role": "user", "content": "hello"}));
    assert_eq!(messages.len(), 5);
    assert_eq!(
        body["tools"],
        json!([
            {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
            {"type": "function", "function": {"name": "kb_search", "description": "Search",
                "parameters": {"type": "object", "properties": {}}}},
        ])
    );
}

#[tokio::test]
async fn tool_call_round_trip() {
    let tool_step = Scripted::sse(&[
        delta(json!({"role": "assistant", "content": null, "tool_calls": [
            {"index": 0, "id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
        ]})),
        delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"ci"}}]})),
        delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "ty\": \"Paris\"}"}}]})),
        delta(
            json!({"tool_calls": [{"index": 1, "id": "call_def", "type": "function", "function": {"name": "kb_search", "arguments": "{}"}}]}),
        ),
        finish("tool_calls"),
        usage_chunk(50, 20),
    ]);
    let answer_step = Scripted::sse(&[
        delta(json!({"content": "Sunny, "})),
        delta(json!({"content": "22°C."})),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 80, "completion_tokens": 5}}),
    ]);
    let server = ScriptedServer::start(vec![tool_step, answer_step]).await;
    let provider = provider(&server, 0);

    let mut req = request("Weather in Paris?");
    req.tools = weather_tools();
    let events = collect(&provider, req.clone()).await;
    let calls = vec![
        ToolCall { id: "call_abc".into(), name: "get_weather".into(), arguments: json!({"city": "Paris"}) },
        ToolCall { id: "call_def".into(), name: "kb.search".into(), arguments: json!({}) },
    ];
    assert_eq!(
        events,
        vec![
            Ok(ModelEvent::ToolCalls(calls.clone())),
            Ok(ModelEvent::Usage(Usage { input_tokens: 50, output_tokens: 20 })),
        ]
    );

    req.tool_rounds.push(ToolRound {
        text: String::new(),
        calls: vec![
            CompletedToolCall { call: calls[0].clone(), result: json!({"temp": 22, "sky": "sunny"}), is_error: false },
            CompletedToolCall {
                call: calls[1].clone(),
                result: json!({"code": "APPROVAL_REJECTED", "message": "rejected by a human", "reason": null}),
                is_error: true,
            },
        ],
    });
    let events = collect(&provider, req).await;
    assert_eq!(
        events,
        vec![
            Ok(ModelEvent::TextDelta("Sunny, ".into())),
            Ok(ModelEvent::TextDelta("22°C.".into())),
            Ok(ModelEvent::Usage(Usage { input_tokens: 80, output_tokens: 5 })),
        ]
    );

    let bodies = server.script.bodies();
    let messages = bodies[1]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 5);
    assert_eq!(messages[1], json!({"role": "user", "content": "Weather in Paris?"}));
    assert_eq!(
        messages[2],
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_def", "type": "function", "function": {"name": "kb_search", "arguments": "{}"}},
        ]})
    );
    assert_eq!(
        messages[3],
        json!({"role": "tool", "tool_call_id": "call_abc", "content": "{\"temp\":22,\"sky\":\"sunny\"}"})
    );
    assert_eq!(
        messages[4],
        json!({"role": "tool", "tool_call_id": "call_def",
            "content": "The tool call failed: {\"code\":\"APPROVAL_REJECTED\",\"message\":\"rejected by a human\",\"reason\":null}"})
    );
}

#[tokio::test]
async fn persistent_server_errors_are_retried_then_fail_with_model_error() {
    let error_body = r#"{"error": {"message": "upstream overloaded", "type": "server_error"}}"#;
    let server = ScriptedServer::start(vec![Scripted::status(500, error_body); 3]).await;
    let provider = provider(&server, 2);
    let events = collect(&provider, request("hi")).await;
    let error = only_error(&events);
    assert_eq!(error.code, ErrorCode::ModelError);
    assert!(
        error.message.contains("failed (3 attempts): HTTP 500 Internal Server Error: upstream overloaded"),
        "{}",
        error.message
    );
    assert!(error.message.contains("model `gpt-test`"), "{}", error.message);
    assert!(!error.message.contains("sk-test-secret"));
    assert_eq!(server.script.count(), 3);
}

#[tokio::test]
async fn transient_errors_are_retried_until_success() {
    let mut rate_limited = Scripted::status(429, r#"{"error": {"message": "slow down"}}"#);
    rate_limited.headers.push(("retry-after", "0".into()));
    let server = ScriptedServer::start(vec![
        Scripted::status(503, "unavailable"),
        rate_limited,
        Scripted::sse(&[delta(json!({"content": "ok"})), finish("stop")]),
    ])
    .await;
    let events = collect(&provider(&server, 3), request("hi")).await;
    assert_eq!(events, vec![Ok(ModelEvent::TextDelta("ok".into()))]);
    assert_eq!(server.script.count(), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server =
        ScriptedServer::start(vec![Scripted::status(401, r#"{"error": {"message": "Incorrect API key provided"}}"#)])
            .await;
    let events = collect(&provider(&server, 3), request("hi")).await;
    let error = only_error(&events);
    assert_eq!(error.code, ErrorCode::ModelError);
    assert!(
        error.message.ends_with("failed (1 attempt): HTTP 401 Unauthorized: Incorrect API key provided"),
        "{}",
        error.message
    );
    assert_eq!(server.script.count(), 1);
}

#[tokio::test]
async fn connection_failures_are_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut config = OpenAiConfig::new(format!("http://127.0.0.1:{port}/v1/"), None, "m");
    config.retry = fast_retry(1);
    let url = config.chat_completions_url();
    assert_eq!(url, format!("http://127.0.0.1:{port}/v1/chat/completions"));
    let events = collect(&OpenAiProvider::new(config).unwrap(), request("hi")).await;
    let error = only_error(&events);
    assert_eq!(error.code, ErrorCode::ModelError);
    assert!(error.message.contains("failed (2 attempts): request failed"), "{}", error.message);
}

#[tokio::test]
async fn slow_response_headers_time_out_and_are_retried() {
    let mut slow = Scripted::sse(&[delta(json!({"content": "late"})), finish("stop")]);
    slow.header_delay = Duration::from_millis(800);
    let server = ScriptedServer::start(vec![slow.clone(), slow]).await;
    let mut provider_config = provider(&server, 1).config().clone();
    provider_config.timeout = Duration::from_millis(150);
    let events = collect(&OpenAiProvider::new(provider_config).unwrap(), request("hi")).await;
    let error = only_error(&events);
    assert!(error.message.contains("failed (2 attempts): no response within 150 ms"), "{}", error.message);
}

#[tokio::test]
async fn a_stalled_stream_fails_after_the_timeout() {
    let mut stalled = Scripted::sse_raw(vec![format!("data: {}\n\n", delta(json!({"content": "partial"})))]);
    stalled.hold_open = Duration::from_secs(3);
    let server = ScriptedServer::start(vec![stalled]).await;
    let mut config = provider(&server, 0).config().clone();
    config.timeout = Duration::from_millis(200);
    let events = collect(&OpenAiProvider::new(config).unwrap(), request("hi")).await;
    assert_eq!(events[0], Ok(ModelEvent::TextDelta("partial".into())));
    let error = events[1].as_ref().unwrap_err();
    assert_eq!(error.code, ErrorCode::ModelError);
    assert_eq!(error.message, "the model provider sent nothing for 200 ms");
    assert_eq!(events.len(), 2);
}

#[tokio::test]
async fn a_stream_cut_off_before_the_finish_is_a_model_error() {
    let server =
        ScriptedServer::start(vec![Scripted::sse_raw(vec![format!("data: {}\n\n", delta(json!({"content": "par"})))])])
            .await;
    let events = collect(&provider(&server, 0), request("hi")).await;
    assert_eq!(events[0], Ok(ModelEvent::TextDelta("par".into())));
    assert_eq!(
        events[1].as_ref().unwrap_err().message,
        "the model provider's stream ended before the completion finished"
    );
}

#[tokio::test]
async fn tools_the_run_does_not_offer_fail_with_tool_not_attached() {
    let server = ScriptedServer::start(vec![Scripted::sse(&[
        delta(json!({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "rm_rf", "arguments": "{}"}}]})),
        finish("tool_calls"),
    ])])
    .await;
    let mut req = request("hi");
    req.tools = weather_tools();
    let events = collect(&provider(&server, 0), req).await;
    let error = only_error(&events);
    assert_eq!(error.code, ErrorCode::AgentToolNotAttached);
    assert_eq!(error.message, "tool `rm_rf` is not attached to this agent");
}

#[tokio::test]
async fn arguments_that_are_not_a_json_object_are_a_model_error() {
    let server = ScriptedServer::start(vec![Scripted::sse(&[
        delta(json!({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "get_weather", "arguments": "{\"city\": "}}]})),
        finish("tool_calls"),
    ])])
    .await;
    let mut req = request("hi");
    req.tools = weather_tools();
    let error = only_error(&collect(&provider(&server, 0), req).await).clone();
    assert_eq!(error.code, ErrorCode::ModelError);
    assert!(error.message.starts_with("the model called `get_weather` with arguments that are not a JSON object"));
}

#[tokio::test]
async fn errors_inside_the_stream_end_the_step() {
    let server = ScriptedServer::start(vec![Scripted::sse(&[
        delta(json!({"content": "a"})),
        json!({"error": {"message": "context length exceeded", "code": 400}}),
        delta(json!({"content": "never"})),
    ])])
    .await;
    let events = collect(&provider(&server, 0), request("hi")).await;
    assert_eq!(events[0], Ok(ModelEvent::TextDelta("a".into())));
    assert_eq!(
        events[1].as_ref().unwrap_err().message,
        "the model provider reported an error: context length exceeded"
    );
    assert_eq!(events.len(), 2);
}

#[tokio::test]
async fn reasoning_deltas_become_thinking_and_ids_are_made_up_when_missing() {
    let server = ScriptedServer::start(vec![Scripted::sse(&[
        delta(json!({"reasoning_content": "Need the weather."})),
        delta(json!({"tool_calls": [{"index": 0, "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]})),
        finish("tool_calls"),
    ])])
    .await;
    let mut req = request("hi");
    req.tools = weather_tools();
    req.tool_rounds.push(ToolRound::default());
    let events = collect(&provider(&server, 0), req).await;
    assert_eq!(
        events,
        vec![
            Ok(ModelEvent::Thinking("Need the weather.".into())),
            Ok(ModelEvent::ToolCalls(vec![ToolCall {
                id: "call_2_1".into(),
                name: "get_weather".into(),
                arguments: json!({"city": "Oslo"}),
            }])),
        ]
    );
}

#[tokio::test]
async fn a_whole_json_completion_is_accepted_too() {
    let completion = json!({
        "id": "cmpl-9", "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Whole answer"}}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 2}
    });
    let server = ScriptedServer::start(vec![Scripted::status(200, &completion.to_string())]).await;
    let events = collect(&provider(&server, 0), request("hi")).await;
    assert_eq!(
        events,
        vec![
            Ok(ModelEvent::TextDelta("Whole answer".into())),
            Ok(ModelEvent::Usage(Usage { input_tokens: 7, output_tokens: 2 })),
        ]
    );
}

#[tokio::test]
async fn the_registry_routes_mapped_names_to_the_endpoint() {
    let server =
        ScriptedServer::start(vec![Scripted::sse(&[delta(json!({"content": "remote"})), finish("stop")])]).await;
    let registry = ModelRegistry::from_env_map([("ZABY_MODEL_ZABY_MAX_BASE_URL", server.base_url())]).unwrap();
    let provider = registry.resolve("zaby-max");
    assert_eq!(provider.kind(), ProviderKind::OpenAi);
    let events = collect(provider.as_ref(), request("hi")).await;
    assert_eq!(events, vec![Ok(ModelEvent::TextDelta("remote".into()))]);
    let (headers, body) = server.script.requests.lock().unwrap()[0].clone();
    assert_eq!(body["model"], "zaby-max");
    assert!(headers.get("authorization").is_none());
    assert_eq!(registry.resolve("zaby").kind(), ProviderKind::Local);
}

#[tokio::test]
async fn memory_candidates_are_extracted_by_the_model() {
    let answer = "Here you go:\n```json\n[{\"content\": \" Lives in Oslo \", \"kind\": \"FACT\"}, {\"content\": \"Likes tea\", \"kind\": \"preference\"}, \"Has a cat\", {\"content\": \"\"}]\n```";
    let completion = json!({"choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}}]});
    let server = ScriptedServer::start(vec![Scripted::status(200, &completion.to_string())]).await;
    let found = provider(&server, 0)
        .memory_candidates(&json!("I live in Oslo"), "I live in Oslo, like tea and have a cat", "Noted!")
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![
            MemoryCandidate { content: "Lives in Oslo".into(), kind: MemoryKind::Fact },
            MemoryCandidate { content: "Likes tea".into(), kind: MemoryKind::Preference },
            MemoryCandidate { content: "Has a cat".into(), kind: MemoryKind::Fact },
        ]
    );
    let (headers, body) = server.script.requests.lock().unwrap()[0].clone();
    assert_eq!(headers["accept"], "application/json");
    assert_eq!(body["stream"], false);
    assert_eq!(body["messages"][1]["content"], "User: I live in Oslo, like tea and have a cat\nAssistant: Noted!");
}

#[tokio::test]
async fn memory_extraction_falls_back_to_the_rules_when_the_model_fails() {
    let unusable =
        json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Sure! She likes tea."}}]});
    let server = ScriptedServer::start(vec![
        Scripted::status(400, r#"{"error": {"message": "bad"}}"#),
        Scripted::status(200, &unusable.to_string()),
    ])
    .await;
    let provider = provider(&server, 0);
    for _ in 0..2 {
        // `simulate` is not honoured by a real model.
        let input = json!({"message": "I like tea", "simulate": {"memoryCandidates": ["x"]}});
        let found = provider.memory_candidates(&input, "I like tea", "ok").await.unwrap();
        assert_eq!(found, vec![MemoryCandidate { content: "I like tea".into(), kind: MemoryKind::Preference }]);
    }
    assert_eq!(server.script.count(), 2);
}
