//! What the services check in a typed input beyond the catalogue's types, collected
//! as `{field, message}` so that a 422 names everything wrong (`docs/errors.md`), and
//! the names a "did you mean" suggests.

use crate::error::ApiError;

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
    fn problems_are_collected_in_order() {
        let mut p = Problems::default();
        p.text("name", " ", 10, false);
        p.text("slug", "abcdefghijk", 10, true);
        p.range("ttlSeconds", 0, 1, 86_400);
        p.texts("tags", &["ok".into(), "x".repeat(11)], 10);
        assert!(p.has("slug") && !p.has("tags"));
        let err = p.finish().unwrap_err();
        let fields: Vec<String> = err.details.unwrap()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| format!("{}: {}", e["field"].as_str().unwrap(), e["message"].as_str().unwrap()))
            .collect();
        assert_eq!(
            fields,
            [
                "name: must not be empty",
                "slug: must be at most 10 characters",
                "ttlSeconds: must be between 1 and 86400",
                "tags.1: must be at most 10 characters",
            ]
        );
        assert!(Problems::default().finish().is_ok());
    }
}
