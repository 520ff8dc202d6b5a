//! API rules at run time: the SQL each rule was compiled to when `gen` ran, bound to the request, and
//! client `?filter=`/`?sort=` compiled per request with the same compiler.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::StatusCode;
use rusqlite::types::Value as SqlParam;

use crate::api::error::{ApiError, ApiResult};
use crate::filter::sql::{self, CompileErrorKind, CompiledRef, Options, RequestValues, SqlValue};
use crate::filter::{self, Expr};
use crate::meta::{CollectionMeta, SchemaMeta};

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

    /// A client `?filter=`; PocketBase's 400/403 when it is invalid or not allowed for this requester.
    pub fn from_client_filter(
        filter: &str,
        schema: &SchemaMeta<'static>,
        rules: &'static ParsedListRules,
        collection: &CollectionMeta,
        req: &RequestValues,
        superuser: bool,
    ) -> ApiResult<Self> {
        let opts = Options::client(superuser, Some(rules));
        let mut out = Self::default();
        if let Some(c) = sql::compile_client_filter(filter, schema, collection, &opts).map_err(compile_error)? {
            out.push(c.sql.clone(), c.bind(req));
        }
        Ok(out)
    }

    /// ` ORDER BY …` for a client `?sort=` (empty for none), with its parameters appended to `self`.
    pub fn order_by(
        &mut self,
        sort: &str,
        schema: &SchemaMeta<'static>,
        rules: &'static ParsedListRules,
        collection: &CollectionMeta,
        req: &RequestValues,
        superuser: bool,
    ) -> ApiResult<String> {
        let opts = Options::client(superuser, Some(rules));
        let list = sql::compile_sort(sort, schema, collection, &opts).map_err(compile_error)?;
        Ok(match list.order_by {
            Some(order) => {
                self.params.extend(order.bind(req).into_iter().map(to_sqlite));
                format!(" ORDER BY {}", order.sql)
            }
            None => String::new(),
        })
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
