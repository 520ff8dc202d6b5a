//! Schema -> IR: validation, defaults PocketBase would fill in, name resolution and the naming pass.
//!
//! Works in passes so that every collection's names are known before fields refer to them and every
//! field is known before rules refer to it. Every problem is collected; nothing stops at the first one.

use std::collections::{BTreeMap, BTreeSet};

use super::naming::{Scope, snake_ident, type_ident};
use super::{Collection, Field, FieldType, Index, Ir, Relation, Rule, Rules, Select, SelectValue, index, rules};
use crate::diag::{Diagnostics, Errors, SchemaPath};
use crate::schema::{self, CollectionType, FieldKind, Schema, default_collection_id, default_field_id};

/// Field names PocketBase rejects (literals and the keys it adds to every record).
const RESERVED_FIELD_NAMES: &[&str] = &["null", "true", "false", "_rowid_", "collectionId", "collectionName", "expand"];
/// Field names an auth collection may not use (its create/update bodies take them).
const RESERVED_AUTH_FIELD_NAMES: &[&str] = &["passwordConfirm", "oldPassword"];
/// Identifiers the generated record struct itself uses.
const RECORD_IDENTS: &[&str] = &["collection_id", "collection_name", "expand", "password_confirm", "old_password"];
/// Type names every collection module defines.
const MODULE_TYPES: &[&str] = &["Record", "Create", "Update"];

/// PocketBase's own `_superusers` collection, added when the input does not have it: every PocketBase
/// database has it and the generated server needs it for superuser auth.
const SUPERUSERS_JSON: &str = include_str!("superusers.json");

struct Input<'a> {
    /// Position in the input, for error paths; `None` for collections we added.
    position: Option<usize>,
    collection: std::borrow::Cow<'a, schema::Collection>,
}

impl Input<'_> {
    fn path(&self) -> SchemaPath {
        match self.position {
            Some(i) => SchemaPath::root().item("collections", i, Some(&self.collection.name)),
            None => SchemaPath::root().key(&format!("(added) {:?}", self.collection.name)),
        }
    }
}

pub fn lower(schema: &Schema) -> Result<Ir, Errors> {
    let mut diags = Diagnostics::default();
    let mut inputs: Vec<Input> = schema
        .collections
        .iter()
        .enumerate()
        .map(|(i, c)| Input { position: Some(i), collection: std::borrow::Cow::Borrowed(c) })
        .collect();
    if !inputs.iter().any(|i| i.collection.name == "_superusers") {
        inputs.push(Input { position: None, collection: std::borrow::Cow::Owned(superusers()) });
    }
    inputs.sort_by(|a, b| a.collection.name.cmp(&b.collection.name));

    let mut colls = collections(&inputs, &mut diags);
    let lookup: BTreeMap<&str, usize> =
        colls.iter().enumerate().flat_map(|(i, c)| [(c.id.as_str(), i), (c.name.as_str(), i)]).collect();
    let all_fields: Vec<Vec<Field>> =
        inputs.iter().zip(&colls).map(|(input, c)| fields(input, c, &lookup, &mut diags)).collect();
    // Fields that failed to lower: rules that go through them are not reported a second time.
    let mut broken = BTreeSet::new();
    for (i, (input, fields)) in inputs.iter().zip(&all_fields).enumerate() {
        let lowered = |name: &str| fields.iter().any(|f| f.name == name);
        broken.extend(input.collection.fields.iter().filter(|f| !lowered(&f.name)).map(|f| (i, f.name.clone())));
    }
    for (c, fields) in colls.iter_mut().zip(all_fields) {
        c.fields = fields;
    }
    let lowered_rules: Vec<Rules> =
        inputs.iter().enumerate().map(|(i, input)| collection_rules(input, &colls, &broken, i, &mut diags)).collect();
    for (c, rules) in colls.iter_mut().zip(lowered_rules) {
        c.rules = rules;
    }
    for (input, c) in inputs.iter().zip(&mut colls) {
        c.indexes = indexes(input, &c.name, &mut diags);
    }
    diags.finish(Ir { collections: colls })
}

fn superusers() -> schema::Collection {
    match schema::load_str(SUPERUSERS_JSON) {
        Ok(mut s) if s.collections.len() == 1 => s.collections.remove(0),
        _ => unreachable!("the embedded _superusers definition is valid (a unit test loads it)"),
    }
}

