//! `zaby webhooks …` against a receiver on this machine: an endpoint created with its
//! secret shown once, a chat's run delivered and verified, the delivery listed and
//! redelivered, the secret rotated, the endpoint paused and deleted.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::dev::Dev;

/// One POST the receiver got: its headers (names lower-cased) and raw body.
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A loopback HTTP receiver that answers every request 204 and hands it to the test.
fn receiver() -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a receiver port");
    let url = format!("http://127.0.0.1:{}/hooks", listener.local_addr().unwrap().port());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
            let mut headers = HashMap::new();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some((name, value)) = line.split_once(':') {
                    headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
                }
                line.clear();
            }
            let length = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = tx.send(Received { headers, body });
        }
    });
    (url, rx)
}

/// `zaby webhooks deliveries WEBHOOK --json` until `done` holds for the list, or 30 s.
fn deliveries_until(dev: &Dev, webhook: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let list = dev.json(&["webhooks", "deliveries", webhook]);
        let list = list.as_array().expect("an array of deliveries").clone();
        if done(&list) {
            return list;
        }
        assert!(Instant::now() < deadline, "deliveries never got there: {list:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The next delivery the receiver got, checked against `secret` with the SDK's verify.
fn verified(rx: &mpsc::Receiver<Received>, secret: &str) -> (Received, zaby::types::WebhookEvent) {
    let got = rx.recv_timeout(Duration::from_secs(30)).expect("a delivery within 30 s");
    let event = zaby::webhooks::verify(&got.body, &got.headers, secret, zaby::webhooks::DEFAULT_TOLERANCE)
        .unwrap_or_else(|e| panic!("the delivery's signature checks out: {e}"));
    (got, event)
}

#[test]
fn webhooks_through_the_cli() {
    let dev = Dev::start();
    let (url, rx) = receiver();
    dev.json(&["agents", "create", "--slug", "hooked", "--name", "Hooked"]);
    dev.json(&["agents", "publish", "hooked"]);
    dev.json(&["agents", "deploy", "hooked", "--wait"]);

    // Created as text: the secret is printed once, with the warning.
    let created = dev.text(&[
        "webhooks",
        "create",
        "--url",
        &url,
        "--events",
        "run.completed,run.failed",
        "--agent",
        "hooked",
        "--description",
        "cli test",
    ]);
    assert!(created.contains("it will not be shown again"), "{created}");
    let secret_line = created.lines().find(|l| l.trim_start().starts_with("secret")).expect("a secret line");
    let secret = secret_line.split_whitespace().nth(1).expect("the secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    let id = created.lines().next().and_then(|l| l.strip_prefix("created webhook ")).expect("the id").to_owned();

    // Shown again without the secret; listed; bad input is a usage or API error.
    let got = dev.json(&["webhooks", "get", &id]);
    assert_eq!((got["url"].as_str(), got["enabled"].as_bool()), (Some(url.as_str()), Some(true)));
    assert_eq!(got["events"], json!(["run.completed", "run.failed"]));
    assert_eq!(got["description"], "cli test");
    assert!(got.get("secret").is_none(), "the secret is shown only once: {got}");
    let listed = dev.json(&["webhooks", "list"]);
    assert_eq!(listed.as_array().unwrap().iter().filter(|w| w["id"] == json!(id)).count(), 1, "{listed}");
    assert!(dev.text(&["webhooks", "list"]).contains(&url));
    let missing = dev.run(&["webhooks", "create", "--url", &url]);
    assert_eq!(missing.status.code(), Some(2), "--events is required");
    let wrong = dev.run(&["webhooks", "create", "--url", &url, "--events", "run.exploded"]);
    assert_eq!(wrong.status.code(), Some(1));
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(said.contains("events.0 must be"), "the error names the bad event: {said}");

    // A chat's run is delivered, signed with the secret printed at creation.
    let run = dev.json(&["chat", "hooked", "--message", "ping"]);
    let run_id = run["runId"].as_str().unwrap().to_owned();
    let (first, event) = verified(&rx, &secret);
    assert_eq!(event.r#type.to_string(), "run.completed");
    let body: Value = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(body["data"]["run"]["runId"], json!(run_id), "{body}");
    let list = deliveries_until(&dev, &id, |l| l.first().is_some_and(|d| d["status"] == "SUCCEEDED"));
    assert_eq!(list.len(), 1, "{list:?}");
    let delivery = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!((list[0]["attempts"].as_i64(), list[0]["responseStatus"].as_i64()), (Some(1), Some(204)));
    assert_eq!(list[0]["eventId"], json!(event.id));
    let table = dev.text(&["webhooks", "deliveries", &id]);
    assert!(table.contains("run.completed") && table.contains("SUCCEEDED") && table.contains("204"), "{table}");

    // Redelivered: the same event again, a second attempt.
    let queued = dev.json(&["webhooks", "redeliver", &id, &delivery]);
    assert_eq!(queued["id"], json!(delivery));
    let (again, _) = verified(&rx, &secret);
    assert_eq!(again.headers["webhook-id"], first.headers["webhook-id"]);
    deliveries_until(&dev, &id, |l| l[0]["attempts"] == 2 && l[0]["status"] == "SUCCEEDED");

    // A rotated secret is printed once too, and differs.
    let rotated = dev.text(&["webhooks", "rotate-secret", &id]);
    assert!(rotated.contains("it will not be shown again") && !rotated.contains(&secret), "{rotated}");

    // Paused, resumed, deleted; a deleted endpoint is a 404, exit 1.
    let paused = dev.json(&["webhooks", "update", &id, "--disable"]);
    assert_eq!(paused["enabled"], false);
    assert!(dev.text(&["webhooks", "get", &id]).contains("disabled"));
    assert_eq!(dev.json(&["webhooks", "update", &id, "--enable", "--events", "*"])["events"], json!(["*"]));
    assert_eq!(dev.json(&["webhooks", "delete", &id])["deleted"], true);
    let gone = dev.run(&["webhooks", "get", &id]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(dev.interrupt().success());
}
