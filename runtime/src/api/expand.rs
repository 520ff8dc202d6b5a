//! `?expand=`: related records embedded under each record's `expand` key, as PocketBase 0.40 does it
//! (`core/record_query_expand.go` with the API's fetch function, checked against the real binary by
//! `runtime/tests/expand_fields_pocketbase.rs`).
//!
//! * `expand` is a comma-separated list of paths; spaces are removed, dots trimmed, a path that another
//!   one continues is dropped (`post,post.author` = `post.author`), duplicates too.
//! * A segment is a relation field of the current collection, or a back-relation
//!   `<collection>_via_<field>` (also the old `<collection>(<field>)`): the records of `<collection>`
//!   whose relation `<field>` points at the record (at most 1000 per record, in the order SQLite gives
//!   PocketBase's query: that of the index its plan uses, else rowid order).
//! * A single relation gives an object, a multiple one an array in the stored order of ids. A
//!   back-relation gives an array, or an object when `<field>` has a single-column UNIQUE index (even
//!   for a multiple relation field).
//! * Paths nest up to 6 levels; segments past the 6th are ignored.
//! * Related records are fetched with the target collection's **view** rule for the requester (with
//!   `@request.context` = `expand`); those the rule hides are left out. A `null` view rule fails the
//!   whole path for non-superusers.
//! * A path that fails (unknown field or collection, not a relation, a back-relation field that points
//!   elsewhere, a `null` view rule, at any level that has records to expand) is dropped entirely, the
//!   levels before it included; the request still succeeds. Other paths are unaffected.
//! * Every record of a level that a path reaches gets an `expand` object, `{}` when nothing in it was
//!   found or visible; records of a path that failed get none (unless another path gave them one).
//! * Hidden relation fields expand like any other.
//! * Several paths through the same relation merge their nested expands.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use rusqlite::Connection;
use rusqlite::types::Value as SqlParam;
use serde_json::{Map, Value};

use super::error::ApiError;
use crate::access::Condition;
use crate::filter::sql::RequestValues;
use crate::meta::{CollectionMeta, FieldKind};
use crate::record::{self, Viewer};
use crate::server::App;

/// PocketBase's `maxNestedRels`.
pub const MAX_DEPTH: usize = 6;
/// Back-related records per record (PocketBase's arbitrary limit).
const MAX_BACK_RELATIONS: usize = 1000;
/// Ids bound per `IN (…)`.
const CHUNK: usize = 5000;

/// Expands `records` (all of `collection`, as the API shows them to `viewer`) in place, adding `expand`
/// where PocketBase would. `expand` is the raw `?expand=` value. Failures of single paths are logged
/// and leave that path out, as in PocketBase; the result is always `Ok` for now.
pub fn expand(
    conn: &Connection,
    app: &'static App,
    collection: &CollectionMeta,
    records: &mut [Map<String, Value>],
    expand: &str,
    req: &RequestValues,
    viewer: &Viewer,
) -> Result<(), ApiError> {
    let paths = normalize(expand);
    if paths.is_empty() || records.is_empty() {
        return Ok(());
    }
    let mut req = req.clone();
    req.context = "expand".to_owned();
    let ctx = Ctx { conn, app, req, viewer };
    let mut recs: Vec<Rec> =
        records.iter_mut().map(|r| Rec { data: std::mem::take(r), rels: HashMap::new(), expand: None }).collect();
    for path in &paths {
        match ctx.expand(collection, &mut recs, path, 1) {
            Ok(()) => {}
            Err(Skip::Path(why)) => tracing::debug!("expand {path:?} skipped: {why}"),
            Err(Skip::Db(e)) => tracing::warn!("expand {path:?} failed: {e}"),
        }
    }
    for (slot, rec) in records.iter_mut().zip(recs) {
        *slot = rec.into_json();
    }
    Ok(())
}

