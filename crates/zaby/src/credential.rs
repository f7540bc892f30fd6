//! Credential providers (`docs/configuration.md`): static strings, sync functions, async functions.
//! A provider is asked on every HTTP attempt; nothing is cached here.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::{Cause, Message, Result, ZabyError, codes};

/// Supplies a credential value on demand.
#[async_trait]
pub trait CredentialProvider: Send + Sync {
    async fn credential(&self) -> Result<String>;
}

/// An API key, access token or runtime token: a fixed value or a provider.
#[derive(Clone)]
pub enum Credential {
    Static(String),
    Provider(Arc<dyn CredentialProvider>),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret itself.
        match self {
            Credential::Static(_) => f.write_str("Credential::Static(<redacted>)"),
            Credential::Provider(_) => f.write_str("Credential::Provider(..)"),
        }
    }
}

impl From<&str> for Credential {
    fn from(v: &str) -> Self {
        Credential::Static(v.to_owned())
    }
}

impl From<String> for Credential {
    fn from(v: String) -> Self {
        Credential::Static(v)
    }
}

impl From<&String> for Credential {
    fn from(v: &String) -> Self {
        Credential::Static(v.clone())
    }
}

impl<P: CredentialProvider + 'static> From<Arc<P>> for Credential {
    fn from(p: Arc<P>) -> Self {
        Credential::Provider(p)
    }
}

/// What a sync or async credential function may return.
pub trait IntoCredentialValue {
    fn into_credential_value(self) -> std::result::Result<String, Cause>;
}

impl IntoCredentialValue for String {
    fn into_credential_value(self) -> std::result::Result<String, Cause> {
        Ok(self)
    }
}

impl IntoCredentialValue for &str {
    fn into_credential_value(self) -> std::result::Result<String, Cause> {
        Ok(self.to_owned())
    }
}

impl<E: std::error::Error + Send + Sync + 'static> IntoCredentialValue for std::result::Result<String, E> {
    fn into_credential_value(self) -> std::result::Result<String, Cause> {
        self.map_err(|e| Arc::new(e) as Cause)
    }
}

struct FnProvider<F>(F);

#[async_trait]
impl<F, R> CredentialProvider for FnProvider<F>
where
    F: Fn() -> R + Send + Sync,
    R: IntoCredentialValue,
{
    async fn credential(&self) -> Result<String> {
        (self.0)().into_credential_value().map_err(provider_failed)
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

struct AsyncFnProvider(Box<dyn Fn() -> BoxFuture<std::result::Result<String, Cause>> + Send + Sync>);

#[async_trait]
impl CredentialProvider for AsyncFnProvider {
    async fn credential(&self) -> Result<String> {
        (self.0)().await.map_err(provider_failed)
    }
}

fn provider_failed(cause: Cause) -> ZabyError {
    // A provider that already failed with a ZabyError keeps its own message in the cause.
    ZabyError::client_with_source(
        codes::CREDENTIAL_PROVIDER_FAILED,
        format!("credential provider failed: {cause}"),
        cause,
    )
}

impl Credential {
    /// A provider calling a sync function on every attempt.
    pub fn from_fn<F, R>(f: F) -> Self
    where
        F: Fn() -> R + Send + Sync + 'static,
        R: IntoCredentialValue + 'static,
    {
        Credential::Provider(Arc::new(FnProvider(f)))
    }

    /// A provider awaiting an async function on every attempt.
    pub fn from_async_fn<F, Fut, R>(f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoCredentialValue + 'static,
    {
        Credential::Provider(Arc::new(AsyncFnProvider(Box::new(move || {
            let fut = f();
            Box::pin(async move { fut.await.into_credential_value() })
        }))))
    }

    /// A static value that is empty is rejected at construction (`docs/configuration.md`).
    pub(crate) fn validate_static(&self, name: &str) -> Result<()> {
        match self {
            Credential::Static(v) if v.is_empty() => {
                Err(ZabyError::invalid_argument(format!("{name} must not be an empty string")))
            }
            _ => Ok(()),
        }
    }

    /// Resolves the value for one attempt; empty values and provider failures are
    /// `CREDENTIAL_PROVIDER_FAILED`.
    pub async fn resolve(&self) -> Result<String> {
        match self {
            Credential::Static(v) => Ok(v.clone()),
            Credential::Provider(p) => {
                let value = match p.credential().await {
                    Ok(v) => v,
                    Err(e @ ZabyError::Client { .. }) if e.code() == Some(codes::CREDENTIAL_PROVIDER_FAILED) => {
                        return Err(e);
                    }
                    Err(e) => {
                        let message = format!("credential provider failed: {e}");
                        return Err(ZabyError::client_with_source(
                            codes::CREDENTIAL_PROVIDER_FAILED,
                            message,
                            Arc::new(e),
                        ));
                    }
                };
                if value.is_empty() {
                    return Err(ZabyError::client_with_source(
                        codes::CREDENTIAL_PROVIDER_FAILED,
                        "credential provider returned an empty value",
                        Arc::new(Message("empty credential".into())),
                    ));
                }
                Ok(value)
            }
        }
    }
}
