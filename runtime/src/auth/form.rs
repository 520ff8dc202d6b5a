//! Request bodies of the auth endpoints, read as PocketBase's `BindBody` reads them into a struct (the
//! sign-in form) and into a map (`@request.body` for the auth rule).
//!
//! * Empty body: nothing is read.
//! * `Content-Type` starting with `application/json` (case-sensitive, as Go's prefix check): the first JSON
//!   value (trailing data is ignored), `null` or an object; duplicate object keys anywhere and invalid
//!   UTF-8 are errors (`encoding/json/v2`). Form fields match keys case-insensitively, ignoring
//!   `_` and `-` (v2's `MatchCaseInsensitiveNames`), two keys matching one field are an error, and a
//!   field's value must be a string or `null`.
//! * `application/x-www-form-urlencoded` and `multipart/form-data`: the first value of each exact key
//!   (the body's values, then the query's for urlencoded; the query's first for multipart), plus
//!   `@jsonPayload` objects.
//! * `text/xml`, `application/xml`: read as empty (PocketBase would decode XML into the form).
//! * Anything else with a body: 400 "Unsupported Content-Type.".

use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::api::body::go_json;
use crate::api::error::{ApiError, ApiResult};
use crate::files;
use crate::meta::CollectionMeta;
use crate::validate::{FieldError, FieldErrors};

/// `authWithPasswordForm`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PasswordForm {
    pub identity: String,
    pub password: String,
    pub identity_field: String,
}

/// 400 "An error occurred while loading the submitted data.": the form could not be read.
pub fn load_error() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "An error occurred while loading the submitted data.")
}

fn unsupported() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "Unsupported Content-Type.")
}

enum Kind {
    Json,
    Urlencoded,
    Multipart,
    Xml,
}

/// The `Content-Type` header as sent (`""` without one).
pub fn content_type(headers: &HeaderMap) -> &str {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn kind(headers: &HeaderMap) -> Result<Kind, ApiError> {
    let ctype = content_type(headers);
    if ctype.starts_with("application/json") {
        Ok(Kind::Json)
    } else if ctype.starts_with("multipart/form-data") {
        Ok(Kind::Multipart)
    } else if ctype.starts_with("application/x-www-form-urlencoded") {
        Ok(Kind::Urlencoded)
    } else if ctype.starts_with("text/xml") || ctype.starts_with("application/xml") {
        Ok(Kind::Xml)
    } else {
        Err(unsupported())
    }
}

/// The sign-in form and `@request.body` of an auth-with-password request.
pub async fn password_form(
    headers: &HeaderMap,
    raw_query: Option<&str>,
    body: &axum::body::Bytes,
    meta: &CollectionMeta<'_>,
) -> Result<(PasswordForm, Value), ApiError> {
    let ([identity, password, identity_field], data) =
        string_form(headers, raw_query, body, meta, ["identity", "password", "identityField"]).await?;
    Ok((PasswordForm { identity, password, identity_field }, data))
}

/// A form of string fields named `names` (json tags, e.g. `["token", "password", "passwordConfirm"]`) and
/// `@request.body`, read as `BindBody` reads them into PocketBase's small auth forms.
pub async fn string_form<const N: usize>(
    headers: &HeaderMap,
    raw_query: Option<&str>,
    body: &axum::body::Bytes,
    meta: &CollectionMeta<'_>,
    names: [&str; N],
) -> Result<([String; N], Value), ApiError> {
    let mut form: [String; N] = std::array::from_fn(|_| String::new());
    if body.is_empty() {
        return Ok((form, Value::Object(Map::new())));
    }
    match kind(headers)? {
        Kind::Json => {
            let data = go_json(body).map_err(|_| load_error())?;
            if let Value::Object(map) = &data {
                bind_json(&names, &mut form, map, true)?;
            } else if !data.is_null() {
                return Err(load_error());
            }
            Ok((form, if data.is_null() { Value::Object(Map::new()) } else { data }))
        }
        Kind::Urlencoded => {
            let (pairs, body_ok) = files::go_query(&String::from_utf8_lossy(body));
            let (query, query_ok) = files::go_query(raw_query.unwrap_or(""));
            if !body_ok || !query_ok {
                return Err(load_error());
            }
            bind_pairs(&names, &mut form, pairs.iter().chain(&query))?;
            let data = files::read_urlencoded(body, raw_query).map_err(|_| load_error())?;
            Ok((form, Value::Object(data)))
        }
        Kind::Multipart => {
            let read = files::read_multipart_bytes(content_type(headers), body.clone(), raw_query, meta)
                .await
                .map_err(|_| load_error())?;
            // the values are inferred (numbers, bools) and @jsonPayload is merged in: back to strings
            for (key, slot) in names.iter().zip(form.iter_mut()) {
                let value = match read.body.get(*key) {
                    Some(Value::Array(items)) => items.first(),
                    other => other,
                };
                *slot = match value {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(v @ (Value::Bool(_) | Value::Number(_))) => v.to_string(),
                    Some(_) => return Err(load_error()),
                };
            }
            Ok((form, Value::Object(read.body)))
        }
        Kind::Xml => Ok((form, Value::Object(Map::new()))),
    }
}

/// `@request.body` of other requests (PocketBase's `RequestInfo`): a malformed body is PocketBase's generic
/// 400.
pub async fn request_body(
    headers: &HeaderMap,
    raw_query: Option<&str>,
    body: &axum::body::Bytes,
    meta: &CollectionMeta<'_>,
) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match kind(headers)? {
        Kind::Json => match go_json(body).map_err(|_| ApiError::bad_request())? {
            Value::Null => Ok(Value::Object(Map::new())),
            v @ Value::Object(_) => Ok(v),
            _ => Err(ApiError::bad_request()),
        },
        Kind::Urlencoded => files::read_urlencoded(body, raw_query).map(Value::Object),
        Kind::Multipart => {
            let read = files::read_multipart_bytes(content_type(headers), body.clone(), raw_query, meta).await?;
            Ok(Value::Object(read.body))
        }
        Kind::Xml => Ok(Value::Object(Map::new())),
    }
}