/// The paths PocketBase works through for an `?expand=` value.
pub fn normalize(expand: &str) -> Vec<String> {
    let parts: Vec<String> =
        expand.split(',').map(|p| p.replace(' ', "").trim_matches('.').to_owned()).filter(|p| !p.is_empty()).collect();
    let mut out: Vec<String> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let prefix = format!("{p}.");
        let continued = parts.iter().enumerate().any(|(j, q)| i != j && q.starts_with(&prefix));
        if !continued && !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

/// Why a path was left out.
enum Skip {
    Path(String),
    Db(rusqlite::Error),
}

impl From<rusqlite::Error> for Skip {
    fn from(e: rusqlite::Error) -> Self {
        Skip::Db(e)
    }
}

/// A record being expanded.
#[derive(Clone)]
struct Rec {
    /// As the API shows it.
    data: Map<String, Value>,
    /// Relation ids by field name or back-relation key, as PocketBase's `GetStringSlice` reads them
    /// (hidden fields included).
    rels: HashMap<String, Vec<String>>,
    expand: Option<Expand>,
}

type Expand = BTreeMap<String, Expanded>;

#[derive(Clone)]
enum Expanded {
    One(Box<Rec>),
    Many(Vec<Rec>),
}

impl Expanded {
    fn records(&self) -> &[Rec] {
        match self {
            Expanded::One(r) => std::slice::from_ref(r),
            Expanded::Many(rs) => rs,
        }
    }

    fn into_records(self) -> Vec<Rec> {
        match self {
            Expanded::One(r) => vec![*r],
            Expanded::Many(rs) => rs,
        }
    }
}

impl Rec {
    fn id(&self) -> &str {
        self.data.get("id").and_then(Value::as_str).unwrap_or("")
    }

    /// The record's JSON with `expand` (if any) at its sorted place.
    fn into_json(self) -> Map<String, Value> {
        let mut data = self.data;
        if let Some(expand) = self.expand {
            let value: Map<String, Value> = expand
                .into_iter()
                .map(|(key, e)| {
                    let v = match e {
                        Expanded::One(r) => Value::Object(r.into_json()),
                        Expanded::Many(rs) => {
                            Value::Array(rs.into_iter().map(|r| Value::Object(r.into_json())).collect())
                        }
                    };
                    (key, v)
                })
                .collect();
            data.shift_remove("expand");
            let at = data.keys().position(|k| k.as_str() > "expand").unwrap_or(data.len());
            data.shift_insert(at, "expand".to_owned(), Value::Object(value));
        }
        data
    }

    /// PocketBase's `MergeExpand`: `other`'s expanded records are added to ours; the same record on both
    /// sides merges recursively; a key becomes an array if either side had one.
    fn merge_expand(&mut self, other: &Expand) {
        if other.is_empty() {
            return;
        }
        let Some(mine) = &mut self.expand else {
            self.expand = Some(other.clone());
            return;
        };
        for (key, new) in other {
            let Some(old) = mine.remove(key) else {
                mine.insert(key.clone(), new.clone());
                continue;
            };
            let many = matches!(old, Expanded::Many(_)) || matches!(new, Expanded::Many(_));
            let mut list = old.into_records();
            for n in new.records() {
                match list.iter_mut().find(|o| o.id() == n.id()) {
                    Some(o) => {
                        if let Some(e) = &n.expand {
                            o.merge_expand(e);
                        }
                    }
                    None => list.push(n.clone()),
                }
            }
            let merged = if many || list.is_empty() {
                Expanded::Many(list)
            } else {
                Expanded::One(Box::new(list.swap_remove(0)))
            };
            mine.insert(key.clone(), merged);
        }
    }
}

struct Ctx<'a> {
    conn: &'a Connection,
    app: &'static App,
    /// The request with `@request.context` = `expand`.
    req: RequestValues,
    viewer: &'a Viewer,
}

