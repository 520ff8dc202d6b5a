//! Rate limits as PocketBase 0.40 applies them: rules matched by label (`users:authWithPassword`, `*:auth`,
//! `POST /api/collections/`, `/api/`), for guests, signed-in users or both, counted in fixed windows per
//! rule and client IP; superusers are never limited; an exceeded rule is PocketBase's 429.
//!
//! PocketBase ships its rules switched off. pbgen switches one on by default, [`DEFAULT_RULES`]: sign-in
//! attempts (`*:auth`), so password guessing is slowed without tripping ordinary clients. `serve
//! --rate-limits` takes `off`, `pocketbase` (PocketBase's default rule set), or a JSON array of PocketBase
//! rule objects (inline or a file path).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::error::ApiError;

/// pbgen's default: sign-in attempts, 5 per 3 seconds per client IP and collection.
pub const DEFAULT_RULES: &str = r#"[{"label":"*:auth","maxRequests":5,"duration":3}]"#;
/// PocketBase's default rule set (which PocketBase ships disabled).
pub const POCKETBASE_RULES: &str = r#"[
  {"label":"*:auth","maxRequests":2,"duration":3},
  {"label":"*:create","maxRequests":20,"duration":5},
  {"label":"/api/batch","maxRequests":3,"duration":1},
  {"label":"/api/","maxRequests":300,"duration":10}
]"#;

/// One PocketBase rate limit rule (`settings.rateLimits.rules[]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateRule {
    /// A tag (`users:create`, `*:auth`), a path (`/api/health`, `POST /api/collections`) or a path prefix
    /// ending in `/`.
    pub label: String,
    /// `""` everyone, `"@guest"` guests only, `"@auth"` signed-in requesters only.
    #[serde(default)]
    pub audience: String,
    pub max_requests: u32,
    /// Seconds per window.
    pub duration: u64,
}

/// The rules in force (empty: no limits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub rules: Vec<RateRule>,
}

impl RateLimits {
    /// `off`, `default`, `pocketbase`, a JSON array of rules, or the path of a file holding one.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let json = match spec.trim() {
            "off" => return Ok(Self::default()),
            "default" => DEFAULT_RULES.to_owned(),
            "pocketbase" => POCKETBASE_RULES.to_owned(),
            s if s.starts_with('[') => s.to_owned(),
            path => std::fs::read_to_string(path).map_err(|e| format!("--rate-limits {path}: {e}"))?,
        };
        let rules: Vec<RateRule> =
            serde_json::from_str(&json).map_err(|e| format!("--rate-limits: not a list of rate limit rules: {e}"))?;
        for (i, r) in rules.iter().enumerate() {
            if r.label.is_empty() || r.max_requests == 0 || r.duration == 0 {
                return Err(format!("--rate-limits: rule {i} needs a label, maxRequests >= 1 and duration >= 1"));
            }
            if !matches!(r.audience.as_str(), "" | "@guest" | "@auth") {
                return Err(format!("--rate-limits: rule {i}: audience must be \"\", \"@guest\" or \"@auth\""));
            }
        }
        Ok(Self { rules })
    }

    pub fn pbgen_default() -> Self {
        Self::parse(DEFAULT_RULES).expect("the default rules parse")
    }

    /// PocketBase's `FindRateLimitRule`: the first label (in the caller's order) with a rule for one of the
    /// audiences; a rule ending in `/` also matches, as a prefix, the first label (the method-less path
    /// label is tried with it too).
    fn find(&self, labels: &[String], audiences: &[&str]) -> Option<&RateRule> {
        let usable = |r: &RateRule| audiences.contains(&r.audience.as_str());
        for label in labels {
            if let Some(rule) = self.rules.iter().find(|r| usable(r) && &r.label == label) {
                return Some(rule);
            }
            let with_slash = format!("{label}/");
            let prefix = |r: &RateRule| r.label.ends_with('/') && with_slash.starts_with(&r.label);
            if let Some(rule) = self.rules.iter().find(|r| usable(r) && prefix(r)) {
                return Some(rule);
            }
        }
        None
    }
}

