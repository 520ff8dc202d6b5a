//! The blog server, built from the generated `blog` crate the way a user would: generated code untouched,
//! one hook, a route of our own, and its description in the served OpenAPI document.
//! `blog-app serve --http 127.0.0.1:8090 --dir ./pb_data`.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::routing::get;
use axum::{Extension, Json, Router};
use blog::hooks::{Adapter, Hooks};
use blog::models::users;
use pbgen_runtime::codegen::{HookError, HookResult, Server};
use pbgen_runtime::store::Store;
use serde_json::{Value, json};

/// Users created since the server started (kept by an after-create hook).
static CREATED_USERS: AtomicU64 = AtomicU64::new(0);

struct BlogHooks;

impl Hooks for BlogHooks {
    /// A house rule PocketBase's API rules cannot express: some display names are taken by the staff.
    fn users_before_create(&self, user: &mut users::Record) -> HookResult {
        user.name = user.name.trim().to_owned();
        if user.name.eq_ignore_ascii_case("administrator") {
            return Err(HookError::new("This name is reserved."));
        }
        Ok(())
    }

    fn users_after_create(&self, _user: &users::Record) {
        CREATED_USERS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Our own endpoints, next to PocketBase's.
fn routes() -> Router {
    Router::new().route("/api/example/stats", get(stats))
}

/// How many users exist (read straight from the store) and how many this process created.
async fn stats(Extension(store): Extension<Store>) -> Result<Json<Value>, pbgen_runtime::api::error::ApiError> {
    let users: i64 = store.read(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?)).await?;
    Ok(Json(json!({ "users": users, "createdSinceStart": CREATED_USERS.load(Ordering::Relaxed) })))
}

/// Describes our own route in the OpenAPI document the server serves (`/api/openapi.json`, `/api/docs`).
fn document_routes(spec: &mut Value) {
    spec["paths"]["/api/example/stats"] = json!({
        "get": {
            "tags": ["example"],
            "operationId": "example_stats",
            "summary": "User counts",
            "description": "How many users exist, and how many this server process created.",
            "responses": {
                "200": {
                    "description": "The counts.",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["users", "createdSinceStart"],
                        "properties": {
                            "users": {"type": "integer", "description": "Users in the database."},
                            "createdSinceStart": {"type": "integer", "description": "Users created since start."}
                        }
                    }}}
                }
            }
        }
    });
}

/// The runtime's allocator, as the generated `main.rs` declares it.
#[global_allocator]
static ALLOCATOR: pbgen_runtime::codegen::Allocator = pbgen_runtime::codegen::Allocator;

fn main() -> std::process::ExitCode {
    Server::new(&blog::app::APP).with_hooks(Adapter(BlogHooks)).merge(routes()).with_openapi(document_routes).main()
}
