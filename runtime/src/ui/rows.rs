//! The records table: its columns, rows, search, sort, the infinite-scroll sentinel, and the handlers
//! that re-render it.

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use datastar::axum::ReadSignals;
use datastar::prelude::ElementPatchMode;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::html::{esc, js_str, query, row_id, row_selector, url_enc};
use super::session::Session;
use super::sse;
use super::widgets::{self, Shown};
use crate::api::error::ApiError;
use crate::meta::{CollectionKind, FieldKind, FieldMeta};
use crate::server::CollectionApi;

/// Rows per page of the infinite scroll.
pub const PAGE: u64 = 40;

/// A signed-in user looking at one collection.
pub struct Ctx {
    pub session: Session,
    pub api: &'static CollectionApi,
    file_token: Option<String>,
}

impl Ctx {
    /// The collection named in the path, or a 404 page.
    pub async fn new(session: Session, name: &str) -> Result<Self, Response> {
        let Some(api) = session.state().app.collection(name) else {
            return Err((axum::http::StatusCode::NOT_FOUND, "Unknown collection").into_response());
        };
        let protected = api.meta.fields.iter().any(|f| matches!(f.kind, FieldKind::File { protected: true, .. }));
        let file_token =
            if protected { crate::auth::new_file_token(session.state(), &session.auth).await.ok() } else { None };
        Ok(Self { session, api, file_token })
    }

    pub fn shown(&self) -> Shown<'_> {
        Shown { meta: self.api.meta, schema: self.session.state().app.schema, file_token: self.file_token.as_deref() }
    }

    pub fn name(&self) -> &'static str {
        self.api.meta.name
    }

    pub fn base(&self) -> String {
        format!("/ui/c/{}", url_enc(self.name()))
    }

    pub fn read_only(&self) -> bool {
        self.api.meta.kind == CollectionKind::View
    }

    /// The table's columns: every field the user can see except secrets.
    pub fn columns(&self) -> impl Iterator<Item = &'static FieldMeta<'static>> + '_ {
        let superuser = self.session.superuser();
        self.api.meta.fields.iter().filter(move |f| {
            !matches!(f.kind, FieldKind::Password { .. }) && f.name != "tokenKey" && (!f.hidden || superuser)
        })
    }

    /// `expand=` for every relation field, so cells can show the targets' presentable fields.
    pub fn expand(&self) -> String {
        let names: Vec<&str> =
            self.columns().filter(|f| matches!(f.kind, FieldKind::Relation { .. })).map(|f| f.name).collect();
        names.join(",")
    }

    /// The PocketBase filter for a plain-text search: any text-like field contains the words.
    fn text_filter(&self, text: &str) -> String {
        let quoted = format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"));
        self.columns()
            .filter(|f| {
                matches!(
                    f.kind,
                    FieldKind::Text { .. } | FieldKind::Email { .. } | FieldKind::Url { .. } | FieldKind::Editor { .. }
                )
            })
            .map(|f| format!("{} ~ {quoted}", f.name))
            .collect::<Vec<_>>()
            .join(" || ")
    }

    /// One page of records through the REST list handler.
    pub async fn page(&self, filter: &str, sort: &str, page: u64) -> Result<Page, ApiError> {
        let (page_s, per_page) = (page.to_string(), PAGE.to_string());
        let expand = self.expand();
        let params = [
            ("page", page_s.as_str()),
            ("perPage", per_page.as_str()),
            ("filter", filter),
            ("sort", sort),
            ("expand", expand.as_str()),
        ];
        let out = self.session.rest.list(self.name(), &params).await?;
        let items = out.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(Page {
            items: items.into_iter().filter_map(|v| v.as_object().cloned()).collect(),
            total: out.get("totalItems").and_then(Value::as_i64).unwrap_or(0),
        })
    }

    /// The search box's text as a filter: PocketBase filter syntax when the API accepts it, else plain text.
    pub async fn search(&self, q: &str, sort: &str) -> Result<(Search, Page), ApiError> {
        let q = q.trim();
        if q.is_empty() {
            return Ok((Search { filter: String::new(), text: false }, self.page("", sort, 1).await?));
        }
        match self.page(q, sort, 1).await {
            Ok(page) => Ok((Search { filter: q.to_owned(), text: false }, page)),
            Err(e) if e.status == axum::http::StatusCode::BAD_REQUEST => {
                let filter = self.text_filter(q);
                let page = self.page(&filter, sort, 1).await?;
                Ok((Search { filter, text: true }, page))
            }
            Err(e) => Err(e),
        }
    }

    /// The default order: newest first when the collection has `created`, else by id.
    pub fn default_sort(&self) -> &'static str {
        if self.api.meta.field("created").is_some() { "-created" } else { "id" }
    }
}

