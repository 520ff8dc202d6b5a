//! A faithful serde mirror of PocketBase's collection JSON (the v0.23+ shape, PocketBase 0.40 included).
//!
//! Legacy (v0.22 and older) input is converted into this same model by [`legacy`], and a `data.db` is read
//! into it by [`db`], so everything after loading sees one shape. Unknown keys are ignored, as PocketBase
//! ignores them; `null` where a value is expected means the default, as it does in PocketBase.

pub mod db;
pub mod legacy;
pub mod load;

use serde::{Deserialize, Deserializer, Serialize};

pub use load::{load_path, load_str, read_path, read_str};

/// A whole schema: the collections in input order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Schema {
    pub collections: Vec<Collection>,
    /// What could not be read (already reported), so later stages do not report it again.
    #[serde(skip)]
    pub unreadable: Unreadable,
}

/// Collections and fields that failed to load, by name (and collection id).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unreadable {
    /// Names and ids of collections that could not be read at all.
    pub collections: std::collections::BTreeSet<String>,
    /// `(collection name, field name)` of fields that could not be read.
    pub fields: std::collections::BTreeSet<(String, String)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CollectionType {
    #[default]
    Base,
    Auth,
    View,
}

impl CollectionType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Base => "base",
            Self::Auth => "auth",
            Self::View => "view",
        }
    }
}

/// One collection. `fields` is filled by the loader field by field, so that one bad field does not hide others.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: CollectionType,
    #[serde(default, deserialize_with = "null_default")]
    pub system: bool,
    /// `None` is PocketBase's `null`: superusers only. A missing key means the same.
    #[serde(default)]
    pub list_rule: Option<String>,
    #[serde(default)]
    pub view_rule: Option<String>,
    #[serde(default)]
    pub create_rule: Option<String>,
    #[serde(default)]
    pub update_rule: Option<String>,
    #[serde(default)]
    pub delete_rule: Option<String>,
    #[serde(skip_deserializing)]
    pub fields: Vec<Field>,
    #[serde(default, deserialize_with = "null_default")]
    pub indexes: Vec<String>,
    #[serde(default)]
    pub view_query: Option<String>,
    /// Read separately by the loader, so that errors inside it carry their key path.
    #[serde(flatten, skip_deserializing)]
    pub auth: AuthOptions,
}

