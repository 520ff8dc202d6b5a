//! Reading the name and kind out of an index statement, so bad ones fail at `gen` and not at start-up.

/// What an index statement says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    pub unique: bool,
    pub table: String,
    /// The leading identifier of each indexed term (`username COLLATE NOCASE` -> `username`); empty for
    /// an expression term such as `lower(x)`.
    pub columns: Vec<String>,
}

/// Parses `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (terms) [WHERE ...]`.
pub fn parse(sql: &str) -> Result<IndexDef, String> {
    let mut rest = sql.trim_start();
    if !eat(&mut rest, "CREATE") {
        return Err("an index must start with CREATE [UNIQUE] INDEX".into());
    }
    let unique = eat(&mut rest, "UNIQUE");
    if !eat(&mut rest, "INDEX") {
        return Err("an index must start with CREATE [UNIQUE] INDEX".into());
    }
    if eat(&mut rest, "IF") && !(eat(&mut rest, "NOT") && eat(&mut rest, "EXISTS")) {
        return Err("expected IF NOT EXISTS".into());
    }
    let (name, after) = identifier(rest).ok_or("expected the index name")?;
    rest = after.trim_start();
    if !eat(&mut rest, "ON") {
        return Err("expected ON <table> after the index name".into());
    }
    let (table, after) = identifier(rest).ok_or("expected the table name after ON")?;
    let terms = after
        .trim_start()
        .strip_prefix('(')
        .and_then(|inner| top_level_close(inner).map(|end| &inner[..end]))
        .ok_or("expected the indexed columns in parentheses after the table name")?;
    let columns = split_top_level(terms)
        .into_iter()
        .map(|term| match identifier(term.trim()) {
            Some((column, rest)) if !rest.trim_start().starts_with('(') => column,
            _ => String::new(),
        })
        .collect();
    Ok(IndexDef { name, unique, table, columns })
}

/// The position of the `)` that closes an already opened parenthesis.
fn top_level_close(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Consumes the keyword `w` (case-insensitive, whole word) and the spaces after it.
fn eat(rest: &mut &str, w: &str) -> bool {
    let matches = rest.len() >= w.len()
        && rest.is_char_boundary(w.len())
        && rest[..w.len()].eq_ignore_ascii_case(w)
        && !rest[w.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    if matches {
        *rest = rest[w.len()..].trim_start();
    }
    matches
}

/// One SQL identifier, bare or quoted with `` ` ``, `"` or `[...]`.
fn identifier(s: &str) -> Option<(String, &str)> {
    let close = match s.chars().next()? {
        '`' => '`',
        '"' => '"',
        '[' => ']',
        _ => {
            let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
            return (end > 0).then(|| (s[..end].to_owned(), &s[end..]));
        }
    };
    let end = s[1..].find(close)? + 1;
    Some((s[1..end].to_owned(), &s[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::{IndexDef, parse};

    #[test]
    fn pocketbase_index_forms() {
        let def = |name: &str, unique, table: &str, columns: &[&str]| IndexDef {
            name: name.into(),
            unique,
            table: table.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        };
        assert_eq!(
            parse("CREATE UNIQUE INDEX `idx_posts_slug` ON `posts` (`slug`)"),
            Ok(def("idx_posts_slug", true, "posts", &["slug"]))
        );
        assert_eq!(
            parse("create index if not exists idx_a on \"t\" (a, b DESC) WHERE a != ''"),
            Ok(def("idx_a", false, "t", &["a", "b"]))
        );
        assert_eq!(parse("CREATE INDEX [x y] ON t (a)"), Ok(def("x y", false, "t", &["a"])));
        assert_eq!(
            parse("CREATE UNIQUE INDEX `u` ON `users` (username COLLATE NOCASE, lower(email))"),
            Ok(def("u", true, "users", &["username", ""]))
        );
        assert!(parse("DROP TABLE x").is_err());
        assert!(parse("CREATE INDEX ON t (a)").is_err());
        assert!(parse("CREATE INDEX i ON t").is_err());
        assert!(parse("CREATE INDEX `unterminated ON t (a)").is_err());
        assert!(parse("").is_err());
    }
}
