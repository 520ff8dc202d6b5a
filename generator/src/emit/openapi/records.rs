//! The records API of each collection: its schemas (record, create and update bodies, list envelope,
//! expand) and the list/view/create/update/delete operations.

use openapiv3::{PathItem, ReferenceOr, Schema};

use super::kit::{
    JSON, any, array, binary, body, boolean, describe, example, integer, item, json, no_content, number, object,
    operation, path, prop, reference, responses, string, string_enum,
};
use super::names::{self, Component};
use super::{Components, Paths, params};
use crate::ir::types::Shape;
use crate::ir::{Collection, CollectionType, Field, FieldType, Ir, Rule};

const MULTIPART: &str = "multipart/form-data";

/// The schemas and paths of every collection.
pub fn add(ir: &Ir, paths: &mut Paths, components: &mut Components) {
    for c in &ir.collections {
        components.insert(names::component(c, Component::Record), record(ir, c));
        components.insert(names::component(c, Component::Expand), expand(ir, c));
        components.insert(names::component(c, Component::List), list_envelope(c));
        let collection = format!("/api/collections/{}/records", c.name);
        let mut list_path = PathItem { get: Some(list_op(ir, c)), ..Default::default() };
        let mut view_path = PathItem { get: Some(view_op(ir, c)), ..Default::default() };
        if c.kind != CollectionType::View {
            components.insert(names::component(c, Component::Create), input(ir, c, Input::Create));
            components.insert(names::component(c, Component::Update), input(ir, c, Input::Update));
            list_path.post = Some(create_op(ir, c));
            view_path.patch = Some(update_op(ir, c));
            view_path.delete = Some(delete_op(c));
        }
        paths.insert(collection.clone(), list_path);
        paths.insert(format!("{collection}/{{id}}"), view_path);
    }
}

fn record(ir: &Ir, c: &Collection) -> Schema {
    let mut props = vec![
        prop("collectionId", example(string(), c.id.clone().into())),
        prop("collectionName", string_enum([c.name.clone()])),
    ];
    for f in c.fields_by_name().into_iter().filter(|f| !f.is_write_only()) {
        let mut schema = value(ir, f, false);
        if f.hidden {
            let note = "Hidden: returned to superusers only.";
            let text = schema.schema_data.description.take().map_or(note.to_owned(), |d| format!("{d}\n\n{note}"));
            schema = describe(schema, text);
        }
        props.push(prop(&f.name, schema));
    }
    // PocketBase's key order: sorted, then `expand` (present only when asked for).
    props.sort_by(|a, b| a.0.cmp(&b.0));
    props.push(("expand".to_owned(), reference(&names::component(c, Component::Expand))));
    describe(
        object(props, Vec::new()),
        format!(
            "A record of `{}` as the API returns it. Every key is present unless `fields` narrows the response{}.",
            c.name,
            if c.kind == CollectionType::Auth {
                "; `email` only to its owner, superusers, or when `emailVisibility` is true"
            } else {
                ""
            }
        ),
    )
}

/// The schema of a field's value in a record (`input` false) or in a JSON body (`input` true).
fn value(ir: &Ir, f: &Field, input: bool) -> Schema {
    let schema = match f.ty.shape() {
        Shape::String => string(),
        Shape::DateTime => example(string(), "2024-05-01 10:00:00.000Z".into()),
        Shape::Number => number(),
        Shape::Bool => boolean(),
        Shape::Enum => string_enum(select_values(f, !f.required || !input)),
        Shape::EnumList => array(item(string_enum(select_values(f, false)))),
        Shape::Ref => string(),
        Shape::RefList => array(item(string())),
        Shape::Json => any(),
        Shape::GeoPoint => object(
            vec![prop("lon", number()), prop("lat", number())],
            if input { Vec::new() } else { vec!["lon".into(), "lat".into()] },
        ),
    };
    describe(schema, field_description(ir, f))
}

/// The select's values, plus `""` (PocketBase's "not set") when `empty` is true.
fn select_values(f: &Field, empty: bool) -> Vec<String> {
    let FieldType::Select(s) = &f.ty else { return Vec::new() };
    let mut values: Vec<String> = s.values.iter().map(|v| v.value.clone()).collect();
    if empty {
        values.push(String::new());
    }
    values
}

/// The field's `help`, then a line with its type and constraints.
fn field_description(ir: &Ir, f: &Field) -> String {
    let mut parts = vec![format!("{} field", f.ty.type_name())];
    if f.required {
        parts.push("required".into());
    }
    match &f.ty {
        FieldType::Text(t) if t.max > 0 => parts.push(format!("{} to {} characters", t.min, t.max)),
        FieldType::Text(t) if t.min > 0 => parts.push(format!("at least {} characters", t.min)),
        FieldType::Number(n) if n.only_int => parts.push("integer".into()),
        FieldType::Select(s) if s.max_select > 1 => parts.push(format!("up to {} values", s.max_select)),
        FieldType::File(file) if file.max_select > 1 => parts.push(format!("up to {} file names", file.max_select)),
        FieldType::File(_) => parts.push("a file name, `\"\"` when empty".into()),
        FieldType::Relation(r) if f.ty.is_multi() => {
            parts.push(format!("ids of `{}` records", ir.collection(r.target).name));
        }
        FieldType::Relation(r) => {
            parts.push(format!("the id of a `{}` record, `\"\"` when empty", ir.collection(r.target).name))
        }
        FieldType::Date(_) | FieldType::Autodate { .. } => parts.push("`YYYY-MM-DD HH:MM:SS.sssZ` or `\"\"`".into()),
        _ => {}
    }
    if let FieldType::Text(t) = &f.ty
        && !t.pattern.is_empty()
    {
        parts.push(format!("pattern `{}`", t.pattern));
    }
    let summary = format!("`{}`: {}.", f.name, parts.join(", "));
    if f.help.is_empty() { summary } else { format!("{}\n\n{summary}", f.help) }
}

