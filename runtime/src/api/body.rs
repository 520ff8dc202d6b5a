//! Reading a create/update request body the way PocketBase does: JSON, urlencoded form, or multipart.

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::error::ApiError;

/// The submitted fields (files come separately, from multipart bodies).
pub fn parse(headers: &HeaderMap, bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match mime.as_str() {
        "application/x-www-form-urlencoded" => Ok(form(bytes)),
        // PocketBase reads any other body as JSON; one it cannot decode is its generic 400.
        _ => match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) | Err(_) => Err(ApiError::bad_request()),
        },
    }
}

/// A urlencoded body: repeated keys make arrays.
fn form(bytes: &[u8]) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in url_pairs(bytes) {
        match out.get_mut(&k) {
            Some(Value::Array(items)) => items.push(Value::String(v)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v)]);
            }
            None => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

fn url_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    bytes
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut it = pair.splitn(2, |&b| b == b'=');
            let k = decode(it.next().unwrap_or_default());
            let v = decode(it.next().unwrap_or_default());
            (k, v)
        })
        .collect()
}

fn decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => {
                match u8::from_str_radix(std::str::from_utf8(&s[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_forms() {
        let m = form(b"a=1&b=x+y&a=2&c=%C3%A9&d=%zz");
        assert_eq!(Value::Object(m).to_string(), r#"{"a":["1","2"],"b":"x y","c":"é","d":"%zz"}"#);
    }

    #[test]
    fn json_objects_only() {
        let h = HeaderMap::new();
        assert!(parse(&h, br#"{"a":1}"#).is_ok());
        assert!(parse(&h, b"[1]").is_err());
        assert!(parse(&h, b"{bad").is_err());
        assert!(parse(&h, b"  ").unwrap().is_empty());
    }
}
