//! The SQLite store: one writer connection (writes are serialized) and a small pool of reader connections
//! (reads run in parallel, WAL mode).
//!
//! Reads run on the calling worker thread: they are short and CPU-bound (WAL readers never wait for the
//! writer), and handing each one to the blocking pool cost more than the query itself (a thread wake-up and
//! two context switches per request; see examples/bench/BENCHMARKS.md).
//!
//! Writes go to one writer thread, which commits them in batches: it takes every write waiting for it (up
//! to [`BATCH_MAX`] writes or [`BATCH_TIME`]) into one transaction, each write in its own savepoint, so a
//! failed write is rolled back alone, and answers the writes only after the one `COMMIT`. An acknowledged
//! write is committed, as before; what is shared is the commit's WAL write and the thread hand-off.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Semaphore, oneshot};

use crate::api::error::{ApiError, ApiResult};

mod counts;

/// PocketBase's connection settings (the same pragmas, so a data.db behaves the same under both).
const PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA journal_size_limit = 200000000; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16000;";

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 512;

/// At most this many writes share a commit.
const BATCH_MAX: usize = 256;
/// No further writes join a batch once it has run this long, so a slow write (a bcrypt hash) delays the
/// answers of the writes before it by little.
const BATCH_TIME: Duration = Duration::from_millis(2);

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Arc<Mutex<Connection>>,
    /// To the writer thread, which ends when this is dropped with the last `Store`.
    jobs: mpsc::Sender<Job>,
    readers: Mutex<Vec<Reader>>,
    available: Semaphore,
    counts: counts::Counts,
}

/// A reader connection, as [`Store::read`] lends it (it derefs to the [`Connection`]).
pub struct Reader {
    conn: Connection,
    /// `PRAGMA data_version` when this connection last counted (see `store/counts.rs`).
    data_version: std::cell::Cell<Option<i64>>,
}

impl std::ops::Deref for Reader {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// A write for the writer thread: runs in its savepoint and says how to answer once the commit is known.
type Job = Box<dyn FnOnce(&Connection) -> Answer + Send>;
/// Answers a write with the batch's commit outcome (`None` when the batch committed).
type Answer = Box<dyn FnOnce(Option<&str>) + Send>;

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
            .map(|_| {
                let conn = open(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
                let data_version = conn.query_row("PRAGMA data_version", [], |r| r.get(0)).ok().into();
                Ok(Reader { conn, data_version })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let n = readers.len();
        let writer = Arc::new(Mutex::new(writer));
        let (jobs, queue) = mpsc::channel();
        let thread_writer = writer.clone();
        std::thread::Builder::new()
            .name("pbgen-writer".into())
            .spawn(move || write_batches(&thread_writer, &queue))
            .map_err(|e| format!("the writer thread: {e}"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                writer,
                jobs,
                readers: Mutex::new(readers),
                available: Semaphore::new(n),
                counts: Default::default(),
            }),
        })
    }

    /// Runs `f` on a reader connection.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Reader) -> ApiResult<T> + Send + 'static,
    {
        let permit = self.inner.available.acquire().await.map_err(ApiError::internal)?;
        let readers = &self.inner.readers;
        let reader = readers.lock().unwrap_or_else(|p| p.into_inner()).pop().expect("a permit means a free reader");
        // A panic is a 500, as it was on the blocking pool, and the connection goes back either way.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&reader)));
        readers.lock().unwrap_or_else(|p| p.into_inner()).push(reader);
        drop(permit);
        result.unwrap_or_else(|_| Err(ApiError::internal("a read panicked")))
    }

    /// `SELECT COUNT(*) …` on a reader (inside [`Store::read`]), cached until anything commits to the
    /// database (see `store/counts.rs`).
    pub fn count(&self, reader: &Reader, sql: &str, params: Vec<rusqlite::types::Value>) -> rusqlite::Result<i64> {
        self.inner.counts.count(&reader.conn, &reader.data_version, sql, params)
    }

