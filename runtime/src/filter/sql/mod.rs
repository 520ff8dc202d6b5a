//! Compiling a filter (an API rule or a client `?filter=`) and a `?sort=` to SQLite SQL with bound
//! parameters, with PocketBase 0.40's semantics (`tools/search/filter.go`,
//! `core/record_field_resolver*.go`), checked against the real binary by
//! `runtime/tests/filter_pocketbase.rs`.
//!
//! # Using the output
//!
//! [`compile`] returns a condition for
//!
//! ```sql
//! SELECT … FROM `<table>` AS `<alias>` WHERE <sql>
//! ```
//!
//! where `<alias>` is [`Options::alias`], by default the collection name (PocketBase's own
//! convention: `SELECT posts.* FROM posts`). Relation paths never need extra joins in the outer
//! query: they live inside the condition.
//!
//! Placeholders are plain `?`, and [`Compiled::params`] lists one [`Param`] per `?` in order of
//! appearance (a value used twice is listed twice). So fragments compose by concatenation: for
//! `WHERE (<rule>) AND (<filter>) ORDER BY <sort>` bind `rule.params`, then `filter.params`, then
//! `sort.params`. Literal values and request values are always parameters; the SQL text only holds
//! identifiers from the schema (quoted with backticks), JSON paths made of `[A-Za-z0-9_]`, and
//! fixed SQL.
//!
//! # How multi-valued paths are compiled
//!
//! PocketBase `LEFT JOIN`s every relation / `json_each` a filter mentions onto the main query, adds
//! `DISTINCT`, and for the non-`?` operators additionally requires
//! `NOT EXISTS (<the same values selected again> WHERE NOT <comparison>)` ("all values match").
//! Here all of one filter's joins go into a single
//! `EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN … WHERE <whole filter>)`: a record matches when some
//! combination of its joined rows satisfies the whole filter, which is exactly what the `DISTINCT`
//! join query returns, including PocketBase's quirk that two conditions on the same path
//! (`tags.name ?= 'a' && tags.name ?= 'b'`) must hold for the *same* joined row. The "all values"
//! sub-queries are emitted as PocketBase emits them. A filter without relation paths has no
//! `EXISTS` wrapper.
//!
//! Filter and sort of one list request (and the collection's list rule) share joins in PocketBase;
//! [`compile_list`] compiles them together to keep that. Deliberate differences (corner cases):
//! * a rule compiled on its own with [`compile`] (what the generator embeds) does not share joined
//!   rows with a separately compiled client filter; use [`compile_list`] with the rule for exact
//!   list semantics;
//! * `@request.auth.<field>` (one segment) is read from the auth record the server loaded rather
//!   than joined from its table; without [`Options::auth_collection`] a JSON field there compares
//!   like a text column;
//! * single back-relations always get the "all values" check (PocketBase skips it when the relation
//!   field has a single-column UNIQUE index, where it is redundant);
//!
//! Not a difference, but a requirement: geoDistance uses SQLite's math functions (`acos`, `cos`,
//! `sin`, `radians`), which PocketBase's SQLite has built in and rusqlite's bundled SQLite lacks;
//! build it with `LIBSQLITE3_FLAGS=-DSQLITE_ENABLE_MATH_FUNCTIONS` or register them as functions.

mod compiler;
mod params;
mod resolve;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

pub use crate::filter::Macro;
pub use params::{Conv, Param, RequestValues, Source, SqlValue, Value, like_pattern, macro_sql_value};

use crate::filter::{Expr, Operand, PathRoot};
use crate::meta::{CollectionMeta, SchemaMeta};
use compiler::{Compiler, Ctx, Scope, col};

/// PocketBase's `DefaultFilterExprLimit`: comparisons per filter or rule.
pub const MAX_FILTER_EXPRESSIONS: usize = 200;
/// PocketBase's `MaxFilterLength` (bytes) for `?filter=`.
pub const MAX_FILTER_LENGTH: usize = 3500;
/// PocketBase's `DefaultSortExprLimit`.
pub const MAX_SORT_FIELDS: usize = 8;
/// PocketBase's `MaxSortFieldLength` (bytes).
pub const MAX_SORT_FIELD_LENGTH: usize = 255;

