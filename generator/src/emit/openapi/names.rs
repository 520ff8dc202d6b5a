//! Every name the document hands out: component schemas, tags and operation ids, in one place.
//!
//! Names are built from the collection's wire name, which PocketBase keeps unique, plus a fixed suffix
//! (components) or verb prefix (operations). No suffix ends with another and no verb plus `_` starts
//! another verb, so two collections never share a name and the names never change with schema order.

use crate::ir::Collection;

/// The component schema of a collection, e.g. `postsRecord`.
pub fn component(c: &Collection, kind: Component) -> String {
    format!("{}{}", c.name, kind.suffix())
}

#[derive(Debug, Clone, Copy)]
pub enum Component {
    /// The record as the API returns it.
    Record,
    /// The body that creates a record.
    Create,
    /// The body that updates a record.
    Update,
    /// The list envelope.
    List,
    /// The `expand` object of a record.
    Expand,
    /// `{token, record}` of an auth collection.
    AuthResponse,
    /// A realtime message about a record of this collection.
    Event,
}

impl Component {
    fn suffix(self) -> &'static str {
        match self {
            Self::Record => "Record",
            Self::Create => "Create",
            Self::Update => "Update",
            Self::List => "List",
            Self::Expand => "Expand",
            Self::AuthResponse => "AuthResponse",
            Self::Event => "Event",
        }
    }
}

/// The operation id of a per-collection operation, e.g. `list_posts`, `auth_with_password_users`.
pub fn operation(verb: &str, c: &Collection) -> String {
    format!("{verb}_{}", c.name)
}

/// The tag that groups a collection's operations (its name, as PocketBase's UI shows it).
pub fn tag(c: &Collection) -> &str {
    &c.name
}
