//! Which provider serves a model name (`docs/operations.md` "models"): the `ZABY_MODEL_<NAME>_*`
//! environment variables over the `[models."name"]` tables of `zaby-server.toml`; names
//! without a mapping use the development model.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::local::LocalModel;
use crate::openai::{DEFAULT_TIMEOUT, OpenAiConfig, OpenAiProvider, RetryConfig, default_client};
use crate::provider::ModelProvider;

const ENV_PREFIX: &str = "ZABY_MODEL_";

/// A bad model setting; the message names the variable or key and the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

/// `<NAME>` of a model name: upper-cased, every character outside `A–Z0–9` replaced by
/// `_` (`zaby-max` → `ZABY_MAX`).
pub fn env_name(model_name: &str) -> String {
    model_name
        .chars()
        .flat_map(char::to_uppercase)
        .map(|c| if c.is_ascii_uppercase() || c.is_ascii_digit() { c } else { '_' })
        .collect()
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Fields {
    base_url: Option<String>,
    api_key: Option<String>,
    model: Option<String>,
}

/// The model mappings of both sources, kept apart so that the precedence (environment
/// over file, field by field) does not depend on the order they were added in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelSettings {
    /// By `<NAME>`.
    env: BTreeMap<String, Fields>,
    /// By exact model name.
    file: BTreeMap<String, Fields>,
}

impl ModelSettings {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `ZABY_MODEL_<NAME>_BASE_URL`, `…_API_KEY` and `…_MODEL` from `vars`
    /// (other variables are ignored; empty values count as unset).
    pub fn with_env_vars<I, K, V>(mut self, vars: I) -> Result<Self, SettingsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        for (key, value) in vars {
            let (key, value) = (key.as_ref(), value.as_ref().trim());
            let Some(rest) = key.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            // `_MODEL` is checked last: `ZABY_MODEL_X_MODEL_BASE_URL` is model `X_MODEL`.
            let parsed = [("_BASE_URL", 0), ("_API_KEY", 1), ("_MODEL", 2)]
                .into_iter()
                .find_map(|(suffix, field)| rest.strip_suffix(suffix).map(|name| (name, field)));
            let Some((name, field)) = parsed.filter(|(name, _)| !name.is_empty()) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let entry = self.env.entry(name.to_owned()).or_default();
            match field {
                0 => entry.base_url = Some(checked_url(key, value)?),
                1 => entry.api_key = Some(value.to_owned()),
                _ => entry.model = Some(value.to_owned()),
            }
        }
        Ok(self)
    }

    /// [`with_env_vars`](Self::with_env_vars) over the process environment. A model
    /// variable whose value is not UTF-8 is an error; other variables are skipped.
    pub fn with_process_env(self) -> Result<Self, SettingsError> {
        let mut vars = Vec::new();
        for (key, value) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if !key.starts_with(ENV_PREFIX) {
                continue;
            }
            let value =
                value.into_string().map_err(|_| SettingsError(format!("{key}: the value is not valid UTF-8")))?;
            vars.push((key.to_owned(), value));
        }
        self.with_env_vars(vars)
    }

    /// Reads the `[models]` tables of a whole `zaby-server.toml` (other keys ignored).
    pub fn with_config_toml(self, text: &str) -> Result<Self, SettingsError> {
        let document: toml::Table =
            text.parse().map_err(|error| SettingsError(format!("invalid zaby-server.toml: {error}")))?;
        match document.get("models") {
            Some(models) => self.with_models_table(models),
            None => Ok(self),
        }
    }

    /// Reads the value of the file's `models` key: a table of
    /// `"<model name>" = { base_url, api_key, model }`.
    pub fn with_models_table(mut self, models: &toml::Value) -> Result<Self, SettingsError> {
        let models = models
            .as_table()
            .ok_or_else(|| SettingsError("`models` in zaby-server.toml must be a table".to_owned()))?;
        for (name, table) in models {
            let at = format!("[models.{}]", toml::Value::String(name.clone()));
            let table =
                table.as_table().ok_or_else(|| SettingsError(format!("{at} in zaby-server.toml must be a table")))?;
            let mut fields = Fields::default();
            for (key, value) in table {
                let text = value
                    .as_str()
                    .ok_or_else(|| SettingsError(format!("{at} {key} in zaby-server.toml must be a string")))?
                    .trim();
                let text = (!text.is_empty()).then(|| text.to_owned());
                match key.as_str() {
                    "base_url" => {
                        fields.base_url = text.map(|url| checked_url(&format!("{at} base_url"), &url)).transpose()?;
                    }
                    "api_key" => fields.api_key = text,
                    "model" => fields.model = text,
                    other => {
                        return Err(SettingsError(format!(
                            "{at} in zaby-server.toml has an unknown key `{other}` (expected base_url, api_key, model)"
                        )));
                    }
                }
            }
            self.file.insert(name.clone(), fields);
        }
        Ok(self)
    }

    /// The endpoint a model name maps to, or `None` for the development model. Each
    /// field comes from the environment when set there, else from the file; the
    /// mapping exists when a base URL does; `model` defaults to the model name.
    pub fn endpoint(&self, model_name: &str) -> Option<OpenAiConfig> {
        let env = self.env.get(&env_name(model_name));
        let file = self.file.get(model_name);
        let pick = |get: fn(&Fields) -> &Option<String>| {
            env.and_then(|f| get(f).clone()).or_else(|| file.and_then(|f| get(f).clone()))
        };
        let base_url = pick(|f| &f.base_url)?;
        Some(OpenAiConfig::new(
            base_url,
            pick(|f| &f.api_key),
            pick(|f| &f.model).unwrap_or_else(|| model_name.to_owned()),
        ))
    }
}

