//! A subscription as PocketBase's `subscriptions.Client.Subscribe` reads it: the topic (what comes before
//! the first `?`) and the `options` query parameter, `{"query":{…},"headers":{…}}`, whose values are cast
//! to strings (`cast.ToString`) and whose header names are snake-cased (`inflector.Snakecase`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

/// The `query` and `headers` of a subscription's options, as rules and the record pickers see them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SubOptions {
    pub query: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
}

impl SubOptions {
    pub fn query(&self, key: &str) -> &str {
        self.query.get(key).map_or("", String::as_str)
    }
}

/// One subscription of a client.
#[derive(Debug, Clone)]
pub struct Sub {
    /// The subscription string as the client sent it: the name of its events.
    pub name: Arc<str>,
    /// `posts/*`, `posts/RECORD_ID` or `posts` (the name or id of a collection).
    pub topic: String,
    pub options: Arc<SubOptions>,
}

impl Sub {
    pub fn parse(raw: &str) -> Self {
        let topic = raw.split('?').next().unwrap_or_default().to_owned();
        Self { name: raw.into(), topic, options: Arc::new(options(raw)) }
    }
}

/// The options of a subscription string (empty when it has none or they do not parse, as in PocketBase).
fn options(raw: &str) -> SubOptions {
    // Go's url.Parse refuses control characters; a fragment is not part of the query.
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return SubOptions::default();
    }
    let Some((_, query)) = raw.split_once('?') else { return SubOptions::default() };
    let query = query.split('#').next().unwrap_or_default();
    let Some((_, json)) = crate::api::urlenc::pairs(query.as_bytes()).into_iter().find(|(k, _)| k == "options") else {
        return SubOptions::default();
    };
    let Ok(Value::Object(parsed)) = crate::api::body::go_json_whole(json.as_bytes()) else {
        return SubOptions::default();
    };
    let strings = |key: &str, name: fn(&str) -> String| -> BTreeMap<String, String> {
        match parsed.get(key) {
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (name(k), crate::validate::cast::to_string(v))).collect(),
            _ => BTreeMap::new(),
        }
    };
    let snakecase = |name: &str| crate::files::snakecase(name.as_bytes());
    SubOptions { query: strings("query", str::to_owned), headers: strings("headers", snakecase) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_options() {
        let s = Sub::parse("posts/*");
        assert_eq!((s.topic.as_str(), &*s.options), ("posts/*", &SubOptions::default()));
        // The JS SDK percent-encodes the options; a raw JSON value works too.
        let s = Sub::parse(
            "posts/abc?options=%7B%22query%22%3A%7B%22filter%22%3A%22views%20%3E%201%22%2C%22n%22%3A5%7D%2C%22headers%22%3A%7B%22X-Token%22%3A%22t%22%7D%7D",
        );
        assert_eq!(s.topic, "posts/abc");
        assert_eq!(s.options.query("filter"), "views > 1");
        assert_eq!(s.options.query("n"), "5");
        assert_eq!(s.options.headers.get("x_token").map(String::as_str), Some("t"));
        let s = Sub::parse(r#"tags?options={"query":{"fields":"id"}}"#);
        assert_eq!((s.topic.as_str(), s.options.query("fields")), ("tags", "id"));
        assert_eq!(Sub::parse("tags?options=notjson").options.query, BTreeMap::new());
    }
}
