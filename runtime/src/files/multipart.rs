//! Request bodies sent as `multipart/form-data` (or `application/x-www-form-urlencoded`), read the way
//! PocketBase 0.40's `BindBody` + `router.UnmarshalRequestData` + `extractUploadedFiles` read them.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::{names, sniff};
use crate::api::body::go_json_whole;
use crate::api::error::ApiError;
use crate::meta::{CollectionMeta, FieldKind};
use crate::validate::{Upload, UploadedFile};

/// The key whose values are JSON objects merged into the body.
pub const JSON_PAYLOAD: &str = "@jsonPayload";

/// A multipart request body as PocketBase reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MultipartBody {
    /// The request data (`@request.body`, and what `prepare_create`/`prepare_update` take):
    /// * the URL's query parameters come first (Go's `Request.Form` holds them too), then the text parts;
    /// * a key with one value maps to it, a repeated key to an array;
    /// * each value is inferred: `"true"`/`"false"` → bool; a string of `-`, `.` and digits starting with
    ///   `-` or a digit whose shortest float formatting is the string itself → number (`"12"`, `"-1.5"`,
    ///   but not `"0123"`, `"1.50"`, `".5"`, `"1e5"`); anything else (`""` too) stays a string;
    /// * then every `@jsonPayload` value, in order, is a JSON object merged in as Go's `encoding/json/v2`
    ///   unmarshals into an existing map: objects merge key by key (recursively), other values replace,
    ///   `null` resets (a top-level `null` empties the whole body), and a value of another JSON kind than
    ///   the existing one (`{"views": "x"}` over an inferred number) is an error, as are duplicate keys.
    ///
    /// Text parts without a name are skipped; a part with an empty `filename=""` is a text part.
    pub body: Map<String, Value>,
    /// File parts under a file field's name, `+name` (prepend) or `name+` (append), in request order,
    /// named and sniffed for validation (`UploadedFile.name` is the stored name, `original_name` the
    /// client's base name, `mime` the sniffed type as PocketBase stores it). File parts under other keys
    /// are ignored, as PocketBase ignores them.
    pub uploads: Vec<Upload>,
    /// The content of each upload, by stored name (index-aligned with `uploads`).
    pub files: Vec<(String, Bytes)>,
}

impl MultipartBody {
    /// The content of the upload stored as `name`.
    pub fn content(&self, name: &str) -> Option<&Bytes> {
        self.files.iter().find(|(n, _)| n == name).map(|(_, b)| b)
    }
}

/// Reads a `multipart/form-data` body for a record create/update of `collection` (see [`MultipartBody`]).
/// `raw_query` is the request's query string: PocketBase's multipart reader merges the query parameters
/// into the body. Errors are PocketBase's: 400 "Something went wrong while processing your request." for
/// a malformed body, query (`;` separators, bad `%` escapes) or `@jsonPayload`; 413 when the body is too
/// large.
pub async fn read_multipart(
    mut multipart: Multipart,
    raw_query: Option<&str>,
    collection: &CollectionMeta<'_>,
) -> Result<MultipartBody, ApiError> {
    let (query, query_ok) = go_query(raw_query.unwrap_or(""));
    let upload_keys: Vec<String> = collection
        .fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::File { .. }))
        .flat_map(|f| [f.name.to_string(), format!("+{}", f.name), format!("{}+", f.name)])
        .collect();
    let mut values: Vec<(String, Vec<u8>)> = Vec::new();
    let mut out = MultipartBody::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e)),
        };
        let Some(name) = field.name().filter(|n| !n.is_empty()).map(str::to_owned) else { continue };
        let filename = field.file_name().filter(|f| !f.is_empty()).map(names::go_base);
        let data = field.bytes().await.map_err(multipart_error)?;
        match filename {
            None => values.push((name, data.to_vec())),
            Some(original) if upload_keys.contains(&name) => {
                let stored = names::stored_name(&original, &data);
                let mime = sniff::detect(&data).mime;
                out.uploads.push(Upload {
                    key: name,
                    file: UploadedFile { name: stored.clone(), original_name: original, size: data.len() as u64, mime },
                });
                out.files.push((stored, data));
            }
            Some(_) => {}
        }
    }
    if !query_ok {
        return Err(ApiError::bad_request());
    }
    // Go's Request.Form for multipart: the query's values, then the parts'
    let mut form: Vec<(String, Vec<u8>)> = query.into_iter().map(|(k, v)| (k, v.into_bytes())).collect();
    form.extend(values);
    out.body = unmarshal_form(form)?;
    Ok(out)
}