/// The auth-collection keys (absent on base and view collections).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthOptions {
    #[serde(default)]
    pub auth_rule: Option<String>,
    #[serde(default)]
    pub manage_rule: Option<String>,
    #[serde(default)]
    pub password_auth: Option<PasswordAuth>,
    #[serde(default)]
    pub oauth2: Option<Toggle>,
    #[serde(default)]
    pub mfa: Option<Mfa>,
    #[serde(default)]
    pub otp: Option<Otp>,
    #[serde(default)]
    pub auth_alert: Option<AuthAlert>,
    #[serde(default)]
    pub auth_token: Option<TokenConfig>,
    #[serde(default)]
    pub password_reset_token: Option<TokenConfig>,
    #[serde(default)]
    pub email_change_token: Option<TokenConfig>,
    #[serde(default)]
    pub verification_token: Option<TokenConfig>,
    #[serde(default)]
    pub file_token: Option<TokenConfig>,
    #[serde(default)]
    pub verification_template: Option<EmailTemplate>,
    #[serde(default)]
    pub reset_password_template: Option<EmailTemplate>,
    #[serde(default)]
    pub confirm_email_change_template: Option<EmailTemplate>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordAuth {
    #[serde(default, deserialize_with = "null_default")]
    pub enabled: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub identity_fields: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Toggle {
    #[serde(default, deserialize_with = "null_default")]
    pub enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Mfa {
    #[serde(default, deserialize_with = "null_default")]
    pub enabled: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub duration: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub rule: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Otp {
    #[serde(default, deserialize_with = "null_default")]
    pub enabled: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub duration: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub length: u64,
    #[serde(default)]
    pub email_template: Option<EmailTemplate>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthAlert {
    #[serde(default, deserialize_with = "null_default")]
    pub enabled: bool,
    #[serde(default)]
    pub email_template: Option<EmailTemplate>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct TokenConfig {
    #[serde(default, deserialize_with = "null_default")]
    pub duration: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct EmailTemplate {
    #[serde(default, deserialize_with = "null_default")]
    pub subject: String,
    #[serde(default, deserialize_with = "null_default")]
    pub body: String,
}

/// One field: the keys every type shares, and the type with its options.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    #[serde(flatten)]
    pub common: FieldCommon,
    #[serde(flatten)]
    pub kind: FieldKind,
    /// Where the field stands in the input's field list, for error paths; `None` for fields we add.
    #[serde(skip)]
    pub position: Option<usize>,
}

impl std::ops::Deref for Field {
    type Target = FieldCommon;
    fn deref(&self) -> &FieldCommon {
        &self.common
    }
}

/// The keys every field type has.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldCommon {
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub system: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub hidden: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub presentable: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub required: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub help: String,
}

/// The 14 field types of PocketBase 0.40, keyed by the JSON `type` (the loader picks the variant, so an
/// unknown type gets its own message and option errors keep their key path).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FieldKind {
    Text(TextOptions),
    Number(NumberOptions),
    Bool(NoOptions),
    Email(DomainOptions),
    Url(DomainOptions),
    Editor(EditorOptions),
    Date(DateOptions),
    Autodate(AutodateOptions),
    Select(SelectOptions),
    File(FileOptions),
    Relation(RelationOptions),
    Json(JsonOptions),
    Password(PasswordOptions),
    GeoPoint(NoOptions),
}

impl FieldKind {
    pub const TYPE_NAMES: [&'static str; 14] = [
        "text", "number", "bool", "email", "url", "editor", "date", "autodate", "select", "file", "relation", "json",
        "password", "geoPoint",
    ];

    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Number(_) => "number",
            Self::Bool(_) => "bool",
            Self::Email(_) => "email",
            Self::Url(_) => "url",
            Self::Editor(_) => "editor",
            Self::Date(_) => "date",
            Self::Autodate(_) => "autodate",
            Self::Select(_) => "select",
            Self::File(_) => "file",
            Self::Relation(_) => "relation",
            Self::Json(_) => "json",
            Self::Password(_) => "password",
            Self::GeoPoint(_) => "geoPoint",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct NoOptions {}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextOptions {
    /// Characters; 0 means no limit.
    #[serde(default, deserialize_with = "null_default")]
    pub min: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub max: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub pattern: String,
    #[serde(default, deserialize_with = "null_default")]
    pub autogenerate_pattern: String,
    #[serde(default, deserialize_with = "null_default")]
    pub primary_key: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberOptions {
    /// `None` means no limit.
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default, deserialize_with = "null_default")]
    pub only_int: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainOptions {
    #[serde(default, deserialize_with = "null_default")]
    pub except_domains: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub only_domains: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditorOptions {
    #[serde(rename = "convertURLs", default, deserialize_with = "null_default")]
    pub convert_urls: bool,
    /// Bytes; 0 means the default.
    #[serde(default, deserialize_with = "null_default")]
    pub max_size: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct DateOptions {
    /// `""` or a date in PocketBase's `2006-01-02 15:04:05.000Z` form.
    #[serde(default, deserialize_with = "null_default")]
    pub min: String,
    #[serde(default, deserialize_with = "null_default")]
    pub max: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutodateOptions {
    #[serde(default, deserialize_with = "null_default")]
    pub on_create: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub on_update: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectOptions {
    /// ≤ 1 means a single value.
    #[serde(default, deserialize_with = "null_default")]
    pub max_select: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileOptions {
    #[serde(default, deserialize_with = "null_default")]
    pub max_select: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub max_size: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub mime_types: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub protected: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub thumbs: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationOptions {
    /// The target collection's id (PocketBase also accepts its name).
    #[serde(default, deserialize_with = "null_default")]
    pub collection_id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub cascade_delete: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub min_select: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub max_select: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonOptions {
    #[serde(default, deserialize_with = "null_default")]
    pub max_size: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordOptions {
    /// bcrypt cost; 0 means 10.
    #[serde(default, deserialize_with = "null_default")]
    pub cost: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub min: u64,
    /// 0 means 71 (bcrypt's limit).
    #[serde(default, deserialize_with = "null_default")]
    pub max: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub pattern: String,
}

/// `null` (and a missing key, with `#[serde(default)]`) means the type's default, as in PocketBase.
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// IEEE CRC-32, which PocketBase uses for default collection (`pbc_<crc>`) and field (`<type><crc>`) ids.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & 0u32.wrapping_sub(crc & 1));
        }
    }
    !crc
}

/// The id PocketBase gives a field that has none.
pub fn default_field_id(type_name: &str, name: &str) -> String {
    format!("{type_name}{}", crc32(name.as_bytes()))
}

/// The id PocketBase gives a collection that has none.
pub fn default_collection_id(kind: CollectionType, name: &str) -> String {
    format!("pbc_{}", crc32(format!("{}{name}", kind.as_str()).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ids_match_pocketbase() {
        // Values observed on PocketBase 0.40.6 (notes, section 1).
        assert_eq!(default_collection_id(CollectionType::Auth, "_superusers"), "pbc_3142635823");
        assert_eq!(default_collection_id(CollectionType::Base, "posts"), "pbc_1125843985");
        assert_eq!(default_field_id("text", "id"), "text3208210256");
        assert_eq!(default_field_id("autodate", "created"), "autodate2990389176");
        assert_eq!(default_field_id("relation", "author"), "relation3182418120");
    }
}
