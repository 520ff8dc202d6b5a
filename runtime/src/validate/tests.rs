//! Unit tests of the validators: Go behaviours against recorded Go output, then every field type, option
//! and error code, then record-level writes.

use super::*;
use serde_json::{Value, json};

/// `testdata/go_oracle.jsonl`: for each input value, what Go returns: `cast.ToFloat64/ToBool/ToString`,
/// `list.ToUniqueStringSlice`, PocketBase's date normalization (`types.DateTime.Scan` + `String`),
/// govalidator's `IsEmail`/`IsURL` and `url.Parse(s).Host` (`null` on a parse error). Recorded with a small
/// Go program (not in the repository) linking `spf13/cast` (v1.10 sources), `govalidator` at the commit
/// PocketBase 0.40 pins (a9d515a09cc2) and Go 1.19's standard library. Two inputs whose result depends on
/// the Go version (time zone offsets `+25:00` and `+02:61`, accepted by Go 1.19 and rejected by the Go
/// that builds PocketBase 0.40.6) are left out here and checked against the real binary in
/// `tests/validate_pocketbase.rs`.
#[test]
fn go_oracle() {
    let data = include_str!("testdata/go_oracle.jsonl");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in data.lines() {
        let case: Value = serde_json::from_str(line).unwrap();
        let input = &case["input"];
        count += 1;
        let mut check = |what: &str, got: Value| {
            let same = match (&got, &case[what]) {
                (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                (a, b) => a == b,
            };
            if !same {
                failures.push(format!("{what}({input}): got {got}, Go {}", case[what]));
            }
        };
        let f = cast::to_float(input);
        check(
            "float",
            if f.is_finite() { gofmt::number_value(f) } else { json!(gofmt::format_float_v(f).replace("inf", "Inf")) },
        );
        check("bool", json!(cast::to_bool(input)));
        check("string", json!(cast::to_string(input)));
        check("list", json!(cast::unique_strings(input)));
        check("date", json!(normalize_date(input)));
        if let Some(s) = input.as_str() {
            check("email", json!(web::is_email(s)));
            check("url", json!(web::is_url(s)));
            check("host", web::parse_url(s).map_or(Value::Null, |u| json!(u.host)));
        }
    }
    assert!(failures.is_empty(), "{} of {count} cases differ:\n{}", failures.len(), failures.join("\n"));
}

// ------------------------------------------------------------------------------------------------
// Helpers

use crate::meta::{CollectionKind, CollectionMeta, FieldKind, FieldMeta};
use serde_json::Map;

fn fm(name: &'static str, kind: FieldKind<'static>) -> FieldMeta<'static> {
    FieldMeta { name, system: false, hidden: false, presentable: false, required: false, kind }
}

fn req(mut f: FieldMeta<'static>) -> FieldMeta<'static> {
    f.required = true;
    f
}

fn text(min: u64, max: u64, pattern: &'static str) -> FieldKind<'static> {
    FieldKind::Text { min, max, pattern, autogenerate_pattern: "", primary_key: false }
}

fn num(min: Option<f64>, max: Option<f64>, only_int: bool) -> FieldKind<'static> {
    FieldKind::Number { min, max, only_int }
}

fn sel(values: &'static [&'static str], max_select: u64) -> FieldKind<'static> {
    FieldKind::Select { values, max_select }
}

fn rel(min_select: u64, max_select: u64) -> FieldKind<'static> {
    FieldKind::Relation { collection: "tags", cascade_delete: false, min_select, max_select }
}

fn file(max_select: u64, max_size: u64, mime_types: &'static [&'static str]) -> FieldKind<'static> {
    FieldKind::File { max_select, max_size, mime_types, protected: false, thumbs: &[] }
}

/// The error of checking `raw` as a JSON value (`{"code":…,"message":…,"params":…}`), or `Ok(value)`.
fn check(f: &FieldMeta, raw: Value) -> Result<Value, Value> {
    check_field(f, &raw).map_err(|e| serde_json::to_value(e).unwrap())
}

fn err(code: &str, message: &str) -> Result<Value, Value> {
    Err(json!({"code": code, "message": message}))
}

fn err_p(code: &str, message: &str, params: Value) -> Result<Value, Value> {
    Err(json!({"code": code, "message": message, "params": params}))
}

const REQUIRED: (&str, &str) = ("validation_required", "Cannot be blank.");

// ------------------------------------------------------------------------------------------------
// Coercion

