//! The body or query a method sends: the row's input or query struct from
//! `zaby::types`, or any `serde_json::Value` for a caller who prefers `json!`
//! (`docs/api/README.md`, the Rust examples).
//!
//! `Body<AgentInput>` converts from `AgentInput` and from `Value`; the struct → input
//! conversions are one concrete impl per type (`input_conversions!`, invoked by the
//! generated `methods.rs`) because a blanket `impl<T> From<T>` would overlap with
//! `From<Value>`.

use std::marker::PhantomData;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Result, ZabyError};

/// A required JSON body of type `T` (or any JSON value).
pub struct Body<T> {
    value: Result<Value>,
    _input: PhantomData<fn() -> T>,
}

/// A JSON body or query of type `T` that may be left out: pass the struct,
/// `Some(struct)`, `None`, or a `Value`.
pub struct OptionalInput<T>(Option<Body<T>>);

impl<T> Body<T> {
    /// Serializes `input` now; an input that cannot be serialized fails the call when
    /// it is awaited.
    pub(crate) fn serialize(input: &impl Serialize) -> Self {
        let value = serde_json::to_value(input)
            .map_err(|e| ZabyError::invalid_argument(format!("the input cannot be serialized: {e}")));
        Body { value, _input: PhantomData }
    }

    pub(crate) fn into_value(self) -> Result<Value> {
        self.value
    }
}

impl<T> From<Value> for Body<T> {
    fn from(value: Value) -> Self {
        Body { value: Ok(value), _input: PhantomData }
    }
}

impl<T> OptionalInput<T> {
    pub(crate) fn into_value(self) -> Result<Option<Value>> {
        self.0.map(Body::into_value).transpose()
    }
}

impl<T> From<Value> for OptionalInput<T> {
    fn from(value: Value) -> Self {
        OptionalInput(Some(value.into()))
    }
}

impl<T> From<Body<T>> for OptionalInput<T> {
    fn from(body: Body<T>) -> Self {
        OptionalInput(Some(body))
    }
}

impl<T: Serialize> From<Option<T>> for OptionalInput<T> {
    fn from(input: Option<T>) -> Self {
        OptionalInput(input.map(|i| Body::serialize(&i)))
    }
}

/// `From<T>` for `Body<T>` and `OptionalInput<T>`, for each input or query type named.
macro_rules! input_conversions {
    ($($input:ty),+ $(,)?) => {
        $(
            impl From<$input> for $crate::body::Body<$input> {
                fn from(input: $input) -> Self {
                    $crate::body::Body::serialize(&input)
                }
            }

            impl From<&$input> for $crate::body::Body<$input> {
                fn from(input: &$input) -> Self {
                    $crate::body::Body::serialize(input)
                }
            }

            impl From<$input> for $crate::body::OptionalInput<$input> {
                fn from(input: $input) -> Self {
                    $crate::body::Body::serialize(&input).into()
                }
            }
        )+
    };
}

pub(crate) use input_conversions;
