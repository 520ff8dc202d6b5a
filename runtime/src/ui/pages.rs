//! Whole pages: the layout, sign-in, the collections overview, and a collection's table.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use super::assets;
use super::html::{esc, js_str, url_enc};
use super::rows::{self, Ctx};
use super::session::{self, Session};
use crate::access::Rule;
use crate::api::AppState;
use crate::meta::CollectionKind;

fn document(title: &str, body: &str) -> Response {
    let script = match assets::datastar_url() {
        Some(url) => format!(r#"<script type="module" src="{}"></script>"#, esc(&url)),
        None => String::new(),
    };
    let missing = if assets::datastar_url().is_none() {
        r#"<div class="banner error">This server was built without the Datastar client, so the UI cannot react to clicks.
Run <code>bash .ci/setup</code> (it fetches the bundle into <code>runtime/assets/</code>; see the README there) and rebuild.</div>"#
    } else {
        ""
    };
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · pbgen</title><link rel="icon" href="data:,"><link rel="stylesheet" href="{}">{script}</head><body>{missing}{body}</body></html>"#,
        esc(title),
        esc(&assets::css_url())
    );
    let mut r = Html(html).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r
}

/// The collections a user may open: all for superusers, else those whose list rule is not superusers-only.
fn visible(state: &AppState, superuser: bool) -> Vec<&'static crate::server::CollectionApi> {
    let mut out: Vec<_> =
        state.app.collections.iter().filter(|c| superuser || !matches!(c.rules.list, Rule::SuperusersOnly)).collect();
    out.sort_by_key(|c| (c.meta.system, c.meta.name));
    out
}

fn kind(k: CollectionKind) -> &'static str {
    match k {
        CollectionKind::Base => "base",
        CollectionKind::Auth => "auth",
        CollectionKind::View => "view",
    }
}

