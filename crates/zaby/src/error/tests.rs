use super::*;
use serde_json::json;
use std::time::UNIX_EPOCH;

fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn api(status: u16, body: Option<Value>) -> ApiError {
    ApiError::from_parts(status, BTreeMap::new(), body, None)
}

#[test]
fn mapping_table_first_matching_row_wins() {
    use ApiErrorKind::*;
    let expired = "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED";
    let exhausted = "MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED";
    let cases: &[(u16, Option<&str>, ApiErrorKind)] = &[
        // Rows 1 and 2 win over any status.
        (401, Some(expired), RuntimeTokenExpired),
        (500, Some(expired), RuntimeTokenExpired),
        (429, Some(expired), RuntimeTokenExpired),
        (403, Some(exhausted), RuntimeTokenExhausted),
        (200, Some(exhausted), RuntimeTokenExhausted),
        (429, Some(exhausted), RuntimeTokenExhausted),
        (429, Some("RATE_LIMITED"), RateLimit),
        (429, None, RateLimit),
        (401, Some("UNAUTHORIZED"), Auth),
        (401, Some("MANAGED_AGENT_RUNTIME_TOKEN_REVOKED"), Auth),
        (403, Some("INSUFFICIENT_SCOPE"), Permission),
        (404, None, NotFound),
        (409, Some("CONFLICT"), Conflict),
        (400, None, Validation),
        (422, Some("VALIDATION_ERROR"), Validation),
        (405, None, Generic),
        (413, None, Generic),
        (500, None, Generic),
        (503, Some("UNAVAILABLE"), Generic),
        (101, None, Generic),
        (302, None, Generic),
        // The code is case-sensitive.
        (500, Some("managed_agent_runtime_token_expired"), Generic),
    ];
    for (status, code, kind) in cases {
        assert_eq!(ApiErrorKind::classify(*status, *code), *kind, "{status} {code:?}");
    }
}

#[test]
fn from_parts_fills_every_field() {
    let body = json!({"code": "VALIDATION_ERROR", "message": "slug is required", "details": {"errors": []}});
    let e = ApiError::from_parts(
        422,
        headers(&[("x-request-id", "req_srv"), ("retry-after", "3"), ("content-type", "application/json")]),
        Some(body.clone()),
        Some("req_sent"),
    );
    assert_eq!(e.kind, ApiErrorKind::Validation);
    assert_eq!(e.status, 422);
    assert_eq!(e.code.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(e.message, "slug is required");
    assert_eq!(e.request_id.as_deref(), Some("req_srv"));
    assert_eq!(e.retry_after, Some(3));
    // `details` is the whole body, not its `details` member; `body()` is its alias.
    assert_eq!(e.details.as_ref(), Some(&body));
    assert_eq!(e.body(), Some(&body));
    assert_eq!(e.headers.get("content-type").map(String::as_str), Some("application/json"));
    assert!(e.run_id.is_none() && e.last_event_id.is_none() && e.source.is_none());
}

#[test]
fn message_falls_back_to_the_status_sentence() {
    let fallback = "Zaby API request failed with status 500.";
    for body in [
        None,
        Some(json!({})),
        Some(json!({"message": ""})),
        Some(json!({"message": 42})),
        Some(json!({"message": null})),
        Some(json!(["message"])),
        Some(json!("plain text")),
    ] {
        assert_eq!(api(500, body.clone()).message, fallback, "{body:?}");
    }
    assert_eq!(api(404, None).message, "Zaby API request failed with status 404.");
}

#[test]
fn code_prefers_code_then_error_code() {
    assert_eq!(api(400, Some(json!({"code": "A", "errorCode": "B"}))).code.as_deref(), Some("A"));
    assert_eq!(api(400, Some(json!({"errorCode": "B"}))).code.as_deref(), Some("B"));
    // A non-string `code` is skipped in favour of `errorCode`.
    assert_eq!(api(400, Some(json!({"code": 7, "errorCode": "B"}))).code.as_deref(), Some("B"));
    assert_eq!(api(400, Some(json!({"code": 7}))).code, None);
    assert_eq!(api(400, None).code, None);
    // `errorCode` drives the class mapping like `code` does.
    let e = api(401, Some(json!({"errorCode": "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED"})));
    assert_eq!(e.kind, ApiErrorKind::RuntimeTokenExpired);
}

#[test]
fn request_id_falls_back_to_the_sent_one() {
    let e = ApiError::from_parts(500, BTreeMap::new(), None, Some("mine"));
    assert_eq!(e.request_id.as_deref(), Some("mine"));
    let e = ApiError::from_parts(500, headers(&[("x-request-id", "theirs")]), None, Some("mine"));
    assert_eq!(e.request_id.as_deref(), Some("theirs"));
    assert_eq!(ApiError::from_parts(500, BTreeMap::new(), None, None).request_id, None);
}

#[test]
fn retry_after_forms() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(parse_retry_after("0", now), Some(0));
    assert_eq!(parse_retry_after("120", now), Some(120));
    assert_eq!(parse_retry_after(" 7 ", now), Some(7));
    let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
    assert_eq!(parse_retry_after(&later, now), Some(90));
    let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
    assert_eq!(parse_retry_after(&earlier, now), Some(0), "a date in the past is never negative");
    for junk in ["", "-5", "1.5", "soon", "Mon, 99 Foo 2024"] {
        assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
    }
}

