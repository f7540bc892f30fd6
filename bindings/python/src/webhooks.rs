//! `zaby.webhooks.verify` and `verify_signature`: the core's check of a signed request
//! (a webhook delivery, an http function tool's call), translated.

use std::collections::HashMap;

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
    let tolerance = zaby::webhooks::tolerance_from_secs(tolerance_s).py_result()?;
    let event = zaby::webhooks::verify(payload, headers, secret, tolerance).py_result()?;
    let value = serde_json::to_value(event).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    to_py_value(py, &value)
}

/// The signed body as Python JSON values (an http function tool's call), or
/// `ZabyWebhookVerificationError`.
#[pyfunction]
pub(crate) fn verify_signature<'py>(
    py: Python<'py>,
    payload: &[u8],
    headers: HashMap<String, String>,
    secret: &str,
    tolerance_s: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let tolerance = zaby::webhooks::tolerance_from_secs(tolerance_s).py_result()?;
    let body = zaby::webhooks::verify_signature(payload, headers, secret, tolerance).py_result()?;
    to_py_value(py, &body)
}
