//! Reading request bodies and queries field by field, collecting every problem as
//! `{field, message}` so that a 422 names what is wrong (`docs/errors.md`).

use serde_json::{Map, Value};

use crate::error::ApiError;

/// A field of a partial update: left out, set to `null`, or given a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    Absent,
    Null,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// The new value of a nullable field, given its current one.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Absent => current,
            Patch::Null => None,
            Patch::Set(v) => Some(v),
        }
    }
}

/// What a service finds wrong in a typed input (the typed extractor, `http::extract::
/// Body`, has already checked the catalogue's types): lengths, patterns, ranges,
/// references. Collected, so one 422 lists them all (`docs/errors.md`).
#[derive(Debug, Default)]
pub struct Problems(Vec<(String, String)>);

impl Problems {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_string(), message.into()));
    }

    /// A string of at most `max` characters, not blank unless `allow_empty`.
    pub fn text(&mut self, field: &str, value: &str, max: usize, allow_empty: bool) {
        if !allow_empty && value.trim().is_empty() {
            self.add(field, "must not be empty");
        } else if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    /// Each string of a list, as [`Problems::text`] (blank entries allowed).
    pub fn texts(&mut self, field: &str, values: &[String], max: usize) {
        for (i, v) in values.iter().enumerate() {
            self.text(&format!("{field}.{i}"), v, max, true);
        }
    }

    /// An integer within `min..=max`.
    pub fn range(&mut self, field: &str, n: i64, min: i64, max: i64) {
        if n < min || n > max {
            self.add(field, format!("must be between {min} and {max}"));
        }
    }

    /// Whether a problem was recorded for `field`.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }

    /// `Ok` when nothing was found, else the 422 listing every problem.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::validation(self.0)) }
    }
}

/// Field reader over a JSON object.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    errors: Vec<(String, String)>,
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Fields<'a> {
    pub fn new(body: &'a Value) -> Self {
        Fields { map: body.as_object().unwrap_or(&EMPTY), prefix: String::new(), errors: Vec::new() }
    }

    fn name(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    pub fn error(&mut self, key: &str, message: impl Into<String>) {
        let name = self.name(key);
        self.errors.push((name, message.into()));
    }

    /// Whether one of these keys already failed.
    pub fn has_errors_for(&self, keys: &[&str]) -> bool {
        self.errors.iter().any(|(f, _)| keys.iter().any(|k| *f == self.name(k)))
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// `Ok` when no field failed, else the 422 listing them.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::validation(self.errors)) }
    }

    /// Whether the key is present (even as `null`).
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    fn string_value(&mut self, key: &str, v: &Value, max: usize, allow_empty: bool) -> Option<String> {
        match v {
            Value::String(s) => {
                if !allow_empty && s.trim().is_empty() {
                    self.error(key, "must not be empty");
                    None
                } else if s.chars().count() > max {
                    self.error(key, format!("must be at most {max} characters"));
                    None
                } else {
                    Some(s.clone())
                }
            }
            _ => {
                self.error(key, "must be a string");
                None
            }
        }
    }

    /// A required non-empty string.
    pub fn req_str(&mut self, key: &str, max: usize) -> Option<String> {
        match self.map.get(key) {
            None | Some(Value::Null) => {
                self.error(key, "is required");
                None
            }
            Some(v) => self.string_value(key, v, max, false),
        }
    }

    /// An optional non-empty string; absent and `null` both give `None`.
    pub fn opt_str(&mut self, key: &str, max: usize) -> Option<String> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.string_value(key, v, max, false),
        }
    }

    /// An optional string that may be empty.
    pub fn opt_text(&mut self, key: &str, max: usize) -> Option<String> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.string_value(key, v, max, true),
        }
    }

    /// A string field of a partial update.
    pub fn patch_str(&mut self, key: &str, max: usize, allow_empty: bool) -> Patch<String> {
        match self.map.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(v) => match self.string_value(key, v, max, allow_empty) {
                Some(s) => Patch::Set(s),
                None => Patch::Absent,
            },
        }
    }

    pub fn opt_bool(&mut self, key: &str) -> Option<bool> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.error(key, "must be a boolean");
                None
            }
        }
    }

    fn int_value(&mut self, key: &str, v: &Value, min: i64, max: i64) -> Option<i64> {
        match v.as_i64() {
            Some(n) if v.is_i64() || v.is_u64() => {
                if n < min || n > max {
                    self.error(key, format!("must be between {min} and {max}"));
                    None
                } else {
                    Some(n)
                }
            }
            _ => {
                if v.is_number() {
                    self.error(key, format!("must be an integer between {min} and {max}"));
                } else {
                    self.error(key, "must be an integer");
                }
                None
            }
        }
    }

    pub fn opt_int(&mut self, key: &str, min: i64, max: i64) -> Option<i64> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.int_value(key, v, min, max),
        }
    }

    pub fn patch_int(&mut self, key: &str, min: i64, max: i64) -> Patch<i64> {
        match self.map.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(v) => match self.int_value(key, v, min, max) {
                Some(n) => Patch::Set(n),
                None => Patch::Absent,
            },
        }
    }

    fn enum_value(&mut self, key: &str, v: &Value, allowed: &[&str]) -> Option<String> {
        match v.as_str() {
            Some(s) if allowed.contains(&s) => Some(s.to_string()),
            _ => {
                self.error(key, format!("must be one of {}", allowed.join(", ")));
                None
            }
        }
    }

    pub fn opt_enum(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.enum_value(key, v, allowed),
        }
    }

    pub fn patch_enum(&mut self, key: &str, allowed: &[&str]) -> Patch<String> {
        match self.map.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(v) => match self.enum_value(key, v, allowed) {
                Some(s) => Patch::Set(s),
                None => Patch::Absent,
            },
        }
    }

    /// A free-form JSON object.
    pub fn opt_object(&mut self, key: &str) -> Option<Value> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(_) => {
                self.error(key, "must be an object");
                None
            }
        }
    }

    /// An object field of a partial update that may not be cleared with `null`.
    pub fn present_object(&mut self, key: &str) -> Option<Value> {
        match self.map.get(key) {
            None => None,
            Some(Value::Null) => {
                self.error(key, "must not be null");
                None
            }
            Some(_) => self.opt_object(key),
        }
    }

    pub fn opt_str_list(&mut self, key: &str, max_item: usize) -> Option<Vec<String>> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(s) if s.chars().count() <= max_item => out.push(s.to_string()),
                        Some(_) => self.error(&format!("{key}.{i}"), format!("must be at most {max_item} characters")),
                        None => self.error(&format!("{key}.{i}"), "must be a string"),
                    }
                }
                Some(out)
            }
            Some(_) => {
                self.error(key, "must be an array of strings");
                None
            }
        }
    }
}