/// A compiled condition (or ORDER BY list) with its parameters, one per `?`.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    pub params: Vec<Param>,
}

/// The same as [`Compiled`] with borrowed data, for `static` constants in generated code (see
/// [`Compiled::to_rust`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompiledRef<'a> {
    pub sql: &'a str,
    pub params: &'a [Param<&'a str>],
}

/// Binds every parameter for one request.
pub fn bind_params<S: AsRef<str>>(params: &[Param<S>], req: &RequestValues) -> Vec<SqlValue> {
    params.iter().map(|p| p.bind(req)).collect()
}

impl Compiled {
    /// The values for the `?` placeholders, in order.
    pub fn bind(&self, req: &RequestValues) -> Vec<SqlValue> {
        bind_params(&self.params, req)
    }

    /// Whether any parameter depends on the request or the clock.
    pub fn is_dynamic(&self) -> bool {
        self.params.iter().any(Param::is_dynamic)
    }

    /// A Rust expression of type `CompiledRef<'static>` for generated code. `krate` is the path of
    /// this module, e.g. `::pbgen_runtime::filter::sql`.
    pub fn to_rust(&self, krate: &str) -> String {
        let mut out = format!("{krate}::CompiledRef {{ sql: {:?}, params: &[", self.sql);
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let item = match p {
                Param::Null => format!("{krate}::Param::Null"),
                Param::Integer(v) => format!("{krate}::Param::Integer({v}i64)"),
                Param::Real(v) => format!("{krate}::Param::Real({v:?}f64)"),
                Param::Text(s) => format!("{krate}::Param::Text({s:?})"),
                Param::Macro { name, like } => {
                    format!("{krate}::Param::Macro {{ name: {krate}::Macro::{name:?}, like: {like} }}")
                }
                Param::Request { source, path, conv, like } => format!(
                    "{krate}::Param::Request {{ source: {krate}::Source::{source:?}, path: {path:?}, conv: \
                     {krate}::Conv::{conv:?}, like: {like} }}"
                ),
            };
            out.push_str(&item);
        }
        out.push_str("] }");
        out
    }
}

impl CompiledRef<'_> {
    /// The values for the `?` placeholders, in order.
    pub fn bind(&self, req: &RequestValues) -> Vec<SqlValue> {
        bind_params(self.params, req)
    }

    pub fn to_compiled(&self) -> Compiled {
        Compiled { sql: self.sql.to_string(), params: self.params.iter().map(Param::to_owned_param).collect() }
    }
}

/// What kind of failure a [`CompileError`] is, i.e. the HTTP status PocketBase answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompileErrorKind {
    /// 403: a non-superuser's filter or sort uses `@request.` or `@collection.`.
    Forbidden,
    /// 400: unknown or hidden fields, traversal through a collection whose list rule is null, bad
    /// modifiers, too many expressions, and so on.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub kind: CompileErrorKind,
    pub message: String,
}

impl CompileError {
    pub fn invalid(message: impl Into<String>) -> Self {
        CompileError { kind: CompileErrorKind::Invalid, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        CompileError { kind: CompileErrorKind::Forbidden, message: message.into() }
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

/// A collection's list rule, as the filter compiler needs it for relation traversal by
/// non-superusers.
#[derive(Debug, Clone, Copy)]
pub enum ListRule<'a> {
    /// `null`: only superusers may traverse into the collection.
    Locked,
    /// `""`: everyone.
    Public,
    /// Only records passing this filter are visible.
    Filter(&'a Expr),
}

/// The list rules of all collections, by collection name.
pub trait ListRules {
    fn list_rule(&self, collection: &str) -> ListRule<'_>;
}

/// `None` = `null` rule, `Some(None)` = `""`, `Some(Some(expr))` = a filter (what
/// `parse_optional` gives for a rule string). Missing collections are [`ListRule::Locked`].
impl ListRules for HashMap<String, Option<Option<Expr>>> {
    fn list_rule(&self, collection: &str) -> ListRule<'_> {
        to_list_rule(self.get(collection))
    }
}

impl ListRules for BTreeMap<String, Option<Option<Expr>>> {
    fn list_rule(&self, collection: &str) -> ListRule<'_> {
        to_list_rule(self.get(collection))
    }
}

fn to_list_rule(rule: Option<&Option<Option<Expr>>>) -> ListRule<'_> {
    match rule {
        None | Some(None) => ListRule::Locked,
        Some(Some(None)) => ListRule::Public,
        Some(Some(Some(expr))) => ListRule::Filter(expr),
    }
}

