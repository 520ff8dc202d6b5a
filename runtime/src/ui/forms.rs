//! The record editor (a side panel for one record, or a new one), its save, create and delete, and the bulk
//! actions. Validation is the REST API's: its field errors are shown next to each input.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::Response;
use base64::Engine;
use datastar::axum::ReadSignals;
use datastar::prelude::ElementPatchMode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::html::{esc, js_str, row_selector, url_enc};
use super::rest::Submission;
use super::rows::{Ctx, row};
use super::session::Session;
use super::sse;
use super::widgets::{self, RelationChoices};
use crate::api::error::ApiError;
use crate::meta::{CollectionKind, FieldKind, FieldMeta};

/// How many records a relation picker offers.
const CHOICES: u64 = 200;
const CLOSED: &str = r#"<aside id="editor"></aside>"#;

/// The fields the form edits (and shows): not the id, secrets, or hidden fields the user cannot see.
fn form_fields(ctx: &Ctx) -> impl Iterator<Item = &'static FieldMeta<'static>> + '_ {
    let superuser = ctx.session.superuser();
    ctx.api.meta.fields.iter().filter(move |f| {
        f.name != "id"
            && f.name != "tokenKey"
            && (!f.hidden || superuser || matches!(f.kind, FieldKind::Password { .. }))
    })
}

/// Auth collections' `password` needs PocketBase's `passwordConfirm` next to it.
fn needs_confirm(ctx: &Ctx, f: &FieldMeta) -> bool {
    ctx.api.meta.kind == CollectionKind::Auth && f.name == "password"
}

/// The records each relation field may point at, as the user may list them.
async fn choices(ctx: &Ctx) -> RelationChoices {
    let mut out = RelationChoices::new();
    let schema = ctx.session.state().app.schema;
    for f in form_fields(ctx) {
        let FieldKind::Relation { collection, .. } = f.kind else { continue };
        let Some(target) = schema.collection(collection) else { continue };
        let mut fields = vec!["id"];
        fields.extend(widgets::presentable(target).map(|f| f.name));
        let fields = fields.join(",");
        let per_page = CHOICES.to_string();
        let listed = ctx
            .session
            .rest
            .list(target.name, &[("perPage", &per_page), ("fields", &fields), ("skipTotal", "1")])
            .await;
        let options = listed.ok().map(|v| {
            v.get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .map(|r| {
                    (r.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(), widgets::label(target, r))
                })
                .collect()
        });
        out.insert(f.name, options);
    }
    out
}

/// Keeps the current targets selectable when they are not among the first [`CHOICES`].
fn add_current(ctx: &Ctx, choices: &mut RelationChoices, record: &Map<String, Value>) {
    let schema = ctx.session.state().app.schema;
    for (name, options) in choices.iter_mut() {
        let (Some(options), Some(f)) = (options.as_mut(), ctx.api.meta.field(name)) else { continue };
        let FieldKind::Relation { collection, .. } = f.kind else { continue };
        let expanded = match record.get("expand").and_then(|e| e.get(*name)) {
            Some(Value::Array(items)) => items.clone(),
            Some(v @ Value::Object(_)) => vec![v.clone()],
            _ => Vec::new(),
        };
        for r in expanded.iter().filter_map(Value::as_object) {
            let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
            if let Some(target) = schema.collection(collection)
                && !options.iter().any(|(o, _)| o == id)
            {
                options.push((id.to_owned(), widgets::label(target, r)));
            }
        }
    }
}

