//! The one mapping table from a field type to how its value looks (JSON shape) and is stored (SQL column).
//!
//! Emitters turn [`Shape`] into their own types (Rust, OpenAPI); the SQL emitter prints [`Column`] as is.

use super::{Field, FieldType};

/// The JSON value a field holds, as PocketBase's API returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Text of any kind (text, email, url, editor, password input).
    String,
    /// `"2006-01-02 15:04:05.000Z"` or `""`.
    DateTime,
    Number,
    Bool,
    /// One value of a select (or `""`).
    Enum,
    /// Several values of a select.
    EnumList,
    /// One id or file name (or `""`).
    Ref,
    /// Several ids or file names.
    RefList,
    /// Any JSON value, `null` included.
    Json,
    /// `{"lon": f64, "lat": f64}`.
    GeoPoint,
}

/// A column as PocketBase creates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    PrimaryKey,
    Text,
    Numeric,
    Boolean,
    JsonArray,
    Json,
    GeoPoint,
}

impl Column {
    /// The type and constraints after the column name, exactly as PocketBase writes them.
    pub fn ddl(self) -> &'static str {
        match self {
            Self::PrimaryKey => "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL",
            Self::Text => "TEXT DEFAULT '' NOT NULL",
            Self::Numeric => "NUMERIC DEFAULT 0 NOT NULL",
            Self::Boolean => "BOOLEAN DEFAULT FALSE NOT NULL",
            Self::JsonArray => "JSON DEFAULT '[]' NOT NULL",
            Self::Json => "JSON DEFAULT NULL",
            Self::GeoPoint => "JSON DEFAULT '{\"lon\":0,\"lat\":0}' NOT NULL",
        }
    }
}

impl FieldType {
    /// Whether the field holds several values (select/file/relation with `maxSelect` > 1).
    pub fn is_multi(&self) -> bool {
        match self {
            Self::Select(s) => s.max_select > 1,
            Self::File(f) => f.max_select > 1,
            Self::Relation(r) => r.max_select > 1,
            _ => false,
        }
    }

    pub fn shape(&self) -> Shape {
        let multi = self.is_multi();
        match self {
            Self::Text(_) | Self::Email(_) | Self::Url(_) | Self::Editor(_) | Self::Password(_) => Shape::String,
            Self::Date(_) | Self::Autodate { .. } => Shape::DateTime,
            Self::Number(_) => Shape::Number,
            Self::Bool => Shape::Bool,
            Self::Select(_) if multi => Shape::EnumList,
            Self::Select(_) => Shape::Enum,
            Self::File(_) | Self::Relation(_) if multi => Shape::RefList,
            Self::File(_) | Self::Relation(_) => Shape::Ref,
            Self::Json(_) => Shape::Json,
            Self::GeoPoint => Shape::GeoPoint,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Number(_) => "number",
            Self::Bool => "bool",
            Self::Email(_) => "email",
            Self::Url(_) => "url",
            Self::Editor(_) => "editor",
            Self::Date(_) => "date",
            Self::Autodate { .. } => "autodate",
            Self::Select(_) => "select",
            Self::File(_) => "file",
            Self::Relation(_) => "relation",
            Self::Json(_) => "json",
            Self::Password(_) => "password",
            Self::GeoPoint => "geoPoint",
        }
    }
}

impl Field {
    pub fn column(&self) -> Column {
        if let FieldType::Text(t) = &self.ty
            && t.primary_key
        {
            return Column::PrimaryKey;
        }
        match self.ty.shape() {
            Shape::String | Shape::DateTime | Shape::Enum | Shape::Ref => Column::Text,
            Shape::Number => Column::Numeric,
            Shape::Bool => Column::Boolean,
            Shape::EnumList | Shape::RefList => Column::JsonArray,
            Shape::Json => Column::Json,
            Shape::GeoPoint => Column::GeoPoint,
        }
    }

    /// Password fields are write-only: never part of a record as the API returns it.
    pub fn is_write_only(&self) -> bool {
        matches!(self.ty, FieldType::Password(_))
    }

    /// Fields a client may set when creating a record (autodates and the token key are server-set).
    pub fn is_client_writable(&self) -> bool {
        !matches!(self.ty, FieldType::Autodate { .. }) && self.name != "tokenKey"
    }
}
