//! `AbortSignal` → `CancellationToken`: the facade creates one handle per call and
//! cancels it from the signal's `abort` listener; the core then stops the request or
//! stream with code `ABORTED`, which the facade turns into the signal's reason.

use napi_derive::napi;
use tokio_util::sync::CancellationToken;

#[napi]
pub struct NativeCancel {
    pub(crate) token: CancellationToken,
}

#[napi]
impl NativeCancel {
    #[napi(constructor)]
    pub fn new() -> Self {
        NativeCancel { token: CancellationToken::new() }
    }

    #[napi]
    pub fn cancel(&self) {
        self.token.cancel();
    }

    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

impl Default for NativeCancel {
    fn default() -> Self {
        Self::new()
    }
}