/// The editor panel and its signals, for `record` (an existing one) or a new record.
fn editor(ctx: &Ctx, record: Option<&Map<String, Value>>, choices: &RelationChoices, focus: &str) -> (String, Value) {
    let shown = ctx.shown();
    let mut f = Map::new();
    let mut fk = Map::new();
    let mut rows = String::new();
    for field in form_fields(ctx) {
        f.insert(field.name.to_owned(), widgets::initial(field, record));
        if matches!(field.kind, FieldKind::File { .. }) {
            fk.insert(field.name.to_owned(), widgets::kept(field, record));
        }
        let required = if field.required && !matches!(field.kind, FieldKind::Bool | FieldKind::Autodate { .. }) {
            r#"<b class="req" title="required">*</b>"#
        } else {
            ""
        };
        rows.push_str(&format!(
            r#"<div class="field kind-{kind}{}"><label for="in-{name}">{name}{required} <small>{kind}</small></label>{input}<div id="err-{name}" class="err"></div></div>"#,
            if field.name == focus { " focused" } else { "" },
            name = esc(field.name),
            kind = super::rows::kind_name(field.kind),
            input = widgets::input(&shown, field, record, choices),
        ));
        if needs_confirm(ctx, field) {
            f.insert("passwordConfirm".to_owned(), json!(""));
            rows.push_str(r#"<div class="field"><label for="in-passwordConfirm">passwordConfirm</label><input type="password" id="in-passwordConfirm" autocomplete="new-password" data-bind="f.passwordConfirm"><div id="err-passwordConfirm" class="err"></div></div>"#);
        }
    }
    let (title, action, id_line) = match record {
        Some(r) => {
            let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
            let url = format!("{}/r/{}", ctx.base(), url_enc(id));
            (
                format!("Edit {}", esc(&widgets::label(ctx.api.meta, r))),
                format!(
                    r#"<button type="button" class="danger" data-on:click="confirm('Delete this record?') && @delete({url}, {{filterSignals: {{include: /^$/}}}})">Delete</button><span class="spacer"></span><button type="button" data-on:click="@get({url}, {{filterSignals: {{include: /^$/}}}}); {close}">Cancel</button><button type="button" class="primary" data-indicator:saving data-attr:disabled="$saving" data-on:click="@patch({url}, {{filterSignals: {{include: /^(f|fk)\./}}}})">Save</button>"#,
                    url = esc(&js_str(&url)),
                    close = "el.closest('aside').replaceChildren()",
                ),
                format!(r#"<p class="muted mono">id {}</p>"#, esc(id)),
            )
        }
        None => (
            format!("New record <small class=\"muted\">in {}</small>", esc(ctx.name())),
            format!(
                r#"<span class="spacer"></span><button type="button" data-on:click="el.closest('aside').replaceChildren()">Cancel</button><button type="button" class="primary" data-indicator:saving data-attr:disabled="$saving" data-on:click="@post({}, {{filterSignals: {{include: /^(f|fk)\./}}}})">Create</button>"#,
                esc(&js_str(&ctx.base()))
            ),
            String::new(),
        ),
    };
    let html = format!(
        r#"<aside id="editor" class="open"><div class="panel"><header><h2>{title}</h2><button type="button" class="x" title="Close" data-on:click="el.closest('aside').replaceChildren()">×</button></header>{id_line}<div id="form-msg"></div><div class="fields">{rows}</div><footer>{action}</footer></div></aside>"#
    );
    (html, json!({ "f": f, "fk": fk }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Focus {
    focus: String,
}

/// `GET /ui/c/{collection}/r/{id}/edit`: opens the editor for a record.
pub async fn edit(session: Session, Path((name, id)): Path<(String, String)>, Query(focus): Query<Focus>) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let expand = ctx.expand();
    let record = match ctx.session.rest.view(ctx.name(), &id, &[("expand", &expand)]).await {
        Ok(Value::Object(r)) => r,
        _ => return sse::respond(vec![sse::remove(&row_selector(&id))]),
    };
    let mut choices = choices(&ctx).await;
    add_current(&ctx, &mut choices, &record);
    let (html, signals) = editor(&ctx, Some(&record), &choices, &focus.focus);
    // The form's signals are dropped first, so nothing of a previous record is left over.
    sse::respond(vec![
        sse::signals(&json!({"f": null, "fk": null})),
        sse::signals(&signals),
        sse::morph(html),
        focus_script(&focus.focus),
    ])
}

/// Puts the cursor in the input of the cell that was clicked.
fn focus_script(field: &str) -> axum::response::sse::Event {
    let selector = format!("#in-{field}");
    datastar::prelude::ExecuteScript::new(format!("document.querySelector({})?.focus()", js_str(&selector))).into()
}

/// `GET /ui/c/{collection}/new`: opens the editor for a new record.
pub async fn new(session: Session, Path(name): Path<String>) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let choices = choices(&ctx).await;
    let (html, signals) = editor(&ctx, None, &choices, "");
    sse::respond(vec![sse::signals(&json!({"f": null, "fk": null})), sse::signals(&signals), sse::morph(html)])
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FormSignals {
    f: Map<String, Value>,
    fk: Map<String, Value>,
}

/// A file the browser read for an `<input type=file>` bound to a signal.
#[derive(Deserialize)]
struct Upload {
    name: String,
    contents: String,
    #[serde(default)]
    mime: String,
}

/// The form's signals as a REST body: values converted where inputs differ from the API (dates, JSON
/// text, empty passwords), and multipart with `@jsonPayload` when files are uploaded.
fn submission(ctx: &Ctx, signals: FormSignals, updating: bool) -> Result<Submission, String> {
    let mut body = Map::new();
    let mut files: Vec<(String, Upload)> = Vec::new();
    for f in form_fields(ctx) {
        let Some(value) = signals.f.get(f.name) else { continue };
        match f.kind {
            FieldKind::Autodate { .. } => {}
            FieldKind::Password { .. } => {
                if value.as_str().is_some_and(|s| !s.is_empty()) {
                    body.insert(f.name.to_owned(), value.clone());
                    if needs_confirm(ctx, f) {
                        body.insert(
                            "passwordConfirm".into(),
                            signals.f.get("passwordConfirm").cloned().unwrap_or_default(),
                        );
                    }
                }
            }
            FieldKind::Date { .. } => {
                let s = value.as_str().unwrap_or_default();
                body.insert(f.name.to_owned(), json!(from_local_input(s)));
            }
            FieldKind::Relation { .. } if f.is_multi() && value.is_string() => {
                body.insert(f.name.to_owned(), json!(comma_list(value.as_str().unwrap_or_default())));
            }
            FieldKind::File { .. } => {
                let kept = signals.fk.get(f.name).cloned().unwrap_or(json!([]));
                let uploads: Vec<Upload> = serde_json::from_value(value.clone()).unwrap_or_default();
                let key = if f.is_multi() && !uploads.is_empty() { format!("{}+", f.name) } else { f.name.to_owned() };
                if f.is_multi() || uploads.is_empty() {
                    let kept = if f.is_multi() { kept } else { kept.get(0).cloned().unwrap_or(json!("")) };
                    if updating || f.is_multi() {
                        body.insert(f.name.to_owned(), kept);
                    }
                }
                files.extend(uploads.into_iter().map(|u| (key.clone(), u)));
            }
            _ => {
                body.insert(f.name.to_owned(), value.clone());
            }
        }
    }
    if files.is_empty() {
        return Ok(Submission::Json(Value::Object(body)));
    }
    let boundary = format!("pbgenui{:016x}", rand::random::<u64>());
    let mut out = Vec::new();
    let mut part = |headers: String, content: &[u8]| {
        out.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        out.extend_from_slice(content);
        out.extend_from_slice(b"\r\n");
    };
    part(r#"Content-Disposition: form-data; name="@jsonPayload""#.into(), Value::Object(body).to_string().as_bytes());
    for (key, upload) in files {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(upload.contents.as_bytes())
            .map_err(|_| format!("could not read the file {}", upload.name))?;
        let name = upload.name.replace(['"', '\r', '\n'], "_");
        let mime = if upload.mime.is_empty() { "application/octet-stream" } else { &upload.mime };
        part(
            format!("Content-Disposition: form-data; name=\"{key}\"; filename=\"{name}\"\r\nContent-Type: {mime}"),
            &bytes,
        );
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok(Submission::Multipart { content_type: format!("multipart/form-data; boundary={boundary}"), body: out })
}

/// The values of a multi-valued field typed as text: comma-separated, blanks dropped.
fn comma_list(s: &str) -> Vec<&str> {
    s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// `2024-05-01T10:30` / `…:45` from a `datetime-local` input as PocketBase's date (UTC).
fn from_local_input(s: &str) -> String {
    match s.len() {
        0 => String::new(),
        16 => format!("{}:00.000Z", s.replacen('T', " ", 1)),
        19 => format!("{}.000Z", s.replacen('T', " ", 1)),
        _ => s.replacen('T', " ", 1),
    }
}

/// The API's answer to a failed write, next to the inputs: one slot per field (cleared when valid).
fn errors(ctx: &Ctx, e: &ApiError) -> Vec<axum::response::sse::Event> {
    let mut html = String::new();
    let mut unplaced = Vec::new();
    let mut slots: Vec<&str> = form_fields(ctx).map(|f| f.name).collect();
    if ctx.api.meta.kind == CollectionKind::Auth {
        slots.push("passwordConfirm");
    }
    for (field, err) in &e.data {
        if !slots.contains(&field.as_str()) {
            let message = err.get("message").and_then(Value::as_str).unwrap_or_default();
            unplaced.push(format!("{field}: {message}"));
        }
    }
    for name in slots {
        let message = e.data.get(name).and_then(|v| v.get("message")).and_then(Value::as_str).unwrap_or_default();
        html.push_str(&format!(r#"<div id="err-{}" class="err">{}</div>"#, esc(name), esc(message)));
    }
    let mut message = e.message.clone();
    if !unplaced.is_empty() {
        message = format!("{message} {}", unplaced.join("; "));
    }
    html.push_str(&format!(r#"<div id="form-msg" class="error banner">{}</div>"#, esc(&message)));
    vec![sse::morph(html)]
}

fn message(e: &str) -> Vec<axum::response::sse::Event> {
    vec![sse::morph(format!(r#"<div id="form-msg" class="error banner">{}</div>"#, esc(e)))]
}

/// `PATCH /ui/c/{collection}/r/{id}`: saves the editor through the REST update.
pub async fn save(
    session: Session,
    Path((name, id)): Path<(String, String)>,
    ReadSignals(signals): ReadSignals<FormSignals>,
) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body = match submission(&ctx, signals, true) {
        Ok(b) => b,
        Err(e) => return sse::respond(message(&e)),
    };
    let expand = ctx.expand();
    match ctx.session.rest.update(ctx.name(), &id, body, &[("expand", &expand)]).await {
        Ok(Value::Object(record)) => sse::respond(vec![
            sse::morph(CLOSED),
            sse::signals(&json!({"f": null, "fk": null})),
            sse::morph(row(&ctx, &record)),
        ]),
        Ok(_) => sse::respond(vec![sse::morph(CLOSED)]),
        Err(e) => sse::respond(errors(&ctx, &e)),
    }
}

/// `POST /ui/c/{collection}`: creates a record from the editor through the REST create.
pub async fn create(
    session: Session,
    Path(name): Path<String>,
    ReadSignals(signals): ReadSignals<FormSignals>,
) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body = match submission(&ctx, signals, false) {
        Ok(b) => b,
        Err(e) => return sse::respond(message(&e)),
    };
    let expand = ctx.expand();
    match ctx.session.rest.create(ctx.name(), body, &[("expand", &expand)]).await {
        Ok(Value::Object(record)) => {
            let id = record.get("id").and_then(Value::as_str).unwrap_or_default();
            sse::respond(vec![
                sse::morph(CLOSED),
                sse::signals(&json!({"f": null, "fk": null})),
                // The live stream may have put the row there already.
                sse::remove(&row_selector(id)),
                sse::patch("#rows", ElementPatchMode::Prepend, row(&ctx, &record)),
            ])
        }
        Ok(_) => sse::respond(vec![sse::morph(CLOSED)]),
        Err(e) => sse::respond(errors(&ctx, &e)),
    }
}

/// `DELETE /ui/c/{collection}/r/{id}`: deletes through the REST delete.
pub async fn delete(session: Session, Path((name, id)): Path<(String, String)>) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match ctx.session.rest.delete(ctx.name(), &id).await {
        Ok(()) => sse::respond(vec![sse::morph(CLOSED), sse::remove(&row_selector(&id))]),
        Err(e) => sse::respond(message(&e.message)),
    }
}

/// The bulk bar's form: the checked rows' ids and, for an update, a field and its new value.
fn bulk_form(body: &[u8]) -> (Vec<String>, String, String) {
    let (mut ids, mut field, mut value) = (Vec::new(), String::new(), String::new());
    for (k, v) in crate::files::go_query(&String::from_utf8_lossy(body)).0 {
        match k.as_str() {
            "id" => ids.push(v),
            "bulk_field" => field = v,
            "bulk_value" => value = v,
            _ => {}
        }
    }
    (ids, field, value)
}

fn bulk_message(done: usize, failures: &[String], verb: &str) -> axum::response::sse::Event {
    let mut text = format!("{verb} {done} record{}.", if done == 1 { "" } else { "s" });
    if !failures.is_empty() {
        text.push_str(&format!(" Failed: {}", failures.join("; ")));
    }
    let class = if failures.is_empty() { "ok" } else { "error" };
    sse::morph(format!(r#"<span id="bulk-msg" class="{class}">{}</span>"#, esc(&text)))
}

/// `POST /ui/c/{collection}/bulk/{action}` (`delete` or `update`): one REST call per checked record.
pub async fn bulk(session: Session, Path((name, action)): Path<(String, String)>, body: Bytes) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (ids, field, value) = bulk_form(&body);
    let mut events = Vec::new();
    let mut failures = Vec::new();
    let mut done = 0;
    let expand = ctx.expand();
    for id in &ids {
        let result = if action == "delete" {
            ctx.session.rest.delete(ctx.name(), id).await.map(|()| None)
        } else {
            let mut body = Map::new();
            let value = match ctx.api.meta.field(&field).map(|f| f.kind) {
                Some(FieldKind::Date { .. }) => json!(from_local_input(&value)),
                Some(FieldKind::Select { .. } | FieldKind::Relation { .. })
                    if ctx.api.meta.field(&field).is_some_and(FieldMeta::is_multi) =>
                {
                    json!(comma_list(&value))
                }
                _ => json!(value),
            };
            body.insert(field.clone(), value);
            ctx.session
                .rest
                .update(ctx.name(), id, Submission::Json(Value::Object(body)), &[("expand", &expand)])
                .await
                .map(Some)
        };
        match result {
            Ok(None) => {
                done += 1;
                events.push(sse::remove(&row_selector(id)));
            }
            Ok(Some(Value::Object(record))) => {
                done += 1;
                events.push(sse::morph(row(&ctx, &record)));
            }
            Ok(Some(_)) => done += 1,
            Err(e) => {
                let detail = e
                    .data
                    .values()
                    .filter_map(|v| v.get("message").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(", ");
                failures.push(if detail.is_empty() {
                    format!("{id}: {}", e.message)
                } else {
                    format!("{id}: {detail}")
                });
            }
        }
    }
    let verb = if action == "delete" { "Deleted" } else { "Updated" };
    events.push(bulk_message(done, &failures, verb));
    events.push(sse::signals(&json!({"_nsel": 0})));
    sse::respond(events)
}