/// The known name closest to a misspelled `key`, for "did you mean": at most two
/// edits (a swap of neighbours counts as one) and fewer than a third of the longer
/// name, so that `to` does not suggest `q`.
pub fn closest<'a>(key: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| (strsim::osa_distance(k, key), k))
        .filter(|(d, k)| *d <= 2 && d * 3 < k.chars().count().max(key.chars().count()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Slug rule shared by agents and external apps: `^[a-z0-9]+(?:-[a-z0-9]+)*$`, 1–100.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slugs() {
        assert!(is_slug("a"));
        assert!(is_slug("support-bot-2"));
        assert!(!is_slug("Support"));
        assert!(!is_slug("-a"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug("a_b"));
        assert!(!is_slug(""));
    }

    #[test]
    fn closest_suggests_near_names_only() {
        let known = ["status", "instructions", "q", "name"];
        assert_eq!(closest("stauts", known.into_iter()), Some("status"));
        assert_eq!(closest("instruction", known.into_iter()), Some("instructions"));
        assert_eq!(closest("nme", known.into_iter()), Some("name"));
        assert_eq!(closest("to", known.into_iter()), None);
        assert_eq!(closest("colour", known.into_iter()), None);
    }

    #[test]
    fn collects_errors() {
        let body = json!({"name": 3, "n": 1.5, "e": "X", "list": ["a", 1]});
        let mut f = Fields::new(&body);
        assert_eq!(f.req_str("name", 10), None);
        assert_eq!(f.req_str("slug", 10), None);
        assert_eq!(f.opt_int("n", 0, 10), None);
        assert_eq!(f.opt_enum("e", &["A"]), None);
        f.opt_str_list("list", 10);
        let err = f.finish().unwrap_err();
        let fields: Vec<String> = err.details.unwrap()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(fields, ["name", "slug", "n", "e", "list.1"]);
    }
}
