//! Field `pattern`s (Go RE2 syntax, matched with `regexp.MatchString`) and `autogeneratePattern`s
//! (PocketBase's `security.RandomStringByRegex`).

use regex::Regex;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Rewrites Go-only syntax for Rust's `regex`: Go's `\d \w \s \b` (and negations) are ASCII-only, and
/// `\Q…\E` quotes a literal.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut class_depth = 0usize; // inside [...]
    let mut class_start = false; // just after `[` or `[^` (a `]` there is a literal)
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let inside = class_depth > 0;
                class_start = false;
                match n {
                    'd' => out.push_str(if inside { "0-9" } else { "[0-9]" }),
                    'D' => out.push_str("[^0-9]"),
                    'w' => out.push_str(if inside { "0-9A-Za-z_" } else { "[0-9A-Za-z_]" }),
                    'W' => out.push_str("[^0-9A-Za-z_]"),
                    's' => out.push_str(if inside { r"\t\n\x0C\r " } else { r"[\t\n\x0C\r ]" }),
                    'S' => out.push_str(r"[^\t\n\x0C\r ]"),
                    'b' if !inside => out.push_str(r"(?-u:\b)"),
                    'B' if !inside => out.push_str(r"(?-u:\B)"),
                    'Q' => {
                        let mut lit = String::new();
                        while let Some(q) = chars.next() {
                            if q == '\\' && chars.peek() == Some(&'E') {
                                chars.next();
                                break;
                            }
                            lit.push(q);
                        }
                        out.push_str(&regex::escape(&lit));
                    }
                    n => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' => {
                if class_depth > 0 && chars.peek() == Some(&':') {
                    // POSIX class like [:alpha:] inside a bracket expression
                    out.push('[');
                    for p in chars.by_ref() {
                        out.push(p);
                        if p == ']' {
                            break;
                        }
                    }
                    continue;
                }
                if class_depth > 0 {
                    // a literal `[` inside a class: Rust would read a nested class
                    out.push_str(r"\[");
                    continue;
                }
                class_depth += 1;
                out.push('[');
                class_start = true;
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                    class_start = false;
                }
            }
            ']' if class_depth > 0 && !class_start => {
                class_depth -= 1;
                out.push(']');
            }
            '&' | '~' if class_depth > 0 => {
                // Rust treats `&&` and `~~` inside classes as set operations
                if chars.peek() == Some(&c) {
                    out.push('\\');
                }
                out.push(c);
                class_start = false;
            }
            c => {
                out.push(c);
                class_start = false;
            }
        }
    }
    out
}

/// The compiled form of a Go pattern, cached; `None` when Rust cannot compile it.
fn compiled(pattern: &str) -> Option<Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(pattern.to_string()).or_insert_with(|| Regex::new(&translate(pattern)).ok()).clone()
}

/// `regexp.MatchString(pattern, value)` (an unanchored search). A pattern that does not compile matches
/// nothing, as Go ignores the compile error and reports no match.
pub(crate) fn is_match(pattern: &str, value: &str) -> bool {
    compiled(pattern).is_some_and(|re| re.is_match(value))
}

// ------------------------------------------------------------------------------------------------
// Random strings from a pattern

/// A random string matching `pattern`, generated the way PocketBase's `RandomStringByRegex` walks Go's
/// parsed regexp: literals are copied, a class picks a random character of its ranges, `.` picks from
/// `[A-Za-z0-9]`, an alternation picks a random branch, and a repetition `{min,max}` repeats
/// `min + random(0..max-min)` times (so `max` is never reached, `x?` never emits `x`, and unbounded `*`/`+`
/// stop below 6). Anchors, word boundaries and other zero-width operators are not supported (PocketBase
/// rejects them too).
pub fn autogenerate(pattern: &str) -> Result<String, String> {
    let node = Parser::new(pattern).parse()?;
    let mut out = String::new();
    node.write(&mut out);
    Ok(out)
}

/// A pseudo-random number below `n` (`n` > 0): SipHash (std's `RandomState`, keyed from the OS once per
/// thread and advanced on every call) of a counter.
pub(crate) fn random_below(n: u64) -> u64 {
    use std::cell::Cell;
    use std::hash::{BuildHasher, Hasher};
    thread_local! {
        static COUNTER: Cell<u64> = const { Cell::new(0) };
    }
    let count = COUNTER.with(|c| {
        let v = c.get().wrapping_add(1);
        c.set(v);
        v
    });
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(count);
    // reject the biased tail so that every value below n is equally likely
    let zone = u64::MAX - (u64::MAX % n);
    let mut x = h.finish();
    while x >= zone {
        let mut h2 = std::collections::hash_map::RandomState::new().build_hasher();
        h2.write_u64(x);
        x = h2.finish();
    }
    x % n
}

