//! Per field: the value a field holds while a record is being written ([`Slot`]), how a submitted value is
//! coerced into it (PocketBase's `PrepareValue`/setters), how modifiers change it, and its validation
//! (`ValidateValue`) with PocketBase's codes, messages and params.

use super::cast::{self, nonzero_uniques, unique_strings};
use super::error::FieldError;
use super::gofmt::{self, format_float_v, number_value};
use super::{UploadedFile, gotime, pattern, web};
use crate::gojson;
use crate::meta::{FieldKind, FieldMeta};
use serde_json::{Value, json};

/// `DefaultEditorFieldMaxSize` (5 MiB), used when an editor field's `maxSize` is 0.
pub const DEFAULT_EDITOR_MAX_SIZE: u64 = 5 << 20;
/// `DefaultJSONFieldMaxSize` (1 MiB), used when a json field's `maxSize` is 0.
pub const DEFAULT_JSON_MAX_SIZE: u64 = 1 << 20;
/// `DefaultFileFieldMaxSize` (5 MiB), used when a file field's `maxSize` is 0.
pub const DEFAULT_FILE_MAX_SIZE: u64 = 5 << 20;
/// A text field's `max` when its option is 0.
pub const DEFAULT_TEXT_MAX: u64 = 5000;
/// A password field's `max` when its option is 0 (bcrypt's limit).
pub const DEFAULT_PASSWORD_MAX: u64 = 71;
/// The id pattern PocketBase gives every collection; other patterns get extra id checks.
pub const DEFAULT_ID_PATTERN: &str = "^[a-z0-9]+$";

/// One item of a file field: a stored file name or an upload (index into the uploads).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FileItem {
    Name(String),
    Upload(usize),
}

/// A field's value during a write.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    /// text, email, url, editor, date, autodate, single select/relation
    Str(String),
    Num(f64),
    Bool(bool),
    /// multiple select/relation
    List(Vec<String>),
    Geo(f64, f64),
    /// `raw` is the stored JSON text PocketBase measures (`maxSize`) and validates.
    Json {
        value: Value,
        raw: String,
    },
    /// `plain` is a newly set password, `hash` the stored hash (or a marker for a new one).
    Password {
        plain: String,
        hash: String,
    },
    Files(Vec<FileItem>),
}

/// Marker stored as the "hash" of a newly set password (the server hashes after validation).
pub(crate) const NEW_HASH: &str = "$new";

/// A value to set: a submitted value, an already normalized field value, or a file list with uploads.
#[derive(Debug, Clone)]
pub(crate) enum Data {
    Raw(Value),
    Field(Slot),
    Files(Vec<FileItem>),
}

pub(crate) fn is_multi(f: &FieldMeta) -> bool {
    f.is_multi()
}

/// The value of a field that was never set.
pub(crate) fn zero(f: &FieldMeta) -> Slot {
    match f.kind {
        FieldKind::Number { .. } => Slot::Num(0.0),
        FieldKind::Bool => Slot::Bool(false),
        FieldKind::Select { .. } | FieldKind::Relation { .. } if is_multi(f) => Slot::List(Vec::new()),
        FieldKind::File { .. } => Slot::Files(Vec::new()),
        FieldKind::Json { .. } => Slot::Json { value: Value::Null, raw: String::new() },
        FieldKind::Password { .. } => Slot::Password { plain: String::new(), hash: String::new() },
        FieldKind::GeoPoint => Slot::Geo(0.0, 0.0),
        _ => Slot::Str(String::new()),
    }
}

/// A stored value (as the API returns it; passwords as their hash) as a slot.
pub(crate) fn from_stored(f: &FieldMeta, v: &Value) -> Slot {
    match f.kind {
        FieldKind::Password { .. } => Slot::Password { plain: String::new(), hash: cast::to_string(v) },
        FieldKind::Autodate { .. } => Slot::Str(date_string(v)),
        FieldKind::Json { .. } => match v {
            Value::Null => zero(f),
            v => Slot::Json { value: v.clone(), raw: gojson::marshal(v) },
        },
        _ => prepare(f, &Data::Raw(v.clone()), &[]),
    }
}

fn date_string(v: &Value) -> String {
    gotime::parse_value(v).map(|t| gotime::format(&t)).unwrap_or_default()
}

