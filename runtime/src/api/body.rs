//! Reading a JSON request body the way PocketBase does (forms and multipart are in `crate::files`).

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::error::ApiError;

/// The media type of the request, lowercased, without parameters.
pub fn mime(headers: &HeaderMap) -> String {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Like Go's `json.Decoder.Decode` into a map: the first JSON value is read and the rest ignored; `null`
/// is an empty object; anything else that is not an object is PocketBase's generic 400.
pub fn json(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::Deserializer::from_slice(bytes).into_iter::<Value>().next() {
        Some(Ok(Value::Object(map))) => Ok(map),
        Some(Ok(Value::Null)) | None => Ok(Map::new()),
        Some(Ok(_) | Err(_)) => Err(ApiError::bad_request()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_like_go() {
        assert_eq!(json(br#"{"a":1} trailing"#).unwrap().len(), 1);
        assert!(json(b"null").unwrap().is_empty());
        assert!(json(b"  ").unwrap().is_empty());
        assert!(json(b"[1]").is_err());
        assert!(json(b"{bad").is_err());
    }
}
