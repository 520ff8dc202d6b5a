//! One widget per field type: how a value shows in a table cell, and the form input that edits it (bound to
//! the Datastar signal `f.<field>`), with the signal's starting value.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::html::{esc, js_str, url_enc};
use crate::meta::{CollectionMeta, FieldKind, FieldMeta};

/// What rendering needs besides the record: the collection, the app (relation targets), a file token.
pub struct Shown<'a> {
    pub meta: &'static CollectionMeta<'static>,
    pub schema: &'static crate::meta::SchemaMeta<'static>,
    /// For protected files (`?token=`).
    pub file_token: Option<&'a str>,
}

/// Choices for each relation field: (id, label) of the target records the user may list; `None` when the
/// user may not list the target (the field is then edited as ids).
pub type RelationChoices = HashMap<&'static str, Option<Vec<(String, String)>>>;

fn str_of<'v>(record: &'v Map<String, Value>, name: &str) -> &'v str {
    record.get(name).and_then(Value::as_str).unwrap_or_default()
}

fn list_of(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The fields whose values name a record in the UI: the presentable ones, else none (the id is shown).
pub fn presentable<'m>(meta: &'m CollectionMeta<'m>) -> impl Iterator<Item = &'m FieldMeta<'m>> {
    meta.fields.iter().filter(|f| f.presentable)
}

/// A record's label: its presentable values joined, or its id.
pub fn label(meta: &CollectionMeta, record: &Map<String, Value>) -> String {
    let parts: Vec<String> = presentable(meta)
        .map(|f| match record.get(f.name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        })
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() { str_of(record, "id").to_owned() } else { parts.join(" · ") }
}

fn file_url(shown: &Shown, record: &Map<String, Value>, name: &str, thumb: bool) -> String {
    let mut url = format!("/api/files/{}/{}/{}", url_enc(shown.meta.id), url_enc(str_of(record, "id")), url_enc(name));
    let mut params = Vec::new();
    if thumb {
        params.push("thumb=100x100".to_owned());
    }
    if let Some(t) = shown.file_token {
        params.push(format!("token={}", url_enc(t)));
    }
    if !params.is_empty() {
        url = format!("{url}?{}", params.join("&"));
    }
    url
}

fn is_image(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".gif", ".webp"].iter().any(|e| lower.ends_with(e))
}

