//! The list endpoint's query parameters, read as PocketBase reads them.

use std::collections::HashMap;

/// PocketBase's defaults and cap for `perPage`.
pub const DEFAULT_PER_PAGE: u64 = 30;
pub const MAX_PER_PAGE: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    pub page: u64,
    pub per_page: u64,
    pub sort: String,
    pub filter: String,
    pub skip_total: bool,
}

impl ListParams {
    /// Unparsable or non-positive numbers fall back to the defaults, as in PocketBase.
    pub fn from_query(q: &HashMap<String, String>) -> Self {
        let number =
            |key: &str| q.get(key).and_then(|v| v.trim().parse::<i64>().ok()).filter(|n| *n > 0).map(|n| n as u64);
        Self {
            page: number("page").unwrap_or(1),
            per_page: number("perPage").unwrap_or(DEFAULT_PER_PAGE).min(MAX_PER_PAGE),
            sort: q.get("sort").cloned().unwrap_or_default(),
            filter: q.get("filter").cloned().unwrap_or_default(),
            skip_total: q.get("skipTotal").is_some_and(|v| matches!(v.as_str(), "1" | "true" | "t" | "TRUE" | "True")),
        }
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_and_limits() {
        let p = ListParams::from_query(&q(&[]));
        assert_eq!((p.page, p.per_page, p.skip_total), (1, 30, false));
        let p = ListParams::from_query(&q(&[("page", "0"), ("perPage", "5000"), ("skipTotal", "1")]));
        assert_eq!((p.page, p.per_page, p.skip_total), (1, 1000, true));
        let p = ListParams::from_query(&q(&[("page", "abc"), ("perPage", "-3")]));
        assert_eq!((p.page, p.per_page), (1, 30));
        let p = ListParams::from_query(&q(&[("page", "3"), ("perPage", "10")]));
        assert_eq!(p.offset(), 20);
    }
}
