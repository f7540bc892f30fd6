//! Tool names as the chat-completions API accepts them.
//!
//! OpenAI-compatible endpoints require function names matching `^[a-zA-Z0-9_-]{1,64}$`,
//! while MCP tool names may contain dots, slashes or be longer. Names that already fit
//! are sent unchanged; others get a unique wire name, mapped back on the way in.

use std::collections::{HashMap, HashSet};

use crate::types::ToolSpec;

const MAX_LEN: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct ToolNames {
    to_wire: HashMap<String, String>,
    from_wire: HashMap<String, String>,
}

impl ToolNames {
    pub(crate) fn new(tools: &[ToolSpec]) -> Self {
        let mut names = ToolNames::default();
        let mut taken: HashSet<String> = tools.iter().filter(|t| is_valid(&t.name)).map(|t| t.name.clone()).collect();
        for tool in tools {
            if names.to_wire.contains_key(&tool.name) {
                continue;
            }
            let wire = if is_valid(&tool.name) { tool.name.clone() } else { unique_wire_name(&tool.name, &mut taken) };
            names.from_wire.insert(wire.clone(), tool.name.clone());
            names.to_wire.insert(tool.name.clone(), wire);
        }
        names
    }

    /// The name to send for an offered tool (unknown names are sent unchanged).
    pub(crate) fn wire<'a>(&'a self, name: &'a str) -> &'a str {
        self.to_wire.get(name).map(String::as_str).unwrap_or(name)
    }

    /// The offered tool a name returned by the model stands for.
    pub(crate) fn offered(&self, wire: &str) -> Option<&str> {
        self.from_wire.get(wire).map(String::as_str)
    }
}

fn is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn unique_wire_name(name: &str, taken: &mut HashSet<String>) -> String {
    let mut base: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).take(MAX_LEN).collect();
    if base.is_empty() {
        base.push_str("tool");
    }
    let mut candidate = base.clone();
    let mut counter = 2;
    while taken.contains(&candidate) {
        let suffix = format!("_{counter}");
        let keep = base.len().min(MAX_LEN - suffix.len());
        candidate = format!("{}{suffix}", &base[..keep]);
        counter += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(name: &str) -> ToolSpec {
        ToolSpec { name: name.into(), description: String::new(), input_schema: json!({}) }
    }

    #[test]
    fn valid_names_are_kept_and_others_get_unique_wire_names() {
        let long = "x".repeat(70);
        let tools = [spec("a_b"), spec("a.b"), spec("a/b"), spec(&long), spec("été")];
        let names = ToolNames::new(&tools);
        assert_eq!(names.wire("a_b"), "a_b");
        assert_eq!(names.wire("a.b"), "a_b_2");
        assert_eq!(names.wire("a/b"), "a_b_3");
        assert_eq!(names.wire(&long), "x".repeat(64));
        assert_eq!(names.wire("été"), "_t_");
        for tool in &tools {
            assert_eq!(names.offered(names.wire(&tool.name)), Some(tool.name.as_str()));
        }
        assert_eq!(names.offered("unknown"), None);
    }
}