#[test]
fn retry_after_is_read_from_the_response_headers() {
    let e = ApiError::from_parts(429, headers(&[("retry-after", "abc")]), None, None);
    assert_eq!(e.retry_after, None);
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
    let e = ApiError::from_parts(503, headers(&[("retry-after", &date)]), None, None);
    let secs = e.retry_after.expect("HTTP-date parsed");
    assert!((28..=30).contains(&secs), "{secs}");
}

fn all_classes() -> Vec<&'static str> {
    ERROR_CLASSES.iter().map(|(name, _)| *name).collect()
}

/// Whether `class` is `ancestor` or below it, from the `ERROR_CLASSES` table.
fn descends(class: &str, ancestor: &str) -> bool {
    let mut current = Some(class);
    while let Some(c) = current {
        if c == ancestor {
            return true;
        }
        current = ERROR_CLASSES.iter().find(|(n, _)| *n == c).and_then(|(_, p)| *p);
    }
    false
}

#[test]
fn hierarchy_table_matches_the_spec() {
    let parent = |c: &str| ERROR_CLASSES.iter().find(|(n, _)| *n == c).unwrap().1;
    assert_eq!(parent("ZabyError"), None);
    assert_eq!(parent("ZabyRuntimeTokenExpiredError"), Some("ZabyAuthError"));
    assert_eq!(parent("ZabyRuntimeTokenExhaustedError"), Some("ZabyPermissionError"));
    assert_eq!(parent("ZabyStreamError"), Some("ZabyApiError"));
    assert_eq!(parent("MockTransportError"), Some("ZabyError"));
    assert_eq!(parent("ZabyWebhookVerificationError"), Some("ZabyError"));
    assert_eq!(ERROR_CLASSES.len(), 15);
}

