//! Record field coercion and validation exactly as PocketBase 0.40 does it — pure functions over
//! [`meta`](crate::meta) descriptions and `serde_json` values, no I/O.
//!
//! * [`coerce`] / [`check_field`] / [`apply_modifier`]: one field's value.
//! * [`prepare_create`] / [`prepare_update`]: a whole create/update request body (plus uploaded files) →
//!   [`Prepared`]: every field's new value, the errors PocketBase would report (codes, messages and params
//!   identical, see [`FieldError`] / [`FieldErrors`]) and the checks only the database can make (relation
//!   ids, custom ids, old passwords). [`Prepared`] documents the order in which the server uses it.
//!
//! What is *not* here: access rules, unique indexes (`validation_not_unique`), relation existence (handed
//! out as [`RelationCheck`]s), bcrypt, file storage and name generation, the extra validators of the system
//! collections (`_mfas`, `_otps`, `_authOrigins`, `_externalAuths`), and the cross-collection auth id check
//! (`validation_invalid_auth_id`, [`FieldError::invalid_auth_id`]).
//!
//! Coercion follows Go: `spf13/cast` for numbers/bools/strings (`strconv.ParseFloat` syntax: `"1_000"`,
//! `"0x1p4"`, `"Inf"`), PocketBase's date parsing (its own layout, then every layout of `cast.ToTime`, offsets
//! converted to UTC), `list.ToUniqueStringSlice` for select/relation/file lists (a string containing `[`
//! is tried as a JSON array), the json field's string rules, and Go's `encoding/json` output to measure
//! json sizes. Text lengths count characters (runes), editor/json sizes count bytes.

pub(crate) mod cast;
mod error;
mod field;
pub(crate) mod gofmt;
mod gotime;
mod pattern;
mod record;
mod web;

#[cfg(test)]
mod tests;

pub use error::{FieldError, FieldErrors};
pub use field::{
    DEFAULT_EDITOR_MAX_SIZE, DEFAULT_FILE_MAX_SIZE, DEFAULT_ID_PATTERN, DEFAULT_JSON_MAX_SIZE, DEFAULT_PASSWORD_MAX,
    DEFAULT_TEXT_MAX, Modifier, apply_modifier, check_field, coerce, setter_for,
};
pub use pattern::autogenerate;
pub use record::{Access, Prepared, RelationCheck, Upload, UploadedFile, prepare_create, prepare_update};
/// ozzo-validation's `is.EmailFormat` (what PocketBase checks emails and sign-in identities with).
pub(crate) use web::is_email;

/// PocketBase's date coercion of a submitted value: `"2024-05-01T12:00:00+02:00"` →
/// `"2024-05-01 10:00:00.000Z"`; anything unparsable (and Go's zero time) → `""`.
pub fn normalize_date(raw: &serde_json::Value) -> String {
    gotime::parse_value(raw).map(|t| gotime::format(&t)).unwrap_or_default()
}

/// Go's `regexp.MatchString(pattern, value)` for a field `pattern` (Go's ASCII `\d`, `\w`, `\s`, `\b`);
/// a pattern that does not compile matches nothing.
pub fn pattern_matches(pattern: &str, value: &str) -> bool {
    pattern::is_match(pattern, value)
}
