//! Model settings (`docs/operations.md`): environment variables, `zaby-server.toml`, precedence.

use std::time::Duration;

use zaby_models::{ModelRegistry, ModelSettings, ProviderKind, RetryConfig, env_name};

fn env(pairs: &[(&str, &str)]) -> ModelSettings {
    ModelSettings::new().with_env_vars(pairs.iter().copied()).unwrap()
}

#[test]
fn env_names_upper_case_and_replace_other_characters() {
    assert_eq!(env_name("zaby-max"), "ZABY_MAX");
    assert_eq!(env_name("zaby"), "ZABY");
    assert_eq!(env_name("gpt-4o.mini/2024"), "GPT_4O_MINI_2024");
    assert_eq!(env_name("Llama3:8b"), "LLAMA3_8B");
    assert_eq!(env_name("café"), "CAF_");
}

#[test]
fn base_url_alone_enables_a_mapping_and_model_defaults_to_the_name() {
    let settings = env(&[("ZABY_MODEL_ZABY_MAX_BASE_URL", "https://api.example.com/v1")]);
    let endpoint = settings.endpoint("zaby-max").unwrap();
    assert_eq!(endpoint.base_url, "https://api.example.com/v1");
    assert_eq!(endpoint.api_key, None);
    assert_eq!(endpoint.model, "zaby-max");
    assert_eq!(endpoint.chat_completions_url(), "https://api.example.com/v1/chat/completions");
    assert!(settings.endpoint("zaby").is_none());
}

#[test]
fn api_key_and_model_variables_complete_the_mapping() {
    let settings = env(&[
        ("ZABY_MODEL_ZABY_BASE_URL", "http://localhost:11434/v1"),
        ("ZABY_MODEL_ZABY_API_KEY", "ollama"),
        ("ZABY_MODEL_ZABY_MODEL", "llama3.1:8b"),
        ("PATH", "/usr/bin"),
    ]);
    let endpoint = settings.endpoint("zaby").unwrap();
    assert_eq!(endpoint.api_key.as_deref(), Some("ollama"));
    assert_eq!(endpoint.model, "llama3.1:8b");
    // The key never shows in debug output.
    let debug = format!("{endpoint:?}");
    assert!(!debug.contains("ollama\""), "{debug}");
    assert!(debug.contains("<redacted>"));
}

#[test]
fn names_ending_in_model_are_parsed_by_their_last_suffix() {
    let settings =
        env(&[("ZABY_MODEL_MY_MODEL_BASE_URL", "http://a.test/v1"), ("ZABY_MODEL_MY_MODEL_MODEL", "real-name")]);
    assert_eq!(settings.endpoint("my-model").unwrap().model, "real-name");
    assert_eq!(settings.endpoint("my_model").unwrap().base_url, "http://a.test/v1");
}

#[test]
fn without_a_base_url_there_is_no_mapping() {
    let settings =
        env(&[("ZABY_MODEL_ZABY_API_KEY", "k"), ("ZABY_MODEL_ZABY_MODEL", "m"), ("ZABY_MODEL_ZABY_BASE_URL", "  ")]);
    assert!(settings.endpoint("zaby").is_none());
}

#[test]
fn bad_urls_are_rejected_naming_the_variable() {
    let error = ModelSettings::new().with_env_vars([("ZABY_MODEL_ZABY_BASE_URL", "localhost:8080")]).unwrap_err();
    assert_eq!(error.to_string(), "ZABY_MODEL_ZABY_BASE_URL: `localhost:8080` is not an http:// or https:// URL");
    let error = ModelSettings::new().with_env_vars([("ZABY_MODEL_ZABY_BASE_URL", "ftp://x.test")]).unwrap_err();
    assert!(error.to_string().contains("not an http:// or https:// URL"));
}

const FILE: &str = r#"
listen = "127.0.0.1:9090"
provisioning_delay_ms = 0

[models."zaby-max"]
base_url = "https://file.example/v1"
api_key = "file-key"
model = "gpt-4o"

[models.local-llama]
base_url = "http://localhost:8080/v1"
"#;

#[test]
fn the_config_file_maps_exact_names() {
    let settings = ModelSettings::new().with_config_toml(FILE).unwrap();
    let max = settings.endpoint("zaby-max").unwrap();
    assert_eq!(
        (max.base_url.as_str(), max.api_key.as_deref(), max.model.as_str()),
        ("https://file.example/v1", Some("file-key"), "gpt-4o")
    );
    let llama = settings.endpoint("local-llama").unwrap();
    assert_eq!((llama.api_key, llama.model.as_str()), (None, "local-llama"));
    // File names are exact: `zaby_max` is another model.
    assert!(settings.endpoint("zaby_max").is_none());
    assert!(ModelSettings::new().with_config_toml("listen = \"x\"").unwrap().endpoint("zaby").is_none());
}

