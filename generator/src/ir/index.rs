//! Reading the name and kind out of an index statement, so bad ones fail at `gen` and not at start-up.

/// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (...)` -> (name, unique, table).
pub fn parse(sql: &str) -> Result<(String, bool, String), String> {
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
    if !after.trim_start().starts_with('(') {
        return Err("expected the indexed columns in parentheses after the table name".into());
    }
    Ok((name, unique, table))
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
    use super::parse;

    #[test]
    fn pocketbase_index_forms() {
        assert_eq!(
            parse("CREATE UNIQUE INDEX `idx_posts_slug` ON `posts` (`slug`)"),
            Ok(("idx_posts_slug".into(), true, "posts".into()))
        );
        assert_eq!(
            parse("create index if not exists idx_a on \"t\" (a, b) WHERE a != ''"),
            Ok(("idx_a".into(), false, "t".into()))
        );
        assert_eq!(parse("CREATE INDEX [x y] ON t (a)"), Ok(("x y".into(), false, "t".into())));
        assert!(parse("DROP TABLE x").is_err());
        assert!(parse("CREATE INDEX ON t (a)").is_err());
        assert!(parse("CREATE INDEX i ON t").is_err());
        assert!(parse("CREATE INDEX `unterminated ON t (a)").is_err());
        assert!(parse("").is_err());
    }
}
