//! Static descriptions of a schema's collections: what the server, the filter compiler and the validators
//! know about each collection and field. Generated crates hold them as `'static` constants; the generator
//! builds the same values from its IR to compile API rules to SQL when `gen` runs.

/// Every collection of a schema, sorted by name.
#[derive(Debug, Clone, Copy)]
pub struct SchemaMeta<'a> {
    pub collections: &'a [CollectionMeta<'a>],
}

impl<'a> SchemaMeta<'a> {
    /// By name, or by id as PocketBase also accepts.
    pub fn collection(&self, name_or_id: &str) -> Option<&'a CollectionMeta<'a>> {
        self.collections
            .iter()
            .find(|c| c.name == name_or_id)
            .or_else(|| self.collections.iter().find(|c| c.id == name_or_id))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionKind {
    Base,
    Auth,
    View,
}

#[derive(Debug, Clone, Copy)]
pub struct CollectionMeta<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub kind: CollectionKind,
    pub system: bool,
    /// In schema order.
    pub fields: &'a [FieldMeta<'a>],
}

impl<'a> CollectionMeta<'a> {
    pub fn field(&self, name: &str) -> Option<&'a FieldMeta<'a>> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct FieldMeta<'a> {
    pub name: &'a str,
    pub system: bool,
    pub hidden: bool,
    pub presentable: bool,
    pub required: bool,
    pub kind: FieldKind<'a>,
}

impl FieldMeta<'_> {
    /// Select, file and relation fields with `maxSelect` > 1 hold a JSON array.
    pub fn is_multi(&self) -> bool {
        match self.kind {
            FieldKind::Select { max_select, .. }
            | FieldKind::File { max_select, .. }
            | FieldKind::Relation { max_select, .. } => max_select > 1,
            _ => false,
        }
    }
}

/// A field's type with the options that matter at run time.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind<'a> {
    Text {
        min: u64,
        max: u64,
        pattern: &'a str,
        autogenerate_pattern: &'a str,
        primary_key: bool,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
        only_int: bool,
    },
    Bool,
    Email {
        except_domains: &'a [&'a str],
        only_domains: &'a [&'a str],
    },
    Url {
        except_domains: &'a [&'a str],
        only_domains: &'a [&'a str],
    },
    Editor {
        max_size: u64,
        convert_urls: bool,
    },
    /// `min`/`max` are `""` or PocketBase dates (`2006-01-02 15:04:05.000Z`).
    Date {
        min: &'a str,
        max: &'a str,
    },
    Autodate {
        on_create: bool,
        on_update: bool,
    },
    Select {
        values: &'a [&'a str],
        max_select: u64,
    },
    File {
        max_select: u64,
        max_size: u64,
        mime_types: &'a [&'a str],
        protected: bool,
        thumbs: &'a [&'a str],
    },
    /// `collection` is the target collection's name.
    Relation {
        collection: &'a str,
        cascade_delete: bool,
        min_select: u64,
        max_select: u64,
    },
    Json {
        max_size: u64,
    },
    Password {
        min: u64,
        max: u64,
        pattern: &'a str,
        cost: u64,
    },
    GeoPoint,
}