/// `expand`: each relation field of this collection, and each relation of another collection pointing here
/// (`<collection>_via_<field>`).
fn expand(ir: &Ir, c: &Collection) -> Schema {
    let index = ir.collections.iter().position(|x| x.name == c.name).expect("c is one of ir.collections");
    let mut props = Vec::new();
    for f in c.fields_by_name() {
        if let FieldType::Relation(r) = &f.ty {
            let target = reference(&names::component(ir.collection(r.target), Component::Record));
            props.push((f.name.clone(), if f.ty.is_multi() { item(array(target)) } else { target }));
        }
    }
    for source in &ir.collections {
        for f in source.fields_by_name() {
            if let FieldType::Relation(r) = &f.ty
                && r.target == index
            {
                let target = reference(&names::component(source, Component::Record));
                let single = unique_on(source, &f.name);
                props.push((
                    format!("{}_via_{}", source.name, f.name),
                    if single { target } else { item(array(target)) },
                ));
            }
        }
    }
    describe(
        object(props, Vec::new()),
        format!(
            "Related records of a `{}` record: a single relation expands to an object, a multiple one (and a \
             back-relation `<collection>_via_<field>` without a unique index) to an array.",
            c.name
        ),
    )
}

/// Whether `c` has a unique index on exactly `column` (then its back-relation expands to one record).
fn unique_on(c: &Collection, column: &str) -> bool {
    c.indexes
        .iter()
        .filter(|i| i.unique)
        .filter_map(|i| crate::ir::index::parse(&i.sql).ok())
        .any(|def| def.columns.len() == 1 && def.columns[0].eq_ignore_ascii_case(column))
}

