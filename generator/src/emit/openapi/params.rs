//! The query parameters of the records API, with PocketBase's syntax explained.

use openapiv3::{Parameter, ReferenceOr};

use super::kit::{boolean, example, integer, query, string};
use crate::ir::{Collection, FieldType, Ir};

/// `page`, `perPage`, `sort`, `filter`, `skipTotal`, then `expand` and `fields`.
pub fn list(ir: &Ir, c: &Collection) -> Vec<ReferenceOr<Parameter>> {
    let first = c.fields_by_name().into_iter().find(|f| !f.hidden && !f.is_write_only()).map_or("id", |f| &f.name);
    let mut out = vec![
        query("page", example(integer(), 1.into()), "The page (1-based). Missing, 0 or negative: 1."),
        query(
            "perPage",
            example(integer(), 30.into()),
            "Records per page: 30 when missing, 0 or negative; at most 1000 (larger values are capped).",
        ),
        query(
            "sort",
            example(string(), format!("-created,{first}").into()),
            "Comma-separated fields to sort by; a leading `-` sorts descending, `+` (or nothing) ascending. \
             `@random` sorts randomly, `@rowid` by insertion order. Relation fields can be followed with dots \
             (`author.name`). Without `sort` the order is the table's (insertion) order.",
        ),
        query(
            "filter",
            example(string(), format!("{first} != '' && created > '2024-01-01 00:00:00'").into()),
            "PocketBase's filter language: `field OP value` joined with `&&`, `||` and parentheses. \
             Operators: `=` `!=` `>` `>=` `<` `<=` `~` (contains / LIKE) `!~`, and their any-of forms \
             `?=` `?!=` `?>` `?>=` `?<` `?<=` `?~` `?!~` for multi-value fields. Values: 'single' or \"double\" \
             quoted strings, numbers, `true`, `false`, `null`, other fields, and the macros `@now`, `@today`, \
             `@yesterday`, `@month`, `@year` (and their `Start`/`End` forms). Relation fields are followed with \
             dots (`author.name = 'x'`), back-relations as `<collection>_via_<field>`, modifiers as \
             `field:each`, `field:length`, `field:lower`. The collection's list rule applies on top. \
             A syntax error or an unknown field is a 400.",
        ),
        query(
            "skipTotal",
            boolean(),
            "When true, the total is not counted: `totalItems` and `totalPages` are -1 (faster for large \
             collections). Accepts `1`, `t`, `true` and `0`, `f`, `false` in any of Go's spellings.",
        ),
    ];
    out.extend(shape(ir, c));
    out
}

/// `expand` and `fields`, accepted by every endpoint that returns records.
pub fn shape(ir: &Ir, c: &Collection) -> Vec<ReferenceOr<Parameter>> {
    let relation = c.fields.iter().find_map(|f| match &f.ty {
        FieldType::Relation(r) => Some((f.name.as_str(), ir.collection(r.target))),
        _ => None,
    });
    let (expand_example, fields_example) = match relation {
        Some((name, target)) => {
            let nested = target.fields.iter().find(|f| !f.system && !f.hidden && !f.is_write_only());
            let picked = nested.map_or("id".to_owned(), |f| format!("{name}.{}", f.name));
            (name.to_owned(), format!("id,{name},expand.{picked}"))
        }
        None => (String::new(), "id,created".to_owned()),
    };
    let mut expand = string();
    if !expand_example.is_empty() {
        expand = example(expand, expand_example.into());
    }
    vec![
        query(
            "expand",
            expand,
            "Relations to return under `expand`, comma-separated; nested with dots (up to 6 levels, e.g. \
             `author.team`), back-relations as `<collection>_via_<field>`. Related records the requester may \
             not view are left out; unknown names are ignored. A single relation expands to an object, a \
             multiple one to an array.",
        ),
        query(
            "fields",
            example(string(), fields_example.into()),
            "Comma-separated keys to keep in the response (`*` for all at that level, dots into `expand`), \
             e.g. `id,title,expand.author.name`. `field:excerpt(maxLength, withEllipsis?)` returns plain text \
             cut from a text or editor field. With `fields`, records contain only the keys asked for, so \
             every record property is optional in this document.",
        ),
    ]
}
