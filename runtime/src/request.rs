//! What a rule can ask about the request (`@request.*`), gathered once per request.

use std::collections::{BTreeMap, HashMap};

use axum::http::{HeaderMap, Method};

use crate::filter::sql::{RequestValues, Value};

/// The request values for a guest (the caller adds `auth`).
pub fn values(method: &Method, query: &HashMap<String, String>, headers: &HeaderMap, body: Value) -> RequestValues {
    RequestValues {
        auth: None,
        body,
        query: query.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        headers: header_values(headers),
        method: method.as_str().to_owned(),
        context: "default".to_owned(),
        now_unix_millis: chrono::Utc::now().timestamp_millis(),
    }
}

/// `@request.headers.*`: each header's first value under PocketBase's key, `inflector.Snakecase` of the name
/// (`X-Api-Key` → `x_api_key`, `x--a` → `x_a`).
fn header_values(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in headers.keys() {
        if let Some(first) = headers.get(name).and_then(|v| v.to_str().ok()) {
            out.entry(crate::files::snakecase(name.as_str().as_bytes())).or_insert_with(|| first.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn header_keys_are_snakecased_and_the_first_value_wins() {
        let mut headers = HeaderMap::new();
        headers.append("x-api-key", HeaderValue::from_static("k"));
        headers.append("x--a", HeaderValue::from_static("first"));
        headers.append("x--a", HeaderValue::from_static("second"));
        headers.append("x.token_2", HeaderValue::from_static("t"));
        let values = header_values(&headers);
        let got: Vec<(&str, &str)> = values.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, [("x_a", "first"), ("x_api_key", "k"), ("x_token_2", "t")]);
    }
}
