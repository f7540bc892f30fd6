//! Knowledge-base slugs (`docs/api/knowledge-bases.md` `KnowledgeBaseInput.slug`): lower-case, every
//! run of characters outside `a–z0–9` becomes `-`, leading and trailing `-` are
//! trimmed, then `-2`, `-3`, … are appended until the slug is unique.

/// Used when a name has no character in `a–z0–9` after lower-casing (e.g. `"日本"`),
/// so that every knowledge base still gets a usable slug.
pub const FALLBACK_SLUG: &str = "knowledge-base";

/// The slug a name derives to before de-duplication.
pub fn slug_base(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_dash = false;
    for ch in name.to_lowercase().chars() {
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(ch);
        } else {
            pending_dash = true;
        }
    }
    if out.is_empty() { FALLBACK_SLUG.to_string() } else { out }
}

/// `base`, `base-2`, `base-3`, … for a name: for servers whose uniqueness check is
/// asynchronous (take candidates until one is free).
pub fn slug_candidates(name: &str) -> impl Iterator<Item = String> {
    let base = slug_base(name);
    (1u64..).map(move |n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
}

/// The first candidate for which `is_taken` answers `false`.
pub fn derive_slug(name: &str, mut is_taken: impl FnMut(&str) -> bool) -> String {
    slug_candidates(name).find(|candidate| !is_taken(candidate)).expect("the candidate sequence is unbounded")
}

/// Whether `slug` has the derived shape: `a–z0–9` runs separated by single dashes.
/// The server may use it to validate explicit slugs.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_lowercases_and_dashes_runs() {
        assert_eq!(slug_base("Product Docs"), "product-docs");
        assert_eq!(slug_base("  --Hello,   World!!  "), "hello-world");
        assert_eq!(slug_base("Café Menü 2024"), "caf-men-2024");
        assert_eq!(slug_base("a_b.c"), "a-b-c");
        assert_eq!(slug_base("日本語"), FALLBACK_SLUG);
        assert_eq!(slug_base(""), FALLBACK_SLUG);
    }

    #[test]
    fn derive_appends_counters_until_free() {
        let taken = ["docs", "docs-2"];
        assert_eq!(derive_slug("Docs", |s| taken.contains(&s)), "docs-3");
        assert_eq!(derive_slug("Other", |s| taken.contains(&s)), "other");
        let first: Vec<String> = slug_candidates("X Y").take(3).collect();
        assert_eq!(first, ["x-y", "x-y-2", "x-y-3"]);
    }

    #[test]
    fn valid_slugs() {
        assert!(is_valid_slug("docs-2"));
        assert!(is_valid_slug("a"));
        assert!(!is_valid_slug("Docs"));
        assert!(!is_valid_slug("-docs"));
        assert!(!is_valid_slug("docs--x"));
        assert!(!is_valid_slug(""));
    }
}