/// Pass 1: collection identity and names.
fn collections(inputs: &[Input], diags: &mut Diagnostics) -> Vec<Collection> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut modules = Scope::default();
    let mut out = Vec::with_capacity(inputs.len());
    for input in inputs {
        let c = &*input.collection;
        let path = input.path();
        check_name(&c.name, 255, &path.key("name"), diags);
        if let Some(other) = names.insert(c.name.to_lowercase(), c.name.clone()) {
            diags.error(
                &path.key("name"),
                format!("the name is also used by collection {other:?} (names are unique, case-insensitively)"),
            );
        }
        let id = if c.id.is_empty() { default_collection_id(c.kind, &c.name) } else { c.id.clone() };
        if let Some(other) = ids.insert(id.clone(), c.name.clone()) {
            diags.error(&path.key("id"), format!("the id {id:?} is also the id of collection {other:?}"));
        }
        let module = snake_ident(&c.name);
        if let Err(other) = modules.claim(&module, &c.name) {
            diags.error_with_help(
                &path.key("name"),
                format!("its Rust module name `{module}` is also the module of collection {other:?}"),
                "rename one of the collections",
            );
        }
        if c.kind == CollectionType::View && c.view_query.as_deref().is_none_or(|q| q.trim().is_empty()) {
            diags.error(&path.key("viewQuery"), "a view collection needs a viewQuery");
        }
        out.push(Collection {
            id,
            name: c.name.clone(),
            kind: c.kind,
            system: c.system,
            module,
            fields: Vec::new(),
            rules: Rules {
                list: Rule::SuperusersOnly,
                view: Rule::SuperusersOnly,
                create: Rule::SuperusersOnly,
                update: Rule::SuperusersOnly,
                delete: Rule::SuperusersOnly,
                auth: None,
                manage: None,
            },
            indexes: Vec::new(),
            view_query: c.view_query.clone(),
            auth: (c.kind == CollectionType::Auth).then(|| c.auth.clone()),
        });
    }
    out
}

/// `^\w+$` (ASCII, as Go's regexp), a length limit, and no `_via_` (it marks back-relations in filters).
fn check_name(name: &str, max: usize, path: &SchemaPath, diags: &mut Diagnostics) {
    if name.is_empty() {
        diags.error(path, "the name is empty");
    } else if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        diags.error(path, format!("{name:?} may contain only letters, digits and underscores"));
    } else if name.len() > max {
        diags.error(path, format!("the name is longer than {max} characters"));
    } else if name.to_lowercase().contains("_via_") {
        diags.error(path, format!("{name:?} may not contain \"_via_\" (it marks back-relations in filters)"));
    }
}

/// Pass 2: fields, with the system fields PocketBase adds when they are missing.
fn fields(input: &Input, coll: &Collection, lookup: &BTreeMap<&str, usize>, diags: &mut Diagnostics) -> Vec<Field> {
    let c = &*input.collection;
    let path = input.path();
    let mut idents = Scope::default();
    for ident in RECORD_IDENTS {
        idents.reserve(ident, "(generated code)");
    }
    let mut types = Scope::default();
    for ty in MODULE_TYPES {
        types.reserve(ty, "(generated code)");
    }
    let mut seen_names: BTreeMap<String, &str> = BTreeMap::new();
    let mut seen_ids: BTreeMap<String, &str> = BTreeMap::new();
    let mut out = Vec::with_capacity(c.fields.len() + 6);

    let mut all: Vec<(Option<usize>, std::borrow::Cow<schema::Field>)> =
        c.fields.iter().enumerate().map(|(j, f)| (Some(j), std::borrow::Cow::Borrowed(f))).collect();
    for (at, missing) in implied_fields(c) {
        all.insert(at, (None, std::borrow::Cow::Owned(missing)));
    }

    for (position, f) in &all {
        let fpath = match position {
            Some(j) => path.item("fields", *j, Some(&f.name)),
            None => path.key(&format!("fields (added) {:?}", f.name)),
        };
        check_name(&f.name, 100, &fpath.key("name"), diags);
        if RESERVED_FIELD_NAMES.contains(&f.name.as_str())
            || (c.kind == CollectionType::Auth && RESERVED_AUTH_FIELD_NAMES.contains(&f.name.as_str()))
        {
            diags.error(&fpath.key("name"), format!("{:?} is a reserved name", f.name));
        }
        if let Some(_other) = seen_names.insert(f.name.to_lowercase(), &f.name) {
            diags.error(&fpath.key("name"), format!("another field is also named {:?} (case-insensitively)", f.name));
            continue;
        }
        let id = if f.id.is_empty() { default_field_id(f.kind.type_name(), &f.name) } else { f.id.clone() };
        if let Some(other) = seen_ids.insert(id.clone(), &f.name) {
            diags.error(&fpath.key("id"), format!("the id {id:?} is also the id of field {other:?}"));
        }
        let ident = snake_ident(&f.name);
        if let Err(other) = idents.claim(&ident, &f.name) {
            diags.error_with_help(
                &fpath.key("name"),
                format!("its Rust name `{ident}` is also the Rust name of {other:?}"),
                "rename one of the fields",
            );
        }
        let Some(ty) = field_type(f, coll, lookup, &mut types, &fpath, diags) else { continue };
        out.push(Field {
            id,
            name: f.name.clone(),
            ident,
            system: f.system,
            hidden: f.hidden,
            presentable: f.presentable,
            required: f.required,
            help: f.help.clone(),
            ty,
        });
    }
    out
}