/// How to compile.
///
/// The default compiles an API rule: full access (hidden fields, `@request.*`, `@collection.*`),
/// as PocketBase resolves rules.
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    /// The outer query's alias of the filtered table; `None` = the collection name.
    pub alias: Option<&'a str>,
    /// The requester is a superuser (client filters then have full access too).
    pub superuser: bool,
    /// Compiling a client `?filter=`/`?sort=` rather than an API rule. For non-superusers this
    /// forbids `@request.*`/`@collection.*` (403), hidden fields (400), shows auth `email` only where
    /// `emailVisibility` is true, and applies the list rule of every collection a relation path
    /// joins (from [`Options::list_rules`]).
    pub client_filter: bool,
    /// List rules for relation traversal in client filters of non-superusers. `None` refuses every
    /// traversal (as if all list rules were `null`).
    pub list_rules: Option<&'a dyn ListRules>,
    /// The auth record's collection, needed only for `@request.auth.<relation>.<field>…` and
    /// `@request.auth.<field>:each`/`:length` (they join that collection's table). Such SQL is
    /// guarded by the collection id, so for a different auth collection those paths are NULL; see
    /// [`needs_auth_collection`].
    pub auth_collection: Option<&'a str>,
    /// The table holding the filtered record, when it is not the collection's own: a create rule is
    /// evaluated against the would-be record as a one-row table named [`create_table`] (PocketBase's
    /// `WITH <dummy> AS (SELECT …)`), and the "all values" sub-queries on the record's own multi-valued
    /// fields must read that row, not the collection's table. Relations to the collection itself still
    /// read its table.
    pub own_table: Option<&'a str>,
}

impl fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("alias", &self.alias)
            .field("superuser", &self.superuser)
            .field("client_filter", &self.client_filter)
            .field("list_rules", &self.list_rules.map(|_| ".."))
            .field("auth_collection", &self.auth_collection)
            .field("own_table", &self.own_table)
            .finish()
    }
}

impl<'a> Options<'a> {
    /// For an API rule (the default).
    pub fn rule() -> Self {
        Options::default()
    }

    /// For a client `?filter=`/`?sort=`.
    pub fn client(superuser: bool, list_rules: Option<&'a dyn ListRules>) -> Self {
        Options { superuser, client_filter: true, list_rules, ..Options::default() }
    }

    pub fn with_alias(mut self, alias: &'a str) -> Self {
        self.alias = Some(alias);
        self
    }

    pub fn with_auth_collection(mut self, name: &'a str) -> Self {
        self.auth_collection = Some(name);
        self
    }

    pub fn with_own_table(mut self, table: &'a str) -> Self {
        self.own_table = Some(table);
        self
    }
}

/// The name of the one-row table (a CTE) a create rule of `collection` is evaluated against; compile the
/// create rule with [`Options::own_table`] set to it.
pub fn create_table(collection: &str) -> String {
    format!("__pb_create__{collection}")
}

/// Whether compiling `expr` needs [`Options::auth_collection`]: it uses `@request.auth` paths with
/// more than one segment or with `:each`/`:length`. Compile such rules once per auth collection.
pub fn needs_auth_collection(expr: &Expr) -> bool {
    expr.paths().any(|p| {
        p.root == PathRoot::RequestAuth
            && (p.segments.len() > 1
                || matches!(p.modifier, Some(crate::filter::Modifier::Each | crate::filter::Modifier::Length)))
    })
}

