//! `zaby.webhooks.verify`: the core's check of a delivery's signature, translated.

use std::collections::HashMap;
use std::time::Duration;

use pyo3::prelude::*;

use crate::convert::to_py_value;
use crate::errors::IntoPyResult;

/// The delivery's event as a dict, or `ZabyWebhookVerificationError`.
#[pyfunction]
pub(crate) fn verify_webhook<'py>(
    py: Python<'py>,
    payload: &[u8],
    headers: HashMap<String, String>,
    secret: &str,
    tolerance_s: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let tolerance = Duration::try_from_secs_f64(tolerance_s).map_err(|_| {
        pyo3::exceptions::PyValueError::new_err(format!("tolerance_s must be a finite number ≥ 0, not {tolerance_s}"))
    })?;
    let event = zaby::webhooks::verify(payload, headers, secret, tolerance).py_result()?;
    let value = serde_json::to_value(event).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    to_py_value(py, &value)
}
