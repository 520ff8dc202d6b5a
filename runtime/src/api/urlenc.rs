//! Query strings, read as Go's `url.ParseQuery` reads them: `+` is a space, and a pair with a bad `%`
//! escape or a `;` (not a separator since Go 1.17) is dropped.

use std::collections::HashMap;

/// Every `(key, value)` pair in order.
pub fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    raw.split(|&b| b == b'&')
        .filter(|p| !p.is_empty() && !p.contains(&b';'))
        .filter_map(|pair| {
            let mut it = pair.splitn(2, |&b| b == b'=');
            let key = decode(it.next().unwrap_or_default())?;
            let value = decode(it.next().unwrap_or_default())?;
            Some((key, value))
        })
        .collect()
}

/// Query parameters, keeping the first value of a repeated name (as PocketBase reads them).
pub fn query(raw: Option<&str>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in pairs(raw.unwrap_or_default().as_bytes()) {
        out.entry(k).or_insert(v);
    }
    out
}

fn decode(s: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_and_bad_escapes_are_dropped() {
        let q = query(Some("filter=a%3D1&filter=b&x=%ZZ&y=a+b&z=%C3%A9&perPage=1;x=1"));
        assert!(!q.contains_key("perPage"), "a pair with `;` is dropped, as Go does");
        assert_eq!(q.get("filter").map(String::as_str), Some("a=1"));
        assert!(!q.contains_key("x"));
        assert_eq!(q.get("y").map(String::as_str), Some("a b"));
        assert_eq!(q.get("z").map(String::as_str), Some("é"));
    }
}