fn count_compares(e: &Expr) -> usize {
    match e {
        Expr::And(children) | Expr::Or(children) => children.iter().map(count_compares).sum(),
        Expr::Compare { .. } => 1,
    }
}

fn superuser_only_message(root: &PathRoot) -> Option<&'static str> {
    match root {
        PathRoot::Field => None,
        PathRoot::Collection { .. } => Some("Only superusers can filter by @collection."),
        _ => Some("Only superusers can filter by @request."),
    }
}

/// PocketBase's substring check on the raw `filter`/`sort` query values of non-superusers.
fn check_superuser_only_text(text: &str) -> Result<(), CompileError> {
    for field in ["@collection.", "@request."] {
        if text.contains(field) {
            return Err(CompileError::forbidden(format!("Only superusers can filter by {field}")));
        }
    }
    Ok(())
}

fn root_ctx<'c, 's>(collection: &'c CollectionMeta<'s>, opts: &Options<'_>, allow_hidden: bool) -> Ctx<'c, 's> {
    Ctx {
        base: collection,
        alias: opts.alias.unwrap_or(collection.name).to_string(),
        table: compiler::quote(opts.own_table.unwrap_or(collection.name)),
        allow_hidden,
        suffix: String::new(),
    }
}

/// Compiles a filter to a WHERE condition for `collection` (see the module docs for the shape).
pub fn compile(
    expr: &Expr,
    schema: &SchemaMeta<'_>,
    collection: &CollectionMeta<'_>,
    opts: &Options<'_>,
) -> Result<Compiled, CompileError> {
    let mut compiler = Compiler::new(schema, opts);
    let restricted = compiler.restricted();
    if restricted && let Some(message) = expr.paths().find_map(|p| superuser_only_message(&p.root)) {
        return Err(CompileError::forbidden(message));
    }
    if count_compares(expr) > MAX_FILTER_EXPRESSIONS {
        return Err(CompileError::invalid(format!("max filter expressions limit reached ({MAX_FILTER_EXPRESSIONS})")));
    }
    let ctx = root_ctx(collection, opts, !restricted);
    let mut scope = Scope::default();
    let cond = compiler.expr(&ctx, &mut scope, expr)?;
    let used = compiler.join_registrations;
    let (sql, _) = compiler.close_list_scope(scope, Some((cond, used)), Vec::new())?;
    Ok(compiler.finish(&sql.expect("a filter always gives a condition")))
}

/// A client `?filter=` value as PocketBase's list endpoint handles it: `""` is no filter (`None`),
/// longer than [`MAX_FILTER_LENGTH`] is an error, `@request.`/`@collection.` anywhere in the text of
/// a non-superuser's filter is 403 (a plain substring check, as PocketBase does), then parse and
/// [`compile`] with `opts.client_filter` forced on.
pub fn compile_client_filter(
    filter: &str,
    schema: &SchemaMeta<'_>,
    collection: &CollectionMeta<'_>,
    opts: &Options<'_>,
) -> Result<Option<Compiled>, CompileError> {
    let opts = Options { client_filter: true, ..*opts };
    if !opts.superuser {
        check_superuser_only_text(filter)?;
    }
    if filter.is_empty() {
        return Ok(None);
    }
    if filter.len() > MAX_FILTER_LENGTH {
        return Err(CompileError::invalid("max filter length reached"));
    }
    let expr = crate::filter::parse(filter).map_err(|e| CompileError::invalid(e.to_string()))?;
    compile(&expr, schema, collection, &opts).map(Some)
}

/// A list request's filter and sort, compiled together (see [`compile_list`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledList {
    /// The WHERE condition; `None` when nothing restricts the records.
    pub filter: Option<Compiled>,
    /// The ORDER BY list (without `ORDER BY`); `None` for an empty sort.
    pub order_by: Option<Compiled>,
}