impl Ctx<'_> {
    /// One path over records of `coll` at nesting `level` (PocketBase's `expandRecords`).
    fn expand(&self, coll: &CollectionMeta, recs: &mut [Rec], path: &str, level: usize) -> Result<(), Skip> {
        if path.is_empty() || level > MAX_DEPTH || recs.is_empty() {
            return Ok(());
        }
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        let (target, multiple) = match back_relation(head) {
            Some((name, field)) => {
                let target = find_collection(self.app, name)
                    .ok_or_else(|| Skip::Path(format!("couldn't find back-related collection {name:?}")))?;
                let f = target
                    .field(field)
                    .filter(|f| matches!(f.kind, FieldKind::Relation { collection, .. } if collection == coll.name))
                    .ok_or_else(|| {
                        Skip::Path(format!(
                            "couldn't find back-relation field {field:?} in collection {:?}",
                            target.name
                        ))
                    })?;
                self.back_relation_ids(target, f.name, f.is_multi(), recs, head)?;
                (target, !has_unique_index(self.app, target.name, f.name))
            }
            None => {
                let f = coll
                    .field(head)
                    .filter(|f| matches!(f.kind, FieldKind::Relation { .. }))
                    .ok_or_else(|| Skip::Path(format!("couldn't find relation field {head:?} in {:?}", coll.name)))?;
                let FieldKind::Relation { collection, .. } = f.kind else { unreachable!() };
                let target = self
                    .app
                    .schema
                    .collection(collection)
                    .ok_or_else(|| Skip::Path(format!("couldn't find related collection {collection:?}")))?;
                self.relation_ids(coll, head, recs)?;
                (target, f.is_multi())
            }
        };
        let api = self
            .app
            .collection(target.name)
            .ok_or_else(|| Skip::Path(format!("no API for collection {:?}", target.name)))?;
        let rule = Condition::from_rule(&api.rules.view, &self.req, self.viewer.superuser)
            .ok_or_else(|| Skip::Path(format!("only superusers can view collection {:?} records", target.name)))?;

        let mut seen = HashSet::new();
        let ids: Vec<&str> = recs
            .iter()
            .flat_map(|r| r.rels.get(head).into_iter().flatten())
            .map(String::as_str)
            .filter(|id| seen.insert(*id))
            .collect();
        let mut rels = self.fetch(target, &ids, &rule)?;
        if let Some(rest) = rest {
            self.expand(target, &mut rels, rest, level + 1)?;
        }
        let index: HashMap<String, usize> = rels.iter().enumerate().map(|(i, r)| (r.id().to_owned(), i)).collect();

        for rec in recs.iter_mut() {
            let mut valid: Vec<Rec> = rec
                .rels
                .get(head)
                .into_iter()
                .flatten()
                .filter_map(|id| index.get(id))
                .map(|&i| rels[i].clone())
                .collect();
            let expand = rec.expand.get_or_insert_with(Expand::new);
            if valid.is_empty() {
                continue;
            }
            if let Some(old) = expand.remove(head) {
                for o in old.records() {
                    if let Some(oe) = &o.expand {
                        for v in valid.iter_mut().filter(|v| v.id() == o.id()) {
                            v.merge_expand(oe);
                        }
                    }
                }
            }
            let value = if multiple { Expanded::Many(valid) } else { Expanded::One(Box::new(valid.swap_remove(0))) };
            expand.insert(head.to_owned(), value);
        }
        Ok(())
    }

    /// Fills `rels[field]` of records that lack it: from the record's JSON, or (a hidden field the
    /// requester does not see) from the table.
    fn relation_ids(&self, coll: &CollectionMeta, field: &str, recs: &mut [Rec]) -> Result<(), Skip> {
        let mut missing: Vec<String> = Vec::new();
        for rec in recs.iter_mut() {
            if rec.rels.contains_key(field) {
                continue;
            }
            match rec.data.get(field) {
                Some(v) => {
                    rec.rels.insert(field.to_owned(), ids_of(v));
                }
                None => missing.push(rec.id().to_owned()),
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let Some(f) = coll.field(field) else { return Ok(()) };
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        let t = coll.name;
        for chunk in missing.chunks(CHUNK) {
            let sql = format!("SELECT `id`, `{field}` FROM `{t}` WHERE `id` IN ({})", placeholders(chunk.len()));
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(chunk.iter()))?;
            while let Some(row) = rows.next()? {
                let id: String = row.get(0)?;
                found.insert(id, ids_of(&record::column_value(f.kind, row.get_ref(1)?, f.is_multi())));
            }
        }
        for rec in recs.iter_mut() {
            if !rec.rels.contains_key(field) {
                let ids = found.remove(rec.id()).unwrap_or_default();
                rec.rels.insert(field.to_owned(), ids);
            }
        }
        Ok(())
    }

    /// Sets `rels[key]` of every record to the ids of the `target` records whose `field` points at it
    /// (at most [`MAX_BACK_RELATIONS`]), with PocketBase's own query, one per record. It has no ORDER BY, so
    /// the order is whatever SQLite's plan gives (a `(team, user)` unique index orders by user, rowid order
    /// without an index); the same SQL on the same tables and indexes gives the same order.
    fn back_relation_ids(
        &self,
        target: &CollectionMeta,
        field: &str,
        multi: bool,
        recs: &mut [Rec],
        key: &str,
    ) -> Result<(), Skip> {
        let t = target.name;
        let sql = if multi {
            let c = format!("`{field}`");
            format!(
                "SELECT `id` FROM `{t}` WHERE EXISTS (SELECT 1 FROM json_each(CASE WHEN iif(json_valid({c}), \
                 json_type({c})='array', FALSE) THEN {c} ELSE json_array({c}) END) je WHERE je.value = ?) \
                 LIMIT {MAX_BACK_RELATIONS}"
            )
        } else {
            format!("SELECT `id` FROM `{t}` WHERE `{field}` = ? LIMIT {MAX_BACK_RELATIONS}")
        };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        for rec in recs.iter_mut() {
            let ids = match found.get(rec.id()) {
                Some(ids) => ids.clone(),
                None => {
                    let ids: Vec<String> = stmt.query_map([rec.id()], |row| row.get(0))?.collect::<Result<_, _>>()?;
                    found.insert(rec.id().to_owned(), ids.clone());
                    ids
                }
            };
            rec.rels.insert(key.to_owned(), ids);
        }
        Ok(())
    }

    /// The `target` records with these ids that pass `rule`, as `viewer` sees them, with their relation
    /// ids (hidden relation fields included).
    fn fetch(&self, target: &CollectionMeta, ids: &[&str], rule: &Condition) -> Result<Vec<Rec>, Skip> {
        let mut out = Vec::with_capacity(ids.len());
        let alias = target.name;
        let relations: Vec<(usize, &str, FieldKind, bool)> = target
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| matches!(f.kind, FieldKind::Relation { .. }))
            .map(|(i, f)| (i, f.name, f.kind, f.is_multi()))
            .collect();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {} FROM `{alias}` AS `{alias}` WHERE `{alias}`.`id` IN ({}) AND ({})",
                record::select_list(target, alias),
                placeholders(chunk.len()),
                rule.sql()
            );
            let params = chunk.iter().map(|id| SqlParam::Text((*id).to_owned())).chain(rule.params());
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
            while let Some(row) = rows.next()? {
                let data = record::from_row(target, row, self.viewer)?;
                let mut rels = HashMap::with_capacity(relations.len());
                for &(i, name, kind, multi) in &relations {
                    rels.insert(name.to_owned(), ids_of(&record::column_value(kind, row.get_ref(i)?, multi)));
                }
                out.push(Rec { data, rels, expand: None });
            }
        }
        let mut data: Vec<Map<String, Value>> = out.iter_mut().map(|r| std::mem::take(&mut r.data)).collect();
        crate::access::reveal_managed_emails(self.conn, self.app, target, &mut data, &self.req, self.viewer)?;
        for (rec, data) in out.iter_mut().zip(data) {
            rec.data = data;
        }
        Ok(out)
    }
}

