//! Reading a create/update request body the way PocketBase does: JSON, urlencoded form, or multipart.

use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value};

use super::error::ApiError;

/// The submitted fields (files come separately, from multipart bodies).
pub fn parse(headers: &HeaderMap, bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match mime(headers).as_str() {
        "application/json" => json(bytes),
        "application/x-www-form-urlencoded" => Ok(form(bytes)),
        _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "Unsupported Content-Type.")),
    }
}

/// The media type of the request, lowercased, without parameters.
pub fn mime(headers: &HeaderMap) -> String {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Like Go's `json.Decoder.Decode` into a map: the first JSON value is read and the rest ignored; `null`
/// is an empty object; anything else that is not an object is PocketBase's generic 400.
fn json(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::Deserializer::from_slice(bytes).into_iter::<Value>().next() {
        Some(Ok(Value::Object(map))) => Ok(map),
        Some(Ok(Value::Null)) | None => Ok(Map::new()),
        Some(Ok(_) | Err(_)) => Err(ApiError::bad_request()),
    }
}

/// A urlencoded body: repeated keys make arrays.
fn form(bytes: &[u8]) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in super::urlenc::pairs(bytes) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_forms() {
        let m = form(b"a=1&b=x+y&a=2&c=%C3%A9&d=%zz");
        assert_eq!(Value::Object(m).to_string(), r#"{"a":["1","2"],"b":"x y","c":"é"}"#);
    }

    #[test]
    fn json_like_go() {
        assert_eq!(json(br#"{"a":1} trailing"#).unwrap().len(), 1);
        assert!(json(b"null").unwrap().is_empty());
        assert!(json(b"  ").unwrap().is_empty());
        assert!(json(b"[1]").is_err());
        assert!(json(b"{bad").is_err());
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(parse(&h, b"{}").is_err(), "no content type");
        assert!(parse(&h, b"").unwrap().is_empty(), "an empty body needs none");
        h.insert(header::CONTENT_TYPE, "application/json; charset=utf-8".parse().unwrap());
        assert!(parse(&h, b"{}").is_ok());
        h.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert_eq!(parse(&h, b"{}").unwrap_err().message, "Unsupported Content-Type.");
    }
}