pub struct Page {
    pub items: Vec<Map<String, Value>>,
    pub total: i64,
}

pub struct Search {
    pub filter: String,
    /// The text was not a filter and was matched against the text fields.
    pub text: bool,
}

/// One table row.
pub fn row(ctx: &Ctx, record: &Map<String, Value>) -> String {
    let id = record.get("id").and_then(Value::as_str).unwrap_or_default();
    let shown = ctx.shown();
    let mut out = format!(r#"<tr id="{}""#, esc(&row_id(id)));
    if !ctx.read_only() {
        let edit = format!("{}/r/{}/edit", ctx.base(), url_enc(id));
        // A click on a cell edits the record with that cell's input focused; checkboxes and links keep theirs.
        out.push_str(&format!(
            r#" class="editable" data-on:click="evt.target.closest('.sel, a, button') || @get({} + '?focus=' + (evt.target.closest('td')?.dataset.f ?? ''), {{filterSignals: {{include: /^$/}}}})""#,
            esc(&js_str(&edit))
        ));
    }
    out.push('>');
    if !ctx.read_only() {
        out.push_str(&format!(
            r#"<td class="sel"><input type="checkbox" name="id" value="{}" aria-label="select"></td>"#,
            esc(id)
        ));
    }
    for f in ctx.columns() {
        let class = match f.kind {
            FieldKind::Number { .. } => " class=\"num\"",
            FieldKind::Bool => " class=\"center\"",
            _ => "",
        };
        let class = if f.name == "id" { " class=\"id\"" } else { class };
        out.push_str(&format!(r#"<td data-f="{}"{class}>{}</td>"#, esc(f.name), widgets::cell(&shown, f, record)));
    }
    out + "</tr>"
}

/// The sentinel under the rows: loads the next page when it scrolls into view.
fn sentinel(ctx: &Ctx, search: &Search, sort: &str, next: u64, shown: i64, total: i64) -> String {
    if shown >= total {
        let text = match total {
            0 => "No records.".to_owned(),
            n if n <= PAGE as i64 => String::new(),
            n => format!("All {n} records loaded."),
        };
        return format!(r#"<div id="more" class="more end">{text}</div>"#);
    }
    let url = format!(
        "{}/rows?{}",
        ctx.base(),
        query(&[
            ("page", &next.to_string()),
            ("filter", &search.filter),
            ("sort", sort),
            ("shown", &shown.to_string())
        ])
    );
    format!(
        r#"<div id="more" class="more" data-on-intersect="@get({}, {{filterSignals: {{include: /^$/}}}})">Loading more… <span class="muted">{shown} of {total}</span></div>"#,
        esc(&js_str(&url))
    )
}

/// The whole table (`#records`): header with sort, first page of rows, sentinel, and the live stream.
pub fn table(ctx: &Ctx, q: &str, sort: &str, result: Result<(Search, Page), ApiError>) -> String {
    let (search, page) = match result {
        Ok(r) => r,
        Err(e) => {
            return format!(
                r#"<div id="records"><p class="error banner">{}</p></div>"#,
                esc(&format!("{} ({})", e.message, e.status.as_u16()))
            );
        }
    };
    let mut out = String::from(r#"<div id="records">"#);
    let mode = if q.trim().is_empty() {
        String::new()
    } else if search.text {
        r#"<span class="muted">matching text in text fields</span>"#.to_owned()
    } else {
        r#"<span class="muted">PocketBase filter</span>"#.to_owned()
    };
    out.push_str(&format!(
        r#"<div class="summary"><span id="total">{} record{}</span> {mode}</div>"#,
        page.total,
        if page.total == 1 { "" } else { "s" }
    ));
    out.push_str(r#"<div class="table-wrap"><table class="grid"><thead><tr>"#);
    if !ctx.read_only() {
        out.push_str(
            r#"<th class="sel"><input type="checkbox" aria-label="select all" data-on:change="el.closest('form').querySelectorAll('td.sel input').forEach(c => c.checked = el.checked)"></th>"#,
        );
    }
    for f in ctx.columns() {
        let (arrow, next) = if sort == f.name {
            ("▲", format!("-{}", f.name))
        } else if sort.strip_prefix('-') == Some(f.name) {
            ("▼", f.name.to_owned())
        } else {
            ("", f.name.to_owned())
        };
        let kind = kind_name(f.kind);
        out.push_str(&format!(
            r#"<th data-on:click="$sort = {}; @get({}, {{filterSignals: {{include: /^(q|sort)$/}}}})" title="{kind} · sort"><span>{}</span><i>{arrow}</i></th>"#,
            esc(&js_str(&next)),
            esc(&js_str(&format!("{}/table", ctx.base()))),
            esc(f.name),
        ));
    }
    out.push_str(r#"</tr></thead><tbody id="rows">"#);
    for record in &page.items {
        out.push_str(&row(ctx, record));
    }
    out.push_str("</tbody></table>");
    out.push_str(&sentinel(ctx, &search, sort, 2, page.items.len() as i64, page.total));
    out.push_str("</div>");
    out.push_str(&super::live::connector(ctx, &search.filter, sort));
    out + "</div>"
}

pub fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text { .. } => "text",
        FieldKind::Number { .. } => "number",
        FieldKind::Bool => "bool",
        FieldKind::Email { .. } => "email",
        FieldKind::Url { .. } => "url",
        FieldKind::Editor { .. } => "editor",
        FieldKind::Date { .. } => "date",
        FieldKind::Autodate { .. } => "autodate",
        FieldKind::Select { .. } => "select",
        FieldKind::File { .. } => "file",
        FieldKind::Relation { .. } => "relation",
        FieldKind::Json { .. } => "json",
        FieldKind::Password { .. } => "password",
        FieldKind::GeoPoint => "geoPoint",
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TableSignals {
    q: String,
    sort: String,
}

/// `GET /ui/c/{collection}/table`: the table again for the search box and sort signals.
pub async fn refresh(
    session: Session,
    Path(name): Path<String>,
    signals: Option<ReadSignals<TableSignals>>,
) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let signals = signals.map(|s| s.0).unwrap_or_default();
    let sort = if signals.sort.is_empty() { ctx.default_sort().to_owned() } else { signals.sort };
    let result = ctx.search(&signals.q, &sort).await;
    sse::respond(vec![sse::morph(table(&ctx, &signals.q, &sort, result))])
}

#[derive(Deserialize)]
pub struct More {
    page: u64,
    #[serde(default)]
    filter: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    shown: i64,
}

/// `GET /ui/c/{collection}/rows?page=N&filter=…&sort=…`: the next page, appended, and a new sentinel.
pub async fn more(session: Session, Path(name): Path<String>, Query(more): Query<More>) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let page = match ctx.page(&more.filter, &more.sort, more.page).await {
        Ok(p) => p,
        Err(e) => {
            return sse::respond(vec![sse::morph(format!(
                r#"<div id="more" class="more error">{}</div>"#,
                esc(&e.message)
            ))]);
        }
    };
    let mut events = Vec::new();
    if !page.items.is_empty() {
        // Rows a live update already put on the page are replaced, not doubled.
        let ids: Vec<String> =
            page.items.iter().map(|r| row_selector(r.get("id").and_then(Value::as_str).unwrap_or_default())).collect();
        events.push(sse::remove(&ids.join(", ")));
        let rows: String = page.items.iter().map(|r| row(&ctx, r)).collect();
        events.push(sse::patch("#rows", ElementPatchMode::Append, rows));
    }
    let search = Search { filter: more.filter, text: false };
    let shown = more.shown + page.items.len() as i64;
    events.push(sse::morph(sentinel(&ctx, &search, &more.sort, more.page + 1, shown, page.total)));
    sse::respond(events)
}

/// `GET /ui/c/{collection}/r/{id}`: one row as the table shows it (after cancelling an edit).
pub async fn one(session: Session, Path((name, id)): Path<(String, String)>) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let expand = ctx.expand();
    match ctx.session.rest.view(ctx.name(), &id, &[("expand", &expand)]).await {
        Ok(Value::Object(record)) => sse::respond(vec![sse::morph(row(&ctx, &record))]),
        _ => sse::respond(vec![sse::remove(&row_selector(&id))]),
    }
}