    /// Runs `f` on the writer inside a transaction: its changes are committed when it returns `Ok` (and
    /// this returns only after that commit), and rolled back when it returns an error or panics.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = in_savepoint(conn, f);
            Box::new(move |commit_failed| {
                let _ = answer.send(match (result, commit_failed) {
                    (Ok(_), Some(e)) => Err(ApiError::internal(e)),
                    (result, _) => result,
                });
            })
        });
        self.inner.jobs.send(job).map_err(|_| ApiError::internal("the writer thread has stopped"))?;
        answered.await.map_err(|_| ApiError::internal("the writer thread dropped a write"))?
    }

    /// Direct access to the writer for start-up work (migrations), outside any request.
    pub fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        f(&mut self.inner.writer.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The writer thread: waits for a write, then runs it and every write queued behind it in one transaction.
fn write_batches(writer: &Mutex<Connection>, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let conn = writer.lock().unwrap_or_else(|p| p.into_inner());
        if conn.prepare_cached("BEGIN IMMEDIATE").and_then(|mut s| s.execute([])).is_err() {
            // Alone, then: outside a transaction its savepoint is its transaction, and its release the commit.
            first(&conn)(None);
            continue;
        }
        let started = Instant::now();
        let mut answers = vec![first(&conn)];
        // Some errors (I/O, a full disk) end the whole transaction, and with it the writes before them.
        while !conn.is_autocommit() && answers.len() < BATCH_MAX && started.elapsed() < BATCH_TIME {
            let Ok(job) = queue.try_recv() else { break };
            answers.push(job(&conn));
        }
        let committed = if conn.is_autocommit() {
            Err("the transaction was rolled back by an error".to_owned())
        } else {
            conn.prepare_cached("COMMIT").and_then(|mut s| s.execute([])).map(drop).map_err(|e| e.to_string())
        };
        if committed.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        drop(conn);
        let failed = committed.err();
        for answer in answers {
            answer(failed.as_deref());
        }
    }
}

/// Runs `f` in a savepoint of the batch's transaction: released on `Ok`, rolled back on an error or panic.
fn in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> ApiResult<T>) -> ApiResult<T> {
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([])).map(drop);
    run("SAVEPOINT pbgen_write")?;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(ApiError::internal("a write panicked")));
    let ended = match &result {
        Ok(_) => run("RELEASE pbgen_write"),
        Err(_) => run("ROLLBACK TO pbgen_write").and_then(|()| run("RELEASE pbgen_write")),
    };
    match (result, ended) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(e)) => Err(ApiError::internal(e)),
        (Err(e), _) => Err(e),
    }
}

