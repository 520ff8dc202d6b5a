//! The ceiling: a bare axum route that reads one row from the same SQLite file and returns it as JSON, with
//! nothing else (no rules, no field handling, no auth). `pbgen-bench ceiling --http ADDR --db FILE`.

use std::cell::RefCell;
use std::path::PathBuf;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{Value, json};

thread_local! {
    static CONN: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

static DB: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

fn row(id: &str) -> rusqlite::Result<Option<Value>> {
    CONN.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            let db = DB.get().expect("db path set at start");
            *cell = Some(Connection::open_with_flags(
                db,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?);
        }
        let conn = cell.as_ref().expect("opened above");
        let mut stmt =
            conn.prepare_cached("SELECT id, title, slug, views, published, created FROM posts WHERE id = ?1")?;
        stmt.query_row([id], |r| {
            Ok(json!({
                "id": r.get::<_, String>(0)?, "title": r.get::<_, String>(1)?, "slug": r.get::<_, String>(2)?,
                "views": r.get::<_, f64>(3)?, "published": r.get::<_, bool>(4)?, "created": r.get::<_, String>(5)?,
            }))
        })
        .optional()
    })
}

async fn handler(Path(id): Path<String>) -> Result<Json<Value>, StatusCode> {
    match row(&id) {
        Ok(Some(v)) => Ok(Json(v)),
        Ok(None) => Err(StatusCode::NOT_FOUND),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

pub fn serve(addr: &str, db: PathBuf) -> Result<(), String> {
    DB.set(db).map_err(|_| "db set twice".to_string())?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let app = Router::new().route("/api/health", get(|| async { "ok" })).route("/row/{id}", get(handler));
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| e.to_string())?;
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    })
}
