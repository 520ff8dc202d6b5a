//! The SQLite store: one writer connection (writes are serialized, each in a transaction) and a small pool
//! of reader connections (reads run in parallel, WAL mode).
//!
//! Reads run on the calling worker thread: they are short and CPU-bound (WAL readers never wait for the
//! writer), and handing each one to the blocking pool cost more than the query itself (a thread wake-up and
//! two context switches per request; see examples/bench/BENCHMARKS.md). Writes run on the blocking pool, where
//! waiting for the writer's lock does not hold up a worker.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, Transaction};
use tokio::sync::Semaphore;

use crate::api::error::{ApiError, ApiResult};

/// PocketBase's connection settings (the same pragmas, so a data.db behaves the same under both).
const PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA journal_size_limit = 200000000; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16000;";

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 512;

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    available: Semaphore,
}

impl Store {
    /// Opens (creating if needed) `<dir>/data.db` with `readers` reader connections.
    pub fn open(dir: &Path, readers: usize) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join("data.db");
        let open = |flags| -> Result<Connection, String> {
            let conn = Connection::open_with_flags(&path, flags).map_err(|e| format!("{}: {e}", path.display()))?;
            conn.execute_batch(PRAGMAS).map_err(|e| format!("{}: {e}", path.display()))?;
            // Every collection has a handful of statement shapes per rule and viewer; rusqlite keeps 16.
            conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            register_math_functions(&conn).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(conn)
        };
        let writer =
            open(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        let readers = (0..readers.max(1))
            .map(|_| open(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX))
            .collect::<Result<Vec<_>, _>>()?;
        let n = readers.len();
        Ok(Self {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers: Mutex::new(readers),
                available: Semaphore::new(n),
            }),
        })
    }

    /// Runs `f` on a reader connection.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
    {
        let permit = self.inner.available.acquire().await.map_err(ApiError::internal)?;
        let readers = &self.inner.readers;
        let conn = readers.lock().unwrap_or_else(|p| p.into_inner()).pop().expect("a permit means a free reader");
        // A panic is a 500, as it was on the blocking pool, and the connection goes back either way.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&conn)));
        readers.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
        drop(permit);
        result.unwrap_or_else(|_| Err(ApiError::internal("a read panicked")))
    }

    /// Runs `f` in a write transaction, committed when `f` returns `Ok` and rolled back otherwise.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let tx = conn.transaction()?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Direct access to the writer for start-up work (migrations), outside any request.
    pub fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        f(&mut self.inner.writer.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

type MathFn = fn(f64) -> f64;

/// `geoDistance` compiles to acos/cos/sin/radians, which PocketBase's SQLite has built in
/// (SQLITE_ENABLE_MATH_FUNCTIONS) and rusqlite's bundled build does not.
pub fn register_math_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::ValueRef;
    let funcs: [(&str, MathFn); 4] =
        [("acos", f64::acos), ("cos", f64::cos), ("sin", f64::sin), ("radians", f64::to_radians)];
    for (name, f) in funcs {
        conn.create_scalar_function(
            name,
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            move |ctx| {
                let x = match ctx.get_raw(0) {
                    ValueRef::Integer(i) => i as f64,
                    ValueRef::Real(r) => r,
                    ValueRef::Text(t) => match std::str::from_utf8(t).ok().and_then(|t| t.trim().parse::<f64>().ok()) {
                        Some(x) => x,
                        None => return Ok(None),
                    },
                    _ => return Ok(None),
                };
                let y = f(x);
                Ok(if y.is_nan() { None } else { Some(y) })
            },
        )?;
    }
    Ok(())
}
