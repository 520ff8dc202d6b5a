//! Reading a JSON request body the way PocketBase does (forms and multipart are in `crate::files`).

use axum::http::{HeaderMap, header};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::ApiError;

/// The media type of the request, lowercased, without parameters.
pub fn mime(headers: &HeaderMap) -> String {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Like Go's `json.Decoder.Decode` into a map: the first JSON value is read and the rest ignored; `null`
/// (or nothing) is an empty object; anything else that is not an object is PocketBase's generic 400.
pub fn json(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match go_json(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) | Err(_) => Err(ApiError::bad_request()),
    }
}

/// Like [`go_json`], but the whole input must be that one value (trailing data is an error).
pub fn go_json_whole(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| de::Error::custom(e.to_string()))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Unique.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// The first JSON value of `bytes` as Go's `encoding/json/v2` decoder reads it: trailing data ignored;
/// invalid UTF-8 and duplicate object keys (at any depth) are errors.
pub fn go_json(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| de::Error::custom(e.to_string()))?;
    let mut de = serde_json::Deserializer::from_str(text);
    Unique.deserialize(&mut de)
}

/// A JSON value with every object's keys checked for duplicates.
struct Unique;

impl<'de> DeserializeSeed<'de> for Unique {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Unique.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Unique)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(Unique)?;
            if map.insert(key.clone(), value).is_some() {
                return Err(de::Error::custom(format!("duplicate object member name {key:?}")));
            }
        }
        Ok(Value::Object(map))
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