#[derive(Debug)]
enum Node {
    Lit(String),
    /// Inclusive ranges.
    Class(Vec<(u32, u32)>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
}

impl Node {
    fn write(&self, out: &mut String) {
        match self {
            Node::Lit(s) => out.push_str(s),
            Node::Class(ranges) => {
                let total: u64 = ranges.iter().map(|(a, b)| u64::from(b - a) + 1).sum();
                if total == 0 {
                    return;
                }
                let mut k = random_below(total);
                for (a, b) in ranges {
                    let size = u64::from(b - a) + 1;
                    if k < size {
                        out.push(char::from_u32(a + k as u32).unwrap_or('\u{fffd}'));
                        return;
                    }
                    k -= size;
                }
            }
            Node::Concat(items) => items.iter().for_each(|n| n.write(out)),
            Node::Alt(items) => {
                if !items.is_empty() {
                    items[random_below(items.len() as u64) as usize].write(out);
                }
            }
            Node::Repeat(node, min, max) => {
                let max = max.unwrap_or(6).max(*min);
                let mut n = *min;
                if max != *min {
                    n += random_below(u64::from(max - min)) as u32;
                }
                for _ in 0..n {
                    node.write(out);
                }
            }
        }
    }
}

const ANY_CHAR: &[(u32, u32)] = &[('0' as u32, '9' as u32), ('A' as u32, 'Z' as u32), ('a' as u32, 'z' as u32)];

struct Parser<'p> {
    chars: Vec<char>,
    pos: usize,
    fold_case: bool,
    _src: &'p str,
}

impl<'p> Parser<'p> {
    fn new(src: &'p str) -> Self {
        Parser { chars: src.chars().collect(), pos: 0, fold_case: false, _src: src }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn parse(mut self) -> Result<Node, String> {
        let node = self.alternation()?;
        if self.pos < self.chars.len() {
            return Err(format!("unexpected {:?}", self.chars[self.pos]));
        }
        Ok(node)
    }

    fn alternation(&mut self) -> Result<Node, String> {
        let mut alts = vec![self.concat()?];
        while self.eat('|') {
            alts.push(self.concat()?);
        }
        Ok(if alts.len() == 1 { alts.pop().unwrap_or(Node::Lit(String::new())) } else { Node::Alt(alts) })
    }

    fn concat(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            let Some(atom) = atom else { continue };
            items.push(self.quantified(atom)?);
        }
        Ok(Node::Concat(items))
    }

    fn quantified(&mut self, mut atom: Node) -> Result<Node, String> {
        loop {
            let (min, max) = match self.peek() {
                Some('*') => {
                    self.pos += 1;
                    (0, None)
                }
                Some('+') => {
                    self.pos += 1;
                    (1, None)
                }
                Some('?') => {
                    self.pos += 1;
                    (0, Some(1))
                }
                Some('{') => match self.counted()? {
                    Some(r) => r,
                    None => return Ok(atom),
                },
                _ => return Ok(atom),
            };
            self.eat('?'); // non-greedy makes no difference here
            atom = Node::Repeat(Box::new(atom), min, max);
        }
    }

