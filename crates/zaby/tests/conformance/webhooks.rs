//! The `webhooks` group of the conformance vectors: signed requests and what the core's
//! `webhooks::verify` / `verify_signature` make of them (docs/webhooks.md), for the web
//! build's own implementation (typescript/src/web/webhooks.ts) to match.
//!
//! The signatures are fixed, so the timestamps are. A tolerance of 10^10 s (317 years)
//! accepts them whenever the vectors run; 300 s refuses the old and the future one
//! whenever they run. What depends on the clock or on a JSON parser's wording is left out
//! of the expected message ([`comparable`]); the replay cuts the actual one the same way.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use zaby::types::WebhookEventType;
use zaby::webhooks;

/// Wide enough that the fixed timestamps are accepted for centuries.
const WIDE: f64 = 1e10;
/// When the vectors' requests were sent: 2026-11-29.
const SENT: i64 = 1_796_000_000;
/// 2100-01-01: ahead of any clock that runs the vectors.
const FUTURE: i64 = 4_102_444_800;
const EVENT_ID: &str = "evt_vec_1";
const CALL_ID: &str = "call_run_vec_1_1";

fn secret(first_byte: u8) -> String {
    let key: Vec<u8> = (first_byte..first_byte + 32).collect();
    format!("whsec_{}", STANDARD.encode(key))
}

fn event_body(event_type: &str) -> String {
    format!(
        r#"{{"id":"{EVENT_ID}","type":"{event_type}","createdAt":"2026-11-29T10:13:20Z","tenantId":"ten_1","data":{{"run":{{"id":"run_1","status":"COMPLETED"}}}}}}"#
    )
}

const CALL_BODY: &str = r#"{"toolCallId":"call_run_vec_1_1","runId":"run_1","agentId":"agt_1","name":"get_weather","arguments":{"city":"Oslo"}}"#;

/// Which function a vector calls.
#[derive(Clone, Copy)]
enum Check {
    Verify,
    VerifySignature,
}

/// One signed request and how it is checked.
struct Case {
    name: String,
    check: Check,
    payload: Vec<u8>,
    headers: Vec<(String, String)>,
    secret: String,
    tolerance_s: f64,
}

impl Case {
    /// `body` signed with each of `secrets` at `sent` (space-separated, as after a
    /// rotation), checked with the first secret and the wide tolerance.
    fn signed(name: impl Into<String>, check: Check, body: &[u8], secrets: &[&str], sent: i64) -> Case {
        let id = match check {
            Check::Verify => EVENT_ID,
            Check::VerifySignature => CALL_ID,
        };
        let signature: Vec<String> = secrets.iter().map(|s| webhooks::sign(s, id, sent, body).unwrap()).collect();
        Case {
            name: name.into(),
            check,
            payload: body.to_vec(),
            headers: vec![
                ("webhook-id".into(), id.into()),
                ("webhook-timestamp".into(), sent.to_string()),
                ("webhook-signature".into(), signature.join(" ")),
            ],
            secret: secrets[0].to_owned(),
            tolerance_s: WIDE,
        }
    }

    fn payload(mut self, payload: &[u8]) -> Case {
        self.payload = payload.to_vec();
        self
    }

    fn secret(mut self, secret: &str) -> Case {
        self.secret = secret.to_owned();
        self
    }

    fn tolerance(mut self, tolerance_s: f64) -> Case {
        self.tolerance_s = tolerance_s;
        self
    }

    /// Sets the header at `index` (0 id, 1 timestamp, 2 signature) to `name: value`.
    fn header(mut self, index: usize, name: &str, value: &str) -> Case {
        self.headers[index] = (name.to_owned(), value.to_owned());
        self
    }

    fn without_header(mut self, index: usize) -> Case {
        self.headers.remove(index);
        self
    }

    /// What the core answers, as the bindings call it: the tolerance first, then the check.
    fn outcome(&self) -> Value {
        let headers = self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let result = webhooks::tolerance_from_secs(self.tolerance_s).and_then(|tolerance| match self.check {
            Check::Verify => webhooks::verify(&self.payload, headers, &self.secret, tolerance)
                .map(|event| serde_json::to_value(event).unwrap()),
            Check::VerifySignature => webhooks::verify_signature(&self.payload, headers, &self.secret, tolerance),
        });
        match result {
            Ok(value) => json!({ "value": value }),
            Err(e) => json!({ "error": {
                "className": e.class_name(),
                "code": e.code(),
                "message": comparable(&e.message()),
            }}),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "function": match self.check { Check::Verify => "verify", Check::VerifySignature => "verifySignature" },
            "payload": super::chunk_json(&self.payload),
            "headers": self.headers,
            "secret": self.secret,
            "toleranceS": self.tolerance_s,
            "expect": self.outcome(),
        })
    }
}

/// An error message without what depends on the clock (the skew, as `<skew>`) or on the
/// JSON parser (what follows the first `": "`); typescript/test-browser/replay.mjs cuts
/// the actual message the same way.
fn comparable(message: &str) -> String {
    let head = message.split(": ").next().unwrap_or_default();
    match head.strip_prefix("webhook-timestamp is ").and_then(|rest| rest.split_once(" s ")) {
        Some((_skew, rest)) => format!("webhook-timestamp is <skew> s {rest}"),
        None => head.to_owned(),
    }
}

