//! What can go wrong in a command, and the exit code and message of each (`crates/zaby-cli/README.md`).

use std::fmt;

use zaby::ZabyError;

pub(crate) enum CliError {
    /// The command line cannot work as given (exit 2).
    Usage(String),
    /// The server refused, or could not be reached (exit 1).
    Api(ZabyError),
    /// Anything else that stopped the command (exit 1).
    Failed(String),
}

pub(crate) type CliResult<T = ()> = Result<T, CliError>;

impl From<ZabyError> for CliError {
    fn from(e: ZabyError) -> Self {
        CliError::Api(e)
    }
}

impl CliError {
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Api(_) | CliError::Failed(_) => 1,
        }
    }
}

/// `<message> (<code>, request <id>)`, leaving out the parts the error lacks.
impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Failed(m) => f.write_str(m),
            CliError::Api(e) => {
                f.write_str(&e.message())?;
                let request = e.api().and_then(|a| a.request_id.as_deref());
                match (e.code(), request) {
                    (Some(code), Some(id)) => write!(f, " ({code}, request {id})"),
                    (Some(code), None) => write!(f, " ({code})"),
                    (None, Some(id)) => write!(f, " (request {id})"),
                    (None, None) => Ok(()),
                }
            }
        }
    }
}
