//! Validation errors shaped as PocketBase's API returns them.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One field's error: `{"code":…,"message":…,"params":…}` (`params` omitted when absent), exactly as in
/// the `data` object of PocketBase's 400 responses. Messages are final: capitalized and ending with a
/// period, as PocketBase's `inflector.Sentenize` leaves them.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub code: &'static str,
    pub message: String,
    pub params: Option<Map<String, Value>>,
}

impl FieldError {
    /// An error without params; the message is sentenized (`"Cannot be blank"` → `"Cannot be blank."`).
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        FieldError { code, message: sentenize(&message.into()), params: None }
    }

    /// An error with params (a JSON object).
    pub fn with_params(code: &'static str, message: impl Into<String>, params: Value) -> Self {
        let params = match params {
            Value::Object(m) if !m.is_empty() => Some(m),
            _ => None,
        };
        FieldError { code, message: sentenize(&message.into()), params }
    }

    /// `validation_required`, "Cannot be blank."
    pub fn required() -> Self {
        Self::new("validation_required", "Cannot be blank.")
    }

    /// `validation_missing_rel_records`: the server's answer when a [`RelationCheck`](super::RelationCheck)
    /// finds fewer records than ids.
    pub fn missing_rel_records() -> Self {
        Self::new("validation_missing_rel_records", "Failed to find all relation records with the provided ids.")
    }

    /// `validation_missing_rel_collection`: the relation's target collection cannot be found.
    pub fn missing_rel_collection() -> Self {
        Self::new("validation_missing_rel_collection", "Relation connection is missing or cannot be accessed.")
    }

    /// `validation_pk_invalid`: a custom-pattern id that already exists (case-insensitively).
    pub fn pk_invalid() -> Self {
        Self::new("validation_pk_invalid", "The record primary key is invalid or already exists.")
    }

    /// `validation_invalid_old_password` (auth collections).
    pub fn invalid_old_password() -> Self {
        Self::new("validation_invalid_old_password", "Missing or invalid old password.")
    }

    /// `validation_not_unique`, what PocketBase reports for a unique index violation.
    pub fn not_unique() -> Self {
        Self::new("validation_not_unique", "Value must be unique.")
    }

    /// `validation_invalid_auth_id`: the id of an auth record exists in another auth collection.
    pub fn invalid_auth_id() -> Self {
        Self::new("validation_invalid_auth_id", "Invalid or duplicated auth record id.")
    }
}

impl Serialize for FieldError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(if self.params.is_some() { 3 } else { 2 }))?;
        m.serialize_entry("code", self.code)?;
        m.serialize_entry("message", &self.message)?;
        if let Some(p) = &self.params {
            m.serialize_entry("params", p)?;
        }
        m.end()
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Field name → error, serialized (keys sorted, as Go's `encoding/json` writes a map) as the `data` object
/// of a 400 response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldErrors(pub BTreeMap<String, FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Sets (replaces) the error of `field`.
    pub fn insert(&mut self, field: impl Into<String>, error: FieldError) {
        self.0.insert(field.into(), error);
    }

    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.get(field)
    }

    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &FieldError)> {
        self.0.iter()
    }

    /// The `data` object as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Serialize for FieldErrors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (k, e)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{k}: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

/// PocketBase's `inflector.Sentenize`: trim, uppercase the first character, end with `.` unless the text
/// already ends with `.`, `?` or `!`.
pub(crate) fn sentenize(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() {
        return String::new();
    }
    let mut chars = s.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !(out.ends_with('.') || out.ends_with('?') || out.ends_with('!')) {
        out.push('.');
    }
    out
}
