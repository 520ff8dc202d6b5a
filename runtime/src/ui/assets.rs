//! The UI's static files, served from our own origin under content-hashed names with immutable caching:
//! our stylesheet, and the Datastar client bundle when the build embedded it (see runtime/build.rs).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("style.css");

#[cfg(pbgen_datastar)]
const DATASTAR: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/datastar.js"));

pub fn css_url() -> String {
    format!("/ui/assets/ui-{}.css", env!("PBGEN_UI_CSS_HASH"))
}

/// The bundle's URL, or `None` when this build has no bundle.
pub fn datastar_url() -> Option<String> {
    cfg!(pbgen_datastar)
        .then(|| format!("/ui/assets/datastar-{}.js", option_env!("PBGEN_DATASTAR_HASH").unwrap_or_default()))
}

fn immutable(content_type: &'static str, body: impl IntoResponse) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    r
}

/// `GET /ui/assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    if file == css_url().trim_start_matches("/ui/assets/") {
        return immutable("text/css; charset=utf-8", CSS);
    }
    #[cfg(pbgen_datastar)]
    if datastar_url().is_some_and(|u| u.ends_with(&format!("/{file}"))) {
        return immutable("text/javascript; charset=utf-8", DATASTAR);
    }
    (StatusCode::NOT_FOUND, "Not found").into_response()
}
