//! Pure parts of configuration. Resolution against the process-wide global config and
//! environment variables lives in `tests/config.rs`, a binary of its own, so that those
//! mutations cannot leak into the other unit tests running in parallel here.

use super::*;

#[test]
fn origins_lose_trailing_slashes_and_need_a_scheme() {
    assert_eq!(normalize_origin("https://api.example.com/").unwrap(), "https://api.example.com");
    assert_eq!(normalize_origin("http://localhost:9080///").unwrap(), "http://localhost:9080");
    assert_eq!(normalize_origin("https://h/base/path/").unwrap(), "https://h/base/path");
    assert_eq!(normalize_origin("HTTPS://H").unwrap(), "HTTPS://H");
    for bad in ["", "/", "localhost:9080", "ftp://h", "http://", "https:///", "http:/h", " https://h"] {
        let err = normalize_origin(bad).unwrap_err();
        assert_eq!(err.code(), Some("INVALID_CONFIG"), "{bad:?}");
        assert!(err.message().contains("api_origin"), "{}", err.message());
    }
}

#[test]
fn retries_unset_or_zero_means_none_with_empty_lists() {
    for retries in [None, Some(Retries::Count(0)), Some(Retries::Count(-3))] {
        let p = EffectiveRetryPolicy::normalize(retries.as_ref());
        assert_eq!(p.attempts, 0, "{retries:?}");
        assert!(p.retry_methods.is_empty() && p.retry_statuses.is_empty(), "{retries:?}");
        assert!(!p.retries_method("GET"));
        assert_eq!((p.backoff_ms(0), p.backoff_ms(4)), (100, 1000), "the schedule is still there");
    }
}

#[test]
fn retries_count_is_clamped_and_uses_defaults() {
    assert_eq!(EffectiveRetryPolicy::normalize(Some(&Retries::Count(3))).attempts, 3);
    assert_eq!(EffectiveRetryPolicy::normalize(Some(&Retries::Count(i64::MAX))).attempts, u32::MAX);
    let p = EffectiveRetryPolicy::normalize(Some(&Retries::from(2u32)));
    assert_eq!((p.attempts, p.retry_statuses.len(), p.backoff_ms(0)), (2, 6, 100));
}

#[test]
fn retry_policy_fields_fill_in_defaults_and_empty_lists_mean_none() {
    let policy =
        RetryPolicy { attempts: 4, retry_methods: Some(vec!["post".into(), "Get".into()]), ..Default::default() };
    let p = EffectiveRetryPolicy::normalize(Some(&Retries::Policy(policy)));
    assert_eq!(p.attempts, 4);
    assert_eq!(p.retry_methods, ["POST", "GET"]);
    assert!(p.retries_method("post") && p.retries_method("GET") && !p.retries_method("HEAD"));
    assert_eq!(p.retry_statuses, [408, 429, 500, 502, 503, 504]);

    let none = RetryPolicy { attempts: 4, retry_methods: Some(vec![]), retry_statuses: Some(vec![]), backoff_ms: None };
    let p = EffectiveRetryPolicy::normalize(Some(&none.into()));
    assert!(p.retry_methods.is_empty() && p.retry_statuses.is_empty());
    assert!(!p.retries_method("GET"));
}

#[test]
fn default_backoff_doubles_up_to_one_second() {
    let p = EffectiveRetryPolicy::normalize(Some(&Retries::Count(10)));
    let delays: Vec<u64> = (0..8).map(|k| p.backoff_ms(k)).collect();
    assert_eq!(delays, [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
    assert_eq!(p.backoff_ms(63), 1000);
    assert_eq!(p.backoff_ms(u32::MAX), 1000);
}

#[test]
fn custom_backoff_is_called_with_the_attempt_number() {
    let policy = RetryPolicy { attempts: 1, backoff_ms: Some(Arc::new(|k| 7 + u64::from(k))), ..Default::default() };
    let p = EffectiveRetryPolicy::normalize(Some(&policy.into()));
    assert_eq!((p.backoff_ms(0), p.backoff_ms(5)), (7, 12));
    assert!(format!("{p:?}").contains("custom_backoff: true"));
}

#[test]
fn merge_overwrites_set_fields_only() {
    let base = ZabyGlobalConfig {
        environment: Some("local".into()),
        timeout_ms: Some(5),
        user_agent: Some("ua".into()),
        ..Default::default()
    };
    let over = ZabyGlobalConfig { timeout_ms: Some(9), tenant_id: Some("t".into()), ..Default::default() };
    let merged = base.merged_with(&over);
    assert_eq!(merged.environment.as_deref(), Some("local"));
    assert_eq!(merged.timeout_ms, Some(9));
    assert_eq!(merged.user_agent.as_deref(), Some("ua"));
    assert_eq!(merged.tenant_id.as_deref(), Some("t"));
    assert_eq!(merged.api_origin, None);
}
