//! API rules compiled to SQL when `gen` runs, with the runtime's own compiler, so the server never parses
//! a rule. The compiler reads schema metadata; here it is built from the IR, borrowing its strings.

use pbgen_runtime::filter::sql::{self, Options};
use pbgen_runtime::meta::{CollectionKind, CollectionMeta, FieldKind, FieldMeta, SchemaMeta};

use crate::diag::{Diagnostics, Errors, SchemaPath};
use crate::ir::{Collection, CollectionType, Field, FieldType, Ir, Rule};

/// Where compiled SQL constants find their types in generated code (`app.rs` imports the runtime's
/// `codegen` module under this name).
pub const CODEGEN: &str = "sql";

/// One rule, ready to print.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleSql {
    SuperusersOnly,
    Public,
    /// The source, and per auth collection (`None`: any requester) a Rust expression of type `CompiledRef`.
    Filter {
        source: String,
        compiled: Vec<(Option<String>, String)>,
    },
}

/// A collection's compiled rules: list, view, create, update, delete, and for auth collections the auth,
/// manage and MFA rules.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionRules {
    pub crud: [RuleSql; 5],
    pub auth: Option<[RuleSql; 3]>,
}

/// Every collection's rules, in IR order.
pub fn compile(ir: &Ir) -> Result<Vec<CollectionRules>, Errors> {
    with_schema_meta(ir, |schema| {
        let mut diags = Diagnostics::default();
        let auth_collections: Vec<&str> =
            ir.collections.iter().filter(|c| c.kind == CollectionType::Auth).map(|c| c.name.as_str()).collect();
        let out = ir
            .collections
            .iter()
            .zip(schema.collections)
            .map(|(c, meta)| {
                let r = &c.rules;
                let create_table = sql::create_table(meta.name);
                let mut compile_one = |key: &str, rule: &Rule| {
                    // The create rule runs against the would-be record, a one-row table of its own.
                    let own_table = (key == "createRule").then_some(create_table.as_str());
                    rule_sql(rule, schema, meta, &auth_collections, own_table).unwrap_or_else(|e| {
                        diags.error(&SchemaPath::root().key(&format!("collection {:?}", c.name)).key(key), e);
                        RuleSql::SuperusersOnly
                    })
                };
                let crud = [
                    compile_one("listRule", &r.list),
                    compile_one("viewRule", &r.view),
                    compile_one("createRule", &r.create),
                    compile_one("updateRule", &r.update),
                    compile_one("deleteRule", &r.delete),
                ];
                let auth = match (&r.auth, &r.manage, &r.mfa) {
                    (Some(auth), Some(manage), Some(mfa)) => Some([
                        compile_one("authRule", auth),
                        compile_one("manageRule", manage),
                        compile_one("mfa.rule", mfa),
                    ]),
                    _ => None,
                };
                CollectionRules { crud, auth }
            })
            .collect();
        diags.finish(out)
    })
}