impl CompiledList {
    /// `SELECT <columns> FROM <table> AS <alias>[ WHERE …][ ORDER BY …]` with its parameters; the
    /// caller adds LIMIT/OFFSET.
    pub fn select(&self, columns: &str, table_sql: &str) -> Compiled {
        let mut sql = format!("SELECT {columns} FROM {table_sql}");
        let mut params = Vec::new();
        if let Some(f) = &self.filter {
            sql.push_str(" WHERE ");
            sql.push_str(&f.sql);
            params.extend(f.params.iter().cloned());
        }
        if let Some(o) = &self.order_by {
            sql.push_str(" ORDER BY ");
            sql.push_str(&o.sql);
            params.extend(o.params.iter().cloned());
        }
        Compiled { sql, params }
    }
}

/// Compiles a `?sort=` value (`-created,title`, `@random`, `@rowid`, relation paths, `:lower`,
/// `:length`, JSON paths…); the same as [`compile_list`] without a filter. Mind
/// [`CompiledList::filter`]: for non-superusers a sort through a relation also hides the records
/// whose related records the list rule hides, as in PocketBase.
pub fn compile_sort(
    sort: &str,
    schema: &SchemaMeta<'_>,
    collection: &CollectionMeta<'_>,
    opts: &Options<'_>,
) -> Result<CompiledList, CompileError> {
    compile_list(None, None, sort, schema, collection, opts)
}

/// Compiles what a list request needs, sharing relation joins the way PocketBase's list query
/// does: the collection's list `rule` (for non-superusers; resolved with full access like any
/// rule), the client `filter`, and the `sort`.
///
/// Sharing matters for multi-valued paths: PocketBase evaluates rule and filter on the same joined
/// row (rule `tags.name ?= 'a'` with filter `tags.name ?= 'b'` needs one tag named both), and a
/// multi-valued sort path sorts by the first joined value passing both (with
/// `filter=tags.name ?= 'rust'`, `sort=tags.name` sorts by "rust"). Compiling the rule separately
/// with [`compile`] and ANDing it is equivalent except for such shared paths.
///
/// `sort` is split on `,`; `-` means descending, `+` or nothing ascending; `@random` and `@rowid`
/// are special. With `opts.client_filter` and not `opts.superuser`, `@request.*`/`@collection.*`
/// in the filter or anywhere in the sort text is 403, hidden fields are 400, and every collection a
/// filter or sort path joins must pass its list rule (which can hide records, even for a sort-only
/// path).
pub fn compile_list(
    rule: Option<&Expr>,
    filter: Option<&Expr>,
    sort: &str,
    schema: &SchemaMeta<'_>,
    collection: &CollectionMeta<'_>,
    opts: &Options<'_>,
) -> Result<CompiledList, CompileError> {
    let mut compiler = Compiler::new(schema, opts);
    let restricted = compiler.restricted();
    if restricted {
        check_superuser_only_text(sort)?;
        if let Some(message) = filter.and_then(|f| f.paths().find_map(|p| superuser_only_message(&p.root))) {
            return Err(CompileError::forbidden(message));
        }
    }
    for e in [rule, filter].into_iter().flatten() {
        if count_compares(e) > MAX_FILTER_EXPRESSIONS {
            return Err(CompileError::invalid(format!(
                "max filter expressions limit reached ({MAX_FILTER_EXPRESSIONS})"
            )));
        }
    }
    let fields: Vec<&str> = if sort.is_empty() { Vec::new() } else { sort.split(',').collect() };
    if fields.len() > MAX_SORT_FIELDS {
        return Err(CompileError::invalid(format!("max sort expressions limit reached ({MAX_SORT_FIELDS})")));
    }

    let ctx = root_ctx(collection, opts, !restricted);
    let mut scope = Scope::default();
    let before = compiler.join_registrations;
    let mut conds = Vec::new();
    if let Some(r) = rule {
        let rule_ctx = Ctx { allow_hidden: true, ..ctx.clone() };
        conds.push(compiler.expr(&rule_ctx, &mut scope, r)?);
    }
    if let Some(f) = filter {
        conds.push(compiler.expr(&ctx, &mut scope, f)?);
    }
    let filter_cond = match conds.len() {
        0 => None,
        1 => Some((conds.remove(0), compiler.join_registrations - before)),
        _ => Some((format!("({})", conds.join(" AND ")), compiler.join_registrations - before)),
    };

    // (value, joins used, direction); `None` value = a fixed ORDER BY term.
    let mut terms: Vec<Result<(String, usize, &str), String>> = Vec::with_capacity(fields.len());
    for raw in fields {
        let raw = raw.trim();
        let (name, desc) = match raw.strip_prefix('-') {
            Some(name) => (name, true),
            None => (raw.strip_prefix('+').unwrap_or(raw), false),
        };
        if name.len() > MAX_SORT_FIELD_LENGTH {
            return Err(CompileError::invalid("max sort field length reached"));
        }
        let dir = if desc { "DESC" } else { "ASC" };
        if name == "@random" {
            terms.push(Err("RANDOM()".to_string()));
            continue;
        }
        if name == "@rowid" {
            terms.push(Err(format!("{} {dir}", col(&ctx.alias, "_rowid_"))));
            continue;
        }
        let invalid = || CompileError::invalid(format!("invalid sort field {name:?}"));
        if !valid_sort_name(name) {
            return Err(invalid());
        }
        let Ok(Operand::Path(path)) = crate::filter::operand::ident(name, 0) else {
            return Err(invalid());
        };
        if restricted && let Some(message) = superuser_only_message(&path.root) {
            return Err(CompileError::forbidden(message));
        }
        let before = compiler.join_registrations;
        let res = compiler.path(&ctx, &mut scope, &path).map_err(|e| match e.kind {
            CompileErrorKind::Invalid => CompileError::invalid(format!("invalid sort field {name:?}: {e}")),
            CompileErrorKind::Forbidden => e,
        })?;
        if !res.params.is_empty() || res.kw == compiler::Kw::Null {
            return Err(invalid());
        }
        terms.push(Ok((res.sql, compiler.join_registrations - before, dir)));
    }

    let values: Vec<(String, usize)> =
        terms.iter().filter_map(|t| t.as_ref().ok()).map(|(v, n, _)| (v.clone(), *n)).collect();
    let (filter_sql, mut order_values) = compiler.close_list_scope(scope, filter_cond, values)?;
    order_values.reverse();
    let order: Vec<String> = terms
        .into_iter()
        .map(|t| match t {
            Ok((_, _, dir)) => format!("{} {dir}", order_values.pop().expect("one value per sort field")),
            Err(fixed) => fixed,
        })
        .collect();
    Ok(CompiledList {
        filter: filter_sql.map(|sql| compiler.finish(&sql)),
        order_by: (!order.is_empty()).then(|| compiler.finish(&order.join(", "))),
    })
}

