// The vectors below were produced by the independent `standardwebhooks` package
// (PyPI, 1.1.0): `Webhook(secret).sign("evt_01", datetime.fromtimestamp(SENT, utc), BODY)`
// for each secret, so these tests check our scheme against another implementation's.

use super::*;

const OLD_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const NEW_SECRET: &str = "whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
const OLD_SIGNATURE: &str = "v1,feYnhnwCf6UXHFHYtTZyG6watISFvkMfaMZTV/cF+wY=";
const NEW_SIGNATURE: &str = "v1,4JBJQ/E8iNisiCpVd9mj22u7N36wGSVuuHthypWHr/8=";
const SENT: u64 = 1_796_569_200;
const BODY: &str = r#"{"id":"evt_01","type":"run.completed","createdAt":"2026-12-06T15:00:00Z","tenantId":"ten_1","data":{"run":{"id":"run_1","status":"COMPLETED"}}}"#;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn check(body: &str, signature: &str, secret: &str, now: SystemTime) -> Result<WebhookEvent> {
    let sent = SENT.to_string();
    let headers = [("Webhook-Id", "evt_01"), ("webhook-timestamp", sent.as_str()), ("WEBHOOK-SIGNATURE", signature)];
    verify_at(body.as_bytes(), headers, secret, DEFAULT_TOLERANCE, now, EVENT_SHAPE)
}

fn code<T: std::fmt::Debug>(result: Result<T>) -> String {
    result.unwrap_err().code().unwrap_or_default().to_owned()
}

#[test]
fn a_signature_from_the_reference_implementation_verifies_and_the_event_is_returned() {
    let event = check(BODY, OLD_SIGNATURE, OLD_SECRET, at(SENT + 10)).unwrap();
    assert_eq!(event.id, "evt_01");
    assert_eq!(event.r#type, crate::types::WebhookEventType::RunCompleted);
    assert_eq!(event.tenant_id, "ten_1");
    assert_eq!(event.data["run"]["id"], "run_1");
}

#[test]
fn a_tampered_body_is_refused() {
    let tampered = BODY.replace("COMPLETED", "FAILED");
    assert_eq!(code(check(&tampered, OLD_SIGNATURE, OLD_SECRET, at(SENT))), codes::WEBHOOK_SIGNATURE_INVALID);
}

#[test]
fn another_secret_or_a_tampered_id_is_refused() {
    assert_eq!(code(check(BODY, OLD_SIGNATURE, NEW_SECRET, at(SENT))), codes::WEBHOOK_SIGNATURE_INVALID);
    let sent = SENT.to_string();
    let headers =
        [("webhook-id", "evt_02"), ("webhook-timestamp", sent.as_str()), ("webhook-signature", OLD_SIGNATURE)];
    let result: Result<WebhookEvent> =
        verify_at(BODY.as_bytes(), headers, OLD_SECRET, DEFAULT_TOLERANCE, at(SENT), EVENT_SHAPE);
    assert_eq!(code(result), codes::WEBHOOK_SIGNATURE_INVALID);
}

#[test]
fn a_timestamp_outside_the_tolerance_is_refused_either_way() {
    let old = check(BODY, OLD_SIGNATURE, OLD_SECRET, at(SENT + 301)).unwrap_err();
    assert_eq!(old.code(), Some(codes::WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE));
    assert!(old.to_string().contains("301 s old"), "{old}");
    assert_eq!(code(check(BODY, OLD_SIGNATURE, OLD_SECRET, at(SENT - 301))), codes::WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE);
    assert!(check(BODY, OLD_SIGNATURE, OLD_SECRET, at(SENT + 300)).is_ok());
}

#[test]
fn after_a_rotation_either_secret_verifies_the_two_signatures() {
    let both = format!("{OLD_SIGNATURE} {NEW_SIGNATURE}");
    assert!(check(BODY, &both, OLD_SECRET, at(SENT)).is_ok());
    assert!(check(BODY, &both, NEW_SECRET, at(SENT)).is_ok());
    let unrelated = format!("whsec_{}", STANDARD.encode([7u8; 32]));
    assert_eq!(code(check(BODY, &both, &unrelated, at(SENT))), codes::WEBHOOK_SIGNATURE_INVALID);
}

#[test]
fn unknown_versions_and_garbage_entries_are_skipped() {
    let entries = format!("v2,abc v1,!!notbase64 {OLD_SIGNATURE}");
    assert!(check(BODY, &entries, OLD_SECRET, at(SENT)).is_ok());
    assert_eq!(code(check(BODY, "v2,abc", OLD_SECRET, at(SENT))), codes::WEBHOOK_SIGNATURE_INVALID);
}

#[test]
fn a_missing_header_is_named() {
    let headers = [("webhook-id", "evt_01"), ("webhook-signature", OLD_SIGNATURE)];
    let err =
        verify_at::<WebhookEvent, _, _>(BODY.as_bytes(), headers, OLD_SECRET, DEFAULT_TOLERANCE, at(SENT), EVENT_SHAPE)
            .unwrap_err();
    assert_eq!(err.code(), Some(codes::WEBHOOK_SIGNATURE_INVALID));
    assert!(err.to_string().contains("webhook-timestamp header is missing"), "{err}");
}

#[test]
fn a_secret_that_is_not_base64_is_an_invalid_argument() {
    assert_eq!(code(check(BODY, OLD_SIGNATURE, "whsec_***", at(SENT))), codes::INVALID_ARGUMENT);
    assert_eq!(code(check(BODY, OLD_SIGNATURE, "whsec_", at(SENT))), codes::INVALID_ARGUMENT);
}

#[test]
fn a_tolerance_in_seconds_must_be_finite_and_not_negative() {
    assert_eq!(tolerance_from_secs(300.0).unwrap(), DEFAULT_TOLERANCE);
    assert_eq!(tolerance_from_secs(0.5).unwrap(), Duration::from_millis(500));
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let err = tolerance_from_secs(bad).unwrap_err();
        assert_eq!(err.code(), Some(codes::INVALID_ARGUMENT));
        assert!(err.to_string().contains("tolerance"), "{err}");
    }
}

