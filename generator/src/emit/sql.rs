//! SQL text for a collection's storage, as PocketBase writes it (so a PocketBase data.db matches).

use crate::ir::{Collection, CollectionType};

/// `(name, type-and-constraints)` per column, sorted by name as PocketBase creates them.
pub fn columns(c: &Collection) -> Vec<(&str, &'static str)> {
    c.fields_by_name().into_iter().map(|f| (f.name.as_str(), f.column().ddl())).collect()
}

/// The `CREATE TABLE` or `CREATE VIEW` statement.
pub fn create(c: &Collection) -> String {
    if c.kind == CollectionType::View {
        return format!("CREATE VIEW `{}` AS SELECT * FROM ({})", c.name, c.view_query.as_deref().unwrap_or_default());
    }
    let columns: Vec<String> = columns(c).into_iter().map(|(name, ddl)| format!("`{name}` {ddl}")).collect();
    format!("CREATE TABLE `{}` ({})", c.name, columns.join(", "))
}