/// `list.ToUniqueStringSlice` of a value to set or of a current slot.
fn data_strings(d: &Data) -> Vec<String> {
    match d {
        Data::Raw(v) => unique_strings(v),
        Data::Field(Slot::Str(s)) => unique_strings(&Value::String(s.clone())),
        Data::Field(Slot::List(l)) => nonzero_uniques(l.clone()),
        Data::Field(_) | Data::Files(_) => Vec::new(),
    }
}

fn slot_strings(s: &Slot) -> Vec<String> {
    data_strings(&Data::Field(s.clone()))
}

/// `normalizeValue` of select/relation: the last item for single fields.
fn select_slot(f: &FieldMeta, items: Vec<String>) -> Slot {
    let items = nonzero_uniques(items);
    if is_multi(f) { Slot::List(items) } else { Slot::Str(items.last().cloned().unwrap_or_default()) }
}

pub(crate) fn file_name<'a>(item: &'a FileItem, uploads: &'a [UploadedFile]) -> &'a str {
    match item {
        FileItem::Name(n) => n,
        FileItem::Upload(i) => uploads.get(*i).map_or("", |u| u.name.as_str()),
    }
}

/// `FileField.toSliceValue` for a decoded value: names (strings, numbers; JSON arrays inside strings) with
/// one-item nesting flattened; duplicates (by name) removed.
fn raw_file_items(v: &Value) -> Vec<FileItem> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .filter_map(|x| {
                let mut one = raw_file_items(x);
                (one.len() == 1).then(|| one.remove(0))
            })
            .collect(),
        v => unique_strings(v).into_iter().map(FileItem::Name).collect(),
    }
}

fn unique_files(items: Vec<FileItem>, uploads: &[UploadedFile]) -> Vec<FileItem> {
    let mut out: Vec<FileItem> = Vec::with_capacity(items.len());
    for it in items {
        let name = file_name(&it, uploads);
        if !out.iter().any(|o| file_name(o, uploads) == name) {
            out.push(it);
        }
    }
    out
}

fn data_files(d: &Data, uploads: &[UploadedFile]) -> Vec<FileItem> {
    let items = match d {
        Data::Raw(v) => raw_file_items(v),
        Data::Field(Slot::Files(items)) | Data::Files(items) => items
            .iter()
            .filter_map(|it| match it {
                FileItem::Upload(_) => Some(it.clone()),
                FileItem::Name(n) => {
                    let mut one = unique_strings(&Value::String(n.clone()));
                    (one.len() == 1).then(|| FileItem::Name(one.remove(0)))
                }
            })
            .collect(),
        Data::Field(_) => Vec::new(),
    };
    unique_files(items, uploads)
}

fn files_slot(f: &FieldMeta, items: Vec<FileItem>, uploads: &[UploadedFile]) -> Slot {
    let items = unique_files(items, uploads);
    if is_multi(f) { Slot::Files(items) } else { Slot::Files(items.into_iter().last().into_iter().collect()) }
}

/// `PrepareValue` / the plain setter: the slot a field gets when `d` is assigned to it.
pub(crate) fn prepare(f: &FieldMeta, d: &Data, uploads: &[UploadedFile]) -> Slot {
    if let Data::Field(s) = d {
        // already normalized by this field (ReplaceModifiers output fed back into Load)
        return match (f.kind, s) {
            (FieldKind::File { .. }, Slot::Files(items)) => {
                files_slot(f, data_files(&Data::Files(items.clone()), uploads), uploads)
            }
            _ => s.clone(),
        };
    }
    let raw = match d {
        Data::Raw(v) => v,
        Data::Files(items) => return files_slot(f, data_files(&Data::Files(items.clone()), uploads), uploads),
        Data::Field(_) => unreachable!(),
    };
    match f.kind {
        FieldKind::Text { .. } | FieldKind::Email { .. } | FieldKind::Url { .. } | FieldKind::Editor { .. } => {
            Slot::Str(cast::to_string(raw))
        }
        FieldKind::Number { .. } => Slot::Num(cast::to_float(raw)),
        FieldKind::Bool => Slot::Bool(cast::to_bool(raw)),
        FieldKind::Date { .. } | FieldKind::Autodate { .. } => Slot::Str(date_string(raw)),
        FieldKind::Select { .. } | FieldKind::Relation { .. } => select_slot(f, unique_strings(raw)),
        FieldKind::File { .. } => files_slot(f, raw_file_items(raw), uploads),
        FieldKind::Json { .. } => prepare_json(raw),
        FieldKind::Password { .. } => {
            let plain = cast::to_string(raw);
            let hash = if plain.is_empty() { String::new() } else { NEW_HASH.to_string() };
            Slot::Password { plain, hash }
        }
        FieldKind::GeoPoint => geo_scan(raw),
    }
}