/// [`read_multipart`] for a body already read into memory (`content_type` is the request's
/// `Content-Type` header, with its `boundary`).
pub async fn read_multipart_bytes(
    content_type: &str,
    bytes: Bytes,
    raw_query: Option<&str>,
    collection: &CollectionMeta<'_>,
) -> Result<MultipartBody, ApiError> {
    use axum::extract::FromRequest;
    let request = axum::http::Request::builder()
        .method("POST")
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(bytes))
        .map_err(|_| ApiError::bad_request())?;
    let multipart = Multipart::from_request(request, &()).await.map_err(|_| ApiError::bad_request())?;
    read_multipart(multipart, raw_query, collection).await
}

/// Reads an `application/x-www-form-urlencoded` body as PocketBase does: the body's pairs, then the query's,
/// each key inferred and `@jsonPayload` merged as for [`read_multipart`].
pub fn read_urlencoded(body: &[u8], raw_query: Option<&str>) -> Result<Map<String, Value>, ApiError> {
    let (pairs, body_ok) = go_query(&String::from_utf8_lossy(body));
    let (query, query_ok) = go_query(raw_query.unwrap_or(""));
    if !body_ok || !query_ok {
        return Err(ApiError::bad_request());
    }
    unmarshal_form(pairs.into_iter().chain(query).map(|(k, v)| (k, v.into_bytes())).collect())
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large")
    } else {
        tracing::debug!("rejected multipart body: {e}");
        ApiError::bad_request()
    }
}

/// PocketBase's `UnmarshalRequestData` into a `map[string]any`, for `(key, value)` pairs in order.
pub fn unmarshal_form(pairs: Vec<(String, Vec<u8>)>) -> Result<Map<String, Value>, ApiError> {
    let mut grouped: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (k, v) in pairs {
        match index.get(&k) {
            Some(&i) => grouped[i].1.push(v),
            None => {
                index.insert(k.clone(), grouped.len());
                grouped.push((k, vec![v]));
            }
        }
    }
    let mut body = Map::new();
    let mut payloads = Vec::new();
    for (k, vals) in grouped {
        if k == JSON_PAYLOAD {
            payloads = vals;
            continue;
        }
        let value = if vals.len() == 1 {
            infer(&String::from_utf8_lossy(&vals[0]))
        } else {
            Value::Array(vals.iter().map(|v| infer(&String::from_utf8_lossy(v))).collect())
        };
        body.insert(k, value);
    }
    for payload in payloads {
        let mut value = go_json_whole(&payload).map_err(|_| ApiError::bad_request())?;
        as_float64(&mut value);
        match value {
            Value::Null => body.clear(),
            Value::Object(map) => {
                for (k, v) in map {
                    match body.get_mut(&k) {
                        Some(existing) => merge(existing, v).map_err(|()| ApiError::bad_request())?,
                        None => {
                            body.insert(k, v);
                        }
                    }
                }
            }
            _ => return Err(ApiError::bad_request()),
        }
    }
    Ok(body)
}

/// PocketBase's `inferValue` for a plain form value.
pub fn infer(raw: &str) -> Value {
    match raw {
        "" => Value::String(String::new()),
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => {
            let b = raw.as_bytes();
            if (b[0] == b'-' || b[0].is_ascii_digit())
                && b.iter().all(|c| *c == b'-' || *c == b'.' || c.is_ascii_digit())
                && let Ok(f) = raw.parse::<f64>()
            {
                // Go: strconv.FormatFloat(f, 'f', -1, 64) == raw; Rust's Display is the same shortest,
                // exponent-free formatting
                if f.is_finite() && format!("{f}") == raw {
                    return crate::record::float(f);
                }
            }
            Value::String(raw.to_string())
        }
    }
}

