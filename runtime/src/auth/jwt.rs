//! HS256 JSON Web Tokens exactly as PocketBase 0.40 writes and checks them (`tools/security/jwt.go` on
//! `golang-jwt/jwt/v5` 5.3).
//!
//! Written: header `{"alg":"HS256","typ":"JWT"}` and the claims with their keys sorted (a Go map), no
//! padding, URL-safe base64, HMAC-SHA256 over `header.payload`. `<`, `>`, `&`, U+2028 and U+2029 in
//! strings are escaped as Go's `encoding/json` does.
//!
//! Checked ([`parse_unverified`] then [`verify`], PocketBase's `ParseUnverifiedJWT` + `ParseJWT`):
//! * three `.`-separated segments, each URL-safe base64 without padding (`=` is an error; non-zero
//!   trailing bits are accepted, as Go's non-strict decoder accepts them);
//! * the header a JSON object whose `alg` is a string; the claims a JSON object (or `null`), no trailing
//!   data, invalid UTF-8 replaced as Go's decoder does;
//! * `exp` (if present and not 0) a number later than now; `nbf` and `iat` (if present and not 0) numbers
//!   not later than now; any of them of another JSON type is an error (Go: "invalid type for claim");
//! * [`verify`]: `alg` exactly `HS256` (so `none`, `HS512`, `hs256` all fail) and the signature the HMAC of
//!   the first two segments under the key, compared in constant time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

/// `base64.RawURLEncoding` as Go decodes it (no padding allowed, trailing bits ignored).
const GO_RAW_URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// The header every PocketBase token has, as Go marshals it (keys sorted).
pub const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Why a token was refused (all of them make the requester a guest; kept apart for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtError {
    /// Not three segments, bad base64, the header or claims not JSON objects.
    Malformed,
    /// The header's `alg` is missing, not a string, or (in [`verify`]) not `HS256`.
    Algorithm,
    /// `exp` is past.
    Expired,
    /// `nbf` or `iat` is in the future.
    NotYetValid,
    /// `exp`, `nbf` or `iat` is not a number.
    ClaimType,
    /// The signature does not match.
    Signature,
}

impl std::fmt::Display for JwtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JwtError::Malformed => "token is malformed",
            JwtError::Algorithm => "signing method is missing or invalid",
            JwtError::Expired => "token is expired",
            JwtError::NotYetValid => "token is not valid yet",
            JwtError::ClaimType => "invalid type for a time claim",
            JwtError::Signature => "signature is invalid",
        })
    }
}

impl std::error::Error for JwtError {}

/// A token split and decoded, its time claims checked, its signature not yet.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub header: Map<String, Value>,
    /// Empty when the payload was JSON `null`.
    pub claims: Map<String, Value>,
    /// `header.payload` as received: what the signature covers.
    signing_input: String,
    signature: String,
}

impl Parsed {
    /// A string claim (`id`, `collectionId`, `type`, …); `None` when missing or not a string.
    pub fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// Splits and decodes `token` and checks its time claims against `now` (PocketBase's
/// `security.ParseUnverifiedJWT`). The signature is checked by [`verify`].
pub fn parse_unverified(token: &str, now: SystemTime) -> Result<Parsed, JwtError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err(JwtError::Malformed);
    };
    let header_json = decode_segment(header)?;
    let header_map = match serde_json::from_str::<Value>(&String::from_utf8_lossy(&header_json)) {
        Ok(Value::Object(map)) => map,
        Ok(Value::Null) => Map::new(),
        _ => return Err(JwtError::Malformed),
    };
    let claims_json = decode_segment(payload)?;
    let claims = match serde_json::from_str::<Value>(&String::from_utf8_lossy(&claims_json)) {
        Ok(Value::Object(map)) => map,
        Ok(Value::Null) => Map::new(),
        _ => return Err(JwtError::Malformed),
    };
    if !matches!(header_map.get("alg"), Some(Value::String(_))) {
        return Err(JwtError::Algorithm);
    }
    check_times(&claims, now)?;
    Ok(Parsed {
        header: header_map,
        claims,
        signing_input: format!("{header}.{payload}"),
        signature: signature.to_owned(),
    })
}

/// The claims of a token whatever else is wrong with it (expired, not yet valid, any `alg`, bad signature),
/// as Go's `jwt.ParseUnverified` fills them in; empty when the token does not decode that far. PocketBase
/// reads the `email` and `newEmail` claims of the auth flows' tokens this way before checking them.
pub fn claims_unchecked(token: &str) -> Map<String, Value> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, _] = parts[..] else { return Map::new() };
    let json = |segment: &str| -> Option<Value> {
        serde_json::from_str(&String::from_utf8_lossy(&decode_segment(segment).ok()?)).ok()
    };
    if !matches!(json(header), Some(Value::Object(_) | Value::Null)) {
        return Map::new();
    }
    match json(payload) {
        Some(Value::Object(claims)) => claims,
        _ => Map::new(),
    }
}

