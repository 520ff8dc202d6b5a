//! Token secrets, one per auth collection and token kind. A token's HMAC key is the record's `tokenKey`
//! followed by the secret of the token's kind.
//!
//! Where they come from, in this order:
//! 1. PocketBase's `_collections` table, when data.db has one with a row for the collection (by id, else by
//!    name, case-insensitively): `options.authToken.secret`, `options.fileToken.secret`, … So tokens
//!    PocketBase issued for a served PocketBase data.db stay valid, and ours are valid in PocketBase.
//! 2. Our own table in data.db, `_pbgen_secrets` (`collectionId`, `type`, `secret`, `authRule`,
//!    `created`): 50 random `[A-Za-z0-9]` characters per (collection, kind), generated once, the first time
//!    a token of that collection is issued, with `INSERT OR IGNORE` so concurrent first issuers agree.
//!    They are never in generated code. The `auth` row also keeps the auth rule it was made under: when a
//!    regenerated server has another auth rule, the auth secret is replaced (all auth tokens of the
//!    collection become invalid), as PocketBase does when a collection's `authRule` changes.
//!
//! Lookups are cached per data directory and collection; a `_collections` row is re-read when its
//! `updated` changes (PocketBase replaces the auth secret when the auth rule changes).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;

use crate::access::Rule;
use crate::server::CollectionApi;

/// The kinds of record tokens PocketBase issues (the `type` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Auth,
    File,
    Verification,
    PasswordReset,
    EmailChange,
}

impl TokenKind {
    pub const ALL: [TokenKind; 5] =
        [TokenKind::Auth, TokenKind::File, TokenKind::Verification, TokenKind::PasswordReset, TokenKind::EmailChange];

    /// The `type` claim.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Auth => "auth",
            TokenKind::File => "file",
            TokenKind::Verification => "verification",
            TokenKind::PasswordReset => "passwordReset",
            TokenKind::EmailChange => "emailChange",
        }
    }

    pub fn from_claim(claim: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == claim)
    }

    /// The key of its settings in a PocketBase collection's options.
    fn options_key(self) -> &'static str {
        match self {
            TokenKind::Auth => "authToken",
            TokenKind::File => "fileToken",
            TokenKind::Verification => "verificationToken",
            TokenKind::PasswordReset => "passwordResetToken",
            TokenKind::EmailChange => "emailChangeToken",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Where a collection's secrets were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// PocketBase's `_collections` row, as of its `updated` value.
    PocketBase { updated: String },
    /// `_pbgen_secrets`, made under this auth rule.
    Pbgen { auth_rule: String },
}

/// One auth collection's token secrets.
#[derive(Clone)]
pub struct Secrets {
    values: [String; 5],
    pub source: Source,
}

impl Secrets {
    pub fn get(&self, kind: TokenKind) -> &str {
        &self.values[kind.index()]
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets").field("source", &self.source).finish_non_exhaustive()
    }
}

/// Our table of secrets (see the module docs).
pub const TABLE: &str = "_pbgen_secrets";

type Cache = Mutex<HashMap<(PathBuf, String), Arc<Secrets>>>;
static CACHE: LazyLock<Cache> = LazyLock::new(Default::default);

fn cached(data_dir: &Path, collection_id: &str, source: &Source) -> Option<Arc<Secrets>> {
    let cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    cache.get(&(data_dir.to_path_buf(), collection_id.to_owned())).filter(|s| s.source == *source).cloned()
}

fn remember(data_dir: &Path, collection_id: &str, secrets: Secrets) -> Arc<Secrets> {
    let secrets = Arc::new(secrets);
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    cache.insert((data_dir.to_path_buf(), collection_id.to_owned()), secrets.clone());
    secrets
}

/// The secrets of `api`'s collection if they exist (no writes: a reader connection is enough). `None`
/// when neither PocketBase's nor our table has them yet, or ours were made under another auth rule: no
/// token of the collection can be valid then.
pub fn load(conn: &Connection, data_dir: &Path, api: &CollectionApi) -> rusqlite::Result<Option<Arc<Secrets>>> {
    read(conn, data_dir, api, true)
}

