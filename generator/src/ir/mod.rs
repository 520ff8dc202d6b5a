//! The intermediate representation: a validated, resolved and named schema.
//!
//! Emitters read only this. Collections are sorted by name and fields keep their schema order, so output
//! does not depend on input order; relations point at collections by index; every name is a valid identifier.

pub mod index;
mod lower;
pub mod naming;
mod rules;
pub mod types;

use pbgen_runtime::filter;

pub use crate::schema::{
    AuthOptions, CollectionType, DateOptions, DomainOptions, EditorOptions, FileOptions, JsonOptions, NumberOptions,
    PasswordOptions, TextOptions,
};
pub use lower::{lower, lower_with};

#[derive(Debug, Clone)]
pub struct Ir {
    /// Sorted by name (bytewise), so emitted files are ordered the same way on every machine.
    pub collections: Vec<Collection>,
}

impl Ir {
    pub fn collection(&self, index: usize) -> &Collection {
        &self.collections[index]
    }
}

#[derive(Debug, Clone)]
pub struct Collection {
    pub id: String,
    pub name: String,
    pub kind: CollectionType,
    pub system: bool,
    /// The Rust module for this collection, e.g. `posts`, `_superusers`, `r#type`.
    pub module: String,
    /// Fields in schema order (the order PocketBase's UI shows).
    pub fields: Vec<Field>,
    pub rules: Rules,
    pub indexes: Vec<Index>,
    pub view_query: Option<String>,
    /// Auth settings; present for auth collections only.
    pub auth: Option<AuthOptions>,
}

impl Collection {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Fields sorted bytewise by wire name: PocketBase's JSON key order and its column order.
    pub fn fields_by_name(&self) -> Vec<&Field> {
        let mut fields: Vec<&Field> = self.fields.iter().collect();
        fields.sort_by(|a, b| a.name.cmp(&b.name));
        fields
    }
}

/// An API rule, parsed when `gen` runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `null`: only superusers.
    SuperusersOnly,
    /// `""`: everyone.
    Public,
    /// A filter expression that must hold.
    Expr { source: String, expr: Box<filter::Expr> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub list: Rule,
    pub view: Rule,
    pub create: Rule,
    pub update: Rule,
    pub delete: Rule,
    /// Auth collections only.
    pub auth: Option<Rule>,
    pub manage: Option<Rule>,
    /// `mfa.rule`: which records need a second factor (`""`, everyone, is [`Rule::Public`]).
    pub mfa: Option<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// The statement as written in the schema (PocketBase runs it as given).
    pub sql: String,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub id: String,
    /// The wire (JSON and column) name.
    pub name: String,
    /// The Rust identifier (snake_case, escaped).
    pub ident: String,
    pub system: bool,
    pub hidden: bool,
    pub presentable: bool,
    pub required: bool,
    pub help: String,
    pub ty: FieldType,
}

#[derive(Debug, Clone)]
pub enum FieldType {
    Text(TextOptions),
    Number(NumberOptions),
    Bool,
    Email(DomainOptions),
    Url(DomainOptions),
    Editor(EditorOptions),
    Date(DateOptions),
    Autodate { on_create: bool, on_update: bool },
    Select(Select),
    File(FileOptions),
    Relation(Relation),
    Json(JsonOptions),
    Password(PasswordOptions),
    GeoPoint,
}

#[derive(Debug, Clone)]
pub struct Select {
    /// The enum's Rust name inside the collection module, e.g. `Status`.
    pub enum_ident: String,
    pub values: Vec<SelectValue>,
    pub max_select: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectValue {
    pub value: String,
    pub variant: String,
}

#[derive(Debug, Clone)]
pub struct Relation {
    /// Index into [`Ir::collections`].
    pub target: usize,
    pub cascade_delete: bool,
    pub min_select: u64,
    pub max_select: u64,
}