/// Checks that the token is HS256 and signed with `key` (PocketBase's `security.ParseJWT`, after
/// [`parse_unverified`] has checked the rest).
pub fn verify(parsed: &Parsed, key: &[u8]) -> Result<(), JwtError> {
    if parsed.header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(JwtError::Algorithm);
    }
    let signature = decode_segment(&parsed.signature)?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| JwtError::Signature)?;
    mac.update(parsed.signing_input.as_bytes());
    mac.verify_slice(&signature).map_err(|_| JwtError::Signature)
}

/// A token with `claims` (plus `exp` = now + `duration`), signed with `key`: PocketBase's `security.NewJWT`.
pub fn sign(claims: &Map<String, Value>, key: &[u8], duration: Duration, now: SystemTime) -> String {
    let exp = now.checked_add(duration).unwrap_or(now).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // Go writes a map with its keys sorted; `exp` first so a claim of the same name overrides it, as in Go.
    let mut sorted: std::collections::BTreeMap<&str, &Value> = std::collections::BTreeMap::new();
    let exp = Value::from(exp);
    sorted.insert("exp", &exp);
    for (k, v) in claims {
        sorted.insert(k, v);
    }
    let payload = go_escape(&serde_json::to_string(&sorted).unwrap_or_default());
    encode(HEADER, &payload, key)
}

/// `base64url(header).base64url(payload).base64url(HMAC-SHA256)` for the given JSON texts as they are. For
/// tests that need tokens PocketBase's own code would never write.
pub fn encode(header_json: &str, payload_json: &str, key: &[u8]) -> String {
    let input = format!("{}.{}", GO_RAW_URL.encode(header_json), GO_RAW_URL.encode(payload_json));
    let signature = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    };
    format!("{input}.{}", GO_RAW_URL.encode(signature))
}

/// A segment as `jwt.Parser.DecodeSegment` reads it (Go's decoder skips `\r` and `\n`).
fn decode_segment(segment: &str) -> Result<Vec<u8>, JwtError> {
    let cleaned: String;
    let segment = if segment.contains(['\r', '\n']) {
        cleaned = segment.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        cleaned.as_str()
    } else {
        segment
    };
    GO_RAW_URL.decode(segment).map_err(|_| JwtError::Malformed)
}

/// `exp`, `nbf` and `iat` as `jwt.Validator` checks them (no leeway; `exp` must be strictly after now).
fn check_times(claims: &Map<String, Value>, now: SystemTime) -> Result<(), JwtError> {
    let now = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    };
    if let Some(exp) = numeric_date(claims, "exp")?
        && now >= exp
    {
        return Err(JwtError::Expired);
    }
    for name in ["nbf", "iat"] {
        if let Some(t) = numeric_date(claims, name)?
            && now < t
        {
            return Err(JwtError::NotYetValid);
        }
    }
    Ok(())
}

/// A time claim in nanoseconds since the epoch, truncated to whole seconds as `jwt.NumericDate` keeps it;
/// `None` when absent or 0 (Go treats both as "not set").
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i128>, JwtError> {
    let Some(v) = claims.get(name) else {
        return Ok(None);
    };
    let f = v.as_f64().ok_or(JwtError::ClaimType)?;
    if f == 0.0 {
        return Ok(None);
    }
    // Go converts with int64(f): out of range it gives the minimum int64 on amd64, a date long past.
    if !(-9.2e18..9.2e18).contains(&f) {
        return Ok(Some(i128::from(i64::MIN) * 1_000_000_000));
    }
    // time.Unix(int64(whole), int64(frac*1e9)).Truncate(time.Second): whole seconds, rounded down
    Ok(Some((f.floor() as i128) * 1_000_000_000))
}