/// System fields PocketBase adds to a collection that lacks them, with where they go.
fn implied_fields(c: &schema::Collection) -> Vec<(usize, schema::Field)> {
    let standard = match c.kind {
        CollectionType::Base | CollectionType::View => &["id"][..],
        CollectionType::Auth => &["id", "password", "tokenKey", "email", "emailVisibility", "verified"][..],
    };
    let template = superusers();
    standard
        .iter()
        .enumerate()
        .filter(|(_, name)| !c.fields.iter().any(|f| f.name == **name))
        .map(|(at, name)| {
            let mut field = template.fields.iter().find(|f| f.name == *name).cloned().expect("a standard auth field");
            if c.kind == CollectionType::View {
                // A view's id comes from its query, so it has no length limits or generator.
                if let FieldKind::Text(t) = &mut field.kind {
                    (t.min, t.max, t.autogenerate_pattern) = (0, 0, String::new());
                }
            }
            (at, field)
        })
        .collect()
}

fn field_type(
    f: &schema::Field,
    coll: &Collection,
    lookup: &BTreeMap<&str, usize>,
    types: &mut Scope,
    path: &SchemaPath,
    diags: &mut Diagnostics,
) -> Option<FieldType> {
    Some(match &f.kind {
        FieldKind::Text(t) => {
            if t.max > 0 && t.min > t.max {
                diags.error(path, format!("min ({}) is greater than max ({})", t.min, t.max));
            }
            check_pattern(&t.pattern, &path.key("pattern"), diags);
            if t.primary_key && f.name != "id" {
                diags.error(path, "only the `id` field can be the primary key");
            }
            FieldType::Text(t.clone())
        }
        FieldKind::Number(n) => {
            if let (Some(min), Some(max)) = (n.min, n.max)
                && min > max
            {
                diags.error(path, format!("min ({min}) is greater than max ({max})"));
            }
            FieldType::Number(n.clone())
        }
        FieldKind::Bool(_) => FieldType::Bool,
        FieldKind::Email(d) => FieldType::Email(d.clone()),
        FieldKind::Url(d) => FieldType::Url(d.clone()),
        FieldKind::Editor(e) => FieldType::Editor(e.clone()),
        FieldKind::Date(d) => FieldType::Date(d.clone()),
        FieldKind::Autodate(a) => {
            if !a.on_create && !a.on_update {
                diags.error(path, "Either onCreate or onUpdate must be enabled.");
            }
            FieldType::Autodate { on_create: a.on_create, on_update: a.on_update }
        }
        FieldKind::Select(s) => FieldType::Select(select(f, s, types, path, diags)?),
        FieldKind::File(file) => FieldType::File(file.clone()),
        FieldKind::Relation(r) => {
            let Some(&target) = lookup.get(r.collection_id.as_str()) else {
                diags.error_with_help(
                    path,
                    format!("relation to unknown collection {:?}", r.collection_id),
                    "collectionId must be the id (or name) of a collection in the schema",
                );
                return None;
            };
            if r.max_select > 0 && r.min_select > r.max_select {
                diags.error(path, format!("minSelect ({}) is greater than maxSelect ({})", r.min_select, r.max_select));
            }
            FieldType::Relation(Relation {
                target,
                cascade_delete: r.cascade_delete,
                min_select: r.min_select,
                max_select: r.max_select,
            })
        }
        FieldKind::Json(j) => FieldType::Json(j.clone()),
        FieldKind::Password(p) => {
            check_pattern(&p.pattern, &path.key("pattern"), diags);
            FieldType::Password(p.clone())
        }
        FieldKind::GeoPoint(_) => {
            let _ = coll;
            FieldType::GeoPoint
        }
    })
}

