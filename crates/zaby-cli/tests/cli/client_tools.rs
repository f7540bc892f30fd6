//! `zaby chat` answering client tool calls: at the terminal (a JSON result, a retry after
//! text that is not JSON, an error with its message), and from piped standard input,
//! whose end answers the call as failed.

use std::io::Write;
use std::process::Stdio;

use serde_json::json;

use crate::dev::Dev;

/// An agent whose `lookup_order` function tool is run by the client; the CLI has no
/// command for function tools, so the SDK creates it, then `zaby` publishes and deploys.
fn agent_with_a_client_tool(dev: &Dev) {
    dev.sdk(|z| async move {
        let tool = json!({
            "name": "lookup_order",
            "description": "An order's status",
            "parameters": { "type": "object", "properties": { "id": { "type": "integer" } }, "required": ["id"] },
            "execution": "client",
        });
        z.agents().create(json!({ "slug": "shop", "name": "Shop", "functionTools": [tool] })).json().await?;
        Ok::<_, zaby::ZabyError>(())
    })
    .expect("an agent with a client tool");
    dev.json(&["agents", "publish", "shop"]);
    dev.json(&["agents", "deploy", "shop", "--wait"]);
}

/// `zaby chat shop --message MESSAGE FLAGS` with `stdin` piped in; its exit code and stdout.
fn one_shot(dev: &Dev, flags: &[&str], message: &str, stdin: &str) -> (Option<i32>, String) {
    let mut child = dev
        .command(&[&["chat", "shop", "--message", message], flags].concat())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zaby chat starts");
    child.stdin.take().expect("piped stdin").write_all(stdin.as_bytes()).expect("the answer is written");
    let out = child.wait_with_output().expect("zaby chat ends");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code(), stdout)
}

#[test]
fn chat_answers_client_tools() {
    let dev = Dev::start();
    agent_with_a_client_tool(&dev);

    let mut chat = rexpect::session::spawn_command(dev.command(&["chat", "shop", "--user", "pty-user"]), Some(30_000))
        .expect("zaby chat in a pseudo-terminal");
    chat.exp_string("you> ").unwrap();
    chat.send_line(r#"/tool lookup_order {"id":7}"#).unwrap();
    chat.exp_string(r#" lookup_order {"id":7}"#).unwrap();
    chat.exp_string("lookup_order is a client tool: you answer it").unwrap();
    chat.exp_string("result as JSON (empty line: the call failed)> ").unwrap();
    // Text that is not JSON is asked again.
    chat.send_line("shipped").unwrap();
    chat.exp_string("not JSON").unwrap();
    chat.exp_string("result as JSON (empty line: the call failed)> ").unwrap();
    chat.send_line(r#"{"status":"shipped"}"#).unwrap();
    chat.exp_string(r#" lookup_order {"status":"shipped"}"#).unwrap();
    chat.exp_string(r#"Tool lookup_order returned: {"status":"shipped"}"#).unwrap();

    // An empty line: the call failed, with the message typed next.
    chat.exp_string("you> ").unwrap();
    chat.send_line(r#"/tool lookup_order {"id":8}"#).unwrap();
    chat.exp_string("result as JSON (empty line: the call failed)> ").unwrap();
    chat.send_line("").unwrap();
    chat.exp_string("error message> ").unwrap();
    chat.send_line("the order system is down").unwrap();
    chat.exp_string("the order system is down").unwrap();

    chat.exp_string("you> ").unwrap();
    chat.send_line("").unwrap();
    chat.exp_eof().unwrap();
    let status = chat.process().wait().unwrap();
    assert!(matches!(status, rexpect::process::WaitStatus::Exited(_, 0)), "{status:?}");

    // Without a terminal the answer is read from standard input the same way.
    let (code, out) = one_shot(&dev, &[], r#"/tool lookup_order {"id":9}"#, "{\"status\":\"late\"}\n");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(r#"Tool lookup_order returned: {"status":"late"}"#), "{out}");
    // Its end answers the call as failed rather than leaving the run waiting.
    let (_, out) = one_shot(&dev, &[], r#"/tool lookup_order {"id":10}"#, "");
    assert!(out.contains("no answer: the input ended"), "{out}");

    // With --json the questions go to stderr and stdout is the finished run, whose
    // stored tool_result holds the answer as submitted.
    let (code, out) = one_shot(&dev, &["--json"], r#"/tool lookup_order {"id":11}"#, "{\"status\":\"lost\"}\n");
    assert_eq!(code, Some(0), "{out}");
    let run: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not one JSON document ({e}): {out}"));
    let events = dev.json(&["runs", "events", run["runId"].as_str().expect("the run id")]);
    let result = events.as_array().unwrap().iter().find(|e| e["event"] == "tool_result").expect("a tool_result");
    assert_eq!(
        (result["data"]["result"].clone(), result["data"]["isError"].clone()),
        (json!({ "status": "lost" }), json!(false))
    );
    assert!(dev.interrupt().success());
}