#[test]
fn coercion_matches_the_notes() {
    let n = fm("views", num(None, None, false));
    assert_eq!(coerce(&n, &json!("12")), json!(12));
    for zero in [json!(""), json!(null), json!("abc")] {
        assert_eq!(coerce(&n, &zero), json!(0));
    }
    assert_eq!(coerce(&n, &json!(true)), json!(1));
    assert_eq!(coerce(&n, &json!(4.5)), json!(4.5));

    let b = fm("published", FieldKind::Bool);
    for t in [json!("true"), json!(1), json!("1")] {
        assert_eq!(coerce(&b, &t), json!(true));
    }
    assert_eq!(coerce(&b, &json!("yes")), json!(false));

    let t = fm("title", text(0, 0, ""));
    assert_eq!(coerce(&t, &json!(123)), json!("123"));
    assert_eq!(coerce(&t, &json!({"a": 1})), json!(""));

    let d = fm("publishedAt", FieldKind::Date { min: "", max: "" });
    assert_eq!(coerce(&d, &json!("2024-05-01T10:00:00Z")), json!("2024-05-01 10:00:00.000Z"));
    assert_eq!(coerce(&d, &json!("2024-05-01")), json!("2024-05-01 00:00:00.000Z"));
    assert_eq!(coerce(&d, &json!("2024-05-01T12:00:00+02:00")), json!("2024-05-01 10:00:00.000Z"));
    assert_eq!(coerce(&d, &json!("garbage")), json!(""));
    assert_eq!(coerce(&d, &json!(1714557600)), json!(""));

    let multi = fm("categories", sel(&["tech", "life", "news", "misc"], 3));
    assert_eq!(coerce(&multi, &json!("tech")), json!(["tech"]));
    assert_eq!(coerce(&multi, &json!(["tech", "tech", "life"])), json!(["tech", "life"]));
    assert_eq!(coerce(&multi, &json!(null)), json!([]));
    let single = fm("status", sel(&["draft", "live"], 1));
    assert_eq!(coerce(&single, &json!(["draft", "live"])), json!("live"));
    assert_eq!(coerce(&single, &json!([])), json!(""));
    let r = fm("author", rel(0, 1));
    assert_eq!(coerce(&r, &json!(["a", "b"])), json!("b"));

    let j = fm("meta", FieldKind::Json { max_size: 0 });
    for v in [json!({"a": [1, 2]}), json!([1]), json!(1.5), json!(true), json!("x y")] {
        assert_eq!(coerce(&j, &v), v);
    }
    assert_eq!(coerce(&j, &json!("[1,2]")), json!([1, 2]));
    assert_eq!(coerce(&j, &json!("12")), json!(12));
    assert_eq!(coerce(&j, &json!("null")), json!(null));
    assert_eq!(coerce(&j, &json!("\"q\"")), json!("q"));
    assert_eq!(coerce(&j, &json!("[1,2")), json!("[1,2"));
    assert_eq!(coerce(&j, &json!(1.0)), json!(1));

    let g = fm("location", FieldKind::GeoPoint);
    assert_eq!(coerce(&g, &json!({"lon": 1})), json!({"lon": 1, "lat": 0}));
    assert_eq!(coerce(&g, &json!("{\"lat\":2.5}")), json!({"lon": 0, "lat": 2.5}));
    assert_eq!(coerce(&g, &json!({"LON": 1})), json!({"lon": 0, "lat": 0}));
    assert_eq!(coerce(&g, &json!({"lat": 3, "lon": "x"})), json!({"lon": 0, "lat": 3}));
    assert_eq!(coerce(&g, &json!([1, 2])), json!({"lon": 0, "lat": 0}));

    let f = fm("attachments", file(5, 0, &[]));
    assert_eq!(coerce(&f, &json!("a.txt")), json!(["a.txt"]));
    assert_eq!(coerce(&f, &json!(["a.txt", ["b.txt"], ["c", "d"], null, "a.txt"])), json!(["a.txt", "b.txt"]));
    let f1 = fm("cover", file(1, 0, &[]));
    assert_eq!(coerce(&f1, &json!(["a.png", "b.png"])), json!("b.png"));

    let p = fm("secret", FieldKind::Password { min: 0, max: 0, pattern: "", cost: 0 });
    assert_eq!(coerce(&p, &json!(1234)), json!("1234"));
}

// ------------------------------------------------------------------------------------------------
// Validation per type, option and code

