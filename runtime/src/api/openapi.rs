//! The OpenAPI document `gen` wrote (`GET /api/openapi.json`) and a browsable page for it (`GET /api/docs`).
//!
//! The page is Swagger UI, served from our own origin. Its bundle is third-party code, so it is not in the
//! repository: `.ci/setup` (or `task docs-ui`) fetches `swagger-ui-dist` from npm, checks its checksum and
//! unpacks the two files the page needs into `runtime/docs-ui/`. The server reads them from
//! `$PBGEN_DOCS_UI_DIR` when set, else from that directory of the runtime's sources; without them
//! `/api/docs` says how to get them, and everything else works.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use super::AppState;
use super::error::ApiError;

/// A user's change to the document (e.g. adding their own routes), see `Server::with_openapi`.
pub type OpenApiHook = Arc<dyn Fn(&mut serde_json::Value) + Send + Sync>;

/// The document as served: the generated one after every hook ran (shared by every response, not copied).
#[derive(Clone)]
pub struct Document(Bytes);

impl Document {
    /// Runs `hooks` in order over the generated document.
    pub fn new(generated: &'static str, hooks: &[OpenApiHook]) -> Result<Self, String> {
        if hooks.is_empty() {
            return Ok(Self(Bytes::from_static(generated.as_bytes())));
        }
        let mut spec: serde_json::Value =
            serde_json::from_str(generated).map_err(|e| format!("the generated openapi.json: {e}"))?;
        for hook in hooks {
            hook(&mut spec);
        }
        Ok(Self(serde_json::to_vec_pretty(&spec).map_err(|e| e.to_string())?.into()))
    }
}

/// The files of `swagger-ui-dist` the page loads.
const ASSETS: &[(&str, &str)] =
    &[("swagger-ui-bundle.js", "text/javascript; charset=utf-8"), ("swagger-ui.css", "text/css; charset=utf-8")];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(document))
        .route("/api/docs", get(docs))
        .route("/api/docs/{asset}", get(asset))
}

/// The document with the user's hooks applied ([`Document`] as an extension), else as generated.
async fn document(State(state): State<AppState>, served: Option<Extension<Document>>) -> Response {
    let bytes = match served {
        Some(Extension(Document(bytes))) => bytes,
        None => Bytes::from_static(state.app.openapi.as_bytes()),
    };
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Where the Swagger UI files are.
fn bundle_dir() -> PathBuf {
    std::env::var_os("PBGEN_DOCS_UI_DIR")
        .map_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/docs-ui")), PathBuf::from)
}

async fn docs() -> Html<String> {
    let dir = bundle_dir();
    let present = ASSETS.iter().all(|(name, _)| dir.join(name).is_file());
    Html(if present { PAGE.to_owned() } else { missing(&dir) })
}

const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API docs</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: true });
</script>
</body>
</html>
"##;

fn missing(dir: &std::path::Path) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>API docs</title></head><body>\n\
         <h1>API docs</h1>\n<p>The OpenAPI document is at <a href=\"openapi.json\">/api/openapi.json</a>.</p>\n\
         <p>The browsable page needs Swagger UI, which is not part of the repository. Run <code>bash .ci/setup</code> \
         (or <code>task docs-ui</code>) in the pbgen repository: it fetches <code>swagger-ui-dist</code> from npm, \
         checks its checksum and puts <code>swagger-ui-bundle.js</code> and <code>swagger-ui.css</code> in \
         <code>{}</code>. Or point <code>PBGEN_DOCS_UI_DIR</code> at a directory holding those two files.</p>\n\
         </body></html>\n",
        html_escape(&dir.display().to_string())
    )
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    let Some((name, mime)) = ASSETS.iter().find(|(n, _)| *n == name) else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "File not found."));
    };
    let bytes = tokio::fs::read(bundle_dir().join(name))
        .await
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "File not found."))?;
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    Ok(response)
}
