//! The email and URL format checks PocketBase uses (ozzo-validation's `is.EmailFormat` and `is.URL`, both
//! `govalidator` functions at the version PocketBase 0.40 pins) and the parts of Go's `net/url.Parse` they
//! and PocketBase's domain checks depend on.
//!
//! The regular expressions are assembled here from named grammar pieces. Go's `\d`, `\s` and `\S` are ASCII
//! classes, so they are spelled out as ASCII classes for Rust's Unicode-aware engine.

use regex::Regex;
use std::sync::OnceLock;

/// Characters beyond ASCII that the email grammar accepts (the RFC 6531 `ucschar` subset govalidator uses).
const UCS: &str = r"\x{A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}";

fn email_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // local part: a dot-atom or a quoted string
        let atext = format!(r"[a-zA-Z0-9!#$%&'*+\-/=?^_`{{|}}~{UCS}]");
        let dot_atom = format!(r"{atext}+(?:\.{atext}+)*");
        let ws = r"[\x20\x09]";
        let folding = format!(r"(?:(?:{ws}*\x0D\x0A)?{ws}+)");
        let qtext = format!(r"[\x01-\x08\x0B\x0C\x0E-\x1F\x7F\x21\x23-\x5B\x5D-\x7E{UCS}]");
        // govalidator's "quoted pair" is an opening parenthesis (not a backslash) followed by one character,
        // and its grouping repeats `"` + one character rather than the characters between two quotes:
        // `"a"b"@x.com` and `"@x.com` are accepted, `"john"@x.com` is not
        let qpair = format!(r"\([\x01-\x09\x0B\x0C\x0D-\x7F]|[{UCS}]");
        let quoted = format!(r#"(?:"{folding}?(?:{qtext}|{qpair}))*{folding}?""#);
        // domain: labels ending with a dot, then a top-level label that starts and ends with a letter
        let label_end = format!(r"[a-zA-Z0-9{UCS}]");
        let label_mid = format!(r"[a-zA-Z0-9\-._~{UCS}]");
        let label = format!(r"(?:{label_end}|{label_end}{label_mid}*{label_end})\.");
        let tld_end = format!(r"[a-zA-Z{UCS}]");
        let tld_mid = format!(r"[a-zA-Z0-9\-_~{UCS}]");
        let tld = format!(r"(?:{tld_end}|{tld_end}{tld_mid}*{tld_end})");
        Regex::new(&format!(r"^(?:{dot_atom}|{quoted})@(?:{label})+{tld}\.?$")).expect("email regex")
    })
}

fn url_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let not_space = r"[^\t\n\x0C\r ]";
        let scheme = r"(?:(?:ftp|tcp|udp|wss?|https?)://)";
        let user = format!(r"(?:{not_space}+(?::{not_space}*)?@)");
        let path = format!(r"(?:[/?#]{not_space}*)");
        let port = r"(?::[0-9]{1,5})";
        // dotted IPv4 (first octet 1-223 or 240-255, last octet 0-255)
        let ip4 = r"(?:[1-9][0-9]?|1[0-9][0-9]|2[01][0-9]|22[0-3]|24[0-9]|25[0-5])(?:\.(?:[0-9]{1,2}|1[0-9][0-9]|2[0-4][0-9]|25[0-5])){2}(?:\.(?:[0-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5]))";
        let ip6 = ipv6_pattern();
        let host_name = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-_]+)?[a-zA-Z0-9](?:[\-.][a-zA-Z0-9]+)*)";
        let subdomain = r"(?:www\.|[a-zA-Z0-9]+(?:[\-_.]?[a-zA-Z0-9])*[a-zA-Z0-9]\.[a-zA-Z0-9]+)";
        let word = r"[a-zA-Z\x{A1}-\x{FFFF}0-9]";
        let last = format!(r"(?:(?:{word}+-?-?)*{word}+)(?:\.[a-zA-Z\x{{A1}}-\x{{FFFF}}]+)?");
        let host = format!(r"(?:{ip4}|\[{ip6}\]|(?:{host_name}|{subdomain}?)?{last})");
        Regex::new(&format!(r"^{scheme}?{user}?{host}\.?{port}?{path}?$")).expect("url regex")
    })
}

