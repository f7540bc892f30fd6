//! Tool-argument validation against a tool's `inputSchema` (`docs/api/mcp.md`):
//! the draft named by `$schema` (2020-12 when absent), no remote `$ref`s, and
//! every failure reported as `{field: <JSON Pointer>, message}`.

use serde::Serialize;
use serde_json::Value;

/// One validation failure. `field` is the JSON Pointer of the failing value
/// inside the arguments, `""` for the arguments themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The tool's input schema cannot be used for validation (malformed, or it
/// refers to a remote schema, which is never fetched).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the tool's input schema is invalid: {0}")]
pub struct SchemaError(pub String);

/// A compiled input schema; build once per tool and reuse.
#[derive(Debug)]
pub struct ArgumentValidator {
    validator: jsonschema::Validator,
}

impl ArgumentValidator {
    pub fn new(schema: &Value) -> Result<Self, SchemaError> {
        if !schema.is_object() && !schema.is_boolean() {
            return Err(SchemaError(format!("a schema must be an object or a boolean, not {}", json_type(schema))));
        }
        // No `with_draft`: jsonschema reads `$schema` and defaults to 2020-12.
        // The crate is built without its HTTP and file resolvers, so a remote
        // `$ref` fails here instead of being fetched.
        let validator = match jsonschema::options().build(schema) {
            Ok(validator) => validator,
            // A `$schema` jsonschema does not know (a custom or misspelled
            // meta-schema) falls back to the default draft rather than making
            // the tool unusable; a schema that is invalid anyway still fails.
            Err(error) => match schema.get("$schema") {
                Some(_) => {
                    let mut plain = schema.clone();
                    if let Some(object) = plain.as_object_mut() {
                        object.remove("$schema");
                    }
                    jsonschema::options()
                        .with_draft(jsonschema::Draft::Draft202012)
                        .build(&plain)
                        .map_err(|_| SchemaError(error.to_string()))?
                }
                None => return Err(SchemaError(error.to_string())),
            },
        };
        Ok(Self { validator })
    }

    /// Every failure of `arguments`; empty when they are valid.
    pub fn validate(&self, arguments: &Value) -> Vec<FieldError> {
        if !arguments.is_object() {
            return vec![FieldError {
                field: String::new(),
                message: format!("arguments must be a JSON object, not {}", json_type(arguments)),
            }];
        }
        self.validator
            .iter_errors(arguments)
            .map(|error| FieldError { field: error.instance_path().as_str().to_owned(), message: error.to_string() })
            .collect()
    }
}

/// Validates `arguments` against `schema` in one go.
pub fn validate_arguments(schema: &Value, arguments: &Value) -> Result<Vec<FieldError>, SchemaError> {
    Ok(ArgumentValidator::new(schema)?.validate(arguments))
}

pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