fn check_pattern(pattern: &str, path: &SchemaPath, diags: &mut Diagnostics) {
    if !pattern.is_empty()
        && let Err(e) = regex::Regex::new(pattern)
    {
        diags.error(path, format!("invalid regular expression: {}", e.to_string().replace('\n', " ")));
    }
}

fn select(
    f: &schema::Field,
    s: &schema::SelectOptions,
    types: &mut Scope,
    path: &SchemaPath,
    diags: &mut Diagnostics,
) -> Option<Select> {
    if s.values.is_empty() {
        diags.error(&path.key("values"), "a select field needs at least one value");
        return None;
    }
    if s.max_select as usize > s.values.len() {
        diags.error(
            &path.key("maxSelect"),
            format!("maxSelect ({}) is more than the number of values ({})", s.max_select, s.values.len()),
        );
    }
    let mut enum_ident = type_ident(&f.name);
    if MODULE_TYPES.contains(&enum_ident.as_str()) {
        enum_ident.push_str("Value");
    }
    if let Err(other) = types.claim(&enum_ident, &f.name) {
        diags.error_with_help(
            &path.key("name"),
            format!("its enum name `{enum_ident}` is also the enum of field {other:?}"),
            "rename one of the fields",
        );
    }
    let mut variants = Scope::default();
    let mut values = Vec::with_capacity(s.values.len());
    for (k, value) in s.values.iter().enumerate() {
        let vpath = path.item("values", k, Some(value));
        let mut variant = type_ident(value);
        if variant.is_empty() {
            variant = format!("Value{k}");
        }
        if let Err(other) = variants.claim(&variant, value) {
            if other == *value {
                diags.error(&vpath, "duplicate select value");
            } else {
                diags.error_with_help(
                    &vpath,
                    format!("its enum variant `{variant}` is also the variant of {other:?}"),
                    "select values must map to distinct Rust names",
                );
            }
            continue;
        }
        values.push(SelectValue { value: value.clone(), variant });
    }
    Some(Select { enum_ident, values, max_select: s.max_select })
}

/// Pass 3: rules, which may name fields of any collection.
fn collection_rules(
    input: &Input,
    colls: &[Collection],
    broken: &BTreeSet<(usize, String)>,
    this: usize,
    diags: &mut Diagnostics,
) -> Rules {
    let c = &*input.collection;
    let path = input.path();
    let mut rule = |key: &str, source: Option<&str>| match rules::lower_rule(source, colls, broken, this) {
        Ok(rule) => rule,
        Err(errors) => {
            for e in errors {
                diags.error(&path.key(key), e);
            }
            Rule::SuperusersOnly
        }
    };
    let auth = c.kind == CollectionType::Auth;
    Rules {
        list: rule("listRule", c.list_rule.as_deref()),
        view: rule("viewRule", c.view_rule.as_deref()),
        create: rule("createRule", c.create_rule.as_deref()),
        update: rule("updateRule", c.update_rule.as_deref()),
        delete: rule("deleteRule", c.delete_rule.as_deref()),
        auth: auth.then(|| rule("authRule", Some(c.auth.auth_rule.as_deref().unwrap_or("")))),
        manage: auth.then(|| rule("manageRule", c.auth.manage_rule.as_deref())),
    }
}

fn indexes(input: &Input, table: &str, diags: &mut Diagnostics) -> Vec<Index> {
    let path = input.path();
    let mut names = BTreeMap::new();
    let mut out = Vec::new();
    for (k, sql) in input.collection.indexes.iter().enumerate() {
        let ipath = path.item("indexes", k, None);
        match index::parse(sql) {
            Err(e) => diags.error(&ipath, format!("{e}: {sql:?}")),
            Ok((name, unique, on)) => {
                if !on.eq_ignore_ascii_case(table) {
                    diags.error(
                        &ipath,
                        format!("the index is on table {on:?}, not on this collection's table {table:?}"),
                    );
                }
                if names.insert(name.to_lowercase(), ()).is_some() {
                    diags.error(&ipath, format!("another index is also named {name:?}"));
                }
                out.push(Index { name, unique, sql: sql.clone() });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_superusers_loads() {
        let c = superusers();
        assert_eq!(c.name, "_superusers");
        assert_eq!(c.kind, CollectionType::Auth);
        for name in ["id", "password", "tokenKey", "email", "emailVisibility", "verified"] {
            assert!(c.fields.iter().any(|f| f.name == name), "{name}");
        }
    }
}