#[test]
fn the_secret_is_accepted_without_its_prefix() {
    let bare = OLD_SECRET.trim_start_matches(SECRET_PREFIX);
    assert!(check(BODY, OLD_SIGNATURE, bare, at(SENT)).is_ok());
}

#[test]
fn a_signed_body_that_is_not_an_event_is_an_invalid_argument_not_a_signature_failure() {
    let key = decode_secret(OLD_SECRET).unwrap();
    let mut mac = Hmac::new_from_slice(&key).unwrap();
    mac.update(format!("evt_01.{SENT}.[1,2]").as_bytes());
    let signature = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(code(check("[1,2]", &signature, OLD_SECRET, at(SENT))), codes::INVALID_ARGUMENT);
}

#[test]
fn sign_gives_the_reference_implementations_signature_for_each_secret() {
    let sent = SENT as i64;
    assert_eq!(sign(OLD_SECRET, "evt_01", sent, BODY.as_bytes()).unwrap(), OLD_SIGNATURE);
    assert_eq!(sign(NEW_SECRET, "evt_01", sent, BODY.as_bytes()).unwrap(), NEW_SIGNATURE);
    assert_eq!(sign("whsec_!!", "evt_01", sent, b"{}").unwrap_err().code(), Some(codes::INVALID_ARGUMENT));
}

// `verify_signature`: an http function tool's call, signed as the server signs it
// (`sign`, which the server's signed_post uses), with the agent's function-tool secret.

const CALL: &str =
    r#"{"toolCallId":"call_7","runId":"run_1","agentId":"agt_1","name":"get_weather","arguments":{"city":"Oslo"}}"#;

/// `verify_signature` of `body` under headers carrying `signatures`, sent at SENT.
fn check_call(body: &str, signatures: &str, secret: &str, now: SystemTime) -> Result<Value> {
    let sent = SENT.to_string();
    let headers = [("webhook-id", "call_7"), ("webhook-timestamp", sent.as_str()), ("webhook-signature", signatures)];
    verify_at(body.as_bytes(), headers, secret, DEFAULT_TOLERANCE, now, "JSON")
}

fn call_signature(secret: &str) -> String {
    sign(secret, "call_7", SENT as i64, CALL.as_bytes()).unwrap()
}

#[test]
fn a_signed_tool_call_verifies_and_its_body_is_returned() {
    let call = check_call(CALL, &call_signature(OLD_SECRET), OLD_SECRET, at(SENT + 10)).unwrap();
    assert_eq!(call, serde_json::from_str::<Value>(CALL).unwrap());
    assert_eq!(call["arguments"]["city"], "Oslo");
}

#[test]
fn a_tool_call_is_refused_as_a_delivery_is() {
    let signature = call_signature(OLD_SECRET);
    let tampered = CALL.replace("Oslo", "Bergen");
    assert_eq!(code(check_call(&tampered, &signature, OLD_SECRET, at(SENT))), codes::WEBHOOK_SIGNATURE_INVALID);
    assert_eq!(code(check_call(CALL, &signature, NEW_SECRET, at(SENT))), codes::WEBHOOK_SIGNATURE_INVALID);
    let stale = check_call(CALL, &signature, OLD_SECRET, at(SENT + 301));
    assert_eq!(code(stale), codes::WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE);
    assert_eq!(code(check_call(CALL, &signature, "whsec_***", at(SENT))), codes::INVALID_ARGUMENT);
}

#[test]
fn a_tool_call_signed_with_both_secrets_during_a_rotation_verifies_with_either() {
    let both = format!("{} {}", call_signature(OLD_SECRET), call_signature(NEW_SECRET));
    assert!(check_call(CALL, &both, OLD_SECRET, at(SENT)).is_ok());
    assert!(check_call(CALL, &both, NEW_SECRET, at(SENT)).is_ok());
}

#[test]
fn verify_signature_takes_any_json_a_delivery_from_the_reference_implementation_too() {
    let sent = SENT.to_string();
    let headers =
        [("webhook-id", "evt_01"), ("webhook-timestamp", sent.as_str()), ("webhook-signature", OLD_SIGNATURE)];
    let delivery: Value = verify_at(BODY.as_bytes(), headers, OLD_SECRET, DEFAULT_TOLERANCE, at(SENT), "JSON").unwrap();
    assert_eq!(delivery["data"]["run"]["id"], "run_1");
    let list = "[1,2]";
    let signature = sign(OLD_SECRET, "call_7", SENT as i64, list.as_bytes()).unwrap();
    assert_eq!(check_call(list, &signature, OLD_SECRET, at(SENT)).unwrap(), serde_json::json!([1, 2]));
}

#[test]
fn a_signed_body_that_is_not_json_is_an_invalid_argument() {
    let text = "sunny, probably";
    let signature = sign(OLD_SECRET, "call_7", SENT as i64, text.as_bytes()).unwrap();
    let err = check_call(text, &signature, OLD_SECRET, at(SENT)).unwrap_err();
    assert_eq!(err.code(), Some(codes::INVALID_ARGUMENT));
    assert!(err.to_string().contains("not JSON"), "{err}");
}