/// `encoding/json/v2` unmarshaling `src` into an `any` that already holds `dst`.
fn merge(dst: &mut Value, src: Value) -> Result<(), ()> {
    match (&mut *dst, src) {
        (_, Value::Null) => *dst = Value::Null,
        (Value::Null, src) => *dst = src,
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                match d.get_mut(&k) {
                    Some(existing) => merge(existing, v)?,
                    None => {
                        d.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(_), src @ Value::Array(_))
        | (Value::String(_), src @ Value::String(_))
        | (Value::Number(_), src @ Value::Number(_))
        | (Value::Bool(_), src @ Value::Bool(_)) => *dst = src,
        _ => return Err(()),
    }
    Ok(())
}

/// Numbers as Go's `encoding/json/v2` reads them into `any`: float64.
fn as_float64(value: &mut Value) {
    match value {
        Value::Number(n) => *value = crate::record::float(n.as_f64().unwrap_or(0.0)),
        Value::Array(items) => items.iter_mut().for_each(as_float64),
        Value::Object(map) => map.values_mut().for_each(as_float64),
        _ => {}
    }
}

/// Go's `url.ParseQuery`: the decoded `(key, value)` pairs in order, and whether there was no error (a
/// `;` in a pair or a bad `%` escape; the bad pair is skipped either way).
pub(crate) fn go_query(raw: &str) -> (Vec<(String, String)>, bool) {
    let mut out = Vec::new();
    let mut ok = true;
    for pair in raw.split('&') {
        if pair.contains(';') {
            ok = false;
            continue;
        }
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match (unescape(k), unescape(v)) {
            (Some(k), Some(v)) => out.push((k, v)),
            _ => ok = false,
        }
    }
    (out, ok)
}

/// Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte.
fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |c: u8| (c as char).to_digit(16);
                let (Some(h), Some(l)) = (b.get(i + 1).and_then(|c| hex(*c)), b.get(i + 2).and_then(|c| hex(*c)))
                else {
                    return None;
                };
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(pairs: &[(&str, &str)]) -> Result<Value, ApiError> {
        unmarshal_form(pairs.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect()).map(Value::Object)
    }

    #[test]
    fn inference_as_pocketbase() {
        // observed on PocketBase 0.40.6 (through a text field, which shows a number's formatting)
        for (raw, want) in [
            ("123", json!(123)),
            ("-1.5", json!(-1.5)),
            ("0123", json!("0123")),
            ("1e5", json!("1e5")),
            ("true", json!(true)),
            ("false", json!(false)),
            ("True", json!("True")),
            ("", json!("")),
            ("1.50", json!("1.50")),
            ("1.5", json!(1.5)),
            (".5", json!(".5")),
            ("5.", json!("5.")),
            ("-", json!("-")),
            ("-.5", json!("-.5")),
            ("1-2", json!("1-2")),
            ("1.2.3", json!("1.2.3")),
            (" 1", json!(" 1")),
            ("0x10", json!("0x10")),
            ("null", json!("null")),
            ("0.000001", json!(0.000001)),
            ("100000000000000000000", json!(1e20)),
            ("12345678901234567890", json!("12345678901234567890")),
        ] {
            assert_eq!(infer(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn repeated_keys_and_payloads() {
        assert_eq!(form(&[("meta", "1"), ("meta", "a"), ("meta", "true")]).unwrap(), json!({"meta": [1, "a", true]}));
        let p = |s: &'static str| (JSON_PAYLOAD, s);
        assert_eq!(
            form(&[("excerpt", "plain"), p(r#"{"excerpt": "json wins", "meta": {"x": 1}}"#)]).unwrap(),
            json!({"excerpt": "json wins", "meta": {"x": 1}})
        );
        assert_eq!(
            form(&[p(r#"{"excerpt": "first", "views": 3}"#), p(r#"{"excerpt": "second"}"#)]).unwrap(),
            json!({"excerpt": "second", "views": 3})
        );
        assert_eq!(
            form(&[p(r#"{"meta": {"a": {"x":1}, "k": 1}}"#), p(r#"{"meta": {"a": {"y":2}}}"#)]).unwrap(),
            json!({"meta": {"a": {"x": 1, "y": 2}, "k": 1}})
        );
        assert_eq!(
            form(&[p(r#"{"meta": [{"a":1}, 5]}"#), p(r#"{"meta": [{"b":2}]}"#)]).unwrap(),
            json!({"meta": [{"b": 2}]})
        );
        assert_eq!(form(&[("meta", "1"), p(r#"{"meta": 2}"#)]).unwrap(), json!({"meta": 2}));
        assert_eq!(form(&[("meta", "true"), p(r#"{"meta": false}"#)]).unwrap(), json!({"meta": false}));
        assert_eq!(form(&[("excerpt", "e"), p(r#"{"excerpt": null}"#)]).unwrap(), json!({"excerpt": null}));
        assert_eq!(form(&[("excerpt", "e"), p("null"), p(r#"{"meta": 1}"#)]).unwrap(), json!({"meta": 1}));
        assert_eq!(form(&[p(r#"  {"excerpt": "ws"}  "#)]).unwrap(), json!({"excerpt": "ws"}));
        assert_eq!(form(&[p(r#"{"meta": 12345678901234567890}"#)]).unwrap(), json!({"meta": 12345678901234567890.0}));
        // each of these was a 400 on PocketBase
        for bad in [
            vec![p("[1,2]")],
            vec![p("{bad")],
            vec![p(r#"{"excerpt": "a", "excerpt": "b"}"#)],
            vec![p(r#"{"meta": {"a":1, "a":2}}"#)],
            vec![("meta", "1"), p(r#"{"meta": {"b":2}}"#)],
            vec![("meta", "1"), p(r#"{"meta": "s"}"#)],
            vec![("meta", "x"), p(r#"{"meta": 2}"#)],
            vec![p(r#"{"meta": {"a":1}}"#), p(r#"{"meta": "s"}"#)],
            vec![p(r#"{"meta": {"a":1}}"#), p(r#"{"meta": {"a": {"b": 1}}}"#)],
            vec![p(r#"{"excerpt": "ws"} x"#)],
            vec![p("")],
        ] {
            assert!(form(&bad).is_err(), "{bad:?}");
        }
    }

    static FIELDS: &[crate::meta::FieldMeta<'static>] = &[
        crate::meta::FieldMeta {
            name: "attachments",
            system: false,
            hidden: false,
            presentable: false,
            required: false,
            kind: FieldKind::File { max_select: 5, max_size: 0, mime_types: &[], protected: false, thumbs: &[] },
        },
        crate::meta::FieldMeta {
            name: "excerpt",
            system: false,
            hidden: false,
            presentable: false,
            required: false,
            kind: FieldKind::Text { min: 0, max: 0, pattern: "", autogenerate_pattern: "", primary_key: false },
        },
    ];
    static POSTS: CollectionMeta<'static> = CollectionMeta {
        id: "p",
        name: "posts",
        kind: crate::meta::CollectionKind::Base,
        system: false,
        fields: FIELDS,
    };

    async fn read(parts: &[(&str, Option<&str>, &[u8])], query: Option<&str>) -> Result<MultipartBody, ApiError> {
        let boundary = "XyZbOuNdArY";
        let mut body = Vec::new();
        for (name, filename, content) in parts {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
            );
            if let Some(f) = filename {
                body.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        read_multipart_bytes(&format!("multipart/form-data; boundary={boundary}"), body.into(), query, &POSTS).await
    }

    #[tokio::test]
    async fn multipart_bodies() {
        let b = read(
            &[
                ("excerpt", None, b"body"),
                ("views", None, b"12"),
                ("", None, b"nameless"),
                ("attachments", Some("dir/sub/My Notes.txt"), b"hello"),
                ("attachments+", Some("x.png"), b"\x89PNG\r\n\x1a\n"),
                ("excerpt", Some("ignored.txt"), b"file under a text field"),
                // an empty file name makes a plain value (PocketBase then reports it as an invalid new file)
                ("attachments", Some(""), b"content"),
                (JSON_PAYLOAD, None, br#"{"meta": {"a": 1}}"#),
            ],
            Some("excerpt=q&x=1"),
        )
        .await
        .unwrap();
        assert_eq!(
            Value::Object(b.body.clone()),
            json!({"excerpt": ["q", "body"], "x": 1, "views": 12, "attachments": "content", "meta": {"a": 1}})
        );
        assert_eq!(b.uploads.len(), 2);
        assert_eq!(
            (b.uploads[0].key.as_str(), b.uploads[0].file.original_name.as_str()),
            ("attachments", "My Notes.txt")
        );
        assert!(b.uploads[0].file.name.starts_with("my_notes_") && b.uploads[0].file.name.ends_with(".txt"));
        assert_eq!((b.uploads[0].file.size, b.uploads[0].file.mime.as_str()), (5, "text/plain; charset=utf-8"));
        assert_eq!((b.uploads[1].key.as_str(), b.uploads[1].file.mime.as_str()), ("attachments+", "image/png"));
        assert_eq!(b.content(&b.uploads[0].file.name).map(|c| &c[..]), Some(&b"hello"[..]));
        assert_eq!(b.files.len(), 2);
        // a `;` in the query, a bad payload: 400
        assert_eq!(read(&[], Some("a=1;b=2")).await.unwrap_err().status, StatusCode::BAD_REQUEST);
        assert_eq!(read(&[(JSON_PAYLOAD, None, b"[1]")], None).await.unwrap_err().status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn query_strings() {
        assert_eq!(
            go_query("a=1&b=x+y%20z&&c"),
            (vec![("a".into(), "1".into()), ("b".into(), "x y z".into()), ("c".into(), "".into())], true)
        );
        assert_eq!(go_query("a=1;b=2&c=3"), (vec![("c".into(), "3".into())], false));
        assert_eq!(go_query("a=%zz&c=3"), (vec![("c".into(), "3".into())], false));
        assert_eq!(go_query(""), (vec![], true));
        assert_eq!(read_urlencoded(b"excerpt=body", Some("excerpt=q")).unwrap()["excerpt"], json!(["body", "q"]));
    }
}