/// A fixed window of one rule for one client.
struct Window {
    start: Instant,
    available: u32,
}

/// The counters; shared by every request.
pub struct Limiter {
    limits: RateLimits,
    windows: Mutex<HashMap<(String, IpAddr), Window>>,
}

/// Windows kept before a sweep drops the expired ones.
const SWEEP_AT: usize = 10_000;

impl Limiter {
    pub fn new(limits: RateLimits) -> Arc<Self> {
        Arc::new(Self { limits, windows: Mutex::default() })
    }

    /// Takes one request from the window of `key` and `ip`; false when it is used up.
    fn consume(&self, key: String, ip: IpAddr, rule: &RateRule) -> bool {
        let now = Instant::now();
        let interval = std::time::Duration::from_secs(rule.duration);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, w| now.duration_since(w.start) < interval.max(std::time::Duration::from_secs(1800)));
        }
        let window = windows.entry((key, ip)).or_insert(Window { start: now, available: rule.max_requests });
        if now.duration_since(window.start) >= interval {
            *window = Window { start: now, available: rule.max_requests };
        }
        match window.available {
            0 => false,
            _ => {
                window.available -= 1;
                true
            }
        }
    }
}

/// The action tags PocketBase gives a collection route (`records` CRUD and the auth endpoints).
fn collection_tags(method: &Method, rest: &str) -> &'static [&'static str] {
    match (method.as_str(), rest) {
        ("GET", "records") => &["list"],
        ("POST", "records") => &["create"],
        ("GET", r) if r.starts_with("records/") => &["view"],
        ("PATCH", r) if r.starts_with("records/") => &["update"],
        ("DELETE", r) if r.starts_with("records/") => &["delete"],
        ("GET", "auth-methods") => &["listAuthMethods"],
        ("POST", "auth-refresh") => &["authRefresh"],
        ("POST", "auth-with-password") => &["authWithPassword", "auth"],
        ("POST", "auth-with-oauth2") => &["authWithOAuth2", "auth"],
        ("POST", "request-otp") => &["requestOTP"],
        ("POST", "auth-with-otp") => &["authWithOTP", "auth"],
        ("POST", "request-password-reset") => &["requestPasswordReset"],
        ("POST", "confirm-password-reset") => &["confirmPasswordReset"],
        ("POST", "request-verification") => &["requestVerification"],
        ("POST", "confirm-verification") => &["confirmVerification"],
        ("POST", "request-email-change") => &["requestEmailChange"],
        ("POST", "confirm-email-change") => &["confirmEmailChange"],
        _ => &[],
    }
}

/// The labels to look rules up by, most specific first, and the key prefix of the counters: for a
/// collection route `[name:tag…, *:tag…, "METHOD /path", "/path"]` keyed by collection and route, as in
/// PocketBase's `checkCollectionRateLimit`; for any other route the two path labels.
fn labels(state: &AppState, method: &Method, path: &str) -> (Vec<String>, String) {
    let path_labels = [format!("{method} {path}"), path.to_owned()];
    let collection_route = path.strip_prefix("/api/collections/").and_then(|rest| rest.split_once('/'));
    if let Some((name, rest)) = collection_route
        && let Some(api) = state.app.collection(name)
    {
        let tags = collection_tags(method, rest);
        if !tags.is_empty() {
            let mut labels: Vec<String> = tags.iter().map(|t| format!("{}:{t}", api.meta.name)).collect();
            labels.extend(tags.iter().map(|t| format!("*:{t}")));
            labels.extend(path_labels);
            let route = rest.split('/').next().unwrap_or(rest);
            return (labels, format!("{}{method}{route}{}", api.meta.id, tags.join("")));
        }
    }
    (path_labels.to_vec(), String::new())
}