/// `JSONField.PrepareValue`: strings are JSON text when they look like it (`"[1,2]"` → `[1,2]`, `"12"` →
/// `12`, `"true"`, `"null"`), otherwise a JSON string (quoted with Go's `strconv.Quote`, whose `\x..`
/// escapes for control characters are not valid JSON); other values are marshaled by Go's `encoding/json`.
fn prepare_json(v: &Value) -> Slot {
    match v {
        Value::Null => Slot::Json { value: Value::Null, raw: String::new() },
        Value::String(s) => {
            let looks_json = matches!(s.as_bytes().first(), Some(b'0'..=b'9' | b'-' | b'"' | b'[' | b'{'));
            let keyword = s == "null" || s == "true" || s == "false";
            let raw = if keyword || (looks_json && serde_json::from_str::<Value>(s).is_ok()) {
                s.clone()
            } else {
                gofmt::quote(s)
            };
            let value =
                serde_json::from_str::<Value>(&raw).map(normalize_numbers).unwrap_or_else(|_| Value::String(s.clone()));
            Slot::Json { value, raw }
        }
        v => {
            let raw = gojson::marshal(v);
            let value = serde_json::from_str::<Value>(&raw).map(normalize_numbers).unwrap_or(Value::Null);
            Slot::Json { value, raw }
        }
    }
}

/// Numbers as Go writes float64s: integral values without a fraction.
fn normalize_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) => number_value(n.as_f64().unwrap_or(0.0)),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize_numbers).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, normalize_numbers(v))).collect()),
        v => v,
    }
}

/// `types.GeoPoint.Scan`: an object (or JSON text of one) with `lon`/`lat` numbers (keys matched
/// case-insensitively, non-numbers ignored); anything else is `{0,0}`.
fn geo_scan(v: &Value) -> Slot {
    let parsed;
    let obj = match v {
        Value::String(s) if s.is_empty() => return Slot::Geo(0.0, 0.0),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(p) => {
                parsed = p;
                &parsed
            }
            Err(_) => return Slot::Geo(0.0, 0.0),
        },
        v => v,
    };
    let (mut lon, mut lat) = (0.0, 0.0);
    if let Value::Object(m) = obj {
        // PocketBase 0.40.6 matches the keys case-sensitively and stops at the first `lon`/`lat` that is
        // neither a number nor null (what was set before stays). It goes in document order; a serde_json
        // map is sorted, so `lat` comes first here.
        for (k, v) in m {
            let target = match k.as_str() {
                "lon" => &mut lon,
                "lat" => &mut lat,
                _ => continue,
            };
            match v {
                Value::Number(n) => *target = n.as_f64().unwrap_or(0.0),
                Value::Null => {}
                _ => break,
            }
        }
    }
    Slot::Geo(lon, lat)
}

