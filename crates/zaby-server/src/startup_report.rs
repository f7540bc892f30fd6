//! The block `zaby-server serve` prints at start (`docs/operations.md` "Start-up report"): what
//! this process is connected to and serves, so an operator sees a wrong setting at
//! once. Passwords and API keys never appear in it.

use std::fmt::Write;

use crate::config::{MemoryExtraction, Settings};
use zaby_models::ModelSettings;

/// A database URL with its password replaced by `***`.
pub(crate) fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => "(not a URL)".to_string(),
    }
}

pub(crate) fn render(
    settings: &Settings,
    listen: &str,
    models: &ModelSettings,
    embeddings: Option<(&str, &str)>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "zaby-server {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "  database           {}", redact_url(&settings.database_url));
    let scheme = if settings.tls.is_some() { "https" } else { "http" };
    let _ = writeln!(out, "  listening          {scheme}://{listen}");
    let _ = writeln!(out, "  public origin      {}", settings.public_origin);
    let _ = writeln!(out, "  metrics            {}", if settings.metrics { "GET /metrics" } else { "off" });
    let playground = if settings.playground { format!("{}/", settings.public_origin) } else { "off".to_string() };
    let _ = writeln!(out, "  playground         {playground}");
    let _ = writeln!(out, "  models");
    for (name, config) in models.mappings() {
        let key = if config.api_key.is_some() { "key set" } else { "no key" };
        let _ = writeln!(out, "    {name} → {} model {} ({key})", config.base_url, config.model);
    }
    let _ = writeln!(out, "    any other name → the development model (canned answers, no network)");
    let embeddings = match embeddings {
        Some((base_url, model)) => format!("{base_url} model {model}"),
        None => "none (knowledge search is by keywords)".to_string(),
    };
    let _ = writeln!(out, "  embeddings         {embeddings}");
    let extraction = match settings.memory_extraction {
        MemoryExtraction::Auto => "auto (one call to the run's model after each end-user run)",
        MemoryExtraction::Off => "off",
    };
    let _ = writeln!(out, "  memory extraction  {extraction}");
    let _ = write!(out, "  dev key file       {}", settings.state_dir.join("dev-api-key").display());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_keys_are_redacted_and_models_listed() {
        let settings = Settings {
            database_url: "postgres://zaby:hunter2@db.internal:5432/zaby".into(),
            memory_extraction: MemoryExtraction::Off,
            ..Settings::default()
        };
        let models = ModelSettings::new()
            .with_env_vars([
                ("ZABY_MODEL_ZABY_BASE_URL", "http://localhost:11434/v1"),
                ("ZABY_MODEL_ZABY_MODEL", "llama3.2"),
                ("ZABY_MODEL_ZABY_API_KEY", "sk-secret"),
            ])
            .unwrap();
        let report = render(&settings, "127.0.0.1:9080", &models, None);
        assert!(report.contains("postgres://zaby:***@db.internal:5432/zaby"), "{report}");
        assert!(report.contains("ZABY → http://localhost:11434/v1 model llama3.2 (key set)"), "{report}");
        assert!(report.contains("memory extraction  off"), "{report}");
        assert!(report.contains("playground         http://localhost:9080/"), "{report}");
        assert!(!report.contains("hunter2") && !report.contains("sk-secret"), "{report}");
    }
}
