//! Client function tools (E126, E127): the end user's stream answers them through
//! `with_tools`, and the API key answers one by hand after finding it among the run's events.

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};
use zaby::types::{
    AgentInput, AgentRunInput, BindDeploymentInput, DeployInput, FunctionTool, ListQuery, RunEventName, RunStartInput,
    RunStatus, ToolResultInput,
};
use zaby::{ClientTools, RunEvent};

use crate::support::{Ctx, app_token, eventually, finished, finished_run, names};

fn weather_tool() -> FunctionTool {
    FunctionTool { name: "get_weather".into(), description: Some("The weather in a city".into()), ..Default::default() }
}

/// The development model calls a tool when the message is `/tool NAME {json}`.
fn call_weather(city: &str) -> Value {
    json!({ "message": format!("/tool get_weather {}", json!({ "city": city })) })
}

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let input = AgentInput {
        slug: ctx.slug("forecaster"),
        name: "Forecaster".into(),
        function_tools: Some(vec![weather_tool()]),
        ..Default::default()
    };
    let agent = z.agents().create(input).await?;
    let version = z.agents().publish(&agent.id).await?;
    let deploy = DeployInput { agent_version_id: version.id, ..Default::default() };
    let deployment_id = z.agents().deploy(&agent.id, deploy).await?.id;
    crate::support::wait_active(z, &deployment_id).await;
    let granted = app_token(&ctx, &deployment_id, BindDeploymentInput::default(), "forecast-1").await?;
    let rt = ctx.runtime(&granted.token.token);

    // E126 through the runner: the function gets the arguments, its value is the result.
    let start = RunStartInput { input: call_weather("Lyon"), respond_async: Some(true), ..Default::default() };
    let run_id = rt.runs().start(start).await?.run_id;
    let tools = ClientTools::new().with("get_weather", |args: Value| async move {
        let city = args["city"].as_str().ok_or("no city")?.to_owned();
        Ok::<_, String>(json!({ "city": city, "celsius": 21 }))
    });
    let mut stream = rt.runs().stream(&run_id, None).with_tools(tools);
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event?);
    }
    let seen = names(&events);
    assert!(seen.starts_with(&["RunStarted".into(), "tool_call".into(), "tool_result".into()]), "{seen:?}");
    let RunEvent::ToolResult { data: result, .. } = &events[2] else { panic!("{:?}", events[2]) };
    assert_eq!((result.is_error, &result.result), (false, &json!({ "city": "Lyon", "celsius": 21 })));
    assert_eq!(finished(&events).status, "COMPLETED");

    // E127 by hand with the API key: the call found among the stored events, answered as failed.
    let start = AgentRunInput {
        input: call_weather("Oslo"),
        deployment_id: Some(deployment_id.clone()),
        respond_async: Some(true),
        ..Default::default()
    };
    let run_id = z.agents().start_run(&agent.id, start).await?.run_id;
    let tool_call_id = eventually("the client tool call", || async {
        let page = z.agents().list_run_events(&run_id, ListQuery { limit: Some(100), ..Default::default() }).await?;
        Ok(page
            .items
            .iter()
            .find(|e| e.event == RunEventName::ToolCall)
            .and_then(|e| e.data["toolCallId"].as_str().map(str::to_owned)))
    })
    .await;
    let waiting = eventually("the run to wait for the result", || async {
        let run = z.agents().get_run_progress(&run_id).await?;
        Ok((run.status == RunStatus::WaitingForToolResult).then_some(run))
    })
    .await;
    assert_eq!(waiting.run_id, run_id);
    let failed = ToolResultInput {
        tool_call_id,
        is_error: Some(true),
        message: Some("the sensor is offline".into()),
        ..Default::default()
    };
    z.agents().submit_tool_result(&run_id, failed).await?;
    let run = finished_run(z, &run_id).await;
    assert_eq!(run.status, RunStatus::Completed);
    let page = z.agents().list_run_events(&run_id, ListQuery { limit: Some(100), ..Default::default() }).await?;
    let result = page.items.iter().find(|e| e.event == RunEventName::ToolResult).expect("a tool_result");
    assert_eq!(result.data["isError"], json!(true), "{:?}", result.data);
    Ok(())
}
