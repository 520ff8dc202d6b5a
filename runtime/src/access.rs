//! API rules at run time: the SQL each rule was compiled to when `gen` ran, bound to the request, and
//! client `?filter=`/`?sort=` compiled per request with the same compiler.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::StatusCode;
use rusqlite::types::Value as SqlParam;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::api::error::{ApiError, ApiResult};
use crate::filter::sql::{self, CompileErrorKind, CompiledRef, Options, RequestValues, SqlValue};
use crate::filter::{self, Expr};
use crate::meta::{CollectionKind, CollectionMeta};
use crate::record::Viewer;

/// An API rule as `gen` compiled it.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// `null`: superusers only.
    SuperusersOnly,
    /// `""`: everyone.
    Public,
    /// A filter that must hold. `compiled` has one entry per auth collection the rule depends on
    /// (`Some(name)`), or a single entry for all requesters (`None`).
    Filter { source: &'static str, compiled: &'static [(Option<&'static str>, CompiledRef<'static>)] },
}

/// The five record rules of a collection.
#[derive(Debug, Clone, Copy)]
pub struct CollectionRules {
    pub list: Rule,
    pub view: Rule,
    pub create: Rule,
    pub update: Rule,
    pub delete: Rule,
}

/// A bound SQL condition (and its parameters) to AND into a query.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    parts: Vec<String>,
    params: Vec<SqlParam>,
}

impl Condition {
    /// The rule's condition for this request; `None` when only superusers may pass (`null` rule).
    pub fn from_rule(rule: &Rule, req: &RequestValues, superuser: bool) -> Option<Self> {
        if superuser {
            return Some(Self::default());
        }
        match rule {
            Rule::SuperusersOnly => None,
            Rule::Public => Some(Self::default()),
            Rule::Filter { compiled, .. } => {
                let auth = req.auth.as_ref().and_then(|a| a.get("collectionName")).and_then(|v| match v {
                    sql::Value::String(s) => Some(s.as_str()),
                    _ => None,
                });
                let pick = compiled
                    .iter()
                    .find(|(coll, _)| coll.is_some() && *coll == auth)
                    .or_else(|| compiled.iter().find(|(coll, _)| coll.is_none()))
                    .or_else(|| compiled.first());
                let mut out = Self::default();
                if let Some((_, c)) = pick {
                    out.push(c.sql.to_owned(), c.bind(req));
                }
                Some(out)
            }
        }
    }

    fn push(&mut self, sql: String, params: Vec<SqlValue>) {
        if !sql.is_empty() {
            self.parts.push(sql);
            self.params.extend(params.into_iter().map(to_sqlite));
        }
    }

    pub fn and(&mut self, other: Condition) {
        self.parts.extend(other.parts);
        self.params.extend(other.params);
    }

    /// Whether the condition holds for every row (a public rule, or a superuser): nothing to check.
    pub fn always(&self) -> bool {
        self.parts.is_empty()
    }

    /// The WHERE text (`1` when unrestricted).
    pub fn sql(&self) -> String {
        match self.parts.len() {
            0 => "1".to_owned(),
            1 => self.parts[0].clone(),
            _ => self.parts.iter().map(|p| format!("({p})")).collect::<Vec<_>>().join(" AND "),
        }
    }

    pub fn params(&self) -> impl Iterator<Item = SqlParam> + '_ {
        self.params.iter().cloned()
    }
}

/// The manageRule condition for this request: `None` when the collection has no manageRule filter (`null`
/// and `""` let only superusers manage) or the requester is a superuser.
pub fn manage_rule(api: &crate::server::CollectionApi, req: &RequestValues, superuser: bool) -> Option<Condition> {
    let rule = api.auth.as_ref()?.manage_rule;
    if superuser || !matches!(rule, Rule::Filter { .. }) {
        return None;
    }
    Condition::from_rule(&rule, req, false)
}

/// The condition under which a write gets a manager's access (email, password and verified without
/// `oldPassword`): the manageRule, for requesters with an auth record (PocketBase's `hasAuthManageAccess`).
///
/// On a create it is evaluated against the would-be record like the create rule, but compiled for the
/// collection's table: an "all values" comparison (`=` rather than `?=`) on the new record's own multi-valued
/// fields has no rows to check there and passes, where PocketBase checks the submitted values.
pub fn manage_condition(api: &crate::server::CollectionApi, req: &RequestValues, superuser: bool) -> Option<Condition> {
    req.auth.as_ref()?;
    manage_rule(api, req, superuser)
}

/// Whether the stored record `id` passes `condition`.
pub fn record_passes(
    conn: &Connection,
    meta: &CollectionMeta,
    id: &str,
    condition: &Condition,
) -> rusqlite::Result<bool> {
    let sql =
        format!("SELECT 1 FROM `{t}` AS `{t}` WHERE `{t}`.`id` = ? AND ({}) LIMIT 1", condition.sql(), t = meta.name);
    let params = std::iter::once(SqlParam::Text(id.to_owned())).chain(condition.params());
    Ok(conn.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(params), |_| Ok(())).optional()?.is_some())
}