/// The middleware: finds the rule for the request (only then authenticates it, to know its audience and
/// skip superusers), and answers 429 when the rule's window is used up.
pub(super) async fn limit(
    State((state, limiter)): State<(AppState, Arc<Limiter>)>,
    request: Request,
    next: Next,
) -> Response {
    if limiter.limits.rules.is_empty() {
        return next.run(request).await;
    }
    // PocketBase skips requests without a client IP (`RealIP` empty); in-process routers have none.
    let Some(ip) = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
        return next.run(request).await;
    };
    let (labels, key) = labels(&state, request.method(), request.uri().path());
    if limiter.limits.find(&labels, &["", "@guest", "@auth"]).is_none() {
        return next.run(request).await;
    }
    let auth = crate::auth::authenticate(&state, request.headers()).await;
    if auth.as_ref().is_some_and(|a| a.is_superuser()) {
        return next.run(request).await;
    }
    let audiences = if auth.is_some() { ["", "@auth"] } else { ["", "@guest"] };
    if let Some(rule) = limiter.limits.find(&labels, &audiences) {
        let key = if key.is_empty() { format!("{}{}", rule.label, rule.audience) } else { key + &rule.audience };
        if !limiter.consume(key, ip, rule) {
            tracing::debug!(?rule, %ip, "rate limit rule triggered");
            return ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests.").into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(label: &str, audience: &str) -> RateRule {
        RateRule { label: label.into(), audience: audience.into(), max_requests: 1, duration: 1 }
    }

    fn labels(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rules_are_found_as_pocketbase_finds_them() {
        let limits =
            RateLimits { rules: vec![rule("/api/", ""), rule("*:auth", ""), rule("users:authWithPassword", "@guest")] };
        let auth = labels(&[
            "users:authWithPassword",
            "users:auth",
            "*:authWithPassword",
            "*:auth",
            "POST /api/collections/users/auth-with-password",
            "/api/collections/users/auth-with-password",
        ]);
        // the most specific label wins, within the audience
        assert_eq!(limits.find(&auth, &["", "@guest"]).unwrap().label, "users:authWithPassword");
        assert_eq!(limits.find(&auth, &["", "@auth"]).unwrap().label, "*:auth");
        // a prefix rule matches the path labels
        let health = labels(&["GET /api/health", "/api/health"]);
        assert_eq!(limits.find(&health, &["", "@guest"]).unwrap().label, "/api/");
        assert_eq!(limits.find(&labels(&["GET /other", "/other"]), &["", "@guest"]), None);
    }

    #[test]
    fn windows_allow_max_requests_then_refuse_until_they_reset() {
        let limiter = Limiter::new(RateLimits::default());
        let r = RateRule { label: "x".into(), audience: String::new(), max_requests: 2, duration: 1 };
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(limiter.consume("k".into(), ip, &r));
        assert!(limiter.consume("k".into(), ip, &r));
        assert!(!limiter.consume("k".into(), ip, &r));
        // another client and another key have their own windows
        assert!(limiter.consume("k".into(), "127.0.0.2".parse().unwrap(), &r));
        assert!(limiter.consume("other".into(), ip, &r));
        std::thread::sleep(std::time::Duration::from_millis(1050));
        assert!(limiter.consume("k".into(), ip, &r));
    }

    #[test]
    fn specs_parse_and_bad_ones_are_refused() {
        assert_eq!(RateLimits::parse("off").unwrap().rules, vec![]);
        assert_eq!(RateLimits::parse("pocketbase").unwrap().rules.len(), 4);
        assert_eq!(RateLimits::pbgen_default().rules[0].label, "*:auth");
        assert!(RateLimits::parse(r#"[{"label":"x","maxRequests":0,"duration":1}]"#).is_err());
        assert!(RateLimits::parse(r#"[{"label":"x","maxRequests":1,"duration":1,"audience":"@all"}]"#).is_err());
        assert!(RateLimits::parse("/nonexistent/rules.json").is_err());
    }
}