fn cases() -> Vec<Case> {
    use Check::{Verify, VerifySignature};
    let (old, new) = (secret(0), secret(32));
    let (old, new) = (old.as_str(), new.as_str());
    let event = event_body("run.completed");
    let event = event.as_bytes();
    let call = CALL_BODY.as_bytes();
    let signed = |name: &str, body: &[u8]| Case::signed(name, Verify, body, &[old], SENT);
    let good_signature = webhooks::sign(old, EVENT_ID, SENT, event).unwrap();
    let mut out = vec![
        signed("a signed event verifies", event),
        signed("header names in any case", event).header(0, "Webhook-Id", EVENT_ID).header(
            1,
            "WEBHOOK-TIMESTAMP",
            &SENT.to_string(),
        ),
        signed("values are trimmed", event).header(0, "webhook-id", &format!("  {EVENT_ID}\t")),
        Case::signed("after a rotation, the old secret verifies", Verify, event, &[old, new], SENT),
        Case::signed("after a rotation, the new secret verifies", Verify, event, &[old, new], SENT).secret(new),
        signed("a tampered body", event).payload(event_body("run.failed").as_bytes()),
        signed("another secret", event).secret(new),
        signed("a timestamp older than the tolerance", event).tolerance(300.0),
        Case::signed("a timestamp ahead of this clock", Verify, event, &[old], FUTURE).tolerance(300.0),
        signed("no webhook-id", event).without_header(0),
        signed("no webhook-timestamp", event).without_header(1),
        signed("no webhook-signature", event).without_header(2),
        signed("a blank header counts as missing", event).header(0, "webhook-id", "  "),
        signed("a timestamp that is not a number", event).header(1, "webhook-timestamp", "1\u{1}\"x"),
        signed("a timestamp beyond 64 bits", event).header(1, "webhook-timestamp", "99999999999999999999"),
        signed("unknown versions and malformed entries are skipped", event).header(
            2,
            "webhook-signature",
            &format!("v2,{} v1,!!! v1,AAAA= {good_signature}", &good_signature[3..]),
        ),
        signed("a signature without its padding does not match", event).header(
            2,
            "webhook-signature",
            good_signature.trim_end_matches('='),
        ),
        signed("a secret without the whsec_ prefix", event).secret(old.trim_start_matches("whsec_")),
        signed("a secret that is not base64", event).secret("whsec_***"),
        signed("a secret with non-zero trailing bits", event).secret("whsec_AAB="),
        signed("an empty secret", event).secret("whsec_"),
        signed("a negative tolerance", event).tolerance(-1.5e-7),
        signed("a tolerance of 2^64 s", event).tolerance(18_446_744_073_709_551_616.0),
        signed("a tool call is not an event", call),
        signed("an unknown event type", event_body("run.exploded").as_bytes()),
        signed(
            "an event without data reads as empty data",
            br#"{"id":"evt_vec_1","type":"run.started","createdAt":"c","tenantId":"t"}"#,
        ),
        signed(
            "an event whose data is null",
            br#"{"id":"evt_vec_1","type":"run.started","createdAt":"c","tenantId":"t","data":null}"#,
        ),
        signed(
            "members the catalogue does not name are kept",
            br#"{"id":"evt_vec_1","type":"run.started","createdAt":"c","tenantId":"t","data":{},"attempt":2}"#,
        ),
        signed("an event as an array", br#"["evt_vec_1","run.started","c","t",{}]"#),
        Case::signed("a signed tool call verifies", VerifySignature, call, &[old], SENT),
        Case::signed("a tool call after a rotation, the new secret", VerifySignature, call, &[old, new], SENT)
            .secret(new),
        Case::signed("a tampered tool call", VerifySignature, call, &[old], SENT)
            .payload(CALL_BODY.replace("Oslo", "Bergen").as_bytes()),
        Case::signed("a stale tool call", VerifySignature, call, &[old], SENT).tolerance(300.0),
        Case::signed("a tool call without webhook-signature", VerifySignature, call, &[old], SENT).without_header(2),
        Case::signed("a signed body that is not JSON", VerifySignature, b"sunny, probably", &[old], SENT),
        Case::signed("a signed body that is not UTF-8", VerifySignature, b"{\"a\":\"\xff\"}", &[old], SENT),
        Case::signed("a signed body after a byte-order mark", VerifySignature, b"\xEF\xBB\xBF{}", &[old], SENT),
        Case::signed("a signed number out of range", VerifySignature, b"{\"n\":1e400}", &[old], SENT),
        Case::signed("a signed JSON scalar", VerifySignature, b"42", &[old], SENT),
    ];
    // Every event type the catalogue names is accepted (and only those: see above).
    for event_type in WebhookEventType::VALUES {
        out.push(signed(&format!("the event type {event_type}"), event_body(event_type).as_bytes()));
    }
    out
}

pub(crate) fn webhook_vectors() -> Value {
    Value::Array(cases().iter().map(Case::to_json).collect())
}