/// The IPv6 alternatives govalidator accepts between brackets (not anchored).
pub(crate) fn ipv6_pattern() -> String {
    let h = "[0-9a-fA-F]{1,4}";
    let octet = "(?:25[0-5]|(?:2[0-4]|1?[0-9])?[0-9])";
    let v4 = format!(r"(?:{octet}\.){{3}}{octet}");
    let alternatives = [
        format!("(?:{h}:){{7}}{h}"),
        format!("(?:{h}:){{1,7}}:"),
        format!("(?:{h}:){{1,6}}:{h}"),
        format!("(?:{h}:){{1,5}}(?::{h}){{1,2}}"),
        format!("(?:{h}:){{1,4}}(?::{h}){{1,3}}"),
        format!("(?:{h}:){{1,3}}(?::{h}){{1,4}}"),
        format!("(?:{h}:){{1,2}}(?::{h}){{1,5}}"),
        format!("{h}:(?::{h}){{1,6}}"),
        format!(":(?:(?::{h}){{1,7}}|:)"),
        "fe80:(?::[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]+".to_string(),
        format!("::(?:ffff(?::0{{1,4}})?:)?{v4}"),
        format!("(?:{h}:){{1,4}}:{v4}"),
    ]
    .map(|alt| format!("(?:{alt})"))
    .join("|");
    format!("(?:{alternatives})")
}

/// `is.EmailFormat` (no MX lookup).
pub(crate) fn is_email(s: &str) -> bool {
    email_regex().is_match(s)
}

/// govalidator's `IsURL`.
pub(crate) fn is_url(s: &str) -> bool {
    if s.is_empty() || s.chars().count() >= 2083 || s.len() <= 3 || s.starts_with('.') {
        return false;
    }
    let temp;
    let parsed = if s.contains(':') && !s.contains("://") {
        temp = format!("http://{s}");
        &temp
    } else {
        s
    };
    let Some(u) = parse_url(parsed) else {
        return false;
    };
    if u.host.starts_with('.') {
        return false;
    }
    if u.host.is_empty() && !u.path.is_empty() && !u.path.contains('.') {
        return false;
    }
    url_regex().is_match(s)
}

/// What PocketBase reads from `url.Parse`: the host (with the port) and the path, both unescaped.
#[derive(Debug)]
pub(crate) struct ParsedUrl {
    pub host: String,
    pub path: String,
}

fn is_ctl(b: u8) -> bool {
    b < b' ' || b == 0x7f
}

/// Go's `url.Parse`; `None` where Go returns an error.
pub(crate) fn parse_url(raw: &str) -> Option<ParsedUrl> {
    let (u, frag) = raw.split_once('#').unwrap_or((raw, ""));
    if u.bytes().any(is_ctl) {
        return None;
    }
    let mut out = ParsedUrl { host: String::new(), path: String::new() };
    if u == "*" {
        out.path = "*".into();
        return Some(out);
    }
    // scheme
    let mut scheme = "";
    let mut rest = u;
    for (i, c) in u.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' => {
                if i == 0 {
                    return None; // missing protocol scheme
                }
                scheme = &u[..i];
                rest = &u[i + 1..];
                break;
            }
            _ => break,
        }
    }
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, _query)) = rest.split_once('?') {
        rest = r;
    }
    if !rest.starts_with('/') {
        if !scheme.is_empty() {
            // opaque
            unescape(frag, Mode::Fragment)?;
            return Some(out);
        }
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return None; // first path segment in URL cannot contain colon
        }
    }
    if (!scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority_and_path = &rest[2..];
        let (authority, path) = match authority_and_path.find('/') {
            Some(i) => (&authority_and_path[..i], &authority_and_path[i..]),
            None => (authority_and_path, ""),
        };
        out.host = parse_authority(authority)?;
        rest = path;
    }
    out.path = String::from_utf8_lossy(&unescape(rest, Mode::Path)?).into_owned();
    unescape(frag, Mode::Fragment)?;
    Some(out)
}