    /// `{n}`, `{n,}`, `{n,m}`; `None` (nothing consumed) when the brace is a literal.
    fn counted(&mut self) -> Result<Option<(u32, Option<u32>)>, String> {
        let start = self.pos;
        self.pos += 1;
        let num = |p: &mut Self| -> Option<u32> {
            let s = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.pos += 1;
            }
            p.chars[s..p.pos].iter().collect::<String>().parse().ok()
        };
        let Some(min) = num(self) else {
            self.pos = start;
            return Ok(None);
        };
        let max = if self.eat(',') { if self.peek() == Some('}') { None } else { num(self) } } else { Some(min) };
        if !self.eat('}') {
            self.pos = start;
            return Ok(None);
        }
        if min > 1000 || max.is_some_and(|m| m > 1000 || m < min) {
            return Err("invalid repeat count".into());
        }
        Ok(Some((min, max)))
    }

    fn lit(&self, c: char) -> Node {
        if self.fold_case && c.is_alphabetic() {
            let mut ranges: Vec<(u32, u32)> = c
                .to_lowercase()
                .chain(c.to_uppercase())
                .chain(std::iter::once(c))
                .map(|x| (x as u32, x as u32))
                .collect();
            ranges.sort_unstable();
            ranges.dedup();
            if ranges.len() > 1 {
                return Node::Class(ranges);
            }
        }
        Node::Lit(c.to_string())
    }

    fn atom(&mut self) -> Result<Option<Node>, String> {
        let Some(c) = self.peek() else { return Ok(None) };
        self.pos += 1;
        Ok(Some(match c {
            '(' => {
                if self.eat('?') {
                    // (?:...), (?P<name>...), (?<name>...) or flags (?i) / (?i:...)
                    if self.eat('P') || self.peek() == Some('<') {
                        self.eat('<');
                        while let Some(n) = self.peek() {
                            self.pos += 1;
                            if n == '>' {
                                break;
                            }
                        }
                    } else {
                        let mut negate = false;
                        loop {
                            match self.peek() {
                                Some('i') => {
                                    self.fold_case = !negate;
                                    self.pos += 1;
                                }
                                Some('m' | 's' | 'U') => self.pos += 1,
                                Some('-') => {
                                    negate = true;
                                    self.pos += 1;
                                }
                                Some(')') => {
                                    self.pos += 1;
                                    return Ok(None); // flags only
                                }
                                Some(':') => {
                                    self.pos += 1;
                                    break;
                                }
                                _ => return Err("invalid group flags".into()),
                            }
                        }
                    }
                }
                let inner = self.alternation()?;
                if !self.eat(')') {
                    return Err("missing closing )".into());
                }
                inner
            }
            ')' => return Err("unexpected )".into()),
            '[' => self.class()?,
            '.' => Node::Class(ANY_CHAR.to_vec()),
            '^' | '$' => return Err("unsupported pattern operator (anchor)".into()),
            '*' | '+' | '?' => return Err("missing argument to repetition operator".into()),
            '\\' => self.escape(false)?,
            c => self.lit(c),
        }))
    }

    /// After a backslash. In a class, `Lit` results are single characters.
    fn escape(&mut self, in_class: bool) -> Result<Node, String> {
        let Some(c) = self.peek() else { return Err("trailing backslash".into()) };
        self.pos += 1;
        let ranges = |r: &[(char, char)]| Node::Class(r.iter().map(|(a, b)| (*a as u32, *b as u32)).collect());
        Ok(match c {
            'd' => ranges(&[('0', '9')]),
            'w' => ranges(&[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')]),
            's' => ranges(&[('\t', '\n'), ('\u{c}', '\r'), (' ', ' ')]),
            'D' => Node::Class(negate(&[('0' as u32, '9' as u32)])),
            'W' => Node::Class(negate(&[(48, 57), (65, 90), (95, 95), (97, 122)])),
            'S' => Node::Class(negate(&[(9, 10), (12, 13), (32, 32)])),
            'n' => Node::Lit("\n".into()),
            't' => Node::Lit("\t".into()),
            'r' => Node::Lit("\r".into()),
            'f' => Node::Lit("\u{c}".into()),
            'v' => Node::Lit("\u{b}".into()),
            'a' => Node::Lit("\u{7}".into()),
            'x' => {
                let hex: String = if self.eat('{') {
                    let s = self.pos;
                    while self.peek().is_some_and(|c| c != '}') {
                        self.pos += 1;
                    }
                    let h = self.chars[s..self.pos].iter().collect();
                    self.eat('}');
                    h
                } else {
                    let h = self.chars.get(self.pos..self.pos + 2).map(|s| s.iter().collect()).unwrap_or_default();
                    self.pos += 2;
                    h
                };
                let v = u32::from_str_radix(&hex, 16).map_err(|_| "invalid escape")?;
                Node::Lit(char::from_u32(v).ok_or("invalid escape")?.to_string())
            }
            'Q' => {
                let mut lit = String::new();
                while let Some(q) = self.peek() {
                    self.pos += 1;
                    if q == '\\' && self.peek() == Some('E') {
                        self.pos += 1;
                        break;
                    }
                    lit.push(q);
                }
                if in_class {
                    return Err("invalid escape".into());
                }
                Node::Lit(lit)
            }
            'b' | 'B' | 'A' | 'z' if !in_class => return Err("unsupported pattern operator (assertion)".into()),
            c if c.is_ascii_punctuation() => Node::Lit(c.to_string()),
            _ => return Err(format!("invalid escape \\{c}")),
        })
    }

    fn class(&mut self) -> Result<Node, String> {
        let negated = self.eat('^');
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else { return Err("missing closing ]".into()) };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            // POSIX classes
            if c == '[' && self.chars.get(self.pos + 1) == Some(&':') {
                let rest: String = self.chars[self.pos..].iter().collect();
                if let Some(end) = rest.find(":]") {
                    let name = &rest[2..end];
                    let (neg, name) = name.strip_prefix('^').map_or((false, name), |n| (true, n));
                    let r = posix(name).ok_or("invalid character class range")?;
                    ranges.extend(if neg { negate(&r) } else { r });
                    self.pos += rest[..end + 2].chars().count();
                    continue;
                }
            }
            self.pos += 1;
            let lo = if c == '\\' {
                match self.escape(true)? {
                    Node::Class(r) => {
                        ranges.extend(r);
                        continue;
                    }
                    Node::Lit(s) => s.chars().next().map_or(0, |c| c as u32),
                    _ => return Err("invalid escape".into()),
                }
            } else {
                c as u32
            };
            let mut hi = lo;
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|n| *n != ']') {
                self.pos += 1;
                let c2 = self.peek().ok_or("missing closing ]")?;
                self.pos += 1;
                hi = if c2 == '\\' {
                    match self.escape(true)? {
                        Node::Lit(s) => s.chars().next().map_or(0, |c| c as u32),
                        _ => return Err("invalid character class range".into()),
                    }
                } else {
                    c2 as u32
                };
                if hi < lo {
                    return Err("invalid character class range".into());
                }
            }
            ranges.push((lo, hi));
            if self.fold_case {
                for x in lo..=hi.min(lo + 256) {
                    if let Some(ch) = char::from_u32(x) {
                        for f in ch.to_lowercase().chain(ch.to_uppercase()) {
                            ranges.push((f as u32, f as u32));
                        }
                    }
                }
            }
        }
        let ranges = merge(ranges);
        Ok(Node::Class(if negated { negate(&ranges) } else { ranges }))
    }
}