impl ModelSettings {
    /// Every mapped model with its endpoint, for the server's start-up report: names
    /// from the file as written, names only in the environment as their `<NAME>`.
    pub fn mappings(&self) -> Vec<(String, OpenAiConfig)> {
        let from_file: Vec<&String> = self.file.keys().collect();
        let env_only = self.env.keys().filter(|name| !from_file.iter().any(|f| env_name(f) == **name));
        let mut names: Vec<String> = from_file.iter().map(|n| n.to_string()).chain(env_only.cloned()).collect();
        names.sort();
        names.into_iter().filter_map(|name| self.endpoint(&name).map(|config| (name, config))).collect()
    }
}

fn checked_url(setting: &str, value: &str) -> Result<String, SettingsError> {
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(value.to_owned()),
        _ => Err(SettingsError(format!("{setting}: `{value}` is not an http:// or https:// URL"))),
    }
}

/// Resolves model names to providers. Cheap to share; providers share one HTTP
/// client (and its connection pool).
#[derive(Clone, Debug)]
pub struct ModelRegistry {
    settings: ModelSettings,
    client: reqwest::Client,
    local: Arc<LocalModel>,
    timeout: Duration,
    retry: RetryConfig,
}

impl ModelRegistry {
    pub fn new(settings: ModelSettings) -> Result<Self, SettingsError> {
        let client = default_client().map_err(|error| SettingsError(error.message))?;
        Ok(ModelRegistry {
            settings,
            client,
            local: Arc::new(LocalModel::new()),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryConfig::default(),
        })
    }

    /// From an environment-like map (tests, or a server that collected its settings).
    pub fn from_env_map<I, K, V>(vars: I) -> Result<Self, SettingsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        Self::new(ModelSettings::new().with_env_vars(vars)?)
    }

    /// From the process environment only.
    pub fn from_process_env() -> Result<Self, SettingsError> {
        Self::new(ModelSettings::new().with_process_env()?)
    }

    /// Wait limit of remote requests (default [`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retry policy of remote requests.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    pub fn settings(&self) -> &ModelSettings {
        &self.settings
    }

    /// The provider serving `model_name`: `openai` when a mapping exists, else the
    /// development model.
    pub fn resolve(&self, model_name: &str) -> Arc<dyn ModelProvider> {
        match self.settings.endpoint(model_name) {
            Some(mut config) => {
                config.timeout = self.timeout;
                config.retry = self.retry;
                Arc::new(OpenAiProvider::with_client(self.client.clone(), config))
            }
            None => self.local.clone(),
        }
    }
}
