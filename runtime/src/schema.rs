//! Static descriptions of the tables a generated crate needs, laid out as PocketBase lays them out.

/// A collection's storage: a table (base and auth collections) or a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Table,
    View,
}

/// One column: its name and the type/constraint text after the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub ddl: &'static str,
}

/// What the server needs to create a collection's table, or bring an existing one up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub kind: TableKind,
    /// `CREATE TABLE` (columns sorted by name, as PocketBase creates them) or `CREATE VIEW`.
    pub create: &'static str,
    /// Empty for views.
    pub columns: &'static [Column],
    /// `CREATE [UNIQUE] INDEX` statements as written in the schema.
    pub indexes: &'static [&'static str],
}