/// A list request as PocketBase's list endpoint handles it: the checks of
/// [`compile_client_filter`] (403 for `@request.`/`@collection.` in the filter or sort text of a
/// non-superuser, filter length), then [`compile_list`] with `opts.client_filter` forced on. Pass
/// the collection's list rule as `rule` for non-superusers (`None` when it is `""` or the requester
/// is a superuser; a `null` rule is a 403 before any of this).
pub fn compile_client_list(
    rule: Option<&Expr>,
    filter: &str,
    sort: &str,
    schema: &SchemaMeta<'_>,
    collection: &CollectionMeta<'_>,
    opts: &Options<'_>,
) -> Result<CompiledList, CompileError> {
    let opts = Options { client_filter: true, ..*opts };
    if !opts.superuser {
        check_superuser_only_text(filter)?;
        check_superuser_only_text(sort)?;
    }
    if filter.len() > MAX_FILTER_LENGTH {
        return Err(CompileError::invalid("max filter length reached"));
    }
    let expr = if filter.is_empty() {
        None
    } else {
        Some(crate::filter::parse(filter).map_err(|e| CompileError::invalid(e.to_string()))?)
    };
    compile_list(rule, expr.as_ref(), sort, schema, collection, &opts)
}

/// The shapes PocketBase's resolver accepts (`allowedFields`): `\w+[\w.:]*` and `@…` paths.
fn valid_sort_name(name: &str) -> bool {
    let body = name.strip_prefix('@').unwrap_or(name);
    !body.is_empty()
        && body.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && body.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':'))
        && !name.ends_with(['.', ':'])
}