fn list_envelope(c: &Collection) -> Schema {
    let count = |what: &str| describe(integer(), format!("{what}; -1 with `skipTotal`."));
    object(
        vec![
            prop("items", array(reference(&names::component(c, Component::Record)))),
            prop("page", integer()),
            prop("perPage", integer()),
            prop("totalItems", count("Records matching the filter and the list rule")),
            prop("totalPages", count("Pages of `perPage` records")),
        ],
        ["items", "page", "perPage", "totalItems", "totalPages"].map(str::to_owned).to_vec(),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    Create,
    Update,
}

/// The JSON body of a create or update.
fn input(ir: &Ir, c: &Collection, kind: Input) -> Schema {
    let (props, required) = input_props(ir, c, kind, false);
    describe(object(props, required), input_description(c, kind))
}

fn input_description(c: &Collection, kind: Input) -> String {
    let what = match kind {
        Input::Create => format!("The body that creates a `{}` record.", c.name),
        Input::Update => format!("The body that updates a `{}` record; only the keys sent change.", c.name),
    };
    format!(
        "{what} Unknown keys are ignored; values are coerced as PocketBase does (`\"12\"` for a number). \
         Modifiers: `field+` / `field-` add to or subtract from a number, `field+` / `+field` append / prepend \
         to a multi-value select, relation or file field and `field-` removes values from it. Hidden fields, \
         autodates and `tokenKey` are ignored unless a superuser sends them."
    )
}

/// The properties (and required names) of an input, in schema order; `multipart` turns file fields into
/// uploads and adds `@jsonPayload`.
fn input_props(
    ir: &Ir,
    c: &Collection,
    kind: Input,
    multipart: bool,
) -> (Vec<(String, ReferenceOr<Schema>)>, Vec<String>) {
    let mut props = Vec::new();
    let mut required = Vec::new();
    for f in c.fields.iter().filter(|f| f.is_client_writable()) {
        if kind == Input::Update && f.name == "id" {
            continue;
        }
        let schema = match (&f.ty, multipart) {
            (FieldType::File(_), true) => {
                let upload = if f.ty.is_multi() { array(item(binary())) } else { binary() };
                describe(upload, field_description(ir, f))
            }
            (FieldType::File(_), false) => describe(
                any(),
                format!(
                    "{}\n\nIn JSON a file field can only be cleared (`null`, `\"\"` or `[]`) or have files \
                     removed by name with `{}-`; upload files with a multipart/form-data body.",
                    field_description(ir, f),
                    f.name
                ),
            ),
            _ => value(ir, f, true),
        };
        // The server makes an `id` when none is sent; a required file cannot be sent in JSON.
        let sendable = !matches!(f.ty, FieldType::File(_)) || multipart;
        if kind == Input::Create && f.required && f.name != "id" && sendable {
            required.push(f.name.clone());
        }
        props.push((f.name.clone(), item(schema)));
    }
    if c.kind == CollectionType::Auth {
        let confirm = describe(string(), "Must equal `password`.");
        if kind == Input::Create {
            required.push("passwordConfirm".into());
        } else {
            props.push(prop(
                "oldPassword",
                describe(string(), "The current password; a non-superuser needs it to change the password."),
            ));
        }
        props.push(prop("passwordConfirm", confirm));
    }
    if multipart {
        props.push(prop(
            "@jsonPayload",
            describe(string(), "A JSON object merged into the body (the JS SDK sends objects and arrays this way)."),
        ));
    }
    (props, required)
}

fn has_files(c: &Collection) -> bool {
    c.fields.iter().any(|f| matches!(f.ty, FieldType::File(_)))
}

/// JSON, plus multipart/form-data for a collection with file fields.
fn input_body(ir: &Ir, c: &Collection, kind: Input) -> ReferenceOr<openapiv3::RequestBody> {
    let component = names::component(c, if kind == Input::Create { Component::Create } else { Component::Update });
    let mut content = vec![(JSON, reference(&component))];
    if has_files(c) {
        let (props, required) = input_props(ir, c, kind, true);
        let form = describe(
            object(props, required),
            "The same keys as the JSON body, file fields as uploads (repeat a key for several files). Values \
             are text; `true`/`false` and numbers are read as such.",
        );
        content.push((MULTIPART, item(form)));
    }
    let mut body = body(content, &input_description(c, kind));
    if let ReferenceOr::Item(b) = &mut body {
        b.required = kind == Input::Create;
    }
    body
}

/// "Rule: …", for an operation's description.
fn rule_text(action: &str, rule: &Rule) -> String {
    match rule {
        Rule::SuperusersOnly => format!("{action} rule: only superusers (403 for anyone else)."),
        Rule::Public => format!("{action} rule: anyone."),
        Rule::Expr { source, .. } => format!("{action} rule: `{source}`."),
    }
}

fn record_json(c: &Collection, description: &str) -> ReferenceOr<openapiv3::Response> {
    json(description, reference(&names::component(c, Component::Record)))
}

fn list_op(ir: &Ir, c: &Collection) -> openapiv3::Operation {
    let mut op = operation(
        names::tag(c),
        names::operation("list", c),
        &format!("List {} records", c.name),
        format!(
            "A page of records. {} Records the rule rejects are left out (not an error).",
            rule_text("List", &c.rules.list)
        ),
        responses((200, json("A page of records.", reference(&names::component(c, Component::List)))), &[400, 403]),
    );
    op.parameters = params::list(ir, c);
    op
}

fn id_param() -> ReferenceOr<openapiv3::Parameter> {
    path("id", "The record id.")
}

fn view_op(ir: &Ir, c: &Collection) -> openapiv3::Operation {
    let mut op = operation(
        names::tag(c),
        names::operation("view", c),
        &format!("View a {} record", c.name),
        format!("{} A record the rule rejects is a 404.", rule_text("View", &c.rules.view)),
        responses((200, record_json(c, "The record.")), &[400, 403, 404]),
    );
    op.parameters = std::iter::once(id_param()).chain(params::shape(ir, c)).collect();
    op
}

fn create_op(ir: &Ir, c: &Collection) -> openapiv3::Operation {
    let mut op = operation(
        names::tag(c),
        names::operation("create", c),
        &format!("Create a {} record", c.name),
        format!(
            "{} A failing rule is a 400 with empty `data`; invalid values are a 400 with one entry per field in \
             `data`. PocketBase answers 200 (not 201).",
            rule_text("Create", &c.rules.create)
        ),
        responses((200, record_json(c, "The new record.")), &[400, 403]),
    );
    op.parameters = params::shape(ir, c);
    op.request_body = Some(input_body(ir, c, Input::Create));
    op
}

fn update_op(ir: &Ir, c: &Collection) -> openapiv3::Operation {
    let mut op = operation(
        names::tag(c),
        names::operation("update", c),
        &format!("Update a {} record", c.name),
        format!(
            "{} A record the rule rejects is a 404; invalid values are a 400 with one entry per field in `data`.",
            rule_text("Update", &c.rules.update)
        ),
        responses((200, record_json(c, "The updated record.")), &[400, 403, 404]),
    );
    op.parameters = std::iter::once(id_param()).chain(params::shape(ir, c)).collect();
    op.request_body = Some(input_body(ir, c, Input::Update));
    op
}

fn delete_op(c: &Collection) -> openapiv3::Operation {
    let mut op = operation(
        names::tag(c),
        names::operation("delete", c),
        &format!("Delete a {} record", c.name),
        format!(
            "{} A record the rule rejects is a 404. Records that point here with cascade delete go too; a \
             record that another one requires is a 400.",
            rule_text("Delete", &c.rules.delete)
        ),
        responses((204, no_content("Deleted.")), &[400, 403, 404]),
    );
    op.parameters = vec![id_param()];
    op
}