#[test]
fn class_name_and_is_follow_the_hierarchy() {
    let mut errors: Vec<ZabyError> = [
        ApiErrorKind::Generic,
        ApiErrorKind::Auth,
        ApiErrorKind::RuntimeTokenExpired,
        ApiErrorKind::Permission,
        ApiErrorKind::RuntimeTokenExhausted,
        ApiErrorKind::NotFound,
        ApiErrorKind::Conflict,
        ApiErrorKind::Validation,
        ApiErrorKind::RateLimit,
        ApiErrorKind::Stream,
    ]
    .into_iter()
    .map(|kind| {
        let mut e = api(500, None);
        e.kind = kind;
        e.into()
    })
    .collect();
    errors.push(ZabyError::connection("down", None));
    errors.push(ZabyError::timeout(5));
    errors.push(ZabyError::invalid_argument("bad"));
    errors.push(ZabyError::mock("no mock"));
    errors.push(ZabyError::External(Arc::new(Message("host".into()))));
    errors.push(ZabyError::client(codes::WEBHOOK_SIGNATURE_INVALID, "no match"));
    errors.push(ZabyError::client(codes::WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE, "too old"));
    let expected = [
        "ZabyApiError",
        "ZabyAuthError",
        "ZabyRuntimeTokenExpiredError",
        "ZabyPermissionError",
        "ZabyRuntimeTokenExhaustedError",
        "ZabyNotFoundError",
        "ZabyConflictError",
        "ZabyValidationError",
        "ZabyRateLimitError",
        "ZabyStreamError",
        "ZabyConnectionError",
        "ZabyTimeoutError",
        "ZabyError",
        "MockTransportError",
        "ZabyError",
        "ZabyWebhookVerificationError",
        "ZabyWebhookVerificationError",
    ];
    for (e, class) in errors.iter().zip(expected) {
        assert_eq!(e.class_name(), class);
        assert!(all_classes().contains(&e.class_name()));
        for other in all_classes() {
            assert_eq!(e.is(other), descends(class, other), "{class}.is({other})");
        }
    }
    assert!(!errors[2].is("ZabyPermissionError"));
    assert!(errors[2].is("ZabyAuthError") && errors[2].is("ZabyApiError"));
    assert!(!errors[10].is("ZabyApiError"));
}

#[test]
fn codes_messages_and_sources() {
    assert_eq!(ZabyError::connection("x", None).code(), Some("CONNECTION_ERROR"));
    let t = ZabyError::timeout(1500);
    assert_eq!(t.code(), Some("TIMEOUT"));
    assert!(matches!(t, ZabyError::Timeout { timeout_ms: 1500, .. }));
    assert!(t.message().contains("1500"));
    assert_eq!(ZabyError::invalid_config("x").code(), Some("INVALID_CONFIG"));
    assert_eq!(ZabyError::mock("m").code(), Some("MOCK_TRANSPORT"));
    assert_eq!(ZabyError::External(Arc::new(Message("boom".into()))).code(), None);
    assert_eq!(ZabyError::External(Arc::new(Message("boom".into()))).message(), "boom");

    let cause: Cause = Arc::new(Message("inner".into()));
    let e = ZabyError::client_with_source("CREDENTIAL_PROVIDER_FAILED", "outer", cause);
    assert_eq!(e.to_string(), "outer");
    assert_eq!(StdError::source(&e).unwrap().to_string(), "inner");

    let mut stream = api(0, None);
    stream.kind = ApiErrorKind::Stream;
    stream.source = Some(Box::new(api(401, None).into()));
    let e: ZabyError = stream.into();
    assert_eq!(e.cause().unwrap().class_name(), "ZabyAuthError");
    assert_eq!(StdError::source(&e).unwrap().to_string(), "Zaby API request failed with status 401.");
    assert_eq!(e.status(), Some(0));
    assert!(ZabyError::connection("x", None).is_transient() && ZabyError::timeout(1).is_transient());
    assert!(!ZabyError::invalid_argument("x").is_transient() && !e.is_transient());
}

#[test]
fn debug_output_names_the_class() {
    let e: ZabyError = api(404, Some(json!({"code": "NOT_FOUND", "message": "no agent"}))).into();
    let text = format!("{e:?}");
    assert!(text.starts_with("ZabyNotFoundError(status=404"), "{text}");
    let text = format!("{:?}", ZabyError::invalid_argument("bad"));
    assert_eq!(text, "ZabyError(code=Some(\"INVALID_ARGUMENT\"), message=\"bad\")");
}
