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

/// PocketBase's system collections as 0.40.6 creates them (`GET /api/collections` on a fresh instance, less
/// `created`/`updated`); its v0.23 upgrade of legacy data creates the same. Every PocketBase database has them,
/// so each one the input lacks is added: the server needs `_superusers` for superuser auth and `_otps`, `_mfas`
/// and `_authOrigins` for OTP, MFA and login alerts.
const SYSTEM_COLLECTIONS_JSON: &str = include_str!("system_collections.json");

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
    lower_with(schema, Diagnostics::default())
}

/// Lowers what could be loaded, adding its problems to the loader's (`diags`), so one run reports both.
pub fn lower_with(schema: &Schema, mut diags: Diagnostics) -> Result<Ir, Errors> {
    let mut inputs: Vec<Input> = schema
        .collections
        .iter()
        .enumerate()
        .map(|(i, c)| Input { position: Some(i), collection: std::borrow::Cow::Borrowed(c) })
        .collect();
    for system in system_collections() {
        // An input collection named so but for case is reported as PocketBase would: the name is taken.
        if !inputs.iter().any(|i| i.collection.name == system.name) {
            inputs.push(Input { position: None, collection: std::borrow::Cow::Borrowed(system) });
        }
    }
    inputs.sort_by(|a, b| a.collection.name.cmp(&b.collection.name));

    let mut colls = collections(&inputs, &mut diags);
    let lookup: BTreeMap<&str, usize> =
        colls.iter().enumerate().flat_map(|(i, c)| [(c.id.as_str(), i), (c.name.as_str(), i)]).collect();
    let all_fields: Vec<Vec<Field>> = inputs
        .iter()
        .zip(&colls)
        .map(|(input, c)| fields(input, c, &lookup, &schema.unreadable.collections, &mut diags))
        .collect();
    // Fields that failed to load or lower: rules that go through them are not reported a second time.
    let mut broken = BTreeSet::new();
    for (coll, field) in &schema.unreadable.fields {
        broken.extend(colls.iter().position(|c| c.name == *coll).map(|i| (i, field.clone())));
    }
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
    for (i, input) in inputs.iter().enumerate() {
        let mfa = mfa_rule(input, &colls, &broken, i, &mut diags);
        colls[i].rules.mfa = mfa;
    }
    let mut index_names = BTreeMap::new();
    for (input, c) in inputs.iter().zip(&mut colls) {
        c.indexes = indexes(input, c, &mut index_names, &mut diags);
    }
    diags.finish(Ir { collections: colls })
}

fn system_collections() -> &'static [schema::Collection] {
    static PARSED: std::sync::OnceLock<Vec<schema::Collection>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| match schema::load_str(SYSTEM_COLLECTIONS_JSON) {
        Ok(s) => s.collections,
        Err(_) => unreachable!("the embedded system collections are valid (a unit test loads them)"),
    })
}

fn system_collection(name: &str) -> &'static schema::Collection {
    system_collections().iter().find(|c| c.name == name).expect("an embedded system collection")
}

/// Pass 1: collection identity and names.
fn collections(inputs: &[Input], diags: &mut Diagnostics) -> Vec<Collection> {
    // Duplicates are reported on the later collection in the input, so check in input order.
    let mut in_input_order: Vec<(usize, &Input)> = inputs.iter().enumerate().collect();
    let mut modules = Scope::default();
    in_input_order.sort_by_key(|(_, input)| input.position.unwrap_or(usize::MAX));
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut duplicates = BTreeSet::new();
    for (i, input) in in_input_order {
        let c = &*input.collection;
        let path = input.path();
        check_name(&c.name, 255, &path.key("name"), diags);
        if let Some(other) = names.insert(c.name.to_lowercase(), c.name.clone()) {
            diags.error(
                &path.key("name"),
                format!("the name is also used by collection {other:?} (names are unique, case-insensitively)"),
            );
            duplicates.insert(i);
        }
        if let Some(other) = ids.insert(collection_id(c), c.name.clone()) {
            diags.error(&path.key("id"), format!("the id {:?} is also the id of collection {other:?}", c.id));
        }
        let module = snake_ident(&c.name);
        if !duplicates.contains(&i)
            && let Err(other) = modules.claim(&module, &c.name)
        {
            diags.error_with_help(
                &path.key("name"),
                format!("its Rust module name `{module}` is also the module of collection {other:?}"),
                "rename one of the collections",
            );
        }
    }

    let mut out = Vec::with_capacity(inputs.len());
    for input in inputs {
        let c = &*input.collection;
        let path = input.path();
        let id = collection_id(c);
        let module = snake_ident(&c.name);
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
                mfa: None,
            },
            indexes: Vec::new(),
            view_query: c.view_query.clone(),
            auth: (c.kind == CollectionType::Auth).then(|| c.auth.clone()),
        });
    }
    out
}