#[test]
fn the_environment_wins_over_the_file_field_by_field() {
    for settings in [
        ModelSettings::new()
            .with_config_toml(FILE)
            .unwrap()
            .with_env_vars([("ZABY_MODEL_ZABY_MAX_API_KEY", "env-key")])
            .unwrap(),
        ModelSettings::new()
            .with_env_vars([("ZABY_MODEL_ZABY_MAX_API_KEY", "env-key")])
            .unwrap()
            .with_config_toml(FILE)
            .unwrap(),
    ] {
        let endpoint = settings.endpoint("zaby-max").unwrap();
        assert_eq!(endpoint.api_key.as_deref(), Some("env-key"));
        assert_eq!(endpoint.base_url, "https://file.example/v1");
        assert_eq!(endpoint.model, "gpt-4o");
    }
    let settings = ModelSettings::new()
        .with_config_toml(FILE)
        .unwrap()
        .with_env_vars([("ZABY_MODEL_ZABY_MAX_BASE_URL", "http://env.example/v1")])
        .unwrap();
    assert_eq!(settings.endpoint("zaby-max").unwrap().base_url, "http://env.example/v1");
    // An environment key alone does not enable a model the file does not map.
    let settings =
        ModelSettings::new().with_config_toml(FILE).unwrap().with_env_vars([("ZABY_MODEL_ZABY_API_KEY", "k")]).unwrap();
    assert!(settings.endpoint("zaby").is_none());
}

#[test]
fn malformed_model_tables_are_rejected_with_the_key() {
    let cases = [
        ("models = 5", "`models` in zaby-server.toml must be a table"),
        ("[models]\nzaby = \"http://x\"", "[models.\"zaby\"] in zaby-server.toml must be a table"),
        ("[models.zaby]\nbase_url = 5", "[models.\"zaby\"] base_url in zaby-server.toml must be a string"),
        (
            "[models.zaby]\nbaseurl = \"http://x.test\"",
            "[models.\"zaby\"] in zaby-server.toml has an unknown key `baseurl` (expected base_url, api_key, model)",
        ),
        ("[models.zaby]\nbase_url = \"nope\"", "[models.\"zaby\"] base_url: `nope` is not an http:// or https:// URL"),
    ];
    for (text, message) in cases {
        assert_eq!(ModelSettings::new().with_config_toml(text).unwrap_err().to_string(), message, "{text}");
    }
    let error = ModelSettings::new().with_config_toml("[models").unwrap_err();
    assert!(error.to_string().starts_with("invalid zaby-server.toml:"));
}

#[test]
fn the_registry_uses_the_development_model_without_a_mapping() {
    let registry = ModelRegistry::from_env_map([("ZABY_MODEL_ZABY_MAX_BASE_URL", "http://127.0.0.1:9/v1")])
        .unwrap()
        .with_timeout(Duration::from_secs(3))
        .with_retry(RetryConfig { max_retries: 0, ..RetryConfig::default() });
    assert_eq!(registry.resolve("zaby").kind(), ProviderKind::Local);
    assert_eq!(registry.resolve("anything-else").kind(), ProviderKind::Local);
    assert_eq!(registry.resolve("zaby-max").kind(), ProviderKind::OpenAi);
    assert_eq!(registry.resolve("ZABY.MAX").kind(), ProviderKind::OpenAi);
    let empty: [(&str, &str); 0] = [];
    assert_eq!(ModelRegistry::from_env_map(empty).unwrap().resolve("zaby-max").kind(), ProviderKind::Local);
}

#[test]
fn the_process_environment_constructor_reads_model_variables() {
    // This test binary owns its environment; the variable name is unique to it.
    unsafe { std::env::set_var("ZABY_MODEL_PROCESS_ENV_TEST_BASE_URL", "http://127.0.0.1:1/v1") };
    let registry = ModelRegistry::from_process_env().unwrap();
    assert_eq!(registry.resolve("process-env-test").kind(), ProviderKind::OpenAi);
    assert_eq!(registry.settings().endpoint("process-env-test").unwrap().model, "process-env-test");
}