/// PocketBase shows the email of every auth record the requester manages (manageRule), whatever its
/// `emailVisibility`: adds `email` back to those of `records` that lack it.
pub fn reveal_managed_emails(
    conn: &Connection,
    app: &crate::server::App,
    meta: &CollectionMeta,
    records: &mut [Map<String, Value>],
    req: &RequestValues,
    viewer: &Viewer,
) -> rusqlite::Result<()> {
    if meta.kind != CollectionKind::Auth || records.iter().all(|r| r.contains_key("email")) {
        return Ok(());
    }
    // Unlike write access, this does not need an auth record: PocketBase evaluates the rule for guests too
    // (`supervisor = @request.auth.id` matches every record without a supervisor).
    let Some(condition) = app.collection(meta.id).and_then(|api| manage_rule(api, req, viewer.superuser)) else {
        return Ok(());
    };
    let ids: Vec<String> = records
        .iter()
        .filter(|r| !r.contains_key("email"))
        .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let sql = format!(
        "SELECT `{t}`.`id`, `{t}`.`email` FROM `{t}` AS `{t}` WHERE `{t}`.`id` IN ({}) AND ({})",
        vec!["?"; ids.len()].join(", "),
        condition.sql(),
        t = meta.name
    );
    let params = ids.into_iter().map(SqlParam::Text).chain(condition.params());
    let managed: Vec<(String, String)> = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(params), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, email) in managed {
        if let Some(record) = records.iter_mut().find(|r| r.get("id").and_then(Value::as_str) == Some(id.as_str())) {
            record.insert("email".into(), Value::String(email));
            record.sort_keys();
        }
    }
    Ok(())
}

/// A list request's WHERE and ORDER BY: the list rule, the client's `?filter=` and `?sort=` compiled
/// together as PocketBase's list query does (one join scope, so a sort through a relation applies the
/// related collection's list rule too).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filter: Condition,
    /// ` ORDER BY …`, or empty.
    pub order_by: String,
    pub order_params: Vec<SqlParam>,
}

impl ListQuery {
    /// `None` when the list rule is `null` and the requester is not a superuser (403).
    pub fn new(
        app: &'static crate::server::App,
        api: &crate::server::CollectionApi,
        filter: &str,
        sort: &str,
        req: &RequestValues,
        superuser: bool,
    ) -> ApiResult<Option<Self>> {
        let rules = app.list_rules();
        let rule: Option<&Expr> = match (superuser, &api.rules.list) {
            (true, _) | (false, Rule::Public) => None,
            (false, Rule::SuperusersOnly) => return Ok(None),
            (false, Rule::Filter { .. }) => rules.get(api.meta.name).and_then(|r| r.as_ref()).and_then(Option::as_ref),
        };
        let auth_collection = req.auth.as_ref().and_then(|a| match a.get("collectionName") {
            Some(sql::Value::String(s)) => Some(s.as_str()),
            _ => None,
        });
        let mut opts = Options::client(superuser, Some(rules));
        if let Some(name) = auth_collection {
            opts = opts.with_auth_collection(name);
        }
        let list = sql::compile_client_list(rule, filter, sort, app.schema, api.meta, &opts).map_err(compile_error)?;
        let mut out = Self::default();
        if let Some(f) = list.filter {
            out.filter.push(f.sql.clone(), f.bind(req));
        }
        if let Some(o) = list.order_by {
            out.order_by = format!(" ORDER BY {}", o.sql);
            out.order_params = o.bind(req).into_iter().map(to_sqlite).collect();
        }
        Ok(Some(out))
    }
}

fn to_sqlite(v: SqlValue) -> SqlParam {
    match v {
        SqlValue::Null => SqlParam::Null,
        SqlValue::Integer(i) => SqlParam::Integer(i),
        SqlValue::Real(f) => SqlParam::Real(f),
        SqlValue::Text(s) => SqlParam::Text(s),
    }
}

fn compile_error(e: sql::CompileError) -> ApiError {
    match e.kind {
        CompileErrorKind::Forbidden => ApiError::new(StatusCode::FORBIDDEN, e.message),
        CompileErrorKind::Invalid => {
            tracing::debug!("rejected filter: {}", e.message);
            ApiError::bad_request()
        }
    }
}

/// Every collection's list rule, parsed once (client filters that traverse a relation apply the
/// target's list rule). The type the compiler's `ListRules` is implemented for.
pub type ParsedListRules = BTreeMap<String, Option<Option<Expr>>>;

/// Parses the list rules of every collection the first time they are needed.
pub fn parsed_list_rules(
    cell: &'static OnceLock<ParsedListRules>,
    collections: &'static [crate::server::CollectionApi],
) -> &'static ParsedListRules {
    cell.get_or_init(|| {
        collections
            .iter()
            .map(|c| {
                let rule = match c.rules.list {
                    Rule::SuperusersOnly => None,
                    Rule::Public => Some(None),
                    // `gen` parsed this rule already, so it parses here too.
                    Rule::Filter { source, .. } => Some(filter::parse(source).ok()),
                };
                (c.meta.name.to_owned(), rule)
            })
            .collect()
    })
}