fn collection_id(c: &schema::Collection) -> String {
    if c.id.is_empty() { default_collection_id(c.kind, &c.name) } else { c.id.clone() }
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
fn fields(
    input: &Input,
    coll: &Collection,
    lookup: &BTreeMap<&str, usize>,
    unreadable: &BTreeSet<String>,
    diags: &mut Diagnostics,
) -> Vec<Field> {
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
        c.fields.iter().map(|f| (f.position, std::borrow::Cow::Borrowed(f))).collect();
    for (at, missing) in implied_fields(c) {
        all.insert(at, (None, std::borrow::Cow::Owned(missing)));
    }

    for (position, f) in &all {
        let fpath = match position {
            Some(j) => path.item("fields", *j, Some(&f.name)),
            None => path.key(&format!("fields (added) {:?}", f.name)),
        };
        check_name(&f.name, 100, &fpath.key("name"), diags);
        let reserved = RESERVED_FIELD_NAMES.contains(&f.name.as_str())
            || (c.kind == CollectionType::Auth && RESERVED_AUTH_FIELD_NAMES.contains(&f.name.as_str()));
        if reserved {
            diags.error(&fpath.key("name"), format!("{:?} is a reserved name", f.name));
        }
        if let Some(other) = seen_names.insert(f.name.to_lowercase(), &f.name) {
            diags.error(&fpath.key("name"), format!("the name is also used by field {other:?} (case-insensitively)"));
            continue;
        }
        let id = if f.id.is_empty() { default_field_id(f.kind.type_name(), &f.name) } else { f.id.clone() };
        if let Some(other) = seen_ids.insert(id.clone(), &f.name) {
            diags.error(&fpath.key("id"), format!("the id {id:?} is also the id of field {other:?}"));
        }
        let ident = snake_ident(&f.name);
        if let Err(other) = idents.claim(&ident, &f.name)
            && !reserved
        {
            diags.error_with_help(
                &fpath.key("name"),
                format!("its Rust name `{ident}` is also the Rust name of {other:?}"),
                "rename one of the fields",
            );
        }
        let Some(ty) = field_type(f, coll, lookup, unreadable, &mut types, &fpath, diags) else { continue };
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
    if let Some(password_auth) = &c.auth.password_auth {
        for (k, name) in password_auth.identity_fields.iter().enumerate() {
            if !all.iter().any(|(_, f)| f.name == *name) {
                diags.error(
                    &path.key("passwordAuth").item("identityFields", k, Some(name)),
                    format!("no field named {name:?} in this collection"),
                );
            }
        }
    }
    out
}

/// System fields PocketBase adds to a collection that lacks them, with where they go.
fn implied_fields(c: &schema::Collection) -> Vec<(usize, schema::Field)> {
    let standard = match c.kind {
        CollectionType::Base | CollectionType::View => &["id"][..],
        CollectionType::Auth => &["id", "password", "tokenKey", "email", "emailVisibility", "verified"][..],
    };
    let template = system_collection("_superusers");
    standard
        .iter()
        .enumerate()
        .filter(|(_, name)| !c.fields.iter().any(|f| f.name == **name))
        .map(|(at, name)| {
            let mut field = template.fields.iter().find(|f| f.name == *name).cloned().expect("a standard auth field");
            field.position = None;
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

#[allow(clippy::too_many_arguments)]
fn field_type(
    f: &schema::Field,
    coll: &Collection,
    lookup: &BTreeMap<&str, usize>,
    unreadable: &BTreeSet<String>,
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
            check_pattern(&t.autogenerate_pattern, &path.key("autogeneratePattern"), diags);
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
        FieldKind::Email(d) => {
            check_domains(d, path, diags);
            FieldType::Email(d.clone())
        }
        FieldKind::Url(d) => {
            check_domains(d, path, diags);
            FieldType::Url(d.clone())
        }
        FieldKind::Editor(e) => FieldType::Editor(e.clone()),
        FieldKind::Date(d) => {
            let min = check_date(&d.min, &path.key("min"), diags);
            let max = check_date(&d.max, &path.key("max"), diags);
            if let (Some(min), Some(max)) = (min, max)
                && min > max
            {
                diags.error(path, format!("min ({}) is later than max ({})", d.min, d.max));
            }
            FieldType::Date(d.clone())
        }
        FieldKind::Autodate(a) => {
            if !a.on_create && !a.on_update {
                diags.error(path, "Either onCreate or onUpdate must be enabled.");
            }
            FieldType::Autodate { on_create: a.on_create, on_update: a.on_update }
        }
        FieldKind::Select(s) => FieldType::Select(select(f, s, types, path, diags)?),
        FieldKind::File(file) => {
            for (k, thumb) in file.thumbs.iter().enumerate() {
                if !valid_thumb(thumb) {
                    diags.error(
                        &path.item("thumbs", k, Some(thumb)),
                        "a thumb size is WxH, Wx0 or 0xH, optionally followed by t, b or f (e.g. \"100x100\", \"50x50t\")",
                    );
                }
            }
            FieldType::File(file.clone())
        }
        FieldKind::Relation(r) => {
            let Some(&target) = lookup.get(r.collection_id.as_str()) else {
                if unreadable.contains(&r.collection_id) {
                    return None; // the target's own problem is reported already
                }
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
        // regex's message draws a caret under the pattern over several lines; its last line is the reason.
        let text = e.to_string();
        let reason = text.lines().last().unwrap_or_default().trim().trim_start_matches("error: ");
        diags.error(path, format!("invalid regular expression {pattern:?}: {reason}"));
    }
}

fn check_domains(d: &schema::DomainOptions, path: &SchemaPath, diags: &mut Diagnostics) {
    if !d.only_domains.is_empty() && !d.except_domains.is_empty() {
        diags.error(path, "onlyDomains and exceptDomains cannot both be set");
    }
}

/// `""` or PocketBase's date form (`2006-01-02 15:04:05.000Z`, the `T` form and shorter ones accepted);
/// returns a comparable key.
fn check_date(value: &str, path: &SchemaPath, diags: &mut Diagnostics) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let date_ok = b.len() >= 10 && digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10);
    let time_ok = b.len() == 10
        || (b.len() >= 19 && matches!(b[10], b' ' | b'T') && digits(11..13) && digits(14..16) && digits(17..19));
    if date_ok && time_ok {
        Some(value.replace('T', " "))
    } else {
        diags.error(path, format!("{value:?} is not a date like \"2024-01-31 00:00:00.000Z\""));
        None
    }
}

fn valid_thumb(thumb: &str) -> bool {
    let size = thumb.strip_suffix(['t', 'b', 'f']).unwrap_or(thumb);
    match size.split_once('x') {
        Some((w, h)) => {
            let num = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
            num(w) && num(h) && !(w.trim_start_matches('0').is_empty() && h.trim_start_matches('0').is_empty())
        }
        None => false,
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
    if enum_ident.is_empty() {
        // A field named `_` has no letters to make a type name from.
        enum_ident.push_str("Select");
    }
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
    // Variant names are only names: when two values map to the same one (`C` and `C++`), the later value
    // takes its position as a suffix (`C2`), so real schemas generate. Exact duplicates are an error.
    let mut variants = Scope::default();
    let mut values: Vec<SelectValue> = Vec::with_capacity(s.values.len());
    for (k, value) in s.values.iter().enumerate() {
        if value.is_empty() {
            diags.error(&path.item("values", k, Some(value)), "a select value cannot be empty");
            continue;
        }
        if values.iter().any(|v| v.value == *value) {
            diags.error(&path.item("values", k, Some(value)), "duplicate select value");
            continue;
        }
        let base = match type_ident(value) {
            v if v.is_empty() => "Value".to_owned(),
            v => v,
        };
        let mut variant = base.clone();
        let mut n = k;
        while variants.claim(&variant, value).is_err() {
            // `Self_` + 1 would be `Self_1`, which is not CamelCase.
            variant = format!("{}{n}", base.trim_end_matches('_'));
            n += 1;
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
    // Views are read-only: PocketBase keeps their write rules null whatever the input says.
    let writable = c.kind != CollectionType::View;
    fn write_rule(writable: bool, source: &Option<String>) -> Option<&str> {
        if writable { source.as_deref() } else { None }
    }
    Rules {
        list: rule("listRule", c.list_rule.as_deref()),
        view: rule("viewRule", c.view_rule.as_deref()),
        create: rule("createRule", write_rule(writable, &c.create_rule)),
        update: rule("updateRule", write_rule(writable, &c.update_rule)),
        delete: rule("deleteRule", write_rule(writable, &c.delete_rule)),
        auth: auth.then(|| rule("authRule", Some(c.auth.auth_rule.as_deref().unwrap_or("")))),
        manage: auth.then(|| rule("manageRule", c.auth.manage_rule.as_deref())),
        mfa: None, // set by `mfa_rule`
    }
}

/// The MFA rule of an auth collection: not an API rule but the same language (`""` needs MFA of everyone).
fn mfa_rule(
    input: &Input,
    colls: &[Collection],
    broken: &BTreeSet<(usize, String)>,
    this: usize,
    diags: &mut Diagnostics,
) -> Option<Rule> {
    if input.collection.kind != CollectionType::Auth {
        return None;
    }
    let source = input.collection.auth.mfa.as_ref().map_or("", |m| m.rule.as_str());
    match rules::lower_rule(Some(source), colls, broken, this) {
        Ok(rule) => Some(rule),
        Err(errors) => {
            for e in errors {
                diags.error(&input.path().key("mfa").key("rule"), e);
            }
            Some(Rule::SuperusersOnly)
        }
    }
}

/// Index names are database-wide in SQLite, so `names` is shared by all collections.
fn indexes(
    input: &Input,
    coll: &Collection,
    names: &mut BTreeMap<String, String>,
    diags: &mut Diagnostics,
) -> Vec<Index> {
    let path = input.path();
    let table = &coll.name;
    let mut out = Vec::new();
    let mut unique_columns = Vec::new();
    if coll.kind == CollectionType::View {
        // PocketBase keeps a view's index list empty; SQLite cannot index a view.
        return out;
    }
    for (k, sql) in input.collection.indexes.iter().enumerate() {
        let ipath = path.item("indexes", k, None);
        let def = match index::parse(sql) {
            Ok(def) => def,
            Err(e) => {
                diags.error(&ipath, format!("{e}: {sql:?}"));
                continue;
            }
        };
        if !def.table.eq_ignore_ascii_case(table) {
            diags.error(
                &ipath,
                format!("the index is on table {:?}, not on this collection's table {table:?}", def.table),
            );
        }
        if let Some(other) = names.insert(def.name.to_lowercase(), table.clone()) {
            diags.error(
                &ipath,
                format!(
                    "the index name {:?} is also used in collection {other:?} (index names are database-wide)",
                    def.name
                ),
            );
        }
        for column in def.columns.iter().filter(|c| !c.is_empty()) {
            if coll.field(column).is_none() {
                diags.error(&ipath, format!("the index names {column:?}, which is not a field of {table:?}"));
            }
        }
        if def.unique && def.columns.len() == 1 {
            unique_columns.push(def.columns[0].to_lowercase());
        }
        out.push(Index { name: def.name, unique: def.unique, sql: sql.clone() });
    }
    if coll.kind == CollectionType::Auth {
        // PocketBase adds these when an auth collection has no single-column unique index on the field.
        for (column, filter) in [("tokenKey", ""), ("email", " WHERE `email` != ''")] {
            if !unique_columns.contains(&column.to_lowercase()) {
                let mut name = format!("idx_{column}_{}", coll.id);
                name.truncate(64);
                let sql = format!("CREATE UNIQUE INDEX `{name}` ON `{table}` (`{column}`){filter}");
                names.insert(name.to_lowercase(), table.clone());
                out.push(Index { name, unique: true, sql });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_system_collections_load() {
        let names: Vec<&str> = system_collections().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["_mfas", "_otps", "_externalAuths", "_authOrigins", "_superusers"]);
        assert!(system_collections().iter().all(|c| c.system));
        let c = system_collection("_superusers");
        assert_eq!(c.kind, CollectionType::Auth);
        for name in ["id", "password", "tokenKey", "email", "emailVisibility", "verified"] {
            assert!(c.fields.iter().any(|f| f.name == name), "{name}");
        }
    }

    #[test]
    fn missing_system_collections_are_added_and_present_ones_kept() {
        let mut superusers = system_collection("_superusers").clone();
        superusers.auth.auth_rule = Some("verified = true".into());
        let otps = system_collection("_otps").clone();
        let schema = Schema { collections: vec![otps, superusers], ..Schema::default() };
        let ir = lower(&schema).expect("lowers");
        let names: Vec<&str> = ir.collections.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["_authOrigins", "_externalAuths", "_mfas", "_otps", "_superusers"]);
        let auth_rule = ir.collections[4].rules.auth.as_ref().expect("an auth collection");
        assert!(matches!(auth_rule, Rule::Expr { source, .. } if source == "verified = true"), "{auth_rule:?}");
    }

    #[test]
    fn a_collection_named_like_a_system_one_but_for_case_is_an_error() {
        let mut otps = system_collection("_otps").clone();
        (otps.name, otps.id, otps.system) = ("_OTPs".into(), "pbc_1".into(), false);
        let Err(errors) = lower(&Schema { collections: vec![otps], ..Schema::default() }) else {
            panic!("`_OTPs` and PocketBase's `_otps` cannot both exist")
        };
        let text = errors.to_string();
        assert!(text.contains(r#"the name is also used by collection "_OTPs""#), "{text}");
    }
}