/// The value the API returns for a slot (passwords: the new plain text or the stored hash; callers
/// decide what to expose).
pub(crate) fn output(f: &FieldMeta, s: &Slot, uploads: &[UploadedFile]) -> Value {
    match s {
        Slot::Str(v) => Value::String(v.clone()),
        Slot::Num(n) => {
            if n.is_finite() {
                number_value(*n)
            } else {
                Value::Null
            }
        }
        Slot::Bool(b) => Value::Bool(*b),
        Slot::List(l) => json!(l),
        Slot::Geo(lon, lat) => json!({"lon": number_value(*lon), "lat": number_value(*lat)}),
        Slot::Json { value, .. } => value.clone(),
        Slot::Password { plain, hash } => Value::String(if plain.is_empty() { hash.clone() } else { plain.clone() }),
        Slot::Files(items) => {
            let names: Vec<Value> = items.iter().map(|i| Value::String(file_name(i, uploads).to_string())).collect();
            if is_multi(f) {
                Value::Array(names)
            } else {
                names.into_iter().last().unwrap_or_else(|| Value::String(String::new()))
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Modifiers

/// A setter key of a field: the plain name or one of PocketBase's modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    /// `field`
    Set,
    /// `field+`: add (number) or append (select, relation, file).
    Append,
    /// `+field`: prepend (select, relation, file).
    Prepend,
    /// `field-`: subtract (number) or remove (select, relation, file).
    Remove,
    /// `field:autogenerate` (text): the value followed by a string generated from `autogeneratePattern`.
    Autogenerate,
}

/// The modifier `key` addresses on field `f`, if `f` has such a setter (PocketBase's `FindSetter`).
pub fn setter_for(f: &FieldMeta, key: &str) -> Option<Modifier> {
    let name = f.name;
    if key == name {
        return Some(Modifier::Set);
    }
    let suffix = |s: &str| key.len() == name.len() + s.len() && key.starts_with(name) && key.ends_with(s);
    match f.kind {
        FieldKind::Text { .. } if suffix(":autogenerate") => Some(Modifier::Autogenerate),
        FieldKind::Number { .. } if suffix("+") => Some(Modifier::Append),
        FieldKind::Number { .. } if suffix("-") => Some(Modifier::Remove),
        FieldKind::Select { .. } | FieldKind::Relation { .. } | FieldKind::File { .. } => {
            if suffix("+") {
                Some(Modifier::Append)
            } else if suffix("-") {
                Some(Modifier::Remove)
            } else if key.len() == name.len() + 1 && key.starts_with('+') && &key[1..] == name {
                Some(Modifier::Prepend)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Applies one setter to the current slot.
pub(crate) fn apply(f: &FieldMeta, cur: &Slot, m: Modifier, d: &Data, uploads: &[UploadedFile]) -> Slot {
    match (f.kind, m) {
        (FieldKind::Autodate { .. }, _) => cur.clone(), // PocketBase's noop setter
        (_, Modifier::Set) => prepare(f, d, uploads),
        (FieldKind::Text { autogenerate_pattern, .. }, Modifier::Autogenerate) => {
            let mut v = match d {
                Data::Raw(v) => cast::to_string(v),
                Data::Field(Slot::Str(s)) => s.clone(),
                _ => String::new(),
            };
            if !autogenerate_pattern.is_empty() {
                v.push_str(&pattern::autogenerate(autogenerate_pattern).unwrap_or_default());
            }
            Slot::Str(v)
        }
        (FieldKind::Number { .. }, Modifier::Append | Modifier::Remove) => {
            let base = match cur {
                Slot::Num(n) => *n,
                _ => 0.0,
            };
            let delta = match d {
                Data::Raw(v) => cast::to_float(v),
                Data::Field(Slot::Num(n)) => *n,
                _ => 0.0,
            };
            Slot::Num(if m == Modifier::Append { base + delta } else { base - delta })
        }
        (FieldKind::Select { .. } | FieldKind::Relation { .. }, _) => {
            let current = slot_strings(cur);
            let given = data_strings(d);
            let items = match m {
                Modifier::Append => current.into_iter().chain(given).collect(),
                Modifier::Prepend => given.into_iter().chain(current).collect(),
                _ => current.into_iter().filter(|x| !given.contains(x)).collect(),
            };
            select_slot(f, items)
        }
        (FieldKind::File { .. }, _) => {
            let current = data_files(&Data::Field(cur.clone()), uploads);
            let given = data_files(d, uploads);
            let items = match m {
                Modifier::Append => current.into_iter().chain(given).collect(),
                Modifier::Prepend => given.into_iter().chain(current).collect(),
                _ => {
                    let removed: Vec<&str> = given.iter().map(|g| file_name(g, uploads)).collect();
                    current.into_iter().filter(|c| !removed.contains(&file_name(c, uploads))).collect()
                }
            };
            files_slot(f, items, uploads)
        }
        _ => cur.clone(),
    }
}

// ------------------------------------------------------------------------------------------------
// Validation

/// What a field's validation needs beyond its value.
pub(crate) struct Ctx<'a> {
    pub is_new: bool,
    pub uploads: &'a [UploadedFile],
    /// The stored value of the field (update) or the zero value (create).
    pub old: &'a Slot,
}

/// `Field.ValidateValue`.
pub(crate) fn validate(f: &FieldMeta, s: &Slot, ctx: &Ctx) -> Result<(), FieldError> {
    match (f.kind, s) {
        (FieldKind::Text { primary_key, .. }, Slot::Str(v)) => {
            if primary_key && !ctx.is_new {
                let old = match ctx.old {
                    Slot::Str(o) => o.as_str(),
                    _ => "",
                };
                if old != v {
                    return Err(FieldError::new("validation_pk_change", "The record primary key cannot be changed."));
                }
                if !old.is_empty() {
                    return Ok(());
                }
            }
            validate_text(f, v)
        }
        (FieldKind::Number { min, max, only_int }, Slot::Num(v)) => {
            let v = *v;
            if !v.is_finite() {
                return Err(FieldError::new(
                    "validation_not_a_number",
                    "The submitted number is not properly formatted",
                ));
            }
            if v == 0.0 {
                return if f.required { Err(FieldError::required()) } else { Ok(()) };
            }
            if only_int && v != (v as i64) as f64 {
                return Err(FieldError::new("validation_only_int_constraint", "Decimal numbers are not allowed"));
            }
            if let Some(min) = min.filter(|m| v < *m) {
                return Err(FieldError::with_params(
                    "validation_min_number_constraint",
                    format!("Must be greater or equal than {}", format_float_v(min)),
                    json!({"min": number_value(min)}),
                ));
            }
            if let Some(max) = max.filter(|m| v > *m) {
                return Err(FieldError::with_params(
                    "validation_max_number_constraint",
                    format!("Must be less or equal than {}", format_float_v(max)),
                    json!({"max": number_value(max)}),
                ));
            }
            Ok(())
        }
        (FieldKind::Bool, Slot::Bool(b)) => {
            if f.required && !b {
                Err(FieldError::required())
            } else {
                Ok(())
            }
        }
        (FieldKind::Email { except_domains, only_domains }, Slot::Str(v)) => {
            if v.is_empty() {
                return if f.required { Err(FieldError::required()) } else { Ok(()) };
            }
            if !web::is_email(v) {
                return Err(FieldError::new("validation_is_email", "must be a valid email address"));
            }
            let domain = &v[v.rfind('@').map_or(0, |i| i + 1)..];
            if (!only_domains.is_empty() && !only_domains.contains(&domain)) || except_domains.contains(&domain) {
                return Err(FieldError::new("validation_email_domain_not_allowed", "Email domain is not allowed"));
            }
            Ok(())
        }
        (FieldKind::Url { except_domains, only_domains }, Slot::Str(v)) => {
            if v.is_empty() {
                return if f.required { Err(FieldError::required()) } else { Ok(()) };
            }
            if !web::is_url(v) {
                return Err(FieldError::new("validation_invalid_url", "Must be a valid url"));
            }
            if !only_domains.is_empty() || !except_domains.is_empty() {
                let host = web::parse_url(v).map(|u| u.host).unwrap_or_default();
                if (!only_domains.is_empty() && !only_domains.contains(&host.as_str()))
                    || except_domains.contains(&host.as_str())
                {
                    return Err(FieldError::new("validation_url_domain_not_allowed", "Url domain is not allowed"));
                }
            }
            Ok(())
        }
        (FieldKind::Editor { max_size, .. }, Slot::Str(v)) => {
            if f.required && v.is_empty() {
                return Err(FieldError::required());
            }
            let max = if max_size == 0 { DEFAULT_EDITOR_MAX_SIZE } else { max_size };
            if v.len() as u64 > max {
                return Err(FieldError::with_params(
                    "validation_content_size_limit",
                    format!("The maximum allowed content size is {max} bytes"),
                    json!({ "maxSize": max }),
                ));
            }
            Ok(())
        }
        (FieldKind::Date { min, max }, Slot::Str(v)) => {
            let Some(t) = gotime::parse_str(v) else {
                return if f.required { Err(FieldError::required()) } else { Ok(()) };
            };
            if let Some(min) = gotime::parse_str(min).filter(|m| t < *m) {
                return Err(FieldError::with_params(
                    "validation_min_greater_equal_than_required",
                    format!("must be no less than {}", gotime::go_string(&min)),
                    json!({ "threshold": gotime::rfc3339_nano(&min) }),
                ));
            }
            if let Some(max) = gotime::parse_str(max).filter(|m| t > *m) {
                return Err(FieldError::with_params(
                    "validation_max_less_equal_than_required",
                    format!("must be no greater than {}", gotime::go_string(&max)),
                    json!({ "threshold": gotime::rfc3339_nano(&max) }),
                ));
            }
            Ok(())
        }
        (FieldKind::Autodate { .. }, _) => Ok(()),
        (FieldKind::Select { values, max_select }, _) => {
            let items = slot_strings(s);
            if items.is_empty() {
                return if f.required { Err(FieldError::required()) } else { Ok(()) };
            }
            let max = max_select.max(1);
            if items.len() as u64 > max {
                return Err(too_many_values(max));
            }
            if let Some(bad) = items.iter().find(|v| !values.contains(&v.as_str())) {
                return Err(FieldError::with_params(
                    "validation_invalid_value",
                    format!("Invalid value {bad}"),
                    json!({ "value": bad }),
                ));
            }
            Ok(())
        }
        (FieldKind::Relation { min_select, max_select, .. }, _) => {
            let ids = slot_strings(s);
            if ids.is_empty() {
                return if f.required { Err(FieldError::required()) } else { Ok(()) };
            }
            if min_select > 0 && (ids.len() as u64) < min_select {
                return Err(FieldError::with_params(
                    "validation_not_enough_values",
                    format!("Select at least {min_select}"),
                    json!({ "minSelect": min_select }),
                ));
            }
            let max = max_select.max(1);
            if ids.len() as u64 > max {
                return Err(too_many_values(max));
            }
            Ok(())
        }
        (FieldKind::File { max_select, max_size, mime_types, .. }, Slot::Files(items)) => {
            validate_files(f, items, ctx, max_select, max_size, mime_types)
        }
        (FieldKind::Json { max_size }, Slot::Json { raw, .. }) => {
            let max = if max_size == 0 { DEFAULT_JSON_MAX_SIZE } else { max_size };
            if raw.len() as u64 > max {
                return Err(FieldError::with_params(
                    "validation_json_size_limit",
                    format!("The maximum allowed JSON size is {max} bytes"),
                    json!({ "maxSize": max }),
                ));
            }
            if !raw.is_empty() && serde_json::from_str::<serde::de::IgnoredAny>(raw).is_err() {
                return Err(FieldError::new("validation_invalid_json", "Must be a valid json value"));
            }
            if f.required && matches!(raw.trim(), "null" | "\"\"" | "[]" | "{}" | "") {
                return Err(FieldError::required());
            }
            Ok(())
        }
        (FieldKind::Password { min, max, pattern: pat, .. }, Slot::Password { plain, hash }) => {
            // PocketBase hashes when the value is set; bcrypt refuses more than 72 bytes, and that error
            // comes first (as a non-validation error: "Invalid value.")
            if plain.len() > 72 {
                return Err(FieldError::new("validation_invalid_value", "Invalid value."));
            }
            if f.required && hash.is_empty() {
                return Err(FieldError::required());
            }
            if plain.is_empty() {
                return Ok(());
            }
            let len = plain.chars().count() as u64;
            if len < min {
                return Err(FieldError::new(
                    "validation_min_text_constraint",
                    format!("Must be at least {min} character(s)"),
                ));
            }
            let max = if max == 0 { DEFAULT_PASSWORD_MAX } else { max };
            if len > max {
                return Err(FieldError::new(
                    "validation_max_text_constraint",
                    format!("Must be less than {max} character(s)"),
                ));
            }
            if !pat.is_empty() && !pattern::is_match(pat, plain) {
                return Err(FieldError::new("validation_invalid_format", "Invalid value format"));
            }
            Ok(())
        }
        (FieldKind::GeoPoint, Slot::Geo(lon, lat)) => {
            if *lon == 0.0 && *lat == 0.0 {
                return if f.required { Err(FieldError::required()) } else { Ok(()) };
            }
            if !(-90.0..=90.0).contains(lat) {
                return Err(FieldError::new(
                    "validation_invalid_latitude",
                    "Latitude must be between -90 and 90 degrees.",
                ));
            }
            if !(-180.0..=180.0).contains(lon) {
                return Err(FieldError::new(
                    "validation_invalid_longitude",
                    "Longitude must be between -180 and 180 degrees.",
                ));
            }
            Ok(())
        }
        _ => Err(FieldError::new("validation_unsupported_value_type", "Invalid or unsupported value type.")),
    }
}

fn too_many_values(max: u64) -> FieldError {
    FieldError::with_params(
        "validation_too_many_values",
        format!("Select no more than {max}"),
        json!({ "maxSelect": max }),
    )
}

/// `TextField.ValidatePlainValue`.
fn validate_text(f: &FieldMeta, v: &str) -> Result<(), FieldError> {
    let FieldKind::Text { min, max, pattern: pat, primary_key, .. } = f.kind else {
        return Ok(());
    };
    if v.is_empty() {
        return if f.required || primary_key { Err(FieldError::required()) } else { Ok(()) };
    }
    let len = v.chars().count() as u64;
    if min > 0 && len < min {
        return Err(FieldError::with_params(
            "validation_min_text_constraint",
            format!("Must be at least {min} character(s)."),
            json!({ "min": min }),
        ));
    }
    let max = if max == 0 { DEFAULT_TEXT_MAX } else { max };
    if len > max {
        return Err(FieldError::with_params(
            "validation_max_text_constraint",
            format!("Must be no more than {max} character(s)."),
            json!({ "max": max }),
        ));
    }
    if !pat.is_empty() && !pattern::is_match(pat, v) {
        return Err(FieldError::new("validation_invalid_format", "Invalid value format."));
    }
    if primary_key && pat != DEFAULT_ID_PATTERN {
        const FORBIDDEN: [&str; 19] =
            [".", "/", "\\", "|", "\"", "'", "`", "<", ">", ":", "?", "*", "%", "$", "\0", "\t", "\n", "\r", " "];
        if let Some(ch) = FORBIDDEN.iter().find(|c| v.contains(**c)) {
            return Err(FieldError::with_params(
                "validation_forbidden_pk_character",
                format!("'{ch}' is not a valid primary key character."),
                json!({ "ch": ch }),
            ));
        }
        const RESERVED: [&str; 22] = [
            "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1",
            "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
        ];
        if len <= 4
            && let Some(r) = RESERVED.iter().find(|r| v.to_uppercase() == **r)
        {
            return Err(FieldError::with_params(
                "validation_reserved_pk",
                format!("The primary key '{r}' is reserved and cannot be used."),
                json!({ "reserved": r }),
            ));
        }
    }
    Ok(())
}

fn validate_files(
    f: &FieldMeta,
    items: &[FileItem],
    ctx: &Ctx,
    max_select: u64,
    max_size: u64,
    mime_types: &[&str],
) -> Result<(), FieldError> {
    if items.is_empty() {
        return if f.required { Err(FieldError::required()) } else { Ok(()) };
    }
    // names that were not stored before must come as uploads
    let old: Vec<&str> = match ctx.old {
        Slot::Files(o) => {
            o.iter().filter_map(|i| if let FileItem::Name(n) = i { Some(n.as_str()) } else { None }).collect()
        }
        _ => Vec::new(),
    };
    let added: Vec<Value> = items
        .iter()
        .filter_map(|i| match i {
            FileItem::Name(n) if !old.contains(&n.as_str()) => Some(Value::String(gofmt::cut_bytes(n, 250))),
            _ => None,
        })
        .collect();
    if !added.is_empty() {
        let list: Vec<&str> = added.iter().filter_map(Value::as_str).collect();
        return Err(FieldError::with_params(
            "validation_invalid_file",
            format!("Invalid new files: [{}].", list.join(" ")),
            json!({ "invalidFiles": added }),
        ));
    }
    let max_select = max_select.max(1);
    if items.len() as u64 > max_select {
        return Err(FieldError::with_params(
            "validation_too_many_files",
            format!("The maximum allowed files is {max_select}"),
            json!({ "maxSelect": max_select }),
        ));
    }
    let max_size = if max_size == 0 { DEFAULT_FILE_MAX_SIZE } else { max_size };
    for item in items {
        let FileItem::Upload(i) = item else { continue };
        let Some(up) = ctx.uploads.get(*i) else { continue };
        if !up.name.is_empty() && !(1..=150).contains(&up.name.len()) {
            return Err(FieldError::with_params(
                "validation_length_out_of_range",
                "the length must be between 1 and 150",
                json!({"min": 1, "max": 150}),
            ));
        }
        if !up.name.is_empty() && !loose_filename(&up.name) {
            return Err(FieldError::new("validation_match_invalid", "must be in a valid format"));
        }
        if up.size > max_size {
            let file = if up.original_name.len() > 300 {
                format!("{}...", gofmt::cut_bytes(&up.original_name, 300))
            } else {
                up.original_name.clone()
            };
            return Err(FieldError::with_params(
                "validation_file_size_limit",
                format!("Failed to upload {file} - the maximum allowed file size is {max_size} bytes."),
                json!({ "file": file, "maxSize": max_size }),
            ));
        }
        if !mime_types.is_empty() {
            let detected = media_type(&up.mime);
            if !mime_types.iter().any(|t| media_type(t) == detected) {
                return Err(FieldError::new(
                    "validation_invalid_mime_type",
                    format!("{} mime type must be one of: {}.", gofmt::quote(&up.name), mime_types.join(", ")),
                ));
            }
        }
    }
    Ok(())
}

/// `^[^\./\\][^/\\]+$`
fn loose_filename(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some('.' | '/' | '\\') | None => false,
        Some(_) => {
            let rest = chars.as_str();
            !rest.is_empty() && !rest.contains(['/', '\\'])
        }
    }
}

/// A MIME type without parameters, lowercased (`mime.ParseMediaType`'s media type).
fn media_type(m: &str) -> String {
    m.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

// ------------------------------------------------------------------------------------------------
// Public single-field helpers

/// The value PocketBase stores (and the API returns) when `raw` is submitted for field `f` on a new record:
/// `"12"` → `12` for numbers, `"1"` → `true` for bools, `123` → `"123"` for text, dates normalized to
/// `2024-05-01 10:00:00.000Z` (UTC), select/relation lists deduplicated (single ones keep the last item),
/// json any value, geoPoint `{"lon":…,"lat":…}`, file fields their file names, password fields the plain text.
pub fn coerce(f: &FieldMeta, raw: &Value) -> Value {
    let slot = prepare(f, &Data::Raw(raw.clone()), &[]);
    match f.kind {
        FieldKind::Autodate { .. } => Value::String(date_string(raw)),
        _ => output(f, &slot, &[]),
    }
}

/// Coerces `raw` like [`coerce`] and validates the result with the field's options; `Ok` is the normalized
/// value. File names are treated as files the record already has (so only `required` and `maxSelect` apply
/// to them), ids are checked as on create, and relation existence is not checked (the server does that,
/// see [`RelationCheck`](super::RelationCheck)).
pub fn check_field(f: &FieldMeta, raw: &Value) -> Result<Value, FieldError> {
    let slot = match f.kind {
        FieldKind::Autodate { .. } => Slot::Str(date_string(raw)),
        _ => prepare(f, &Data::Raw(raw.clone()), &[]),
    };
    let old = match &slot {
        Slot::Files(_) => slot.clone(),
        _ => zero(f),
    };
    validate(f, &slot, &Ctx { is_new: true, uploads: &[], old: &old })?;
    Ok(output(f, &slot, &[]))
}

/// Applies a modifier the way PocketBase's setters do and returns the new value (API-shaped):
/// numbers add/subtract (`"views+": 5`), select/relation/file lists append, prepend or remove items
/// (duplicates dropped; single fields keep the last item), `Set` coerces like [`coerce`], and
/// `Autogenerate` appends a value generated from a text field's `autogeneratePattern`.
pub fn apply_modifier(f: &FieldMeta, current: &Value, modifier: Modifier, raw: &Value) -> Value {
    let cur = from_stored(f, current);
    let next = apply(f, &cur, modifier, &Data::Raw(raw.clone()), &[]);
    output(f, &next, &[])
}