#[test]
fn text_validation() {
    let f = req(fm("title", text(3, 10, "")));
    assert_eq!(check(&f, json!("")), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(check(&f, json!(null)), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(
        check(&f, json!(" ")),
        err_p("validation_min_text_constraint", "Must be at least 3 character(s).", json!({"min": 3}))
    );
    assert_eq!(check(&f, json!("ääää")), Ok(json!("ääää"))); // 4 runes, 8 bytes
    assert_eq!(
        check(&f, json!("äääääääääää")),
        err_p("validation_max_text_constraint", "Must be no more than 10 character(s).", json!({"max": 10}))
    );
    let plain = fm("t", text(0, 0, ""));
    assert_eq!(check(&plain, json!("")), Ok(json!("")));
    assert!(check(&plain, json!("a".repeat(5000))).is_ok());
    assert_eq!(
        check(&plain, json!("a".repeat(5001))),
        err_p("validation_max_text_constraint", "Must be no more than 5000 character(s).", json!({"max": 5000}))
    );
    let pat = fm("slug", text(0, 0, "^[a-z0-9-]+$"));
    assert_eq!(check(&pat, json!("Hello")), err("validation_invalid_format", "Invalid value format."));
    assert_eq!(check(&pat, json!("hello-1")), Ok(json!("hello-1")));
    assert_eq!(check(&pat, json!("")), Ok(json!("")));
}

#[test]
fn id_validation() {
    let id = FieldMeta {
        system: true,
        required: true,
        ..fm(
            "id",
            FieldKind::Text {
                min: 15,
                max: 15,
                pattern: "^[a-z0-9]+$",
                autogenerate_pattern: "[a-z0-9]{15}",
                primary_key: true,
            },
        )
    };
    assert_eq!(
        check(&id, json!("abc")),
        err_p("validation_min_text_constraint", "Must be at least 15 character(s).", json!({"min": 15}))
    );
    assert_eq!(check(&id, json!("ABCDEFGHIJKLMNO")), err("validation_invalid_format", "Invalid value format."));
    assert_eq!(check(&id, json!("a23456789012345")), Ok(json!("a23456789012345")));
    let custom = FieldMeta {
        required: true,
        ..fm(
            "id",
            FieldKind::Text {
                min: 3,
                max: 20,
                pattern: "^[A-Za-z0-9_.:$ -]+$",
                autogenerate_pattern: "",
                primary_key: true,
            },
        )
    };
    assert_eq!(
        check(&custom, json!("a.b")),
        err_p("validation_forbidden_pk_character", "'.' is not a valid primary key character.", json!({"ch": "."}))
    );
    assert_eq!(
        check(&custom, json!("nul")),
        err_p(
            "validation_reserved_pk",
            "The primary key 'NUL' is reserved and cannot be used.",
            json!({"reserved": "NUL"})
        )
    );
    assert_eq!(check(&custom, json!("COM10")), Ok(json!("COM10")));
}

#[test]
fn number_validation() {
    let f = fm("n", num(Some(-5.0), Some(5.5), false));
    assert_eq!(
        check(&f, json!(-6)),
        err_p("validation_min_number_constraint", "Must be greater or equal than -5.", json!({"min": -5}))
    );
    assert_eq!(
        check(&f, json!(5.6)),
        err_p("validation_max_number_constraint", "Must be less or equal than 5.5.", json!({"max": 5.5}))
    );
    assert_eq!(check(&f, json!("5.5")), Ok(json!(5.5)));
    assert_eq!(check(&f, json!(0)), Ok(json!(0)), "0 skips min/max");
    let big = fm("n", num(Some(1000.0), Some(2_000_000.0), true));
    assert_eq!(check(&big, json!(1000.5)), err("validation_only_int_constraint", "Decimal numbers are not allowed."));
    assert_eq!(
        check(&big, json!(2_000_001)),
        err_p("validation_max_number_constraint", "Must be less or equal than 2e+06.", json!({"max": 2_000_000}))
    );
    assert_eq!(
        check(&big, json!(999)),
        err_p("validation_min_number_constraint", "Must be greater or equal than 1000.", json!({"min": 1000}))
    );
    let r = req(fm("n", num(None, None, false)));
    for zero in [json!(0), json!("0"), json!(false), json!(null), json!("x")] {
        assert_eq!(check(&r, zero), err(REQUIRED.0, REQUIRED.1));
    }
    assert_eq!(check(&r, json!(-1)), Ok(json!(-1)));
    for nan in ["Infinity", "-inf", "NaN"] {
        assert_eq!(
            check(&r, json!(nan)),
            err("validation_not_a_number", "The submitted number is not properly formatted.")
        );
    }
}

#[test]
fn bool_validation() {
    let f = req(fm("b", FieldKind::Bool));
    assert_eq!(check(&f, json!(false)), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(check(&f, json!("false")), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(check(&f, json!("T")), Ok(json!(true)));
    assert_eq!(check(&fm("b", FieldKind::Bool), json!(false)), Ok(json!(false)));
}

#[test]
fn email_and_url_validation() {
    let e = fm("e", FieldKind::Email { except_domains: &["spam.com"], only_domains: &[] });
    assert_eq!(check(&e, json!("bad")), err("validation_is_email", "Must be a valid email address."));
    assert_eq!(
        check(&e, json!("x@spam.com")),
        err("validation_email_domain_not_allowed", "Email domain is not allowed.")
    );
    assert_eq!(check(&e, json!("x@Spam.com")), Ok(json!("x@Spam.com")));
    let only = req(fm("e", FieldKind::Email { except_domains: &[], only_domains: &["a.com"] }));
    assert_eq!(check(&only, json!("")), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(
        check(&only, json!("me@sub.a.com")),
        err("validation_email_domain_not_allowed", "Email domain is not allowed.")
    );
    assert_eq!(check(&only, json!("me@a.com")), Ok(json!("me@a.com")));

    let u = fm("u", FieldKind::Url { except_domains: &[], only_domains: &["example.com"] });
    assert_eq!(check(&u, json!("not a url")), err("validation_invalid_url", "Must be a valid url."));
    assert_eq!(
        check(&u, json!("https://example.com:8080")),
        err("validation_url_domain_not_allowed", "Url domain is not allowed.")
    );
    assert_eq!(check(&u, json!("example.com")), err("validation_url_domain_not_allowed", "Url domain is not allowed."));
    assert_eq!(check(&u, json!("https://example.com/x")), Ok(json!("https://example.com/x")));
    let ex = fm("u", FieldKind::Url { except_domains: &["bad.com"], only_domains: &[] });
    assert_eq!(
        check(&ex, json!("http://bad.com/")),
        err("validation_url_domain_not_allowed", "Url domain is not allowed.")
    );
    assert_eq!(check(&ex, json!("http://sub.bad.com/")), Ok(json!("http://sub.bad.com/")));
}

#[test]
fn editor_validation() {
    let f = req(fm("body", FieldKind::Editor { max_size: 20, convert_urls: false }));
    assert_eq!(check(&f, json!("")), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(check(&f, json!("ä".repeat(10))), Ok(json!("ä".repeat(10))));
    assert_eq!(
        check(&f, json!("ä".repeat(11))),
        err_p("validation_content_size_limit", "The maximum allowed content size is 20 bytes.", json!({"maxSize": 20}))
    );
    let d = fm("body", FieldKind::Editor { max_size: 0, convert_urls: false });
    assert_eq!(
        check(&d, json!("x".repeat(5 * 1024 * 1024 + 1))).unwrap_err()["params"],
        json!({"maxSize": DEFAULT_EDITOR_MAX_SIZE})
    );
}

#[test]
fn date_validation() {
    let f = req(fm("d", FieldKind::Date { min: "2000-01-01 00:00:00.000Z", max: "2030-06-15 12:30:00.250Z" }));
    assert_eq!(check(&f, json!("garbage")), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(check(&f, json!("0001-01-01 00:00:00.000Z")), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(
        check(&f, json!("1999-12-31")),
        err_p(
            "validation_min_greater_equal_than_required",
            "Must be no less than 2000-01-01 00:00:00 +0000 UTC.",
            json!({"threshold": "2000-01-01T00:00:00Z"})
        )
    );
    assert_eq!(
        check(&f, json!("2030-06-15 12:30:00.251Z")),
        err_p(
            "validation_max_less_equal_than_required",
            "Must be no greater than 2030-06-15 12:30:00.25 +0000 UTC.",
            json!({"threshold": "2030-06-15T12:30:00.25Z"})
        )
    );
    assert_eq!(check(&f, json!("2030-06-15T14:30:00.250+02:00")), Ok(json!("2030-06-15 12:30:00.250Z")));
    assert_eq!(check(&f, json!("2000-01-01")), Ok(json!("2000-01-01 00:00:00.000Z")));
}

#[test]
fn select_validation() {
    let f = req(fm("s", sel(&["a", "b", "c"], 2)));
    assert_eq!(check(&f, json!([])), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(
        check(&f, json!(["a", "b", "c"])),
        err_p("validation_too_many_values", "Select no more than 2.", json!({"maxSelect": 2}))
    );
    assert_eq!(
        check(&f, json!(["a", "nope"])),
        err_p("validation_invalid_value", "Invalid value nope.", json!({"value": "nope"}))
    );
    assert_eq!(check(&f, json!(["b", "a", "b"])), Ok(json!(["b", "a"])));
    let single = fm("s", sel(&["a"], 0));
    assert_eq!(check(&single, json!(["x", "a"])), Ok(json!("a")));
    assert_eq!(
        check(&single, json!("x")),
        err_p("validation_invalid_value", "Invalid value x.", json!({"value": "x"}))
    );
}

#[test]
fn relation_validation() {
    let f = req(fm("r", rel(2, 3)));
    assert_eq!(check(&f, json!("")), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(
        check(&f, json!(["a"])),
        err_p("validation_not_enough_values", "Select at least 2.", json!({"minSelect": 2}))
    );
    assert_eq!(
        check(&f, json!(["a", "b", "c", "d"])),
        err_p("validation_too_many_values", "Select no more than 3.", json!({"maxSelect": 3}))
    );
    assert_eq!(check(&f, json!(["a", "b", "a"])), Ok(json!(["a", "b"])));
}

#[test]
fn json_validation() {
    let f = fm("j", FieldKind::Json { max_size: 10 });
    assert_eq!(
        check(&f, json!({"a": "bcdefgh"})),
        err_p("validation_json_size_limit", "The maximum allowed JSON size is 10 bytes.", json!({"maxSize": 10}))
    );
    assert_eq!(check(&f, json!("[1, 2,   3]")).unwrap_err()["code"], "validation_json_size_limit", "raw text size");
    assert_eq!(check(&f, json!(1234567890)), Ok(json!(1234567890)));
    assert_eq!(check(&f, json!(["<>&<>&"])), Ok(json!(["<>&<>&"])), "no HTML escapes");
    assert_eq!(check(&f, json!(["a\u{1}"])).unwrap_err()["code"], "validation_json_size_limit", "\\u0001 counts 6");
    assert_eq!(check(&f, json!([0.00000123])).unwrap_err()["code"], "validation_json_size_limit", "0.00000123");
    assert_eq!(check(&f, json!([1e-7])), Ok(json!([1e-7])));
    assert_eq!(check(&f, json!("<<<<<<")), Ok(json!("<<<<<<")), "a string is quoted without HTML escapes");
    assert_eq!(
        check(&fm("j", FieldKind::Json { max_size: 0 }), json!("a\u{1}b")),
        err("validation_invalid_json", "Must be a valid json value.")
    );
    assert_eq!(
        check(&fm("j", FieldKind::Json { max_size: 0 }), json!("x".repeat(1 << 20))).unwrap_err()["params"],
        json!({"maxSize": DEFAULT_JSON_MAX_SIZE})
    );
    let r = req(fm("j", FieldKind::Json { max_size: 0 }));
    for empty in [json!(null), json!("null"), json!(""), json!([]), json!({}), json!("[]"), json!("{}")] {
        assert_eq!(check(&r, empty.clone()), err(REQUIRED.0, REQUIRED.1), "{empty}");
    }
    for filled in [json!(0), json!(false), json!("[ ]"), json!(" ")] {
        assert!(check(&r, filled.clone()).is_ok(), "{filled}");
    }
}

#[test]
fn password_validation() {
    let f = fm("p", FieldKind::Password { min: 4, max: 10, pattern: "^[a-z0-9]+$", cost: 0 });
    assert_eq!(check(&f, json!("abc")), err("validation_min_text_constraint", "Must be at least 4 character(s)."));
    assert_eq!(
        check(&f, json!("abcdefghijk")),
        err("validation_max_text_constraint", "Must be less than 10 character(s).")
    );
    assert_eq!(check(&f, json!("ABCD")), err("validation_invalid_format", "Invalid value format."));
    assert_eq!(check(&f, json!("")), Ok(json!("")));
    let d = req(fm("p", FieldKind::Password { min: 0, max: 0, pattern: "", cost: 0 }));
    assert_eq!(check(&d, json!("")), err(REQUIRED.0, REQUIRED.1));
    // 71 characters but 142 bytes: bcrypt (72 bytes at most) fails first, as in PocketBase
    assert_eq!(check(&d, json!("ü".repeat(71))), err("validation_invalid_value", "Invalid value."));
    assert!(check(&d, json!("ü".repeat(36))).is_ok());
    assert_eq!(
        check(&d, json!("x".repeat(72))),
        err("validation_max_text_constraint", "Must be less than 71 character(s).")
    );
}

#[test]
fn geo_validation() {
    let f = req(fm("g", FieldKind::GeoPoint));
    assert_eq!(check(&f, json!({"lon": 0, "lat": 0})), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(
        check(&f, json!({"lon": 181, "lat": 91})),
        err("validation_invalid_latitude", "Latitude must be between -90 and 90 degrees.")
    );
    assert_eq!(
        check(&f, json!({"lon": -180.5})),
        err("validation_invalid_longitude", "Longitude must be between -180 and 180 degrees.")
    );
    assert_eq!(check(&f, json!({"lon": 180, "lat": -90})), Ok(json!({"lon": 180, "lat": -90})));
}

#[test]
fn file_validation() {
    let f = req(fm("f", file(2, 0, &[])));
    assert_eq!(check(&f, json!([])), err(REQUIRED.0, REQUIRED.1));
    assert_eq!(
        check(&f, json!(["a", "b", "c"])),
        err_p("validation_too_many_files", "The maximum allowed files is 2.", json!({"maxSelect": 2}))
    );
    assert_eq!(check(&f, json!(["a", "b"])), Ok(json!(["a", "b"])));
}

#[test]
fn error_serialization() {
    let e = FieldError::new("validation_required", "cannot be blank");
    assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"code":"validation_required","message":"Cannot be blank."}"#);
    let e = FieldError::with_params("validation_too_many_values", "Select no more than 3", json!({"maxSelect": 3}));
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        r#"{"code":"validation_too_many_values","message":"Select no more than 3.","params":{"maxSelect":3}}"#
    );
    let mut all = FieldErrors::new();
    all.insert("title", FieldError::required());
    all.insert("author", FieldError::missing_rel_records());
    assert_eq!(
        serde_json::to_string(&all).unwrap(),
        r#"{"author":{"code":"validation_missing_rel_records","message":"Failed to find all relation records with the provided ids."},"title":{"code":"validation_required","message":"Cannot be blank."}}"#
    );
}

#[test]
fn go_number_formats() {
    for (f, v, j) in [
        (5.0, "5", "5"),
        (5.5, "5.5", "5.5"),
        (-5.0, "-5", "-5"),
        (1e6, "1e+06", "1000000"),
        (1234567.0, "1.234567e+06", "1234567"),
        (123456.0, "123456", "123456"),
        (0.0001, "0.0001", "0.0001"),
        (0.00001, "1e-05", "0.00001"),
        (1e21, "1e+21", "1e+21"),
        (1e-7, "1e-07", "1e-7"),
    ] {
        assert_eq!(gofmt::format_float_v(f), v);
        assert_eq!(crate::gojson::float(f), j);
    }
    assert_eq!(
        crate::gojson::marshal(&json!({"b": "<&>\u{2028}\t\u{1}", "a": [1.0, 2.5, null, true]})),
        "{\"a\":[1,2.5,null,true],\"b\":\"<&>\u{2028}\\t\\u0001\"}"
    );
    assert_eq!(gofmt::quote("a\"b\u{1}\n"), r#""a\"b\x01\n""#);
    // Format characters are not printable for Go: escaped.
    assert_eq!(gofmt::quote("\u{ad}\u{2066}\u{feff}"), r#""\u00ad\u2066\ufeff""#);
    assert_eq!(gofmt::parse_bool("F"), Some(false));
    for (s, ok) in [("1_000", true), ("0x_1f", true), ("-1_0", true), ("_1", false), ("1__0", false), ("1_", false)] {
        assert_eq!(gofmt::underscore_ok(s.as_bytes()), ok, "{s}");
    }
}

// ------------------------------------------------------------------------------------------------
// Modifiers

#[test]
fn modifiers() {
    let n = fm("views", num(None, None, false));
    assert_eq!(setter_for(&n, "views+"), Some(Modifier::Append));
    assert_eq!(setter_for(&n, "+views"), None);
    assert_eq!(apply_modifier(&n, &json!(10), Modifier::Append, &json!("5")), json!(15));
    assert_eq!(apply_modifier(&n, &json!(10), Modifier::Remove, &json!(2.5)), json!(7.5));
    let s = fm("tags", sel(&["a", "b", "c"], 3));
    assert_eq!(setter_for(&s, "+tags"), Some(Modifier::Prepend));
    assert_eq!(apply_modifier(&s, &json!(["a"]), Modifier::Append, &json!(["b", "a"])), json!(["a", "b"]));
    assert_eq!(apply_modifier(&s, &json!(["a"]), Modifier::Prepend, &json!("c")), json!(["c", "a"]));
    assert_eq!(apply_modifier(&s, &json!(["a", "b"]), Modifier::Remove, &json!("a")), json!(["b"]));
    let single = fm("status", sel(&["a", "b"], 1));
    assert_eq!(apply_modifier(&single, &json!("a"), Modifier::Append, &json!("b")), json!("b"));
    assert_eq!(apply_modifier(&single, &json!("a"), Modifier::Remove, &json!("a")), json!(""));
    let f = fm("files", file(5, 0, &[]));
    assert_eq!(apply_modifier(&f, &json!(["x.txt", "y.txt"]), Modifier::Remove, &json!(["x.txt"])), json!(["y.txt"]));
    let t = fm(
        "slug",
        FieldKind::Text { min: 0, max: 0, pattern: "", autogenerate_pattern: "[0-9]{3}", primary_key: false },
    );
    assert_eq!(setter_for(&t, "slug:autogenerate"), Some(Modifier::Autogenerate));
    let v = apply_modifier(&t, &json!(""), Modifier::Autogenerate, &json!("ab-"));
    assert!(pattern_matches("^ab-[0-9]{3}$", v.as_str().unwrap()), "{v}");
    assert_eq!(setter_for(&fm("b", FieldKind::Bool), "b+"), None);
}

// ------------------------------------------------------------------------------------------------
// Records

static POST_FIELDS: &[FieldMeta<'static>] = &[
    FieldMeta {
        name: "id",
        system: true,
        hidden: false,
        presentable: false,
        required: true,
        kind: FieldKind::Text {
            min: 15,
            max: 15,
            pattern: "^[a-z0-9]+$",
            autogenerate_pattern: "[a-z0-9]{15}",
            primary_key: true,
        },
    },
    FieldMeta {
        name: "title",
        system: false,
        hidden: false,
        presentable: false,
        required: true,
        kind: FieldKind::Text { min: 3, max: 200, pattern: "", autogenerate_pattern: "", primary_key: false },
    },
    FieldMeta {
        name: "views",
        system: false,
        hidden: false,
        presentable: false,
        required: false,
        kind: FieldKind::Number { min: Some(0.0), max: None, only_int: true },
    },
    FieldMeta {
        name: "tags",
        system: false,
        hidden: false,
        presentable: false,
        required: false,
        kind: FieldKind::Relation { collection: "tags", cascade_delete: false, min_select: 0, max_select: 10 },
    },
    FieldMeta {
        name: "categories",
        system: false,
        hidden: false,
        presentable: false,
        required: false,
        kind: FieldKind::Select { values: &["tech", "life", "news"], max_select: 3 },
    },
    FieldMeta {
        name: "attachments",
        system: false,
        hidden: false,
        presentable: false,
        required: false,
        kind: FieldKind::File { max_select: 5, max_size: 100, mime_types: &[], protected: false, thumbs: &[] },
    },
    FieldMeta {
        name: "accessCode",
        system: false,
        hidden: true,
        presentable: false,
        required: false,
        kind: FieldKind::Password { min: 4, max: 50, pattern: "", cost: 0 },
    },
    FieldMeta {
        name: "internalNotes",
        system: false,
        hidden: true,
        presentable: false,
        required: false,
        kind: FieldKind::Text { min: 0, max: 0, pattern: "", autogenerate_pattern: "", primary_key: false },
    },
    FieldMeta {
        name: "created",
        system: false,
        hidden: false,
        presentable: false,
        required: false,
        kind: FieldKind::Autodate { on_create: true, on_update: false },
    },
];

static POSTS: CollectionMeta<'static> =
    CollectionMeta { id: "pbc_1", name: "posts", kind: CollectionKind::Base, system: false, fields: POST_FIELDS };

fn body(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

#[test]
fn create_fills_every_field() {
    let p = prepare_create(
        &POSTS,
        &body(json!({"title": "Hello", "views": "12", "nope": 1, "created": "2020-01-01"})),
        &[],
        Access::Default,
    );
    assert!(p.error_data().is_none(), "{:?}", p.errors);
    let v = &p.values;
    assert!(pattern_matches("^[a-z0-9]{15}$", v["id"].as_str().unwrap()));
    assert_eq!(v["title"], "Hello");
    assert_eq!(v["views"], 12);
    assert_eq!(v["tags"], json!([]));
    assert_eq!(v["attachments"], json!([]));
    assert_eq!(v["accessCode"], "");
    assert_eq!(v["created"], "", "autodates are the server's");
    assert!(!v.contains_key("nope"));
    assert_eq!(v.len(), POST_FIELDS.len());
}

#[test]
fn hidden_fields_need_a_superuser() {
    let b = body(json!({"title": "Hello", "internalNotes": "x", "accessCode": "abcd", "accessCode+": 1}));
    let guest = prepare_create(&POSTS, &b, &[], Access::Default);
    assert_eq!(guest.values["internalNotes"], "");
    assert!(guest.new_passwords.is_empty());
    let su = prepare_create(&POSTS, &b, &[], Access::Superuser);
    assert_eq!(su.values["internalNotes"], "x");
    assert_eq!(su.values["accessCode"], "abcd");
    assert_eq!(su.new_passwords, ["accessCode"]);
    let bad = prepare_create(&POSTS, &body(json!({"title": "Hello", "accessCode": "abc"})), &[], Access::Superuser);
    assert_eq!(bad.errors.get("accessCode").unwrap().message, "Must be at least 4 character(s).");
}

#[test]
fn ids_on_create_and_update() {
    let p = prepare_create(&POSTS, &body(json!({"title": "Hello", "id": "abc"})), &[], Access::Default);
    assert_eq!(
        p.errors.to_value(),
        json!({"id": {"code": "validation_min_text_constraint", "message": "Must be at least 15 character(s).", "params": {"min": 15}}})
    );
    let p = prepare_create(&POSTS, &body(json!({"title": "Hello", "id": "a23456789012345"})), &[], Access::Default);
    assert_eq!(p.values["id"], "a23456789012345");
    assert_eq!(p.pk_check, None, "default pattern: the primary key constraint is enough");

    let current =
        body(json!({"id": "a23456789012345", "title": "Hello", "views": 3, "created": "2024-01-01 00:00:00.000Z"}));
    let p = prepare_update(&POSTS, &current, &body(json!({"id": "b23456789012345"})), &[], Access::Default);
    assert_eq!(
        p.errors.to_value(),
        json!({"id": {"code": "validation_pk_change", "message": "The record primary key cannot be changed."}})
    );
    let p =
        prepare_update(&POSTS, &current, &body(json!({"id": "a23456789012345", "views+": 2})), &[], Access::Default);
    assert!(p.error_data().is_none());
    assert_eq!(p.values["views"], 5);
    assert_eq!(p.values["created"], "2024-01-01 00:00:00.000Z");
}

#[test]
fn modifier_order_and_relations() {
    let current = body(json!({"id": "a23456789012345", "title": "Hello", "tags": ["t1"], "categories": ["tech"]}));
    let p = prepare_update(
        &POSTS,
        &current,
        &body(
            json!({"tags+": ["t2", "t1"], "+tags": "t0", "categories": ["news"], "categories+": "life", "views-": 1}),
        ),
        &[],
        Access::Default,
    );
    assert_eq!(p.values["tags"], json!(["t0", "t1", "t2"]));
    assert_eq!(p.values["categories"], json!(["news", "life"]));
    assert_eq!(
        p.errors.to_value(),
        json!({"views": {"code": "validation_min_number_constraint", "message": "Must be greater or equal than 0.", "params": {"min": 0}}})
    );
    assert_eq!(
        p.relation_checks,
        vec![RelationCheck {
            field: "tags".into(),
            collection: "tags".into(),
            ids: vec!["t0".into(), "t1".into(), "t2".into()]
        }]
    );
    let mut p = p;
    p.relation_missing("tags");
    let data = p.into_result().unwrap_err().to_value();
    assert_eq!(data["tags"]["code"], "validation_missing_rel_records");
    assert_eq!(data["views"]["code"], "validation_min_number_constraint");
}

fn upload(key: &str, name: &str, size: u64) -> Upload {
    Upload {
        key: key.into(),
        file: UploadedFile {
            name: name.into(),
            original_name: name.into(),
            size,
            mime: "text/plain; charset=utf-8".into(),
        },
    }
}

#[test]
fn files_on_create_and_update() {
    let p = prepare_create(&POSTS, &body(json!({"title": "Hello", "attachments": ["old.txt"]})), &[], Access::Default);
    assert_eq!(
        p.errors.to_value(),
        json!({"attachments": {"code": "validation_invalid_file", "message": "Invalid new files: [old.txt].", "params": {"invalidFiles": ["old.txt"]}}})
    );
    let p = prepare_create(
        &POSTS,
        &body(json!({"title": "Hello"})),
        &[upload("attachments", "a_x.txt", 10), upload("attachments", "big_x.txt", 101)],
        Access::Default,
    );
    assert_eq!(
        p.errors.to_value(),
        json!({"attachments": {"code": "validation_file_size_limit", "message": "Failed to upload big_x.txt - the maximum allowed file size is 100 bytes.", "params": {"file": "big_x.txt", "maxSize": 100}}})
    );
    let current = body(json!({"id": "a23456789012345", "title": "Hello", "attachments": ["one.txt", "two.txt"]}));
    let p = prepare_update(
        &POSTS,
        &current,
        &body(json!({"attachments-": "one.txt"})),
        &[upload("attachments+", "new.txt", 1)],
        Access::Default,
    );
    assert!(p.error_data().is_none(), "{:?}", p.errors);
    assert_eq!(p.values["attachments"], json!(["two.txt", "new.txt"]));
    assert_eq!(p.uploads.len(), 1);
    assert_eq!(p.deleted_files, vec![("attachments".to_string(), "one.txt".to_string())]);
    // plain key: the listed names are kept, the uploads added
    let p = prepare_update(
        &POSTS,
        &current,
        &body(json!({"attachments": ["two.txt"]})),
        &[upload("attachments", "new.txt", 1)],
        Access::Default,
    );
    assert_eq!(p.values["attachments"], json!(["two.txt", "new.txt"]));
    assert_eq!(p.deleted_files, vec![("attachments".to_string(), "one.txt".to_string())]);
}

static MEMBER_FIELDS: &[FieldMeta<'static>] = &[
    FieldMeta {
        name: "id",
        system: true,
        hidden: false,
        presentable: false,
        required: true,
        kind: FieldKind::Text {
            min: 15,
            max: 15,
            pattern: "^[a-z0-9]+$",
            autogenerate_pattern: "[a-z0-9]{15}",
            primary_key: true,
        },
    },
    FieldMeta {
        name: "password",
        system: true,
        hidden: true,
        presentable: false,
        required: true,
        kind: FieldKind::Password { min: 8, max: 0, pattern: "", cost: 0 },
    },
    FieldMeta {
        name: "tokenKey",
        system: true,
        hidden: true,
        presentable: false,
        required: true,
        kind: FieldKind::Text {
            min: 30,
            max: 60,
            pattern: "",
            autogenerate_pattern: "[a-zA-Z0-9]{50}",
            primary_key: false,
        },
    },
    FieldMeta {
        name: "email",
        system: true,
        hidden: false,
        presentable: false,
        required: true,
        kind: FieldKind::Email { except_domains: &[], only_domains: &[] },
    },
    FieldMeta {
        name: "emailVisibility",
        system: true,
        hidden: false,
        presentable: false,
        required: false,
        kind: FieldKind::Bool,
    },
    FieldMeta {
        name: "verified",
        system: true,
        hidden: false,
        presentable: false,
        required: false,
        kind: FieldKind::Bool,
    },
];

static MEMBERS: CollectionMeta<'static> = CollectionMeta {
    id: "_pb_users_auth_",
    name: "users",
    kind: CollectionKind::Auth,
    system: false,
    fields: MEMBER_FIELDS,
};

#[test]
fn auth_forms() {
    let p = prepare_create(
        &MEMBERS,
        &body(json!({"email": "a@b.co", "password": "password1", "passwordConfirm": "password1"})),
        &[],
        Access::Default,
    );
    assert!(p.error_data().is_none(), "{:?}", p.errors);
    assert_eq!(p.values["tokenKey"].as_str().unwrap().len(), 50);
    assert_eq!(p.new_passwords, ["password"]);

    let p = prepare_create(&MEMBERS, &body(json!({"email": "a@b.co", "verified": true})), &[], Access::Default);
    assert_eq!(
        p.error_data().unwrap().to_value(),
        json!({
            "password": {"code": "validation_required", "message": "Cannot be blank."},
            "passwordConfirm": {"code": "validation_required", "message": "Cannot be blank."},
            "verified": {"code": "validation_values_mismatch", "message": "Values don't match."}
        })
    );
    let p = prepare_create(
        &MEMBERS,
        &body(json!({"email": "a@b.co", "verified": true, "password": "password1", "passwordConfirm": "password1"})),
        &[],
        Access::Superuser,
    );
    assert!(p.error_data().is_none());

    let current = body(
        json!({"id": "a23456789012345", "password": "$2a$10$hash", "tokenKey": "k".repeat(50), "email": "a@b.co", "verified": false}),
    );
    let p = prepare_update(&MEMBERS, &current, &body(json!({"email": "c@d.co"})), &[], Access::Default);
    assert_eq!(
        p.error_data().unwrap().to_value(),
        json!({"email": {"code": "validation_values_mismatch", "message": "Values don't match."}})
    );
    let p = prepare_update(&MEMBERS, &current, &body(json!({"email": "c@d.co"})), &[], Access::Manager);
    assert!(p.error_data().is_none());
    assert_ne!(p.values["tokenKey"], json!("k".repeat(50)), "a new email refreshes the tokenKey");

    let change = body(json!({"password": "newpass123", "passwordConfirm": "newpass123"}));
    let p = prepare_update(&MEMBERS, &current, &change, &[], Access::Default);
    assert_eq!(
        p.error_data().unwrap().to_value(),
        json!({"oldPassword": {"code": "validation_required", "message": "Cannot be blank."}})
    );
    let mut with_old = change.clone();
    with_old.insert("oldPassword".into(), json!("secret"));
    let mut p = prepare_update(&MEMBERS, &current, &with_old, &[], Access::Default);
    assert_eq!(p.old_password.as_deref(), Some("secret"));
    assert!(p.error_data().is_none());
    p.old_password_invalid();
    assert_eq!(p.error_data().unwrap().to_value()["oldPassword"]["code"], "validation_invalid_old_password");
    let p = prepare_update(&MEMBERS, &current, &change, &[], Access::Manager);
    assert!(p.error_data().is_none() && p.old_password.is_none());
    assert_eq!(p.values["password"], "newpass123");

    let p = prepare_update(&MEMBERS, &current, &body(json!({"passwordConfirm": "x"})), &[], Access::Superuser);
    assert_eq!(
        p.error_data().unwrap().to_value(),
        json!({
            "password": {"code": "validation_required", "message": "Cannot be blank."},
            "passwordConfirm": {"code": "validation_values_mismatch", "message": "Values don't match."}
        })
    );
    let p = prepare_update(&MEMBERS, &current, &body(json!({})), &[], Access::Default);
    assert!(p.error_data().is_none());
    assert_eq!(p.values["password"], "$2a$10$hash");
    assert!(p.new_passwords.is_empty());
}

#[test]
fn upload_checks() {
    static FIELDS: &[FieldMeta<'static>] = &[FieldMeta {
        name: "cover",
        system: false,
        hidden: false,
        presentable: false,
        required: false,
        kind: FieldKind::File {
            max_select: 1,
            max_size: 0,
            mime_types: &["image/png", "image/jpeg"],
            protected: false,
            thumbs: &[],
        },
    }];
    static C: CollectionMeta<'static> =
        CollectionMeta { id: "c", name: "c", kind: CollectionKind::Base, system: false, fields: FIELDS };
    let up = |name: &str, size: u64, mime: &str| Upload {
        key: "cover".into(),
        file: UploadedFile { name: name.into(), original_name: "Orig Name.png".into(), size, mime: mime.into() },
    };
    let p = prepare_create(&C, &Map::new(), &[up("x_0123456789.png", 10, "image/png")], Access::Default);
    assert!(p.error_data().is_none());
    assert_eq!(p.values["cover"], "x_0123456789.png");
    let p = prepare_create(
        &C,
        &Map::new(),
        &[up("notes_0123456789.txt", 10, "text/plain; charset=utf-8")],
        Access::Default,
    );
    assert_eq!(
        p.errors.to_value()["cover"],
        json!({"code": "validation_invalid_mime_type", "message": "\"notes_0123456789.txt\" mime type must be one of: image/png, image/jpeg."})
    );
    let p = prepare_create(
        &C,
        &Map::new(),
        &[up("x_0123456789.png", DEFAULT_FILE_MAX_SIZE + 1, "image/png")],
        Access::Default,
    );
    assert_eq!(
        p.errors.to_value()["cover"],
        json!({"code": "validation_file_size_limit", "message": "Failed to upload Orig Name.png - the maximum allowed file size is 5242880 bytes.", "params": {"file": "Orig Name.png", "maxSize": 5242880}})
    );
    let p = prepare_create(&C, &Map::new(), &[up(".hidden", 1, "image/png")], Access::Default);
    assert_eq!(
        p.errors.to_value()["cover"],
        json!({"code": "validation_match_invalid", "message": "Must be in a valid format."})
    );
    let long = format!("{}.png", "x".repeat(150));
    let p = prepare_create(&C, &Map::new(), &[up(&long, 1, "image/png")], Access::Default);
    assert_eq!(
        p.errors.to_value()["cover"],
        json!({"code": "validation_length_out_of_range", "message": "The length must be between 1 and 150.", "params": {"min": 1, "max": 150}})
    );
    // a single file field keeps the last upload
    let p = prepare_create(
        &C,
        &Map::new(),
        &[up("a_0123456789.png", 1, "image/png"), up("b_0123456789.png", 1, "image/png")],
        Access::Default,
    );
    assert_eq!(p.values["cover"], "b_0123456789.png");
    assert_eq!(p.uploads.len(), 1);
}

#[test]
fn autogenerated_ids_are_random() {
    let a = prepare_create(&POSTS, &body(json!({"title": "Hello"})), &[], Access::Default);
    let b = prepare_create(&POSTS, &body(json!({"title": "Hello"})), &[], Access::Default);
    assert_ne!(a.values["id"], b.values["id"]);
    let p = prepare_create(&POSTS, &body(json!({"title": "Hello", "id": ""})), &[], Access::Default);
    assert_eq!(p.values["id"].as_str().unwrap().len(), 15);
}
