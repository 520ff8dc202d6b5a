//! What a rule can ask about the request (`@request.*`), gathered once per request.

use std::collections::{BTreeMap, HashMap};

use axum::http::{HeaderMap, Method};

use crate::filter::sql::{RequestValues, Value};

/// The request values for a guest (auth comes with the auth issue).
pub fn values(method: &Method, query: &HashMap<String, String>, headers: &HeaderMap, body: Value) -> RequestValues {
    RequestValues {
        auth: None,
        body,
        query: query.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase().replace('-', "_"), v.to_str().ok()?.to_owned())))
            .collect::<BTreeMap<_, _>>(),
        method: method.as_str().to_owned(),
        context: "default".to_owned(),
        now_unix_millis: chrono::Utc::now().timestamp_millis(),
    }
}