/// The app's frame: collections on the left, the user and sign-out at the bottom.
fn frame(session: &Session, current: Option<&str>, main: &str) -> String {
    let mut nav = String::new();
    let mut system_started = false;
    for c in visible(session.state(), session.superuser()) {
        if c.meta.system && !system_started {
            nav.push_str(r#"<div class="nav-group">System</div>"#);
            system_started = true;
        }
        let active = if current == Some(c.meta.name) { r#" class="active""# } else { "" };
        nav.push_str(&format!(
            r#"<a href="/ui/c/{}"{active}><span>{}</span><small>{}</small></a>"#,
            url_enc(c.meta.name),
            esc(c.meta.name),
            kind(c.meta.kind)
        ));
    }
    let who = if session.superuser() { "superuser" } else { session.auth.collection.name };
    format!(
        r#"<div class="app"><nav class="side"><a class="brand" href="/ui/">pbgen<span>admin</span></a><div class="nav">{nav}</div><div class="me"><div><strong>{}</strong><small>{}</small></div><form method="post" action="/ui/logout"><button type="submit" class="link">Sign out</button></form></div></nav><main>{main}</main></div><aside id="editor"></aside>"#,
        esc(&session.name()),
        esc(who)
    )
}

/// `GET /ui/login`.
pub async fn login(State(state): State<AppState>) -> Response {
    let collections = session::sign_in_collections(&state);
    let first = collections.first().copied().unwrap_or_default();
    let options: String = collections.iter().map(|c| format!(r#"<option value="{0}">{0}</option>"#, esc(c))).collect();
    let signals = serde_json::json!({ "collection": first, "identity": "", "password": "" });
    let body = format!(
        r#"<div class="login"><form class="card" data-signals="{}" data-on:submit="@post('/ui/login')"><h1>pbgen<span>admin</span></h1><p class="muted">Sign in with a superuser or an auth collection account.</p><label>Collection<select data-bind="collection">{options}</select></label><label>Email or username<input type="text" name="identity" autocomplete="username" data-bind="identity" autofocus></label><label>Password<input type="password" name="password" autocomplete="current-password" data-bind="password"></label><p id="login-error"></p><button type="submit" class="primary" data-indicator:busy data-attr:disabled="$busy">Sign in</button></form></div>"#,
        esc(&signals.to_string())
    );
    document("Sign in", &body)
}

/// `GET /ui/`: the collections.
pub async fn home(session: Session) -> Response {
    let mut cards = String::new();
    for c in visible(session.state(), session.superuser()) {
        let fields = c.meta.fields.iter().filter(|f| !f.system || f.name == "id").count();
        cards.push_str(&format!(
            r#"<a class="card coll" href="/ui/c/{}"><h3>{}</h3><p><span class="badge {k}">{k}</span> {fields} field{}</p></a>"#,
            url_enc(c.meta.name),
            esc(c.meta.name),
            if fields == 1 { "" } else { "s" },
            k = kind(c.meta.kind),
        ));
    }
    let main = format!(r#"<header class="bar"><h1>Collections</h1></header><div class="cards">{cards}</div>"#);
    document("Collections", &frame(&session, None, &main))
}

/// `GET /ui/c/{collection}`: the table, with search, sort, bulk actions and the editor.
pub async fn collection(session: Session, Path(name): Path<String>) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let sort = ctx.default_sort();
    let table = rows::table(&ctx, "", sort, ctx.search("", sort).await);
    let signals = serde_json::json!({ "q": "", "sort": sort, "_nsel": 0 });
    let base = ctx.base();
    let table_url = esc(&js_str(&format!("{base}/table")));
    let new_button = if ctx.read_only() {
        r#"<span class="badge view">read-only view</span>"#.to_owned()
    } else {
        format!(
            r#"<button type="button" class="primary" data-on:click="@get({}, {{filterSignals: {{include: /^$/}}}})">New record</button>"#,
            esc(&js_str(&format!("{base}/new")))
        )
    };
    let bulk = if ctx.read_only() {
        String::new()
    } else {
        let options: String = ctx
            .columns()
            .filter(|f| {
                f.name != "id"
                    && !matches!(
                        f.kind,
                        crate::meta::FieldKind::Autodate { .. }
                            | crate::meta::FieldKind::File { .. }
                            | crate::meta::FieldKind::Json { .. }
                            | crate::meta::FieldKind::GeoPoint
                    )
            })
            .map(|f| format!(r#"<option value="{0}">{0}</option>"#, esc(f.name)))
            .collect();
        let post = |action: &str| esc(&js_str(&format!("{base}/bulk/{action}")));
        format!(
            r#"<div id="bulk-bar" class="bulk" data-show="$_nsel > 0" style="display:none"><strong data-text="$_nsel + ' selected'"></strong><button type="button" class="danger" data-on:click="confirm('Delete the selected records?') && @post({}, {{contentType: 'form'}})">Delete</button><span class="sep"></span><label>Set <select name="bulk_field">{options}</select></label><label>to <input type="text" name="bulk_value" placeholder="value"></label><button type="button" data-on:click="@post({}, {{contentType: 'form'}})">Apply</button></div>"#,
            post("delete"),
            post("update")
        )
    };
    let main = format!(
        r#"<div class="page" data-signals="{signals}"><header class="bar"><h1>{name} <span class="badge {k}">{k}</span></h1><span id="bulk-msg"></span><span class="spacer"></span><div class="search"><input type="search" placeholder="Search text, or a filter like views &gt; 10 &amp;&amp; published = true" data-bind="q" data-indicator:searching data-on:input__debounce.300ms="@get({table_url}, {{filterSignals: {{include: /^(q|sort)$/}}}})"><span class="spinner" data-show="$searching"></span></div>{new_button}</header><form id="bulk-form" class="records" data-on:change="$_nsel = el.querySelectorAll('td.sel input:checked').length" data-on:submit="evt.preventDefault()">{bulk}{table}</form></div>"#,
        signals = esc(&signals.to_string()),
        name = esc(ctx.name()),
        k = kind(ctx.api.meta.kind),
    );
    document(ctx.name(), &frame(&ctx.session, Some(ctx.name()), &main))
}