fn rule_sql(
    rule: &Rule,
    schema: &SchemaMeta,
    meta: &CollectionMeta,
    auth: &[&str],
    own_table: Option<&str>,
) -> Result<RuleSql, String> {
    let (source, expr) = match rule {
        Rule::SuperusersOnly => return Ok(RuleSql::SuperusersOnly),
        Rule::Public => return Ok(RuleSql::Public),
        Rule::Expr { source, expr } => (source, expr),
    };
    // A rule that reads the auth record beyond plain fields is compiled once per auth collection.
    let targets: Vec<Option<&str>> =
        if sql::needs_auth_collection(expr) { auth.iter().copied().map(Some).collect() } else { vec![None] };
    let compiled = targets
        .into_iter()
        .map(|target| {
            let mut opts = match target {
                Some(name) => Options::rule().with_auth_collection(name),
                None => Options::rule(),
            };
            opts.own_table = own_table;
            let compiled = sql::compile(expr, schema, meta, &opts).map_err(|e| e.message)?;
            Ok((target.map(str::to_owned), compiled.to_rust(CODEGEN)))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(RuleSql::Filter { source: source.clone(), compiled })
}

/// Calls `f` with the schema metadata of `ir`, built in three layers that borrow from each other: string
/// lists, then fields, then collections.
pub fn with_schema_meta<R>(ir: &Ir, f: impl FnOnce(&SchemaMeta) -> R) -> R {
    let lists: Vec<Vec<[Vec<&str>; 2]>> =
        ir.collections.iter().map(|c| c.fields.iter().map(string_lists).collect()).collect();
    let fields: Vec<Vec<FieldMeta>> = ir
        .collections
        .iter()
        .zip(&lists)
        .map(|(c, lists)| c.fields.iter().zip(lists).map(|(f, l)| field_meta(ir, f, l)).collect())
        .collect();
    let collections: Vec<CollectionMeta> =
        ir.collections.iter().zip(&fields).map(|(c, fields)| collection_meta(c, fields)).collect();
    f(&SchemaMeta { collections: &collections })
}

/// The (up to two) string lists a field's options hold.
fn string_lists(f: &Field) -> [Vec<&str>; 2] {
    fn strs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    match &f.ty {
        FieldType::Email(d) | FieldType::Url(d) => [strs(&d.except_domains), strs(&d.only_domains)],
        FieldType::Select(s) => [s.values.iter().map(|v| v.value.as_str()).collect(), Vec::new()],
        FieldType::File(file) => [strs(&file.mime_types), strs(&file.thumbs)],
        _ => [Vec::new(), Vec::new()],
    }
}

fn collection_meta<'a>(c: &'a Collection, fields: &'a [FieldMeta<'a>]) -> CollectionMeta<'a> {
    let kind = match c.kind {
        CollectionType::Base => CollectionKind::Base,
        CollectionType::Auth => CollectionKind::Auth,
        CollectionType::View => CollectionKind::View,
    };
    CollectionMeta { id: &c.id, name: &c.name, kind, system: c.system, fields }
}

fn field_meta<'a>(ir: &'a Ir, f: &'a Field, lists: &'a [Vec<&'a str>; 2]) -> FieldMeta<'a> {
    let kind = match &f.ty {
        FieldType::Text(t) => FieldKind::Text {
            min: t.min,
            max: t.max,
            pattern: &t.pattern,
            autogenerate_pattern: &t.autogenerate_pattern,
            primary_key: t.primary_key,
        },
        FieldType::Number(n) => FieldKind::Number { min: n.min, max: n.max, only_int: n.only_int },
        FieldType::Bool => FieldKind::Bool,
        FieldType::Email(_) => FieldKind::Email { except_domains: &lists[0], only_domains: &lists[1] },
        FieldType::Url(_) => FieldKind::Url { except_domains: &lists[0], only_domains: &lists[1] },
        FieldType::Editor(e) => FieldKind::Editor { max_size: e.max_size, convert_urls: e.convert_urls },
        FieldType::Date(d) => FieldKind::Date { min: &d.min, max: &d.max },
        FieldType::Autodate { on_create, on_update } => {
            FieldKind::Autodate { on_create: *on_create, on_update: *on_update }
        }
        FieldType::Select(s) => FieldKind::Select { values: &lists[0], max_select: s.max_select },
        FieldType::File(file) => FieldKind::File {
            max_select: file.max_select,
            max_size: file.max_size,
            mime_types: &lists[0],
            protected: file.protected,
            thumbs: &lists[1],
        },
        FieldType::Relation(r) => FieldKind::Relation {
            collection: &ir.collection(r.target).name,
            cascade_delete: r.cascade_delete,
            min_select: r.min_select,
            max_select: r.max_select,
        },
        FieldType::Json(j) => FieldKind::Json { max_size: j.max_size },
        FieldType::Password(p) => FieldKind::Password { min: p.min, max: p.max, pattern: &p.pattern, cost: p.cost },
        FieldType::GeoPoint => FieldKind::GeoPoint,
    };
    FieldMeta {
        name: &f.name,
        system: f.system,
        hidden: f.hidden,
        presentable: f.presentable,
        required: f.required,
        kind,
    }
}