/// Process-wide SQLite settings for a server binary: no memory statistics, which SQLite otherwise keeps
/// under one global mutex taken on every allocation (a few percent of a list's time, measured).
///
/// Call it first thing in `main`, before any thread uses SQLite: SQLite only takes these settings before
/// it is initialized (afterwards the call is refused and changes nothing), and not concurrently with other
/// SQLite calls.
pub fn configure_process() {
    // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int. Called before any connection exists (the caller's
    // promise), so nothing reads the setting while it is written; once SQLite is initialized the call
    // returns SQLITE_MISUSE without effect.
    unsafe {
        rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 2).unwrap();
        store.with_writer(|c| c.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY)").unwrap());
        (dir, store)
    }

    fn ids(store: &Store) -> Vec<String> {
        let conn = Connection::open(store_path(store)).unwrap();
        let mut stmt = conn.prepare("SELECT id FROM t ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    fn store_path(store: &Store) -> String {
        store.with_writer(|c| c.path().unwrap().to_owned())
    }

    /// Concurrent writes (which the writer thread batches): a failing or panicking one is rolled back alone,
    /// and every acknowledged one is visible to another connection when its answer arrives.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batched_writes_fail_alone_and_are_committed_when_answered() {
        let (_dir, store) = store();
        let path = store_path(&store);
        let mut tasks = Vec::new();
        for i in 0..200 {
            let (store, path) = (store.clone(), path.clone());
            tasks.push(tokio::spawn(async move {
                let id = format!("r{i:03}");
                let written = id.clone();
                let result = store
                    .write(move |conn| {
                        conn.execute("INSERT INTO t (id) VALUES (?1)", [&written])?;
                        match i % 10 {
                            3 => Err(ApiError::new(axum::http::StatusCode::BAD_REQUEST, "refused")),
                            // A constraint error after this write's own insert.
                            5 => Ok(conn.execute("INSERT INTO t (id) VALUES (?1)", [&written]).map(drop)?),
                            7 => panic!("a hook panicked"),
                            _ => Ok(()),
                        }
                    })
                    .await;
                if result.is_ok() {
                    let other = Connection::open(&path).unwrap();
                    let n: i64 = other.query_row("SELECT COUNT(*) FROM t WHERE id = ?1", [&id], |r| r.get(0)).unwrap();
                    assert_eq!(n, 1, "{id} was answered before it was committed");
                }
                (i, result.is_ok())
            }));
        }
        let mut expected = Vec::new();
        for t in tasks {
            let (i, ok) = t.await.unwrap();
            assert_eq!(ok, ![3, 5, 7].contains(&(i % 10)), "write {i}");
            if ok {
                expected.push(format!("r{i:03}"));
            }
        }
        assert_eq!(ids(&store), expected);
    }

    /// Counts are cached (the second count runs no query) until anything commits: our writer, or another
    /// connection on the same file (PocketBase sharing the data.db).
    #[tokio::test]
    async fn counts_are_cached_until_the_database_changes() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (_dir, store) = store();
        let scanned = Arc::new(AtomicUsize::new(0));
        let count = |store: &Store| {
            let (store, scanned) = (store.clone(), scanned.clone());
            async move {
                let counter = store.clone();
                store
                    .read(move |conn| {
                        // Counts the rows the query reads, so a cached answer shows as no new reads.
                        conn.create_scalar_function("scanned", 0, Default::default(), move |_| {
                            Ok(scanned.fetch_add(1, Ordering::Relaxed) as i64)
                        })?;
                        Ok(counter.count(conn, "SELECT COUNT(*) FROM t WHERE scanned() >= 0", Vec::new())?)
                    })
                    .await
                    .unwrap()
            }
        };
        let insert = |id: &'static str| {
            move |conn: &Connection| Ok(conn.execute("INSERT INTO t (id) VALUES (?1)", [id]).map(drop)?)
        };
        store.write(insert("a")).await.unwrap();
        assert_eq!(count(&store).await, 1);
        let after_first = scanned.load(Ordering::Relaxed);
        assert_eq!(count(&store).await, 1);
        assert_eq!(count(&store).await, 1);
        assert_eq!(scanned.load(Ordering::Relaxed), after_first, "the repeated counts were answered from the cache");

        store.write(insert("b")).await.unwrap();
        assert_eq!(count(&store).await, 2, "a write through the store");
        let other = Connection::open(store_path(&store)).unwrap();
        other.execute("INSERT INTO t (id) VALUES ('c')", []).unwrap();
        assert_eq!(count(&store).await, 3, "a write by another connection");
        other.execute("DELETE FROM t", []).unwrap();
        assert_eq!(count(&store).await, 0);
    }

    #[tokio::test]
    async fn the_writer_thread_ends_with_the_last_store() {
        let (_dir, store) = store();
        store.write(|conn| Ok(conn.execute("INSERT INTO t (id) VALUES ('a')", []).map(drop)?)).await.unwrap();
        let writer = Arc::downgrade(&store.inner.writer);
        drop(store);
        for _ in 0..100 {
            if writer.upgrade().is_none() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the writer connection is still held after the store was dropped");
    }
}
