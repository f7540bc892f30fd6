//! The development model against every rule and directive of its README (section 5), with exact events.

use futures::StreamExt;
use serde_json::{Value, json};
use zaby_models::{
    CompletedToolCall, ContextPassage, ErrorCode, HistoryTurn, LocalModel, ModelError, ModelEvent, ModelProvider,
    ProviderKind, StepRequest, ToolCall, ToolRound, ToolSpec, Usage, normalize_message,
};

type Events = Vec<Result<ModelEvent, ModelError>>;

fn tool(name: &str) -> ToolSpec {
    ToolSpec { name: name.into(), description: format!("the {name} tool"), input_schema: json!({"type": "object"}) }
}

fn request(input: Value) -> StepRequest {
    StepRequest {
        run_id: "run-1".into(),
        model: "zaby".into(),
        message: normalize_message(&input),
        input,
        tools: vec![tool("echo"), tool("sum")],
        config: json!({}),
        ..Default::default()
    }
}

fn run(request: &StepRequest) -> Events {
    LocalModel::new().events(request)
}

fn text(pieces: &[&str]) -> Events {
    pieces.iter().map(|p| Ok(ModelEvent::TextDelta((*p).into()))).collect()
}

fn usage(input_tokens: u64, output_tokens: u64) -> Result<ModelEvent, ModelError> {
    Ok(ModelEvent::Usage(Usage { input_tokens, output_tokens }))
}

fn call(id: &str, name: &str, arguments: Value) -> ToolCall {
    ToolCall { id: id.into(), name: name.into(), arguments }
}

fn failure(code: ErrorCode, message: &str) -> Result<ModelEvent, ModelError> {
    Err(ModelError::new(code, message))
}

/// The step after the tool calls of `first`, with the given results.
fn answer_step(mut request: StepRequest, calls: Vec<ToolCall>, results: Vec<Value>) -> StepRequest {
    let calls = calls
        .into_iter()
        .zip(results)
        .map(|(call, result)| CompletedToolCall { call, result, is_error: false })
        .collect();
    request.tool_rounds.push(ToolRound { text: String::new(), calls });
    request
}

fn the_only_error(events: &Events) -> &ModelError {
    assert_eq!(events.len(), 1, "{events:?}");
    events[0].as_ref().unwrap_err()
}

#[test]
fn hello_streams_you_said_in_three_pieces() {
    let mut expected = text(&["You ", "said: ", "hello"]);
    expected.push(usage(1, 3));
    assert_eq!(run(&request(json!("hello"))), expected);
}

#[tokio::test]
async fn step_streams_the_same_events_and_is_deterministic() {
    let model = LocalModel::new();
    assert_eq!(model.kind(), ProviderKind::Local);
    assert!(model.kind().honours_directives());
    let req = request(json!({"message": "tell me", "simulate": {"thinking": "hmm"}}));
    let first: Events = model.step(req.clone()).collect().await;
    let second: Events = model.step(req.clone()).collect().await;
    assert_eq!(first, second);
    assert_eq!(first, run(&req));
    assert_eq!(first[0], Ok(ModelEvent::Thinking("hmm".into())));
}