/// Go's `encoding/json` HTML-safe escaping of a compact JSON text (the characters only occur in strings).
fn go_escape(json: &str) -> String {
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"tokenKeyAAAAAAAAAAAAAAAAAAAAAAAsecretBBBBBBBBBBBBBBBBBBBBBBBB";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn signs_like_pocketbase() {
        // A token PocketBase 0.40.6 issued (users collection), re-created from its key and claims.
        let c = claims(
            json!({"type": "auth", "id": "l78ockhhq2zdsmx", "collectionId": "_pb_users_auth_", "refreshable": true}),
        );
        let token = sign(&c, KEY, Duration::from_secs(432000), at(1795222906));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts[0], "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
        assert_eq!(
            parts[1],
            "eyJjb2xsZWN0aW9uSWQiOiJfcGJfdXNlcnNfYXV0aF8iLCJleHAiOjE3OTU2NTQ5MDYsImlkIjoibDc4b2NraGhxMnpkc214IiwicmVmcmVzaGFibGUiOnRydWUsInR5cGUiOiJhdXRoIn0"
        );
        let parsed = parse_unverified(&token, at(1795222906)).unwrap();
        assert_eq!(parsed.str_claim("id"), Some("l78ockhhq2zdsmx"));
        verify(&parsed, KEY).unwrap();
        assert_eq!(verify(&parsed, b"other"), Err(JwtError::Signature));
    }

    #[test]
    fn html_characters_are_escaped_as_go_does() {
        let c = claims(json!({"email": "a&b<c>@x.com"}));
        let token = sign(&c, KEY, Duration::from_secs(1), at(10));
        let payload = GO_RAW_URL.decode(token.split('.').nth(1).unwrap()).unwrap();
        assert_eq!(String::from_utf8(payload).unwrap(), r#"{"email":"a\u0026b\u003cc\u003e@x.com","exp":11}"#);
    }

    #[test]
    fn expiry_is_strict_and_truncated_to_seconds() {
        let token = encode(HEADER, r#"{"exp":100.9}"#, KEY);
        assert!(parse_unverified(&token, at(99) + Duration::from_millis(999)).is_ok());
        assert_eq!(parse_unverified(&token, at(100)).unwrap_err(), JwtError::Expired);
        // 0 and absent mean "no expiry"
        assert!(parse_unverified(&encode(HEADER, r#"{"exp":0}"#, KEY), at(5)).is_ok());
        assert!(parse_unverified(&encode(HEADER, r#"{}"#, KEY), at(5)).is_ok());
        assert_eq!(
            parse_unverified(&encode(HEADER, r#"{"exp":"9999999999"}"#, KEY), at(5)).unwrap_err(),
            JwtError::ClaimType
        );
        assert_eq!(parse_unverified(&encode(HEADER, r#"{"exp":null}"#, KEY), at(5)).unwrap_err(), JwtError::ClaimType);
        assert_eq!(parse_unverified(&encode(HEADER, r#"{"exp":1e300}"#, KEY), at(5)).unwrap_err(), JwtError::Expired);
    }

    #[test]
    fn not_before_and_issued_at() {
        for claim in ["nbf", "iat"] {
            let token = encode(HEADER, &format!(r#"{{"{claim}":100}}"#), KEY);
            assert_eq!(parse_unverified(&token, at(99)).unwrap_err(), JwtError::NotYetValid);
            assert!(parse_unverified(&token, at(100)).is_ok());
        }
    }

    #[test]
    fn malformed_tokens() {
        let good = sign(&Map::new(), KEY, Duration::from_secs(60), at(0));
        let (h, rest) = good.split_once('.').unwrap();
        let (p, s) = rest.split_once('.').unwrap();
        for bad in [
            String::new(),
            "garbage".to_owned(),
            format!("{h}.{p}"),
            format!("{h}.{p}.{s}.x"),
            format!("{h}=.{p}.{s}"),
            format!("{h}.{p}!.{s}"),
            encode("[1]", "{}", KEY),
            encode("{}", "{}", KEY),
            encode(r#"{"alg":1}"#, "{}", KEY),
            encode(HEADER, "[]", KEY),
            encode(HEADER, "{} x", KEY),
            encode(&format!("{HEADER} x"), "{}", KEY),
        ] {
            let outcome = parse_unverified(&bad, at(0)).and_then(|p| verify(&p, KEY));
            assert!(outcome.is_err(), "{bad:?} was accepted");
        }
        assert!(parse_unverified(&good, at(0)).and_then(|p| verify(&p, KEY)).is_ok());
    }

    #[test]
    fn only_hs256_verifies() {
        for header in [r#"{"alg":"none","typ":"JWT"}"#, r#"{"alg":"HS512"}"#, r#"{"alg":"hs256"}"#] {
            let token = encode(header, "{}", KEY);
            let parsed = parse_unverified(&token, at(0)).unwrap();
            assert_eq!(verify(&parsed, KEY), Err(JwtError::Algorithm));
        }
        // `alg: none` with an empty signature
        let none = format!("{}.{}.", GO_RAW_URL.encode(r#"{"alg":"none"}"#), GO_RAW_URL.encode("{}"));
        assert_eq!(parse_unverified(&none, at(0)).and_then(|p| verify(&p, KEY)), Err(JwtError::Algorithm));
        // no `typ` is fine
        let token = encode(r#"{"alg":"HS256"}"#, "{}", KEY);
        assert!(verify(&parse_unverified(&token, at(0)).unwrap(), KEY).is_ok());
    }

    #[test]
    fn signature_bits_go_ignores() {
        let token = sign(&Map::new(), KEY, Duration::from_secs(60), at(0));
        // 32 bytes take 43 characters; the last one carries 2 unused bits
        let last = token.chars().last().unwrap();
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let index = alphabet.find(last).unwrap();
        let twin = alphabet.chars().nth(index ^ 1).unwrap();
        let tampered = format!("{}{twin}", &token[..token.len() - 1]);
        assert!(verify(&parse_unverified(&tampered, at(0)).unwrap(), KEY).is_ok());
        let flipped = alphabet.chars().nth(index ^ 4).unwrap();
        let tampered = format!("{}{flipped}", &token[..token.len() - 1]);
        assert_eq!(verify(&parse_unverified(&tampered, at(0)).unwrap(), KEY), Err(JwtError::Signature));
    }
}