fn placeholders(n: usize) -> String {
    let mut s = "?,".repeat(n);
    s.pop();
    s
}

/// A relation value's ids as PocketBase's `list.ToUniqueStringSlice` reads them: `""` is none, a string
/// holding a JSON array of strings is that array, any other string is one id; empty ids and repeats are
/// dropped.
fn ids_of(v: &Value) -> Vec<String> {
    let all: Vec<String> = match v {
        Value::Null => Vec::new(),
        Value::String(s) if s.is_empty() => Vec::new(),
        Value::String(s) if s.contains('[') => {
            serde_json::from_str::<Vec<String>>(s).unwrap_or_else(|_| vec![s.clone()])
        }
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        other => vec![other.to_string()],
    };
    let mut seen = HashSet::new();
    all.into_iter().filter(|id| !id.is_empty() && seen.insert(id.clone())).collect()
}

/// `<collection>_via_<field>` (or the old `<collection>(<field>)`) → (collection, field).
fn back_relation(segment: &str) -> Option<(&str, &str)> {
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if segment.contains('(') {
        let inner = segment.strip_suffix(')')?;
        let (coll, field) = inner.split_once('(')?;
        return (word(coll) && word(field)).then_some((coll, field));
    }
    if !word(segment) {
        return None;
    }
    // `(\w+)_via_(\w+)`: the greedy first group takes the last `_via_` that leaves a field name.
    (1..segment.len())
        .rev()
        .filter(|&i| segment[i..].starts_with("_via_") && i + "_via_".len() < segment.len())
        .map(|i| (&segment[..i], &segment[i + "_via_".len()..]))
        .next()
}

/// By name (case-insensitively) or id, as PocketBase's collection cache looks them up.
fn find_collection(app: &'static App, name_or_id: &str) -> Option<&'static CollectionMeta<'static>> {
    app.schema.collections.iter().find(|c| c.name.eq_ignore_ascii_case(name_or_id) || c.id == name_or_id)
}

/// Whether `table` has a UNIQUE index on exactly `column` (PocketBase's `FindSingleColumnUniqueIndex`;
/// a WHERE clause does not matter).
fn has_unique_index(app: &App, table: &str, column: &str) -> bool {
    app.tables
        .iter()
        .filter(|t| t.name == table)
        .flat_map(|t| t.indexes.iter())
        .filter_map(|sql| unique_single_column(sql))
        .any(|c| c.eq_ignore_ascii_case(column))
}