/// Editor (HTML) values shown as plain text.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn chips(items: impl IntoIterator<Item = String>) -> String {
    items.into_iter().map(|s| format!(r#"<span class="chip">{}</span>"#, esc(&s))).collect()
}

/// PocketBase's `2006-01-02 15:04:05.000Z` shown to the second.
fn short_date(s: &str) -> &str {
    s.get(..19).unwrap_or(s)
}

/// A table cell's content.
pub fn cell(shown: &Shown, f: &FieldMeta, record: &Map<String, Value>) -> String {
    let value = record.get(f.name);
    match f.kind {
        FieldKind::Bool => match value {
            Some(Value::Bool(true)) => r#"<span class="yes" title="true">✓</span>"#.to_owned(),
            _ => r#"<span class="no" title="false">–</span>"#.to_owned(),
        },
        FieldKind::Number { .. } => value.filter(|v| !v.is_null()).map(|v| esc(&v.to_string())).unwrap_or_default(),
        FieldKind::Date { .. } | FieldKind::Autodate { .. } => {
            let s = value.and_then(Value::as_str).unwrap_or_default();
            format!(r#"<time title="{}">{}</time>"#, esc(s), esc(short_date(s)))
        }
        FieldKind::Select { .. } => chips(list_of(value)),
        FieldKind::Relation { collection, .. } => {
            let target = shown.schema.collection(collection);
            let expanded = record.get("expand").and_then(|e| e.get(f.name));
            let ids = list_of(value);
            let labels = ids.iter().map(|id| {
                let found = match expanded {
                    Some(Value::Array(items)) => items.iter().find(|r| r.get("id").and_then(Value::as_str) == Some(id)),
                    Some(v @ Value::Object(_)) if v.get("id").and_then(Value::as_str) == Some(id) => Some(v),
                    _ => None,
                };
                match (target, found.and_then(Value::as_object)) {
                    (Some(t), Some(r)) => label(t, r),
                    _ => id.clone(),
                }
            });
            chips(labels)
        }
        FieldKind::File { .. } => list_of(value)
            .iter()
            .map(|name| {
                if is_image(name) {
                    format!(
                        r#"<a class="thumb" href="{}" target="_blank"><img src="{}" alt="{}" loading="lazy"></a>"#,
                        esc(&file_url(shown, record, name, false)),
                        esc(&file_url(shown, record, name, true)),
                        esc(name)
                    )
                } else {
                    format!(
                        r#"<a class="chip file" href="{}" target="_blank">{}</a>"#,
                        esc(&file_url(shown, record, name, false)),
                        esc(name)
                    )
                }
            })
            .collect(),
        FieldKind::Json { .. } => match value {
            None | Some(Value::Null) => String::new(),
            Some(v) => format!(r#"<code>{}</code>"#, esc(&v.to_string())),
        },
        FieldKind::Editor { .. } => esc(&strip_tags(value.and_then(Value::as_str).unwrap_or_default())),
        FieldKind::GeoPoint => match value {
            Some(Value::Object(p)) => {
                let n = |k: &str| p.get(k).map(ToString::to_string).unwrap_or_default();
                esc(&format!("{}, {}", n("lon"), n("lat")))
            }
            _ => String::new(),
        },
        FieldKind::Password { .. } => String::new(),
        FieldKind::Url { .. } => {
            let s = value.and_then(Value::as_str).unwrap_or_default();
            if s.starts_with("http://") || s.starts_with("https://") {
                format!(r#"<a href="{0}" target="_blank" rel="noopener noreferrer">{0}</a>"#, esc(s))
            } else {
                esc(s)
            }
        }
        FieldKind::Text { .. } | FieldKind::Email { .. } => esc(value.and_then(Value::as_str).unwrap_or_default()),
    }
}

/// PocketBase dates as `datetime-local` inputs take them (UTC, to the second).
fn to_local_input(s: &str) -> String {
    short_date(s).replacen(' ', "T", 1)
}

/// The signal value a field's input starts with.
pub fn initial(f: &FieldMeta, record: Option<&Map<String, Value>>) -> Value {
    let value = record.and_then(|r| r.get(f.name));
    match f.kind {
        FieldKind::Bool => Value::Bool(value.and_then(Value::as_bool).unwrap_or(false)),
        FieldKind::Number { .. } => value.cloned().filter(|v| v.is_number()).unwrap_or(json!("")),
        FieldKind::Date { .. } => Value::String(to_local_input(value.and_then(Value::as_str).unwrap_or_default())),
        FieldKind::Select { .. } | FieldKind::Relation { .. } if f.is_multi() => json!(list_of(value)),
        // New uploads; the files already there are in `fk.<field>` (see [`kept`]).
        FieldKind::File { .. } => json!([]),
        FieldKind::Json { .. } => match value {
            None | Some(Value::Null) => json!(""),
            Some(v) => json!(serde_json::to_string_pretty(v).unwrap_or_default()),
        },
        FieldKind::GeoPoint => {
            let p = value.and_then(Value::as_object);
            let n = |k: &str| p.and_then(|p| p.get(k)).cloned().unwrap_or(json!(0));
            json!({ "lon": n("lon"), "lat": n("lat") })
        }
        FieldKind::Password { .. } => json!(""),
        _ => Value::String(value.and_then(Value::as_str).unwrap_or_default().to_owned()),
    }
}

/// The files a file field keeps (the `fk.<field>` signal): all of them at first.
pub fn kept(f: &FieldMeta, record: Option<&Map<String, Value>>) -> Value {
    json!(list_of(record.and_then(|r| r.get(f.name))))
}

fn attr_bind(f: &FieldMeta) -> String {
    format!(r#"data-bind="f.{}""#, esc(f.name))
}

/// A `<select>` of `(value, text)` options for the field; a single-valued one can be left empty.
fn select<'o>(f: &FieldMeta, id: &str, bind: &str, options: impl Iterator<Item = (&'o str, &'o str)>) -> String {
    let multi = if f.is_multi() { " multiple" } else { "" };
    let mut out = format!(r#"<select id="{id}"{multi} {bind}>"#);
    if !f.is_multi() {
        out.push_str(r#"<option value="">—</option>"#);
    }
    for (value, text) in options {
        out.push_str(&format!(r#"<option value="{}">{}</option>"#, esc(value), esc(text)));
    }
    out + "</select>"
}

/// The input for a field, bound to `f.<field>`.
pub fn input(shown: &Shown, f: &FieldMeta, record: Option<&Map<String, Value>>, choices: &RelationChoices) -> String {
    let bind = attr_bind(f);
    let id = format!("in-{}", esc(f.name));
    let required = if f.required { " required" } else { "" };
    match f.kind {
        FieldKind::Bool => format!(r#"<input type="checkbox" id="{id}" {bind}>"#),
        FieldKind::Number { min, max, only_int } => {
            let mut extra = String::new();
            if let Some(m) = min {
                extra.push_str(&format!(r#" min="{m}""#));
            }
            if let Some(m) = max {
                extra.push_str(&format!(r#" max="{m}""#));
            }
            let step = if only_int { "1" } else { "any" };
            format!(r#"<input type="number" id="{id}" step="{step}"{extra} {bind}>"#)
        }
        FieldKind::Email { .. } => format!(r#"<input type="email" id="{id}"{required} {bind}>"#),
        FieldKind::Url { .. } => format!(r#"<input type="url" id="{id}" placeholder="https://"{required} {bind}>"#),
        FieldKind::Date { .. } => {
            format!(r#"<input type="datetime-local" step="1" id="{id}" {bind}> <small>UTC</small>"#)
        }
        FieldKind::Autodate { .. } => {
            let s = record.map(|r| str_of(r, f.name)).unwrap_or_default();
            format!(r#"<output id="{id}">{}</output>"#, esc(if s.is_empty() { "set on save" } else { s }))
        }
        FieldKind::Select { values, .. } => select(f, &id, &bind, values.iter().map(|v| (*v, *v))),
        FieldKind::Relation { .. } => match choices.get(f.name) {
            Some(Some(options)) => select(f, &id, &bind, options.iter().map(|(v, text)| (v.as_str(), text.as_str()))),
            _ => {
                let hint = if f.is_multi() { "record ids, comma-separated" } else { "record id" };
                format!(r#"<input type="text" id="{id}" placeholder="{hint}" {bind}>"#)
            }
        },
        FieldKind::File { max_select, mime_types, .. } => {
            let record_files = record.map(|r| list_of(r.get(f.name))).unwrap_or_default();
            let mut out = String::from(r#"<div class="files">"#);
            for name in &record_files {
                let preview = match record {
                    Some(r) if is_image(name) => {
                        format!(r#"<img src="{}" alt="">"#, esc(&file_url(shown, r, name, true)))
                    }
                    _ => String::new(),
                };
                let js = esc(&js_str(name));
                out.push_str(&format!(
                    r#"<span class="file-chip" data-show="$fk.{field}.includes({js})">{preview}<span>{name}</span><button type="button" class="x" title="Remove" data-on:click="$fk.{field} = $fk.{field}.filter(n => n !== {js})">×</button></span>"#,
                    field = esc(f.name),
                    name = esc(name),
                ));
            }
            out.push_str("</div>");
            let multiple = if max_select > 1 { " multiple" } else { "" };
            let accept = if mime_types.is_empty() {
                String::new()
            } else {
                format!(r#" accept="{}""#, esc(&mime_types.join(",")))
            };
            out + &format!(r#"<input type="file" id="{id}"{multiple}{accept} {bind}>"#)
        }
        FieldKind::Json { .. } => {
            format!(r#"<textarea id="{id}" rows="4" class="mono" spellcheck="false" {bind}></textarea>"#)
        }
        FieldKind::Editor { .. } => format!(r#"<textarea id="{id}" rows="6" {bind}></textarea>"#),
        FieldKind::GeoPoint => format!(
            r#"<div class="pair"><label>lon <input type="number" step="any" id="{id}" data-bind="f.{n}.lon"></label><label>lat <input type="number" step="any" data-bind="f.{n}.lat"></label></div>"#,
            n = esc(f.name)
        ),
        FieldKind::Password { .. } => {
            let placeholder = if record.is_some() { "unchanged" } else { "" };
            format!(
                r#"<input type="password" id="{id}" autocomplete="new-password" placeholder="{placeholder}" {bind}>"#
            )
        }
        FieldKind::Text { .. } => format!(r#"<input type="text" id="{id}"{required} {bind}>"#),
    }
}
