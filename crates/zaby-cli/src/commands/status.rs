//! `zaby status`: which server this is and whether the key works.

use serde_json::json;
use zaby::Zaby;

use crate::error::CliResult;
use crate::output::{GREEN, Out, RED, text};

pub(crate) async fn run(z: &Zaby, out: Out) -> CliResult {
    let health = z.health().check().json().await?;
    // Any key-authenticated read tells whether the key is accepted.
    let key = z.agents().list(json!({ "limit": 1 })).json().await;
    let origin = z.config().api_origin.clone();
    let key_error = key.as_ref().err().map(|e| crate::error::CliError::Api(e.clone()).to_string());
    let doc = json!({
        "origin": origin,
        "health": health,
        "apiKey": { "valid": key.is_ok(), "error": key_error },
    });
    out.show(&doc, |o| {
        let key_line = match &key_error {
            None => o.paint(GREEN, "accepted"),
            Some(e) => o.paint(RED, &format!("refused: {e}")),
        };
        format!(
            "origin    {origin}\nserver    zaby-server {} ({})\ndatabase  {}{}\napi key   {key_line}",
            text(&health, "version"),
            text(&health, "status"),
            text(&health["database"], "kind"),
            if health["database"]["reachable"] == false { " (unreachable)" } else { "" },
        )
    });
    if key.is_err() {
        return Err(crate::error::CliError::Failed("the API key was refused".into()));
    }
    Ok(())
}
