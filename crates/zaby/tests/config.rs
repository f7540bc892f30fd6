//! Configuration precedence (`docs/configuration.md`): instance > global > environment > default.
//! These tests change the process-wide global configuration and environment variables,
//! so they live in their own test binary and run one at a time under a lock.

use std::sync::{Mutex, MutexGuard};

use zaby::{
    DEFAULT_ZABY_API_ORIGIN, LOCAL_ZABY_API_ORIGIN, Retries, RetryPolicy, Zaby, ZabyGlobalConfig, ZabyRuntime,
    configure_zaby, reset_zaby_config_for_tests, resolve_zaby_config,
};

static LOCK: Mutex<()> = Mutex::new(());

/// Holds the lock, and restores an empty global config and environment on drop.
struct Clean(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Drop for Clean {
    fn drop(&mut self) {
        reset();
    }
}

fn reset() {
    reset_zaby_config_for_tests();
    // SAFETY: every test touching the environment holds LOCK, and no other thread of
    // this test binary reads these variables.
    unsafe {
        std::env::remove_var("ZABY_API_ORIGIN");
        std::env::remove_var("ZABY_ENVIRONMENT");
    }
}

fn clean() -> Clean {
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    reset();
    Clean(guard)
}

fn set_env(name: &str, value: &str) {
    // SAFETY: see `reset`.
    unsafe { std::env::set_var(name, value) }
}

fn origin(c: &ZabyGlobalConfig) -> String {
    resolve_zaby_config(Some(c)).unwrap().api_origin
}

fn env(e: &str) -> ZabyGlobalConfig {
    ZabyGlobalConfig { environment: Some(e.into()), ..Default::default() }
}

fn api_origin(o: &str) -> ZabyGlobalConfig {
    ZabyGlobalConfig { api_origin: Some(o.into()), ..Default::default() }
}

#[test]
fn defaults() {
    let _g = clean();
    let r = resolve_zaby_config(None).unwrap();
    assert_eq!(r.environment, "production");
    assert_eq!(r.api_origin, DEFAULT_ZABY_API_ORIGIN);
    assert_eq!(r.timeout_ms, 30_000);
    assert_eq!(r.retries.attempts, 0);
    assert!(r.retries.retry_methods.is_empty() && r.retries.retry_statuses.is_empty());
    assert_eq!((r.user_agent, r.tenant_id), (None, None));
    assert_eq!(DEFAULT_ZABY_API_ORIGIN, "https://genapi.zaby.io");
    assert_eq!(LOCAL_ZABY_API_ORIGIN, "http://localhost:9080");
}

#[test]
fn environment_presets() {
    let _g = clean();
    assert_eq!(origin(&env("local")), LOCAL_ZABY_API_ORIGIN);
    assert_eq!(origin(&env("staging")), DEFAULT_ZABY_API_ORIGIN);
    assert_eq!(origin(&env("production")), DEFAULT_ZABY_API_ORIGIN);
    assert_eq!(resolve_zaby_config(Some(&env("staging"))).unwrap().environment, "staging");
}

#[test]
fn an_unknown_environment_fails_at_every_level_naming_it_and_the_accepted_ones() {
    let _g = clean();
    let accepted = r#""production", "staging", "local""#;
    for bad in ["dev", "LOCAL", "prod", " local"] {
        let err = resolve_zaby_config(Some(&env(bad))).unwrap_err();
        assert_eq!(err.code(), Some("INVALID_CONFIG"), "{bad:?}");
        assert!(err.message().contains(&format!("{bad:?}")) && err.message().contains(accepted), "{}", err.message());
    }
    // Even with an explicit origin: the value is wrong whatever it would have chosen.
    let both = ZabyGlobalConfig { environment: Some("dev".into()), ..api_origin("https://ok.test") };
    assert_eq!(resolve_zaby_config(Some(&both)).unwrap_err().code(), Some("INVALID_CONFIG"));

    configure_zaby(env("dev"));
    let err = Zaby::new("k").map(drop).unwrap_err();
    assert_eq!(err.code(), Some("INVALID_CONFIG"));
    assert!(err.message().contains("configure_zaby"), "{}", err.message());
    assert!(resolve_zaby_config(Some(&env("local"))).is_ok(), "a valid higher level wins");
    reset();

    set_env("ZABY_ENVIRONMENT", "dev");
    let err = ZabyRuntime::new("t").map(drop).unwrap_err();
    assert_eq!(err.code(), Some("INVALID_CONFIG"));
    assert_eq!(err.message(), format!(r#"environment "dev" (from ZABY_ENVIRONMENT) is not one of {accepted}"#));
}

#[test]
fn the_builders_api_origin_beats_every_level() {
    let _g = clean();
    set_env("ZABY_API_ORIGIN", "https://env.test");
    configure_zaby(api_origin("https://global.test"));
    let zaby = Zaby::builder()
        .api_key("k")
        .config(api_origin("https://config.test"))
        .api_origin("http://localhost:1234/")
        .build()
        .unwrap();
    assert_eq!(zaby.config().api_origin, "http://localhost:1234");
    let runtime = ZabyRuntime::builder().token("t").api_origin("https://rt.test").build().unwrap();
    assert_eq!(runtime.config().api_origin, "https://rt.test");
    // Without it, the config's origin is used; with an invalid one, construction fails.
    let zaby = Zaby::builder().api_key("k").config(api_origin("https://config.test")).build().unwrap();
    assert_eq!(zaby.config().api_origin, "https://config.test");
    let err = ZabyRuntime::builder().token("t").api_origin("localhost").build().map(drop).unwrap_err();
    assert_eq!(err.code(), Some("INVALID_CONFIG"));
}

#[test]
fn each_field_resolves_instance_over_global_over_env_over_default() {
    let _g = clean();
    set_env("ZABY_ENVIRONMENT", "local");
    assert_eq!(resolve_zaby_config(None).unwrap().api_origin, LOCAL_ZABY_API_ORIGIN);
    configure_zaby(env("production"));
    assert_eq!(resolve_zaby_config(None).unwrap().api_origin, DEFAULT_ZABY_API_ORIGIN, "global beats env");
    assert_eq!(origin(&env("local")), LOCAL_ZABY_API_ORIGIN, "instance beats global");

    set_env("ZABY_API_ORIGIN", "http://env.test/");
    assert_eq!(resolve_zaby_config(None).unwrap().api_origin, "http://env.test");
    configure_zaby(api_origin("https://global.test"));
    assert_eq!(resolve_zaby_config(None).unwrap().api_origin, "https://global.test");
    assert_eq!(origin(&api_origin("https://instance.test//")), "https://instance.test");

    // Fields are independent: the instance's timeout does not hide the global origin.
    configure_zaby(ZabyGlobalConfig { timeout_ms: Some(5000), user_agent: Some("g".into()), ..Default::default() });
    let r = resolve_zaby_config(Some(&ZabyGlobalConfig { timeout_ms: Some(7000), ..Default::default() })).unwrap();
    assert_eq!(
        (r.api_origin.as_str(), r.timeout_ms, r.user_agent.as_deref()),
        ("https://global.test", 7000, Some("g"))
    );
}

#[test]
fn an_explicit_origin_at_any_level_beats_every_environment_preset() {
    let _g = clean();
    set_env("ZABY_API_ORIGIN", "https://env-origin.test");
    assert_eq!(origin(&env("local")), "https://env-origin.test", "env origin beats instance environment=local");
    reset();
    configure_zaby(api_origin("https://g.test"));
    set_env("ZABY_ENVIRONMENT", "local");
    assert_eq!(origin(&env("local")), "https://g.test");
    reset();
    configure_zaby(env("local"));
    assert_eq!(origin(&ZabyGlobalConfig::default()), LOCAL_ZABY_API_ORIGIN);
}

#[test]
fn empty_environment_variables_count_as_unset() {
    let _g = clean();
    set_env("ZABY_API_ORIGIN", "");
    set_env("ZABY_ENVIRONMENT", "");
    let r = resolve_zaby_config(None).unwrap();
    assert_eq!((r.environment.as_str(), r.api_origin.as_str()), ("production", DEFAULT_ZABY_API_ORIGIN));
    set_env("ZABY_ENVIRONMENT", "local");
    assert_eq!(resolve_zaby_config(None).unwrap().api_origin, LOCAL_ZABY_API_ORIGIN);
}

#[test]
fn invalid_configuration_at_any_level() {
    let _g = clean();
    set_env("ZABY_API_ORIGIN", "genapi.zaby.io");
    let err = resolve_zaby_config(None).unwrap_err();
    assert_eq!(err.code(), Some("INVALID_CONFIG"));
    assert!(err.message().contains("genapi.zaby.io"), "{}", err.message());
    let err = Zaby::new("k").map(drop).unwrap_err();
    assert_eq!(err.code(), Some("INVALID_CONFIG"));
    // A valid instance origin wins over the invalid environment one.
    assert!(resolve_zaby_config(Some(&api_origin("https://ok.test"))).is_ok());
    reset();
    configure_zaby(ZabyGlobalConfig { timeout_ms: Some(0), ..Default::default() });
    assert_eq!(resolve_zaby_config(None).unwrap_err().code(), Some("INVALID_CONFIG"));
    assert!(ZabyRuntime::new("t").is_err());
    let ok = ZabyGlobalConfig { timeout_ms: Some(1), ..Default::default() };
    assert_eq!(resolve_zaby_config(Some(&ok)).unwrap().timeout_ms, 1);
}

#[test]
fn configure_merges_and_reset_clears() {
    let _g = clean();
    configure_zaby(ZabyGlobalConfig {
        environment: Some("local".into()),
        tenant_id: Some("t1".into()),
        ..Default::default()
    });
    configure_zaby(ZabyGlobalConfig { timeout_ms: Some(1234), ..Default::default() });
    let r = resolve_zaby_config(None).unwrap();
    assert_eq!(
        (r.api_origin.as_str(), r.tenant_id.as_deref(), r.timeout_ms),
        (LOCAL_ZABY_API_ORIGIN, Some("t1"), 1234)
    );
    configure_zaby(ZabyGlobalConfig { tenant_id: Some("t2".into()), ..Default::default() });
    assert_eq!(resolve_zaby_config(None).unwrap().tenant_id.as_deref(), Some("t2"));
    reset_zaby_config_for_tests();
    let r = resolve_zaby_config(None).unwrap();
    assert_eq!((r.api_origin.as_str(), r.tenant_id, r.timeout_ms), (DEFAULT_ZABY_API_ORIGIN, None, 30_000));
}

#[test]
fn retries_resolve_as_a_whole_value() {
    let _g = clean();
    configure_zaby(ZabyGlobalConfig { retries: Some(Retries::Count(4)), ..Default::default() });
    assert_eq!(resolve_zaby_config(None).unwrap().retries.attempts, 4);
    let policy = RetryPolicy { attempts: 1, retry_statuses: Some(vec![500]), ..Default::default() };
    let r =
        resolve_zaby_config(Some(&ZabyGlobalConfig { retries: Some(policy.into()), ..Default::default() })).unwrap();
    assert_eq!((r.retries.attempts, r.retries.retry_statuses.clone()), (1, vec![500]));
}

#[test]
fn clients_resolve_once_at_construction() {
    let _g = clean();
    configure_zaby(env("local"));
    let zaby = Zaby::new("k").unwrap();
    let runtime = ZabyRuntime::new("t").unwrap();
    configure_zaby(api_origin("https://later.test"));
    assert_eq!(zaby.config().api_origin, LOCAL_ZABY_API_ORIGIN);
    assert_eq!(runtime.config().api_origin, LOCAL_ZABY_API_ORIGIN);
    assert_eq!(Zaby::new("k").unwrap().config().api_origin, "https://later.test");
}