/// [`load`]; `cache`: remember what was read (not inside a transaction that may still roll back).
fn read(
    conn: &Connection,
    data_dir: &Path,
    api: &CollectionApi,
    cache: bool,
) -> rusqlite::Result<Option<Arc<Secrets>>> {
    let remember = |secrets: Secrets| if cache { remember(data_dir, api.meta.id, secrets) } else { Arc::new(secrets) };
    let meta = api.meta;
    if let Some((row_id, updated)) = pocketbase_row(conn, meta.id, meta.name)? {
        let source = Source::PocketBase { updated };
        if let Some(s) = cached(data_dir, meta.id, &source) {
            return Ok(Some(s));
        }
        let options: String =
            conn.query_row("SELECT `options` FROM `_collections` WHERE `id` = ?1", [&row_id], |r| r.get(0))?;
        let options: Value = serde_json::from_str(&options).unwrap_or(Value::Null);
        let values = TokenKind::ALL.map(|kind| {
            options
                .get(kind.options_key())
                .and_then(|o| o.get("secret"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        });
        return Ok(Some(remember(Secrets { values, source })));
    }
    let source = Source::Pbgen { auth_rule: auth_rule_source(api) };
    if let Some(s) = cached(data_dir, meta.id, &source) {
        return Ok(Some(s));
    }
    if !table_exists(conn, TABLE)? {
        return Ok(None);
    }
    let mut stmt =
        conn.prepare_cached(&format!("SELECT `type`, `secret`, `authRule` FROM `{TABLE}` WHERE `collectionId` = ?1"))?;
    let rows = stmt
        .query_map([meta.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut values: [Option<String>; 5] = Default::default();
    for (kind, secret, rule) in rows {
        let Some(kind) = TokenKind::from_claim(&kind) else { continue };
        if kind == TokenKind::Auth && rule.as_deref() != Some(auth_rule_source(api).as_str()) {
            // made under another auth rule: replaced at the next issue
            return Ok(None);
        }
        values[kind.index()] = Some(secret);
    }
    if values.iter().any(Option::is_none) {
        return Ok(None);
    }
    let values = values.map(Option::unwrap_or_default);
    Ok(Some(remember(Secrets { values, source })))
}

/// The secrets of `api`'s collection, made and stored first if there are none (on the writer connection,
/// typically in a transaction: what it makes is only cached by a later [`load`]).
pub fn ensure(conn: &Connection, data_dir: &Path, api: &CollectionApi) -> rusqlite::Result<Arc<Secrets>> {
    if let Some(s) = read(conn, data_dir, api, false)? {
        return Ok(s);
    }
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS `{TABLE}` (\
         `collectionId` TEXT NOT NULL, `type` TEXT NOT NULL, `secret` TEXT NOT NULL, `authRule` TEXT DEFAULT NULL, \
         `created` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL, \
         PRIMARY KEY (`collectionId`, `type`)) WITHOUT ROWID"
    ))?;
    let rule = auth_rule_source(api);
    for kind in TokenKind::ALL {
        conn.execute(
            &format!(
                "INSERT OR IGNORE INTO `{TABLE}` (`collectionId`, `type`, `secret`, `authRule`) VALUES (?1, ?2, ?3, ?4)"
            ),
            rusqlite::params![api.meta.id, kind.as_str(), random_secret(), (kind == TokenKind::Auth).then_some(&rule)],
        )?;
    }
    // an auth secret made under another auth rule is replaced, which revokes its tokens
    conn.execute(
        &format!(
            "UPDATE `{TABLE}` SET `secret` = ?1, `authRule` = ?2 WHERE `collectionId` = ?3 AND `type` = 'auth' \
             AND `authRule` IS NOT ?2"
        ),
        rusqlite::params![random_secret(), rule, api.meta.id],
    )?;
    read(conn, data_dir, api, false)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

/// The auth rule as PocketBase compares it when deciding to replace the secret (`null` and `""` alike).
fn auth_rule_source(api: &CollectionApi) -> String {
    match api.auth.map(|a| a.auth_rule) {
        Some(Rule::Filter { source, .. }) => source.to_owned(),
        _ => String::new(),
    }
}

/// PocketBase's `security.RandomString(50)`.
fn random_secret() -> String {
    random_alphanumeric(50)
}

/// PocketBase's `security.RandomString`: `n` characters of `[A-Za-z0-9]` (secrets, token keys, passwords).
pub fn random_alphanumeric(n: usize) -> String {
    random_with_alphabet(n, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
}

/// PocketBase's `security.RandomStringWithAlphabet`: `n` characters of `alphabet` from the thread's CSPRNG.
pub fn random_with_alphabet(n: usize, alphabet: &[u8]) -> String {
    (0..n).map(|_| alphabet[rand::random_range(0..alphabet.len())] as char).collect()
}

pub(super) fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?
        .query_row([name], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
}

/// The `_collections` row of an auth collection: (id, updated), by id, else by name. Read on every
/// authenticated request, so one cached statement: no sort (`UNION ALL` keeps the id match first) and no
/// `sqlite_master` lookup (a database without PocketBase's table fails to prepare it).
fn pocketbase_row(conn: &Connection, id: &str, name: &str) -> rusqlite::Result<Option<(String, String)>> {
    let stmt = conn.prepare_cached(
        "SELECT `id`, `updated` FROM `_collections` WHERE `type` = 'auth' AND `id` = ?1 UNION ALL \
         SELECT `id`, `updated` FROM `_collections` WHERE `type` = 'auth' AND `name` = ?2 COLLATE NOCASE LIMIT 1",
    );
    let mut stmt = match stmt {
        Err(rusqlite::Error::SqliteFailure(_, Some(message))) if message.starts_with("no such table") => {
            return Ok(None);
        }
        other => other?,
    };
    stmt.query_row([id, name], |r| Ok((r.get(0)?, r.get(1)?))).optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::CollectionRules;
    use crate::meta::{CollectionKind, CollectionMeta};
    use crate::server::AuthSettings;

    static META: CollectionMeta<'static> =
        CollectionMeta { id: "pbc_test", name: "members", kind: CollectionKind::Auth, system: false, fields: &[] };
    const RULES: CollectionRules = CollectionRules {
        list: Rule::Public,
        view: Rule::Public,
        create: Rule::Public,
        update: Rule::Public,
        delete: Rule::Public,
    };

    fn api(auth_rule: Rule) -> CollectionApi {
        let settings = AuthSettings { auth_rule, ..super::super::DEFAULT_SETTINGS };
        CollectionApi { meta: &META, rules: RULES, auth: Some(settings) }
    }

    #[test]
    fn generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("data.db")).unwrap();
        let api = api(Rule::Public);
        assert!(load(&conn, dir.path(), &api).unwrap().is_none());
        let first = ensure(&conn, dir.path(), &api).unwrap();
        assert_eq!(first.get(TokenKind::Auth).len(), 50);
        assert!(first.get(TokenKind::File).chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(first.get(TokenKind::Auth), first.get(TokenKind::File));
        // a fresh process (no cache) reads the same ones
        CACHE.lock().unwrap().clear();
        let again = load(&conn, dir.path(), &api).unwrap().unwrap();
        assert_eq!(again.get(TokenKind::Auth), first.get(TokenKind::Auth));
        assert_eq!(ensure(&conn, dir.path(), &api).unwrap().get(TokenKind::File), first.get(TokenKind::File));
    }

    #[test]
    fn a_new_auth_rule_replaces_the_auth_secret_only() {
        static COMPILED: &[(Option<&str>, crate::filter::sql::CompiledRef<'static>)] = &[];
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("data.db")).unwrap();
        let before = ensure(&conn, dir.path(), &api(Rule::Public)).unwrap();
        // `null` and `""` are the same rule for this purpose
        assert!(load(&conn, dir.path(), &api(Rule::SuperusersOnly)).unwrap().is_some());
        let changed = api(Rule::Filter { source: "verified = true", compiled: COMPILED });
        assert!(load(&conn, dir.path(), &changed).unwrap().is_none(), "old auth tokens are invalid");
        let after = ensure(&conn, dir.path(), &changed).unwrap();
        assert_ne!(after.get(TokenKind::Auth), before.get(TokenKind::Auth));
        assert_eq!(after.get(TokenKind::File), before.get(TokenKind::File));
    }

    #[test]
    fn pocketbase_secrets_win() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("data.db")).unwrap();
        conn.execute_batch(
            "CREATE TABLE _collections (id TEXT PRIMARY KEY, type TEXT, name TEXT, options JSON, updated TEXT);
             INSERT INTO _collections VALUES ('pbc_test', 'auth', 'members',
               '{\"authToken\":{\"secret\":\"AUTHSECRET\",\"duration\":10},\"fileToken\":{\"secret\":\"FILESECRET\"}}', 'u1');",
        )
        .unwrap();
        let s = ensure(&conn, dir.path(), &api(Rule::Public)).unwrap();
        assert_eq!(s.get(TokenKind::Auth), "AUTHSECRET");
        assert_eq!(s.get(TokenKind::File), "FILESECRET");
        assert_eq!(s.get(TokenKind::Verification), "");
        assert!(!table_exists(&conn, TABLE).unwrap(), "nothing of ours is written next to PocketBase's");
        // PocketBase replaced the secret (and bumped `updated`): re-read
        conn.execute_batch("UPDATE _collections SET options = '{\"authToken\":{\"secret\":\"NEW\"}}', updated = 'u2'")
            .unwrap();
        assert_eq!(load(&conn, dir.path(), &api(Rule::Public)).unwrap().unwrap().get(TokenKind::Auth), "NEW");
    }
}