/// The form's errors as PocketBase's 400, `Ok` when there are none.
pub fn validated(errors: impl IntoIterator<Item = (&'static str, Option<FieldError>)>) -> ApiResult<()> {
    let mut all = FieldErrors::new();
    for (field, error) in errors {
        if let Some(e) = error {
            all.insert(field, e);
        }
    }
    if all.is_empty() {
        return Ok(());
    }
    let Value::Object(data) = all.to_value() else { return Ok(()) };
    Err(ApiError::new(StatusCode::BAD_REQUEST, "An error occurred while validating the submitted data.")
        .with_data(data))
}

/// ozzo's `Required` then `Length(min, max)` (which counts bytes).
pub fn required_length(value: &str, min: usize, max: usize) -> Option<FieldError> {
    if value.is_empty() {
        return Some(FieldError::required());
    }
    if (min..=max).contains(&value.len()) {
        return None;
    }
    let message = if min == max {
        format!("The length must be exactly {min}.")
    } else {
        format!("The length must be between {min} and {max}.")
    };
    Some(FieldError::with_params("validation_length_out_of_range", message, json!({"max": max, "min": min})))
}

/// `Required, Length(1, 255), is.EmailFormat`.
pub fn email_error(value: &str) -> Option<FieldError> {
    required_length(value, 1, 255).or_else(|| {
        (!crate::validate::is_email(value))
            .then(|| FieldError::new("validation_is_email", "Must be a valid email address."))
    })
}

/// Form values from `(key, value)` pairs: the first value of each exact key, then `@jsonPayload` objects
/// (exact keys, as `json.Unmarshal` into the form).
fn bind_pairs<'a>(
    names: &[&str],
    form: &mut [String],
    pairs: impl Iterator<Item = &'a (String, String)>,
) -> Result<(), ApiError> {
    let mut seen = vec![false; names.len()];
    let mut payloads = Vec::new();
    for (k, v) in pairs {
        if k == files::JSON_PAYLOAD {
            payloads.push(v);
            continue;
        }
        let Some(slot) = names.iter().position(|n| n == k) else { continue };
        if !seen[slot] {
            seen[slot] = true;
            form[slot] = v.clone();
        }
    }
    for payload in payloads {
        match go_json(payload.as_bytes()).map_err(|_| load_error())? {
            Value::Object(map) => bind_json(names, form, &map, false)?,
            Value::Null => {}
            _ => return Err(load_error()),
        }
    }
    Ok(())
}