fn parse_authority(authority: &str) -> Option<String> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let host = parse_host(host)?;
    if let Some(userinfo) = userinfo {
        let valid = userinfo.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '-' | '.'
                        | '_'
                        | ':'
                        | '~'
                        | '!'
                        | '$'
                        | '&'
                        | '\''
                        | '('
                        | ')'
                        | '*'
                        | '+'
                        | ','
                        | ';'
                        | '='
                        | '%'
                        | '@'
                )
        });
        if !valid {
            return None;
        }
        let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        unescape(user, Mode::UserPassword)?;
        unescape(pass, Mode::UserPassword)?;
    }
    Some(host)
}

fn valid_optional_port(port: &str) -> bool {
    port.is_empty() || (port.starts_with(':') && port[1..].bytes().all(|b| b.is_ascii_digit()))
}

fn parse_host(host: &str) -> Option<String> {
    if host.starts_with('[') {
        let i = host.rfind(']')?;
        if !valid_optional_port(&host[i + 1..]) {
            return None;
        }
        if let Some(zone) = host[..i].find("%25") {
            let mut out = unescape(&host[..zone], Mode::Host)?;
            out.extend(unescape(&host[zone..i], Mode::Zone)?);
            out.extend(unescape(&host[i..], Mode::Host)?);
            return Some(String::from_utf8_lossy(&out).into_owned());
        }
    } else if let Some(i) = host.rfind(':')
        && !valid_optional_port(&host[i..])
    {
        return None;
    }
    Some(String::from_utf8_lossy(&unescape(host, Mode::Host)?).into_owned())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Host,
    Zone,
    Path,
    UserPassword,
    Fragment,
}

/// Go's `shouldEscape` for the host modes (the only ones where it decides about errors).
fn host_should_escape(c: u8) -> bool {
    !(c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
                | b'-'
                | b'_'
                | b'.'
                | b'~'
        ))
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Go's `unescape`: `None` on a malformed `%` escape or (host modes) a character that must be escaped.
fn unescape(s: &str, mode: Mode) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                    return None;
                }
                let v = unhex(b[i + 1]) << 4 | unhex(b[i + 2]);
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && &s[i..i + 3] != "%25" {
                    return None;
                }
                if mode == Mode::Zone && &s[i..i + 3] != "%25" && v != b' ' && host_should_escape(v) {
                    return None;
                }
                out.push(v);
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && host_should_escape(c) {
                    return None;
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "alice@example.com",
            "a.b+c@x.y.z",
            "\"a\"b\"@x.com",
            "\"@x.com",
            "ü@exämple.de",
            "a@b.c.",
            "UPPER@EXAMPLE.COM",
            "a@1.com",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "\"john\"@x.com",
            "",
            "a",
            "a@",
            "@b.com",
            "a@b",
            "a@b.c1",
            "a..b@c.com",
            "a b@c.com",
            "a@-b.com",
            "a@b_.c",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn urls() {
        for ok in [
            "https://example.com",
            "http://example.com/x?y=1#z",
            "example.com",
            "ftp://a.b",
            "http://localhost:8080",
            "localhost:8080",
            "https://user:pass@example.com:443/p",
            "http://192.168.0.1/",
            "http://[::1]:80/",
            "https://ünicode.de",
            "mailto:x@y.z",
        ] {
            assert!(is_url(ok), "{ok}");
        }
        for bad in [
            "",
            "abc",
            "not a url",
            "http://",
            ".example.com",
            "http://exa mple.com",
            "http://a.com:abc",
            "javascript:alert(1)",
            "//example.com",
            "http:/x",
        ] {
            assert!(!is_url(bad), "{bad}");
        }
    }

    #[test]
    fn url_hosts() {
        assert_eq!(parse_url("https://example.com:8080/x").unwrap().host, "example.com:8080");
        assert_eq!(parse_url("https://u@example.com").unwrap().host, "example.com");
        assert_eq!(parse_url("example.com/x").unwrap().host, "");
        assert!(parse_url(":x").is_none());
        assert!(parse_url("a:b/c").unwrap().host.is_empty());
        assert!(parse_url("http://a b").is_none());
        assert!(parse_url("http://a%2").is_none());
    }
}
