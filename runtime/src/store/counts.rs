//! `totalItems` without a scan per request: list counts cached until the database changes.
//!
//! A list's `COUNT(*)` reads every row its filter and rule select (often most of a table), and is as dear as
//! the page itself. Lists repeat: the same query from many clients, or one client paging. A count stays
//! valid until anything commits to the database, which every reader connection learns from
//! `PRAGMA data_version` (it changes when *another* connection commits: our writer, or another process on
//! the same data.db, such as PocketBase itself). A connection checks it before it looks a count up, so a request that starts after a write was acknowledged never sees a count from
//! before it.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Mutex;

use rusqlite::Connection;
use rusqlite::types::Value;

/// Counts kept at most (all are dropped when full; a count is cheap to make again).
const CAPACITY: usize = 4096;

#[derive(Default)]
pub(super) struct Counts {
    inner: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    /// Bumped whenever a reader sees the database changed; the counts are of this generation.
    generation: u64,
    counts: HashMap<String, i64>,
}

impl Counts {
    /// Notes a reader connection's `data_version` (`seen`: what it was when this connection last looked),
    /// dropping every count when it changed: some connection committed since.
    fn observe(&self, conn: &Connection, seen: &Cell<Option<i64>>) {
        let version = conn.prepare_cached("PRAGMA data_version").and_then(|mut s| s.query_row([], |r| r.get(0)));
        let version = version.ok();
        if version.is_none() || version != seen.get() {
            let mut cached = self.lock();
            cached.generation += 1;
            cached.counts.clear();
        }
        seen.set(version);
    }

    /// The count `sql` gives with `params` (one row, one integer column) on reader `conn` (`seen`: its
    /// `data_version` when it last looked), from the cache when nothing changed since it was counted.
    pub(super) fn count(
        &self,
        conn: &Connection,
        seen: &Cell<Option<i64>>,
        sql: &str,
        params: Vec<Value>,
    ) -> rusqlite::Result<i64> {
        self.observe(conn, seen);
        let key = format!("{sql}\u{0}{params:?}");
        let generation = {
            let cached = self.lock();
            if let Some(n) = cached.counts.get(&key) {
                return Ok(*n);
            }
            cached.generation
        };
        // Counted after the generation was read: a commit before this statement's snapshot is in the count,
        // and one after it bumps the generation, so the count is never kept past a change it missed.
        let n = conn.prepare_cached(sql)?.query_row(rusqlite::params_from_iter(params), |r| r.get(0))?;
        let mut cached = self.lock();
        if cached.generation == generation {
            if cached.counts.len() >= CAPACITY {
                cached.counts.clear();
            }
            cached.counts.insert(key, n);
        }
        Ok(n)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}