fn posix(name: &str) -> Option<Vec<(u32, u32)>> {
    let r: &[(char, char)] = match name {
        "alnum" => &[('0', '9'), ('A', 'Z'), ('a', 'z')],
        "alpha" => &[('A', 'Z'), ('a', 'z')],
        "ascii" => &[('\0', '\u{7f}')],
        "blank" => &[('\t', '\t'), (' ', ' ')],
        "cntrl" => &[('\0', '\u{1f}'), ('\u{7f}', '\u{7f}')],
        "digit" => &[('0', '9')],
        "graph" => &[('!', '~')],
        "lower" => &[('a', 'z')],
        "print" => &[(' ', '~')],
        "punct" => &[('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        "space" => &[('\t', '\r'), (' ', ' ')],
        "upper" => &[('A', 'Z')],
        "word" => &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
        "xdigit" => &[('0', '9'), ('A', 'F'), ('a', 'f')],
        _ => return None,
    };
    Some(r.iter().map(|(a, b)| (*a as u32, *b as u32)).collect())
}

fn merge(mut ranges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    ranges.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn negate(ranges: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let ranges = merge(ranges.to_vec());
    let mut out = Vec::new();
    let mut next = 0u32;
    for (a, b) in ranges {
        if a > next {
            out.push((next, a - 1));
        }
        next = b + 1;
    }
    if next <= 0x10FFFF {
        out.push((next, 0x10FFFF));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_classes_are_ascii() {
        assert!(is_match(r"^\d+$", "123"));
        assert!(!is_match(r"^\d+$", "١٢٣")); // Arabic-Indic digits are \d in Rust, not in Go
        assert!(!is_match(r"^\w+$", "é"));
        assert!(is_match(r"^[\w-]+$", "a-b_c"));
        assert!(!is_match(r"^[\w-]+$", "é"));
        assert!(is_match(r"^\S+$", "é"));
        assert!(!is_match(r"^\s$", "\u{a0}"));
        assert!(is_match(r"^\Qa.b\E$", "a.b"));
        assert!(!is_match(r"^\Qa.b\E$", "axb"));
        assert!(is_match(r"^[[:alpha:]]+$", "abc"));
        assert!(is_match(r"^[a&&b]+$", "a&&b"));
        assert!(is_match(r"^[]a]+$", "]a"));
        assert!(is_match(r"^[a[]+$", "a[["));
        assert!(is_match("^[a-z0-9-]+$", "hello-world"));
        assert!(!is_match("(", "x")); // invalid: never matches
        assert!(is_match("b", "abc")); // unanchored
    }

    #[test]
    fn autogenerated_values_match() {
        for p in [
            "[a-z0-9]{15}",
            "[a-zA-Z0-9]{50}",
            "auto-[0-9]{4}",
            "pk[a-z]{8}",
            r"\d{3}-\w{2}",
            "(ab|cd){2}x",
            "[[:upper:]]{3}",
            "(?i)abc",
            "a.b",
            "[^a-z]{5}",
        ] {
            let v = autogenerate(p).unwrap();
            assert!(is_match(&format!("^(?:{p})$"), &v), "{p} -> {v:?}");
        }
        assert_eq!(autogenerate("[a-z0-9]{15}").unwrap().len(), 15);
        assert_ne!(autogenerate("[a-z0-9]{15}").unwrap(), autogenerate("[a-z0-9]{15}").unwrap());
        // Go's quirks: `?` never emits, `*` stays below 6
        assert_eq!(autogenerate("ab?").unwrap(), "a");
        assert!(autogenerate("a*").unwrap().len() < 6);
        assert!(autogenerate("^a$").is_err());
        assert!(autogenerate("a(b").is_err());
    }
}
