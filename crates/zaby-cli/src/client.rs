//! Which server and key a command uses (`crates/zaby-cli/README.md`), and the SDK clients built for them.

use std::path::Path;

use zaby::{Zaby, ZabyRuntime};

use crate::cli::Global;
use crate::error::{CliError, CliResult};

/// Where `zaby dev` serves, and where commands go when nothing else is configured.
pub(crate) const DEV_ORIGIN_HOST: &str = "127.0.0.1";
pub(crate) const DEV_PORT: u16 = 9080;
/// The key file of the local server, relative to the current folder.
pub(crate) const DEV_KEY_FILE: &str = ".zaby/dev-api-key";

/// The resolved server and credential of this invocation.
pub(crate) struct Target {
    /// `None`: the SDK's own default (its `ZABY_ENVIRONMENT`).
    pub origin: Option<String>,
    api_key: String,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Flags (and their environment variables) first; with neither an origin nor a key, the
/// local development server of this folder.
pub(crate) fn resolve(global: &Global) -> CliResult<Target> {
    match (non_empty(&global.origin), non_empty(&global.api_key)) {
        (origin, Some(api_key)) => Ok(Target { origin, api_key }),
        (Some(origin), None) => {
            Err(CliError::Usage(format!("no API key for {origin}: pass --api-key or set ZABY_API_KEY")))
        }
        (None, None) => {
            let api_key = read_dev_key(Path::new(DEV_KEY_FILE))?.ok_or_else(|| {
                CliError::Usage(format!(
                    "no API key: set ZABY_API_ORIGIN and ZABY_API_KEY (or --origin and --api-key), \
                     or start a local server here with `zaby dev` (it writes {DEV_KEY_FILE})"
                ))
            })?;
            Ok(Target { origin: Some(format!("http://{DEV_ORIGIN_HOST}:{DEV_PORT}")), api_key })
        }
    }
}

/// The key in `path`, `None` when there is no such file.
pub(crate) fn read_dev_key(path: &Path) -> CliResult<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.trim().to_owned()).filter(|k| !k.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::Failed(format!("cannot read {}: {e}", path.display()))),
    }
}

fn user_agent() -> String {
    format!("zaby-cli/{}", env!("CARGO_PKG_VERSION"))
}

impl Target {
    pub(crate) fn management(&self) -> CliResult<Zaby> {
        let mut builder = Zaby::builder().api_key(self.api_key.as_str()).default_user_agent(user_agent());
        if let Some(origin) = &self.origin {
            builder = builder.api_origin(origin);
        }
        Ok(builder.build()?)
    }

    pub(crate) fn runtime(&self, token: &str) -> CliResult<ZabyRuntime> {
        let mut builder = ZabyRuntime::builder().token(token).default_user_agent(user_agent());
        if let Some(origin) = &self.origin {
            builder = builder.api_origin(origin);
        }
        Ok(builder.build()?)
    }
}