#[test]
fn message_normalization() {
    assert_eq!(normalize_message(&json!("hi there")), "hi there");
    assert_eq!(normalize_message(&json!({"message": "hi", "x": 1})), "hi");
    assert_eq!(normalize_message(&json!({"message": 5, "b": [1, 2]})), r#"{"message":5,"b":[1,2]}"#);
    assert_eq!(normalize_message(&json!({"b": 1, "a": {"c": null}})), r#"{"b":1,"a":{"c":null}}"#);
    assert_eq!(normalize_message(&json!([1, "two"])), r#"[1,"two"]"#);
    assert_eq!(normalize_message(&json!(42)), "42");
    assert_eq!(normalize_message(&json!(null)), "null");
}

#[test]
fn object_input_replies_with_its_message_or_its_json() {
    let mut expected = text(&["You ", "said: ", "good ", "day"]);
    expected.push(usage(2, 4));
    assert_eq!(run(&request(json!({"message": "good day"}))), expected);

    let mut expected = text(&["You ", "said: ", r#"{"q":1}"#]);
    expected.push(usage(1, 3));
    assert_eq!(run(&request(json!({"q": 1}))), expected);
}

#[test]
fn simulate_reply_is_chunked_at_single_spaces() {
    let events = run(&request(json!({"message": "x", "simulate": {"reply": "a  b c "}})));
    let mut expected = text(&["a ", " ", "b ", "c "]);
    expected.push(usage(1, 3));
    assert_eq!(events, expected);
}

#[test]
fn empty_reply_has_no_text_events() {
    let events = run(&request(json!({"message": "x y", "simulate": {"reply": ""}})));
    assert_eq!(events, vec![usage(2, 0)]);
}

#[test]
fn thinking_comes_first_and_only_in_the_first_step() {
    let req = request(json!({"message": "/tool echo", "simulate": {"thinking": "planning"}}));
    let events = run(&req);
    assert_eq!(
        events,
        vec![
            Ok(ModelEvent::Thinking("planning".into())),
            Ok(ModelEvent::ToolCalls(vec![call("call_run-1_1", "echo", json!({}))])),
            usage(2, 0),
        ]
    );
    let next = answer_step(req, vec![call("call_run-1_1", "echo", json!({}))], vec![json!({})]);
    let mut expected = text(&["Tool ", "echo ", "returned: ", "{}"]);
    expected.push(usage(0, 4));
    assert_eq!(run(&next), expected);
}

#[test]
fn fail_emits_the_error_after_thinking_and_nothing_else() {
    let events =
        run(&request(json!({"message": "/tool echo", "simulate": {"fail": "boom", "thinking": "t", "reply": "r"}})));
    assert_eq!(events, vec![Ok(ModelEvent::Thinking("t".into())), failure(ErrorCode::AgentExecutionFailed, "boom")]);
    let events = run(&request(json!({"simulate": {"fail": "boom"}})));
    assert_eq!(events, vec![failure(ErrorCode::AgentExecutionFailed, "boom")]);
}

#[test]
fn tool_command_calls_the_tool_then_answers_with_its_result() {
    let req = request(json!(r#"/tool echo {"text": "hi", "n": [1, 2]}"#));
    let events = run(&req);
    let asked = call("call_run-1_1", "echo", json!({"text": "hi", "n": [1, 2]}));
    assert_eq!(events, vec![Ok(ModelEvent::ToolCalls(vec![asked.clone()])), usage(7, 0)]);

    let next = answer_step(req, vec![asked], vec![json!({"text": "hi", "n": [1, 2]})]);
    let mut expected = text(&["Tool ", "echo ", "returned: ", r#"{"text":"hi","n":[1,2]}"#]);
    expected.push(usage(0, 4));
    assert_eq!(run(&next), expected);
}

#[test]
fn tool_command_without_arguments_passes_an_empty_object() {
    for message in ["/tool echo", "/tool echo   ", "/tool   echo"] {
        let events = run(&request(json!(message)));
        assert_eq!(events[0], Ok(ModelEvent::ToolCalls(vec![call("call_run-1_1", "echo", json!({}))])), "{message:?}");
    }
    // The JSON may follow the name directly.
    let events = run(&request(json!(r#"/tool sum{"numbers":[1]}"#)));
    assert_eq!(events[0], Ok(ModelEvent::ToolCalls(vec![call("call_run-1_1", "sum", json!({"numbers": [1]}))])));
}

#[test]
fn text_after_the_tool_name_must_be_a_json_object() {
    for message in [
        "/tool echo please",
        r#"/tool echo {"a": 1} and more"#,
        "/tool echo [1, 2]",
        r#"/tool echo "text""#,
        "/tool echo {broken",
    ] {
        let events = run(&request(json!(message)));
        let error = the_only_error(&events);
        assert_eq!(error.code, ErrorCode::AgentExecutionFailed, "{message:?}");
        assert!(error.message.contains("must be a JSON object"), "{}", error.message);
    }
    let error = run(&request(json!("/tool ")));
    assert_eq!(the_only_error(&error).code, ErrorCode::AgentExecutionFailed);
}

#[test]
fn words_starting_with_tool_are_not_commands() {
    let mut expected = text(&["You ", "said: ", "/toolbox ", "echo"]);
    expected.push(usage(2, 4));
    assert_eq!(run(&request(json!("/toolbox echo"))), expected);
}

#[test]
fn unknown_tool_names_fail_with_tool_not_attached() {
    let events = run(&request(json!("/tool delete_everything {}")));
    let error = the_only_error(&events);
    assert_eq!(error.code, ErrorCode::AgentToolNotAttached);
    assert!(error.message.contains("delete_everything"));

    // One unknown name among known ones: no call is asked for at all.
    let events = run(&request(json!({"simulate": {"toolCalls": [{"toolName": "echo"}, {"toolName": "nope"}]}})));
    assert_eq!(the_only_error(&events).code, ErrorCode::AgentToolNotAttached);
}

fn with_rules(input: Value, rules: Value) -> StepRequest {
    let mut req = request(input);
    req.config = json!({"localModel": {"rules": rules}});
    req
}

#[test]
fn every_matching_rule_fires_in_list_order() {
    let rules = json!([
        {"match": "weather", "toolName": "sum", "arguments": {"numbers": [1, 2]}},
        {"match": "nothing here", "toolName": "echo"},
        {"match": "weather", "toolName": "echo", "arguments": {"q": "weather"}},
        {"match": "rain", "toolName": "echo"},
    ]);
    let req = with_rules(json!("weather and rain today"), rules);
    let calls = vec![
        call("call_run-1_1", "sum", json!({"numbers": [1, 2]})),
        call("call_run-1_2", "echo", json!({"q": "weather"})),
        call("call_run-1_3", "echo", json!({})),
    ];
    assert_eq!(run(&req), vec![Ok(ModelEvent::ToolCalls(calls.clone())), usage(4, 0)]);

    let next = answer_step(req, calls, vec![json!({"sum": 3}), json!({"q": "weather"}), json!("plain")]);
    let reply = r#"Tool sum returned: {"sum":3} Tool echo returned: {"q":"weather"} Tool echo returned: "plain""#;
    let pieces: Vec<&str> = reply.split_inclusive(' ').collect();
    let mut expected = text(&pieces);
    expected.push(usage(0, 12));
    assert_eq!(run(&next), expected);
}

#[test]
fn rules_match_substrings_case_sensitively() {
    let req = with_rules(json!("Weather?"), json!([{"match": "weather", "toolName": "echo"}]));
    assert!(matches!(run(&req)[0], Ok(ModelEvent::TextDelta(_))));
}

#[test]
fn tool_command_takes_precedence_over_rules() {
    let req = with_rules(json!("/tool sum {\"numbers\": []}"), json!([{"match": "sum", "toolName": "echo"}]));
    assert_eq!(run(&req)[0], Ok(ModelEvent::ToolCalls(vec![call("call_run-1_1", "sum", json!({"numbers": []}))])));
}

#[test]
fn simulated_tool_calls_replace_command_and_rules() {
    let input = json!({
        "message": "/tool echo {}",
        "simulate": {"toolCalls": [{"toolName": "sum", "arguments": {"numbers": [4]}}, {"toolName": "echo"}]}
    });
    let req = with_rules(input, json!([{"match": "echo", "toolName": "echo"}]));
    let calls = vec![call("call_run-1_1", "sum", json!({"numbers": [4]})), call("call_run-1_2", "echo", json!({}))];
    assert_eq!(run(&req), vec![Ok(ModelEvent::ToolCalls(calls)), usage(3, 0)]);

    // An empty list replaces them too: no tool is called.
    let req = with_rules(json!({"message": "/tool echo", "simulate": {"toolCalls": []}}), json!([]));
    assert!(matches!(run(&req)[0], Ok(ModelEvent::TextDelta(_))));
}

#[test]
fn malformed_rules_fail_the_run_naming_the_rule() {
    let req = with_rules(json!("hi"), json!([{"match": "hi", "toolName": "echo"}, {"match": "x"}]));
    let events = run(&req);
    let error = the_only_error(&events);
    assert_eq!(error.code, ErrorCode::AgentExecutionFailed);
    assert_eq!(error.message, "agent config.localModel.rules[1].toolName must be a non-empty string");
}

#[test]
fn simulate_reply_wins_over_tool_results() {
    let req = request(json!({"message": "/tool echo", "simulate": {"reply": "done"}}));
    let next = answer_step(req, vec![call("call_run-1_1", "echo", json!({}))], vec![json!({})]);
    assert_eq!(run(&next), vec![Ok(ModelEvent::TextDelta("done".into())), usage(0, 1)]);
}

#[test]
fn rejected_tool_results_are_quoted_like_any_other() {
    let mut req = request(json!("/tool echo"));
    req.tool_rounds.push(ToolRound {
        text: String::new(),
        calls: vec![CompletedToolCall {
            call: call("call_run-1_1", "echo", json!({})),
            result: json!({"code": "APPROVAL_REJECTED", "message": "rejected by a human", "reason": null}),
            is_error: true,
        }],
    });
    let reply: String = run(&req)
        .into_iter()
        .filter_map(|e| match e {
            Ok(ModelEvent::TextDelta(t)) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(
        reply,
        r#"Tool echo returned: {"code":"APPROVAL_REJECTED","message":"rejected by a human","reason":null}"#
    );
}

fn reply_of(events: &Events) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Ok(ModelEvent::TextDelta(t)) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn best_chunk_is_quoted_with_its_document_title() {
    let mut req = request(json!("refunds?"));
    req.context = vec![
        ContextPassage::memory("m1", "likes tea", 0.99),
        ContextPassage::chunk("c1", "d1", "Handbook", "low one", 0.2),
        ContextPassage::chunk("c2", "d2", "Refund policy", "Refunds take 5 days.", 0.8),
        ContextPassage::chunk("c3", "d3", "Tie", "same score, later", 0.8),
    ];
    let events = run(&req);
    assert_eq!(reply_of(&events), "Based on Refund policy: Refunds take 5 days.");
    assert_eq!(events[0], Ok(ModelEvent::TextDelta("Based ".into())));
    // Prompt: message 1 + passages 2 + 2 + 4 + 3 = 12; reply: 8 words.
    assert_eq!(events.last().unwrap(), &usage(12, 8));
}

#[test]
fn best_memory_item_is_used_without_chunks() {
    let mut req = request(json!("what do I drink"));
    req.context =
        vec![ContextPassage::memory("m1", "likes coffee", 0.3), ContextPassage::memory("m2", "likes tea", 0.6)];
    assert_eq!(reply_of(&run(&req)), "From memory: likes tea");
}

#[test]
fn usage_counts_instructions_context_history_and_message() {
    let mut req = request(json!("three word message"));
    req.instructions = "You are  a helpful\nagent.".into();
    req.history = vec![
        HistoryTurn { user: "earlier question".into(), assistant: "earlier answer here".into() },
        HistoryTurn { user: "again".into(), assistant: "".into() },
    ];
    req.context = vec![ContextPassage::memory("m", "one two", 0.1)];
    let events = run(&req);
    // 5 + 2 + (2 + 3 + 1 + 0) + 3 = 16 prompt words; "From memory: one two" = 4.
    assert_eq!(events.last().unwrap(), &usage(16, 4));
}

#[test]
fn invalid_directives_fail_with_a_message_naming_the_key() {
    let cases = [
        (json!({"reply": 5}), "input.simulate.reply must be a string"),
        (json!({"delayMs": 10001}), "input.simulate.delayMs must be an integer from 0 to 10000"),
        (json!({"delayMs": -1}), "input.simulate.delayMs must be an integer from 0 to 10000"),
        (json!({"toolCalls": {"toolName": "echo"}}), "input.simulate.toolCalls must be an array"),
        (json!({"toolCalls": [{"arguments": {}}]}), "input.simulate.toolCalls[0].toolName must be a non-empty string"),
        (
            json!({"toolCalls": [{"toolName": "echo", "arguments": [1]}]}),
            "input.simulate.toolCalls[0].arguments must be an object",
        ),
        (json!({"memoryCandidates": ["a", 1]}), "input.simulate.memoryCandidates must be an array of strings"),
    ];
    for (simulate, message) in cases {
        let events = run(&request(json!({"message": "m", "simulate": simulate})));
        assert_eq!(events, vec![failure(ErrorCode::AgentExecutionFailed, message)]);
    }
}

#[test]
fn simulate_must_be_an_object_to_count() {
    let events = run(&request(json!({"message": "m", "simulate": "fail"})));
    assert_eq!(reply_of(&events), "You said: m");
    let events = run(&request(json!({"message": "m", "simulate": {"unknown": 1, "reply": null}})));
    assert_eq!(reply_of(&events), "You said: m");
}

#[test]
fn tool_call_ids_name_the_run_so_two_runs_never_share_one() {
    let first = request(json!("/tool echo"));
    let second = StepRequest { run_id: "run-2".into(), ..first.clone() };
    let ids = |req: &StepRequest| match &run(req)[0] {
        Ok(ModelEvent::ToolCalls(calls)) => calls.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        other => panic!("expected tool calls, got {other:?}"),
    };
    assert_eq!(ids(&first), ["call_run-1_1"]);
    assert_eq!(ids(&second), ["call_run-2_1"]);
    assert_eq!(ids(&first), ids(&first), "asked again, a step names its calls as before");
}
