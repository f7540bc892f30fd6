//! How results reach the user: one JSON document with `--json`, else text, coloured
//! only on a terminal and never when `NO_COLOR` is set.

use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use serde_json::Value;

/// `println!` that ignores a closed standard output (`zaby … | head`) instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}
pub(crate) use outln;

#[derive(Clone, Copy)]
pub(crate) struct Out {
    pub json: bool,
    color: bool,
}

pub(crate) const BOLD: Style = Style::new().bold();
pub(crate) const DIM: Style = Style::new().dimmed();
pub(crate) const GREEN: Style = AnsiColor::Green.on_default();
pub(crate) const YELLOW: Style = AnsiColor::Yellow.on_default();
pub(crate) const RED: Style = AnsiColor::Red.on_default();
pub(crate) const CYAN: Style = AnsiColor::Cyan.on_default();

/// Colour on standard output: a terminal, and `NO_COLOR` unset or empty (no-color.org).
pub(crate) fn color_wanted(is_terminal: bool, no_color: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty)
}

impl Out {
    pub(crate) fn new(json: bool) -> Out {
        let no_color = std::env::var("NO_COLOR").ok();
        Out { json, color: color_wanted(std::io::stdout().is_terminal(), no_color.as_deref()) }
    }

    /// `text` in `style` when colour is on.
    pub(crate) fn paint(&self, style: Style, text: &str) -> String {
        if self.color { format!("{}{text}{}", style.render(), style.render_reset()) } else { text.to_owned() }
    }

    /// The JSON document of a `--json` command (pretty, one document).
    pub(crate) fn json(&self, value: &impl Serialize) {
        outln!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
    }

    /// `value` as JSON with `--json`, else the text `human` makes.
    pub(crate) fn show(&self, value: &impl Serialize, human: impl FnOnce(&Out) -> String) {
        if self.json {
            self.json(value);
        } else {
            outln!("{}", human(self));
        }
    }

    /// Prints without a newline and flushes (streamed text).
    pub(crate) fn write(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// Rows under a bold header, each column as wide as its widest cell.
    pub(crate) fn table(&self, header: &[&str], rows: &[Vec<String>]) -> String {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: Vec<String>| {
            let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
            padded.join("  ").trim_end().to_owned()
        };
        let mut lines = vec![self.paint(BOLD, &line(header.iter().map(|h| h.to_string()).collect()))];
        lines.extend(rows.iter().map(|r| line(r.clone())));
        lines.join("\n")
    }
}

/// An optional value as display text, `-` when absent.
pub(crate) fn or_dash(value: Option<impl std::fmt::Display>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// A field as display text: strings bare, `null`/absent as `-`, anything else as JSON.
pub(crate) fn text(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(color_wanted(true, None));
        assert!(color_wanted(true, Some("")));
        assert!(!color_wanted(true, Some("1")));
        assert!(!color_wanted(false, None));
    }

    #[test]
    fn table_pads_columns_to_the_widest_cell() {
        let out = Out { json: false, color: false };
        let t = out.table(&["ID", "NAME"], &[vec!["a".into(), "Helper".into()], vec!["long-id".into(), "x".into()]]);
        assert_eq!(t, "ID       NAME\na        Helper\nlong-id  x");
    }

    #[test]
    fn or_dash_shows_none_as_a_dash() {
        assert_eq!((or_dash(Some(3)), or_dash(None::<&str>)), ("3".into(), "-".into()));
    }

    #[test]
    fn text_shows_null_as_a_dash() {
        let v = serde_json::json!({ "a": "s", "b": null, "c": 3 });
        assert_eq!(
            (text(&v, "a"), text(&v, "b"), text(&v, "c"), text(&v, "d")),
            ("s".into(), "-".into(), "3".into(), "-".into())
        );
    }
}