/// A JSON object into the form: `fold` matches names as `MatchCaseInsensitiveNames` does.
fn bind_json(names: &[&str], form: &mut [String], map: &Map<String, Value>, fold: bool) -> Result<(), ApiError> {
    let mut seen = vec![false; names.len()];
    for (key, value) in map {
        let matches = |name: &&str| if fold { folded(name) == folded(key) } else { name == key };
        let Some(slot) = names.iter().position(matches) else { continue };
        if std::mem::replace(&mut seen[slot], true) {
            return Err(load_error());
        }
        form[slot] = match value {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            _ => return Err(load_error()),
        };
    }
    Ok(())
}

/// A name as `encoding/json/v2` compares it case-insensitively: lower case, without `_` and `-`.
pub fn folded(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, '_' | '-')).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NAMES: [&str; 3] = ["identity", "password", "identityField"];

    fn form_of(json: &str) -> Result<PasswordForm, ApiError> {
        let mut form: [String; 3] = Default::default();
        match go_json(json.as_bytes()).map_err(|_| load_error())? {
            Value::Object(map) => bind_json(&NAMES, &mut form, &map, true)?,
            Value::Null => {}
            _ => return Err(load_error()),
        }
        let [identity, password, identity_field] = form;
        Ok(PasswordForm { identity, password, identity_field })
    }

    #[test]
    fn json_like_go_v2() {
        let f = form_of(r#"{"IDENTITY":"a","Pass_word":"b","identity-field":"email","x":{"y":[1]}}"#).unwrap();
        assert_eq!((f.identity.as_str(), f.password.as_str(), f.identity_field.as_str()), ("a", "b", "email"));
        assert_eq!(form_of(r#"{"identity":"a"} trailing"#).unwrap().identity, "a");
        assert_eq!(form_of(r#"{"identity":null}"#).unwrap().identity, "");
        assert_eq!(form_of("null").unwrap(), PasswordForm::default());
        for bad in [
            r#"{"identity":1}"#,
            r#"{"password":true}"#,
            r#"{"identity":"a","identity":"b"}"#,
            r#"{"identity":"a","Identity":"b"}"#,
            r#"{"x":{"a":1,"a":2}}"#,
            "[1]",
            "{bad",
        ] {
            assert!(form_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pairs_take_the_first_value_and_json_payloads() {
        let pairs = [
            ("identity".to_owned(), "a@b.co".to_owned()),
            ("identity".to_owned(), "other".to_owned()),
            ("IDENTITY".to_owned(), "ignored".to_owned()),
            ("@jsonPayload".to_owned(), r#"{"password":"pw"}"#.to_owned()),
        ];
        let mut form: [String; 3] = Default::default();
        bind_pairs(&NAMES, &mut form, pairs.iter()).unwrap();
        assert_eq!((form[0].as_str(), form[1].as_str()), ("a@b.co", "pw"));
        let bad = [("@jsonPayload".to_owned(), r#"{"password":5}"#.to_owned())];
        assert!(bind_pairs(&NAMES, &mut [String::new(), String::new(), String::new()], bad.iter()).is_err());
    }

    #[test]
    fn lengths_count_bytes_as_ozzo_does() {
        assert_eq!(required_length("", 1, 255), Some(FieldError::required()));
        assert!(required_length(&"é".repeat(127), 1, 255).is_none());
        let long = required_length(&"é".repeat(128), 1, 255).unwrap();
        assert_eq!(
            (long.code, long.message.as_str()),
            ("validation_length_out_of_range", "The length must be between 1 and 255.")
        );
        assert_eq!(email_error("nope").unwrap().code, "validation_is_email");
        assert!(email_error("a@b.co").is_none());
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        assert!(go_json(b"{\"a\":\"x\xff\"}").is_err());
        assert_eq!(go_json("{\"a\":\"\u{ff}\"}".as_bytes()).unwrap(), json!({"a": "\u{ff}"}));
    }
}
