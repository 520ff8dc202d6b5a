//! The list endpoint's query parameters, read as PocketBase reads them.

use std::collections::HashMap;

use super::error::ApiError;

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
    /// Numbers must be integers (Go's `strconv.Atoi`) and booleans Go booleans, or the request is PocketBase's
    /// 400; zero and negative numbers fall back to the defaults.
    pub fn from_query(q: &HashMap<String, String>) -> Result<Self, ApiError> {
        let number = |key: &str| -> Result<Option<u64>, ApiError> {
            match q.get(key).map(String::as_str) {
                None | Some("") => Ok(None),
                Some(v) => v.parse::<i64>().map(|n| (n > 0).then_some(n as u64)).map_err(|_| ApiError::bad_request()),
            }
        };
        let skip_total = match q.get("skipTotal").map(String::as_str) {
            None | Some("") => false,
            Some("1" | "t" | "T" | "true" | "TRUE" | "True") => true,
            Some("0" | "f" | "F" | "false" | "FALSE" | "False") => false,
            Some(_) => return Err(ApiError::bad_request()),
        };
        Ok(Self {
            page: number("page")?.unwrap_or(1),
            per_page: number("perPage")?.unwrap_or(DEFAULT_PER_PAGE).min(MAX_PER_PAGE),
            sort: q.get("sort").cloned().unwrap_or_default(),
            filter: q.get("filter").cloned().unwrap_or_default(),
            skip_total,
        })
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
        let p = ListParams::from_query(&q(&[])).unwrap();
        assert_eq!((p.page, p.per_page, p.skip_total), (1, 30, false));
        let p = ListParams::from_query(&q(&[("page", "0"), ("perPage", "5000"), ("skipTotal", "1")])).unwrap();
        assert_eq!((p.page, p.per_page, p.skip_total), (1, 1000, true));
        let p = ListParams::from_query(&q(&[("page", "-1"), ("perPage", "-3")])).unwrap();
        assert_eq!((p.page, p.per_page), (1, 30));
        let p = ListParams::from_query(&q(&[("page", "3"), ("perPage", "10")])).unwrap();
        assert_eq!(p.offset(), 20);
        for bad in [
            ("page", "abc"),
            ("perPage", "2.5"),
            ("page", " 2"),
            ("page", "99999999999999999999"),
            ("skipTotal", "yes"),
        ] {
            assert!(ListParams::from_query(&q(&[bad])).is_err(), "{bad:?}");
        }
    }
}
