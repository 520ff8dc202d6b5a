//! Escaping for the HTML we write: every value from a record, a request or the schema goes through here.

use std::fmt::Write;

/// Text and attribute values (attributes are always double-quoted).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JavaScript string literal (JSON), for Datastar expressions; still needs [`esc`] inside an attribute.
pub fn js_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// One URL path segment or query value, percent-encoded (RFC 3986 unreserved characters kept).
pub fn url_enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A query string from pairs (already percent-encoded values, `&`-joined).
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", url_enc(k), url_enc(v))).collect::<Vec<_>>().join("&")
}

/// The element id of a record's table row.
pub fn row_id(id: &str) -> String {
    format!("r-{id}")
}

/// A CSS selector for [`row_id`], with the record id escaped as CSS requires.
pub fn row_selector(id: &str) -> String {
    let mut out = String::from("#r-");
    for c in id.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else {
            let _ = write!(out, "\\{:x} ", c as u32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            esc(r#"<script>alert("x&'y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;"
        );
        assert_eq!(js_str("a'b\"</c>"), r#""a'b\"</c>""#);
        assert_eq!(url_enc("a b/é"), "a%20b%2F%C3%A9");
        assert_eq!(row_selector("ab c"), "#r-ab\\20 c");
    }
}