/// The column of a `CREATE UNIQUE INDEX` on one column, parsed as PocketBase's `dbutils.ParseIndex` does.
fn unique_single_column(sql: &str) -> Option<String> {
    static INDEX: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?im)create\s+(unique\s+)?\s*index\s*(if\s+not\s+exists\s+)?(\S*)\s+on\s+(\S*)\s*\(([\s\S]*)\)(?:\s*where\s+([\s\S]*))?",
        )
        .expect("index regex")
    });
    static COLUMN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?im)^([\s\S]+?)(?:\s+collate\s+([\w]+))?(?:\s+(asc|desc))?$").expect("column regex")
    });
    let m = INDEX.captures(sql)?;
    if m.get(1).is_none_or(|u| u.as_str().trim().is_empty()) {
        return None;
    }
    let columns = super::fields::scan(m.get(5)?.as_str(), &[','], true).ok()?;
    let [column] = columns.as_slice() else { return None };
    let name = COLUMN.captures(column)?.get(1)?.as_str();
    Some(name.trim_matches(|c| "`\"'[]\r\n\t\u{c}\u{b} ".contains(c)).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_like_pocketbase() {
        assert_eq!(normalize("a.b.c, a.b,   test  ,  ,test"), ["a.b.c", "test"]);
        assert_eq!(normalize(" parent .parent.,,."), ["parent.parent"]);
        assert_eq!(normalize("post,post.author,post.tags"), ["post.author", "post.tags"]);
        assert!(normalize("").is_empty());
        assert!(normalize(" , . ").is_empty());
    }

    #[test]
    fn back_relations() {
        assert_eq!(back_relation("comments_via_post"), Some(("comments", "post")));
        assert_eq!(back_relation("a_via_b_via_c"), Some(("a_via_b", "c")));
        assert_eq!(back_relation("a_via_b_via_"), Some(("a", "b_via_")));
        assert_eq!(back_relation("x_via_via_y"), Some(("x_via", "y")));
        assert_eq!(back_relation("comments(post)"), Some(("comments", "post")));
        assert_eq!(back_relation("_via_post"), None);
        assert_eq!(back_relation("comments_via_"), None);
        assert_eq!(back_relation("author"), None);
        assert_eq!(back_relation("com-ments_via_post"), None);
    }

    #[test]
    fn unique_indexes() {
        assert_eq!(
            unique_single_column("CREATE UNIQUE INDEX idx_prof_item ON profiles (item)").as_deref(),
            Some("item")
        );
        assert_eq!(
            unique_single_column("CREATE UNIQUE INDEX `idx_x` ON `notes` (`items` COLLATE NOCASE DESC) WHERE x != ''")
                .as_deref(),
            Some("items")
        );
        assert_eq!(unique_single_column("CREATE INDEX `idx_comments_post` ON `comments` (`post`)"), None);
        assert_eq!(unique_single_column("CREATE UNIQUE INDEX i ON t (a, b)"), None);
    }

    #[test]
    fn relation_values() {
        use serde_json::json;
        assert_eq!(ids_of(&json!("")), Vec::<String>::new());
        assert_eq!(ids_of(&json!("abc")), ["abc"]);
        assert_eq!(ids_of(&json!(r#"["a","b","a"]"#)), ["a", "b"]);
        assert_eq!(ids_of(&json!("[oops")), ["[oops"]);
        assert_eq!(ids_of(&json!(["c", "", "a", "c"])), ["c", "a"]);
    }
}

/// `expand` over a database, for what the blog schema lacks (hidden relation fields, back-relations
/// through a UNIQUE index, a target with a `null` view rule), compared with PocketBase 0.40.6: the
/// expected values were observed on a PocketBase with the same collections and rows
/// (`GET /api/collections/items/records?expand=…&fields=id,expand`).
#[cfg(test)]
mod db_tests {
    use super::*;
    use crate::access::{CollectionRules, Rule};
    use crate::meta::{CollectionKind, FieldMeta, SchemaMeta};
    use crate::schema::{Table, TableKind};
    use crate::server::CollectionApi;

    const fn field(name: &'static str, hidden: bool, kind: FieldKind<'static>) -> FieldMeta<'static> {
        FieldMeta { name, system: false, hidden, presentable: false, required: false, kind }
    }

    const fn text(name: &'static str, primary_key: bool) -> FieldMeta<'static> {
        field(name, false, FieldKind::Text { min: 0, max: 0, pattern: "", autogenerate_pattern: "", primary_key })
    }

    const fn rel(name: &'static str, hidden: bool, collection: &'static str, max_select: u64) -> FieldMeta<'static> {
        field(name, hidden, FieldKind::Relation { collection, cascade_delete: false, min_select: 0, max_select })
    }

    const fn coll(
        id: &'static str,
        name: &'static str,
        fields: &'static [FieldMeta<'static>],
    ) -> CollectionMeta<'static> {
        CollectionMeta { id, name, kind: CollectionKind::Base, system: false, fields }
    }

    const fn rules(view: Rule) -> CollectionRules {
        let s = Rule::SuperusersOnly;
        CollectionRules { list: view, view, create: s, update: s, delete: s }
    }

    static COLLECTIONS: [CollectionMeta<'static>; 7] = [
        coll("pbc_docs00000001", "docs", &[text("id", true), text("body", false)]),
        coll("pbc_hnotes000001", "hnotes", &[text("id", true), text("name", false), rel("item", true, "items", 1)]),
        coll(
            "pbc_items0000001",
            "items",
            &[
                text("id", true),
                text("name", false),
                rel("sec", false, "secret", 1),
                rel("hid", true, "tags2", 1),
                rel("multi", false, "tags2", 5),
                rel("self", false, "items", 1),
            ],
        ),
        coll("pbc_notes0000001", "notes", &[text("id", true), text("name", false), rel("items", false, "items", 5)]),
        coll("pbc_profiles0001", "profiles", &[text("id", true), text("name", false), rel("item", false, "items", 1)]),
        coll("pbc_secret000001", "secret", &[text("id", true), text("name", false)]),
        coll("pbc_tags20000001", "tags2", &[text("id", true), text("name", false)]),
    ];
    static SCHEMA: SchemaMeta<'static> = SchemaMeta { collections: &COLLECTIONS };
    static APIS: [CollectionApi; 7] = [
        CollectionApi { meta: &COLLECTIONS[0], rules: rules(Rule::Public), auth: None },
        CollectionApi { meta: &COLLECTIONS[1], rules: rules(Rule::Public), auth: None },
        CollectionApi { meta: &COLLECTIONS[2], rules: rules(Rule::Public), auth: None },
        CollectionApi { meta: &COLLECTIONS[3], rules: rules(Rule::Public), auth: None },
        CollectionApi { meta: &COLLECTIONS[4], rules: rules(Rule::Public), auth: None },
        CollectionApi { meta: &COLLECTIONS[5], rules: rules(Rule::SuperusersOnly), auth: None },
        CollectionApi { meta: &COLLECTIONS[6], rules: rules(Rule::Public), auth: None },
    ];
    static TABLES: [Table; 2] = [
        Table {
            name: "profiles",
            kind: TableKind::Table,
            create: "",
            columns: &[],
            indexes: &["CREATE UNIQUE INDEX idx_prof_item ON profiles (item)"],
        },
        Table {
            name: "notes",
            kind: TableKind::Table,
            create: "",
            columns: &[],
            indexes: &["CREATE UNIQUE INDEX idx_notes_items ON notes (`items`)"],
        },
    ];
    static APP: App = App::new(&SCHEMA, &TABLES, &APIS);

    const DB: &str = r#"
        CREATE TABLE secret (id TEXT PRIMARY KEY NOT NULL, name TEXT DEFAULT '' NOT NULL);
        CREATE TABLE tags2 (id TEXT PRIMARY KEY NOT NULL, name TEXT DEFAULT '' NOT NULL);
        CREATE TABLE items (hid TEXT DEFAULT '' NOT NULL, id TEXT PRIMARY KEY NOT NULL, multi JSON DEFAULT '[]' NOT NULL,
            name TEXT DEFAULT '' NOT NULL, sec TEXT DEFAULT '' NOT NULL, self TEXT DEFAULT '' NOT NULL);
        CREATE TABLE profiles (id TEXT PRIMARY KEY NOT NULL, item TEXT DEFAULT '' NOT NULL, name TEXT DEFAULT '' NOT NULL);
        CREATE UNIQUE INDEX idx_prof_item ON profiles (item);
        CREATE TABLE notes (id TEXT PRIMARY KEY NOT NULL, items JSON DEFAULT '[]' NOT NULL, name TEXT DEFAULT '' NOT NULL);
        CREATE UNIQUE INDEX idx_notes_items ON notes (items);
        CREATE TABLE hnotes (id TEXT PRIMARY KEY NOT NULL, item TEXT DEFAULT '' NOT NULL, name TEXT DEFAULT '' NOT NULL);
        INSERT INTO secret (id, name) VALUES ('sec000000000001', 's1');
        INSERT INTO tags2 (id, name) VALUES ('tg0000000000001', 'a'), ('tg0000000000002', 'b'), ('tg0000000000003', 'c');
        INSERT INTO items (id, name, sec, hid, multi, self) VALUES
            ('it0000000000001', 'one', 'sec000000000001', 'tg0000000000001',
             '["tg0000000000003","tg0000000000001"]', 'it0000000000002'),
            ('it0000000000002', 'two', '', '', '[]', 'it0000000000002'),
            ('it0000000000003', 'three', '', 'tg0000000000002', '["tg0000000000002"]', '');
        INSERT INTO profiles (id, name, item) VALUES ('pr0000000000001', 'p1', 'it0000000000001'),
            ('pr0000000000002', 'p2', 'it0000000000003');
        INSERT INTO notes (id, name, items) VALUES ('nt0000000000002', 'n2', '["it0000000000001","it0000000000002"]'),
            ('nt0000000000001', 'n1', '["it0000000000001"]');
        INSERT INTO hnotes (id, name, item) VALUES ('hn0000000000001', 'h1', 'it0000000000001');
    "#;

    /// (`?expand=`, the items PocketBase 0.40.6 returned with `fields=id,expand`). The last but one was a
    /// list filtered to `it0000000000003`. (PocketBase's `multi` of `it0000000000001` was stored with a
    /// repeated id, which PocketBase drops when reading the record; `record::from_row` does not yet, so
    /// the repeat is left out here.)
    #[rustfmt::skip]
    const OBSERVED: &[(&str, &str)] = &[
        ("sec", r#"[{"id":"it0000000000001"},{"id":"it0000000000002"},{"id":"it0000000000003"}]"#),
        ("sec,multi", r#"[{"expand":{"multi":[{"collectionName":"tags2","id":"tg0000000000003","name":"c","collectionId":"pbc_tags20000001"},{"collectionId":"pbc_tags20000001","collectionName":"tags2","id":"tg0000000000001","name":"a"}]},"id":"it0000000000001"},{"expand":{},"id":"it0000000000002"},{"expand":{"multi":[{"id":"tg0000000000002","name":"b","collectionId":"pbc_tags20000001","collectionName":"tags2"}]},"id":"it0000000000003"}]"#),
        ("hid,multi", r#"[{"expand":{"hid":{"collectionId":"pbc_tags20000001","collectionName":"tags2","id":"tg0000000000001","name":"a"},"multi":[{"collectionId":"pbc_tags20000001","collectionName":"tags2","id":"tg0000000000003","name":"c"},{"collectionId":"pbc_tags20000001","collectionName":"tags2","id":"tg0000000000001","name":"a"}]},"id":"it0000000000001"},{"expand":{},"id":"it0000000000002"},{"expand":{"hid":{"collectionName":"tags2","id":"tg0000000000002","name":"b","collectionId":"pbc_tags20000001"},"multi":[{"collectionId":"pbc_tags20000001","collectionName":"tags2","id":"tg0000000000002","name":"b"}]},"id":"it0000000000003"}]"#),
        ("profiles_via_item,notes_via_items,hnotes_via_item", r#"[{"expand":{"hnotes_via_item":[{"collectionId":"pbc_hnotes000001","collectionName":"hnotes","id":"hn0000000000001","name":"h1"}],"notes_via_items":{"id":"nt0000000000002","items":["it0000000000001","it0000000000002"],"name":"n2","collectionId":"pbc_notes0000001","collectionName":"notes"},"profiles_via_item":{"name":"p1","collectionId":"pbc_profiles0001","collectionName":"profiles","id":"pr0000000000001","item":"it0000000000001"}},"id":"it0000000000001"},{"expand":{"notes_via_items":{"collectionId":"pbc_notes0000001","collectionName":"notes","id":"nt0000000000002","items":["it0000000000001","it0000000000002"],"name":"n2"}},"id":"it0000000000002"},{"id":"it0000000000003","expand":{"profiles_via_item":{"collectionName":"profiles","id":"pr0000000000002","item":"it0000000000003","name":"p2","collectionId":"pbc_profiles0001"}}}]"#),
        ("self.sec", r#"[{"id":"it0000000000001"},{"id":"it0000000000002"},{"id":"it0000000000003"}]"#),
        ("self.self,self.sec", r#"[{"expand":{"self":{"collectionName":"items","expand":{"self":{"id":"it0000000000002","multi":[],"name":"two","sec":"","self":"it0000000000002","collectionId":"pbc_items0000001","collectionName":"items"}},"id":"it0000000000002","multi":[],"name":"two","sec":"","self":"it0000000000002","collectionId":"pbc_items0000001"}},"id":"it0000000000001"},{"expand":{"self":{"name":"two","sec":"","self":"it0000000000002","collectionId":"pbc_items0000001","collectionName":"items","expand":{"self":{"sec":"","self":"it0000000000002","collectionId":"pbc_items0000001","collectionName":"items","id":"it0000000000002","multi":[],"name":"two"}},"id":"it0000000000002","multi":[]}},"id":"it0000000000002"},{"id":"it0000000000003","expand":{}}]"#),
        ("self.hid", r#"[{"expand":{"self":{"name":"two","sec":"","self":"it0000000000002","collectionId":"pbc_items0000001","collectionName":"items","expand":{},"id":"it0000000000002","multi":[]}},"id":"it0000000000001"},{"expand":{"self":{"name":"two","sec":"","self":"it0000000000002","collectionId":"pbc_items0000001","collectionName":"items","expand":{},"id":"it0000000000002","multi":[]}},"id":"it0000000000002"},{"expand":{},"id":"it0000000000003"}]"#),
        ("hnotes_via_item,profiles_via_item.item.hid", r#"[{"expand":{"profiles_via_item":{"collectionId":"pbc_profiles0001","collectionName":"profiles","expand":{"item":{"collectionName":"items","expand":{"hid":{"collectionId":"pbc_tags20000001","collectionName":"tags2","id":"tg0000000000002","name":"b"}},"id":"it0000000000003","multi":["tg0000000000002"],"name":"three","sec":"","self":"","collectionId":"pbc_items0000001"}},"id":"pr0000000000002","item":"it0000000000003","name":"p2"}},"id":"it0000000000003"}]"#),
        ("notes_via_items.items.multi", r#"[{"expand":{"notes_via_items":{"collectionName":"notes","expand":{"items":[{"name":"one","sec":"sec000000000001","self":"it0000000000002","collectionId":"pbc_items0000001","collectionName":"items","expand":{"multi":[{"collectionId":"pbc_tags20000001","collectionName":"tags2","id":"tg0000000000003","name":"c"},{"id":"tg0000000000001","name":"a","collectionId":"pbc_tags20000001","collectionName":"tags2"}]},"id":"it0000000000001","multi":["tg0000000000003","tg0000000000001"]},{"id":"it0000000000002","multi":[],"name":"two","sec":"","self":"it0000000000002","collectionId":"pbc_items0000001","collectionName":"items","expand":{}}]},"id":"nt0000000000002","items":["it0000000000001","it0000000000002"],"name":"n2","collectionId":"pbc_notes0000001"}},"id":"it0000000000001"},{"expand":{"notes_via_items":{"items":["it0000000000001","it0000000000002"],"name":"n2","collectionId":"pbc_notes0000001","collectionName":"notes","expand":{"items":[{"multi":["tg0000000000003","tg0000000000001"],"name":"one","sec":"sec000000000001","self":"it0000000000002","collectionId":"pbc_items0000001","collectionName":"items","expand":{"multi":[{"collectionId":"pbc_tags20000001","collectionName":"tags2","id":"tg0000000000003","name":"c"},{"id":"tg0000000000001","name":"a","collectionId":"pbc_tags20000001","collectionName":"tags2"}]},"id":"it0000000000001"},{"collectionName":"items","expand":{},"id":"it0000000000002","multi":[],"name":"two","sec":"","self":"it0000000000002","collectionId":"pbc_items0000001"}]},"id":"nt0000000000002"}},"id":"it0000000000002"},{"expand":{},"id":"it0000000000003"}]"#),
    ];

    #[test]
    fn matches_pocketbase() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(DB).unwrap();
        let items = &COLLECTIONS[2];
        let viewer = Viewer::default();
        let req = RequestValues { method: "GET".into(), context: "default".into(), ..Default::default() };
        let fields = crate::api::fields::Fields::parse("id,expand").unwrap();
        for (expand_param, observed) in OBSERVED {
            let filter =
                if expand_param.starts_with("hnotes_via_item,") { " WHERE id = 'it0000000000003'" } else { "" };
            let sql =
                format!("SELECT {} FROM items AS items{filter} ORDER BY rowid", record::select_list(items, "items"));
            let mut records: Vec<Map<String, Value>> = conn
                .prepare(&sql)
                .unwrap()
                .query_map([], |row| record::from_row(items, row, &viewer))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            expand(&conn, &APP, items, &mut records, expand_param, &req, &viewer).unwrap();
            let mut got = Value::Array(records.into_iter().map(Value::Object).collect());
            fields.apply(&mut got);
            let want: Value = serde_json::from_str(observed).unwrap();
            assert_eq!(got, want, "expand={expand_param}");
        }
    }

    #[test]
    fn hidden_relation_values_come_from_the_table() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(DB).unwrap();
        // A record without its hidden `hid` (as a guest gets it) still expands it.
        let mut records =
            vec![serde_json::json!({"id": "it0000000000003", "name": "three"}).as_object().unwrap().clone()];
        let req = RequestValues::default();
        expand(&conn, &APP, &COLLECTIONS[2], &mut records, "hid", &req, &Viewer::default()).unwrap();
        assert_eq!(records[0]["expand"]["hid"]["name"], "b");
        // Keys stay sorted, `expand` included.
        let keys: Vec<&str> = records[0].keys().map(String::as_str).collect();
        assert_eq!(keys, ["expand", "id", "name"]);
    }
}
