//! The one naming pass: wire names -> Rust identifiers, with keyword escaping and collision checks.
//!
//! Every identifier the emitters print comes from here, so `format_ident!` only ever sees valid names.

use std::collections::BTreeMap;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (2024 edition, reserved ones included) that need `r#` or a suffix.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
    "true", "try", "type", "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers, so they take a `_` suffix instead.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// A snake_case identifier for a field or module, e.g. `publishedAt` -> `published_at`, `type` -> `r#type`.
pub fn snake_ident(wire: &str) -> String {
    // heck drops leading underscores; keep them so `_superusers` and `superusers` stay apart.
    let leading = wire.len() - wire.trim_start_matches('_').len();
    let body = ascii_words(wire).to_snake_case();
    escape(format!("{}{body}", "_".repeat(leading)), "_")
}

/// An UpperCamelCase identifier for a type or enum variant, e.g. `in review` -> `InReview`.
pub fn type_ident(wire: &str) -> String {
    escape(ascii_words(wire).to_upper_camel_case(), "V")
}

/// Everything but ASCII letters and digits becomes a word break, so idents stay ASCII.
fn ascii_words(wire: &str) -> String {
    wire.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect()
}

fn escape(ident: String, digit_prefix: &str) -> String {
    if ident.is_empty() {
        return ident;
    }
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("{digit_prefix}{ident}");
    }
    if NOT_RAW.contains(&ident.as_str()) {
        return format!("{ident}_");
    }
    if KEYWORDS.contains(&ident.as_str()) {
        return format!("r#{ident}");
    }
    ident
}

/// The identifier as written without a raw prefix, to compare against wire names for `serde(rename)`.
pub fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// Hands out identifiers in one scope and reports the wire name that already took one.
#[derive(Debug, Default)]
pub struct Scope {
    taken: BTreeMap<String, String>,
}

impl Scope {
    /// Names that generated code itself uses in this scope.
    pub fn reserve(&mut self, ident: &str, by: &str) {
        self.taken.insert(ident.to_owned(), by.to_owned());
    }

    /// `Err(previous wire name)` when `ident` is already taken.
    pub fn claim(&mut self, ident: &str, wire: &str) -> Result<(), String> {
        match self.taken.get(ident) {
            Some(previous) => Err(previous.clone()),
            None => {
                self.taken.insert(ident.to_owned(), wire.to_owned());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_idents() {
        let cases = [
            ("title", "title"),
            ("publishedAt", "published_at"),
            ("emailVisibility", "email_visibility"),
            ("type", "r#type"),
            ("self", "self_"),
            ("crate", "crate_"),
            ("gen", "r#gen"),
            ("2fa", "_2fa"),
            ("_superusers", "_superusers"),
            ("__x", "__x"),
            ("HTMLBody", "html_body"),
            ("user_id", "user_id"),
        ];
        for (wire, want) in cases {
            assert_eq!(snake_ident(wire), want, "{wire}");
        }
    }

    #[test]
    fn type_idents() {
        let cases = [
            ("draft", "Draft"),
            ("in review", "InReview"),
            ("in-review", "InReview"),
            ("self", "Self_"),
            ("2024", "V2024"),
            ("éclair", "Clair"),
            ("", ""),
            ("!!", ""),
            ("posts", "Posts"),
        ];
        for (wire, want) in cases {
            assert_eq!(type_ident(wire), want, "{wire:?}");
        }
    }

    #[test]
    fn scope_reports_the_first_owner() {
        let mut s = Scope::default();
        s.reserve("expand", "(generated)");
        assert!(s.claim("user_name", "userName").is_ok());
        assert_eq!(s.claim("user_name", "user_name"), Err("userName".to_owned()));
        assert_eq!(s.claim("expand", "expand"), Err("(generated)".to_owned()));
    }
}
