//! Building SQL from resolved operands: comparisons with PocketBase's NULL/'' handling, LIKE
//! wrapping, the multi-value ("all values must match") sub-queries, and the join scope that turns
//! PocketBase's `LEFT JOIN`s + `DISTINCT` into one `EXISTS (…)`.

use super::params::{Conv, Param, like_pattern};
use super::{CompileError, ListRule, Options};
use crate::filter::{Expr, Op, Operand};
use crate::meta::{CollectionMeta, SchemaMeta};

/// Placeholder markers inside SQL under construction: `\x01<arena index>\x02`. Replaced by `?` (and
/// the parameter list built in order) by [`Compiler::finish`]. User data never reaches SQL text, so
/// the markers cannot be forged.
const MARK_OPEN: char = '\u{1}';
const MARK_CLOSE: char = '\u{2}';

/// PocketBase's `NullFallbackPreference`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fallback {
    /// `=`/`!=` treat NULL and '' alike, choosing the cheapest form.
    Auto,
    /// `=`/`!=` become `IS`/`IS NOT` (JSON values, geoDistance, `:changed`).
    Disabled,
    /// Never considered known-empty or known-non-empty (strftime): always `COALESCE`.
    Enforced,
}

/// What PocketBase would see in the identifier text itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kw {
    None,
    /// The `NULL` identifier (a `null` literal, a missing `@request.*` value).
    Null,
    /// `1`/`0`/`TRUE`/`FALSE` (bool literals, `:isset`): known non-empty.
    Bool,
}

#[derive(Debug, Clone)]
pub(super) struct Join {
    /// Table name (quoted) or table-valued function call.
    pub table: String,
    /// Unquoted alias.
    pub alias: String,
    pub on: Option<String>,
}

/// PocketBase's `MultiMatchSubquery`: the values of a multi-valued operand for the current row,
/// selected again from scratch so that "every value matches" can be checked with `NOT EXISTS`.
#[derive(Debug, Clone)]
pub(super) struct MultiMatch {
    pub target_alias: String,
    pub from_table: String,
    pub from_alias: String,
    pub value: String,
    pub joins: Vec<Join>,
}

#[derive(Debug, Clone)]
pub(super) enum After {
    /// `(expr AND alias.emailVisibility = TRUE)`.
    EmailVisible(String),
    /// `NOT (expr)`.
    Not,
}

/// A resolved operand (PocketBase's `ResolverResult`).
#[derive(Debug, Clone)]
pub(super) struct Res {
    pub sql: String,
    /// The operand's own bound values (PocketBase's `Params`): literals and static request values.
    /// They decide NULL/'' handling and are the ones LIKE wraps. Column-like request values are
    /// bound too but not listed here.
    pub params: Vec<usize>,
    pub fallback: Fallback,
    pub kw: Kw,
    pub multi: Option<MultiMatch>,
    pub after: Option<After>,
}

impl Res {
    pub fn column(sql: String) -> Res {
        Res { sql, params: Vec::new(), fallback: Fallback::Auto, kw: Kw::None, multi: None, after: None }
    }

    pub fn null() -> Res {
        Res { kw: Kw::Null, ..Res::column("NULL".to_string()) }
    }
}

/// The joins of one query: PocketBase's main query (everything in one filter shares them) or a
/// sort expression.
#[derive(Debug, Default)]
pub(super) struct Scope {
    pub joins: Vec<Join>,
    /// `(collection name, join alias)` whose list rule must hold (client filters of non-superusers).
    pub rule_joins: Vec<(String, String)>,
}

/// The resolution context: which collection the bare field names refer to.
#[derive(Debug, Clone)]
pub(super) struct Ctx<'c, 's> {
    pub base: &'c CollectionMeta<'s>,
    pub alias: String,
    /// The quoted table the "all values" sub-queries read `base`'s own rows from: the collection's table,
    /// or the one-row stand-in a create rule is evaluated against ([`super::Options::own_table`]).
    pub table: String,
    /// PocketBase's `allowHiddenFields`: false only for client filters/sorts of non-superusers.
    pub allow_hidden: bool,
    /// Appended to every join alias (PocketBase's `joinAliasSuffix`, used by list-rule joins).
    pub suffix: String,
}

pub(super) struct Compiler<'c, 's, 'o> {
    pub schema: &'c SchemaMeta<'s>,
    pub opts: &'o Options<'o>,
    pub arena: Vec<Param>,
    like_wrapped: Vec<bool>,
    counter: usize,
    /// How many times [`Compiler::register_join`] ran (to tell whether an expression used joins).
    pub join_registrations: usize,
}

pub(super) type Result<T> = std::result::Result<T, CompileError>;

/// `` `name` `` with backticks doubled.
pub(super) fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `` `alias`.`column` ``.
pub(super) fn col(alias: &str, column: &str) -> String {
    format!("{}.{}", quote(alias), quote(column))
}

/// PocketBase's `dbutils.JSONEach`.
pub(super) fn json_each(c: &str) -> String {
    format!(
        "json_each(CASE WHEN iif(json_valid({c}), json_type({c})='array', FALSE) THEN {c} ELSE json_array({c}) END)"
    )
}

/// PocketBase's `dbutils.JSONArrayLength`.
pub(super) fn json_array_length(c: &str) -> String {
    format!(
        "json_array_length(CASE WHEN iif(json_valid({c}), json_type({c})='array', FALSE) THEN {c} ELSE (CASE WHEN \
         {c} = '' OR {c} IS NULL THEN json_array() ELSE json_array({c}) END) END)"
    )
}

/// PocketBase's `dbutils.JSONExtract`. `path` is `""`, `a.b` or `[0].a` (only `[A-Za-z0-9_]`, `.`,
/// `[`, `]`: it is spliced into a string literal).
pub(super) fn json_extract(c: &str, path: &str) -> String {
    let path = if !path.is_empty() && !path.starts_with('[') { format!(".{path}") } else { path.to_string() };
    debug_assert!(path.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '[' | ']')));
    format!(
        "(CASE WHEN json_valid({c}) THEN JSON_EXTRACT({c}, '${path}') ELSE JSON_EXTRACT(json_object('pb', {c}), \
         '$.pb{path}') END)"
    )
}

impl<'c, 's, 'o> Compiler<'c, 's, 'o> {
    pub fn new(schema: &'c SchemaMeta<'s>, opts: &'o Options<'o>) -> Self {
        Compiler { schema, opts, arena: Vec::new(), like_wrapped: Vec::new(), counter: 0, join_registrations: 0 }
    }

    /// Client filter or sort of a non-superuser.
    pub fn restricted(&self) -> bool {
        self.opts.client_filter && !self.opts.superuser
    }

    pub fn next_id(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    /// Adds a parameter; returns its arena index and its marker text.
    pub fn param(&mut self, p: Param) -> (usize, String) {
        let idx = self.arena.len();
        self.arena.push(p);
        self.like_wrapped.push(false);
        (idx, format!("{MARK_OPEN}{idx}{MARK_CLOSE}"))
    }

    pub fn marker(idx: usize) -> String {
        format!("{MARK_OPEN}{idx}{MARK_CLOSE}")
    }

    /// Replaces the markers by `?` and lists the parameters in order of appearance.
    pub fn finish(&self, sql: &str) -> super::Compiled {
        let mut out = String::with_capacity(sql.len());
        let mut params = Vec::new();
        let mut rest = sql;
        while let Some(start) = rest.find(MARK_OPEN) {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let end = after.find(MARK_CLOSE).expect("unterminated parameter marker");
            let idx: usize = after[..end].parse().expect("bad parameter marker");
            out.push('?');
            params.push(self.arena[idx].clone());
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        super::Compiled { sql: out, params }
    }

    pub fn list_rule(&self, collection: &str) -> ListRule<'o> {
        match self.opts.list_rules {
            Some(rules) => rules.list_rule(collection),
            None => ListRule::Locked,
        }
    }

    /// PocketBase's `loadCollection`: the base collection by exact name or id, then any collection by
    /// case-insensitive name or exact id.
    pub fn load_collection(&self, ctx: &Ctx<'c, 's>, name_or_id: &str) -> Option<&'c CollectionMeta<'s>> {
        if ctx.base.name == name_or_id || ctx.base.id == name_or_id {
            return Some(ctx.base);
        }
        self.schema.collections.iter().find(|c| c.name.eq_ignore_ascii_case(name_or_id) || c.id == name_or_id)
    }

    /// PocketBase's `registerJoin`: in restricted mode a join to a collection needs that collection's
    /// list rule (registered for [`Compiler::close_scope`]); a `null` list rule refuses the join.
    pub fn register_join(
        &mut self,
        ctx: &Ctx<'c, 's>,
        scope: &mut Scope,
        collection: Option<&CollectionMeta<'_>>,
        join: Join,
    ) -> Result<()> {
        self.join_registrations += 1;
        if !ctx.allow_hidden
            && let Some(c) = collection
        {
            if matches!(self.list_rule(c.name), ListRule::Locked) {
                return Err(CompileError::invalid(format!(
                    "{:?} fields can be accessed only by superusers (its list rule is null)",
                    c.name
                )));
            }
            match scope.rule_joins.iter_mut().find(|(_, alias)| *alias == join.alias) {
                Some(existing) => existing.0 = c.name.to_string(),
                None => scope.rule_joins.push((c.name.to_string(), join.alias.clone())),
            }
        }
        match scope.joins.iter_mut().find(|j| j.alias == join.alias) {
            Some(existing) => *existing = join,
            None => scope.joins.push(join),
        }
        Ok(())
    }

    // --------------------------------------------------------------------------------------------
    // Expressions

    pub fn expr(&mut self, ctx: &Ctx<'c, 's>, scope: &mut Scope, e: &Expr) -> Result<String> {
        match e {
            Expr::And(children) | Expr::Or(children) => {
                let sep = if matches!(e, Expr::And(_)) { " AND " } else { " OR " };
                let mut parts = Vec::with_capacity(children.len());
                for child in children {
                    parts.push(self.expr(ctx, scope, child)?);
                }
                Ok(format!("({})", parts.join(sep)))
            }
            Expr::Compare { left, op, right } => {
                let l = self.operand(ctx, scope, left)?;
                let r = self.operand(ctx, scope, right)?;
                Ok(self.compare(&l, *op, &r))
            }
        }
    }

    pub fn operand(&mut self, ctx: &Ctx<'c, 's>, scope: &mut Scope, o: &Operand) -> Result<Res> {
        match o {
            Operand::Str(s) => Ok(self.literal(Param::Text(s.clone()))),
            Operand::Num(n) => Ok(self.literal(Param::Real(*n))),
            Operand::Bool(b) => Ok(Res { kw: Kw::Bool, ..Res::column(if *b { "1" } else { "0" }.to_string()) }),
            Operand::Null => Ok(Res::null()),
            Operand::Macro(m) => Ok(self.literal(Param::Macro { name: *m, like: false })),
            Operand::Path(p) => self.path(ctx, scope, p),
            Operand::Func { name, args } => self.function(ctx, scope, *name, args),
        }
    }

    pub fn literal(&mut self, p: Param) -> Res {
        let (idx, m) = self.param(p);
        Res { params: vec![idx], ..Res::column(m) }
    }

    fn function(
        &mut self,
        ctx: &Ctx<'c, 's>,
        scope: &mut Scope,
        name: crate::filter::Function,
        args: &[Operand],
    ) -> Result<Res> {
        use crate::filter::Function;
        let mut resolved = Vec::with_capacity(args.len());
        for arg in args {
            resolved.push(self.operand(ctx, scope, arg)?);
        }
        let mut params = Vec::new();
        for r in &resolved {
            params.extend(r.params.iter().copied());
        }
        match name {
            Function::GeoDistance => {
                let [lon_a, lat_a, lon_b, lat_b] = resolved.as_slice() else {
                    return Err(CompileError::invalid(format!(
                        "[geoDistance] expected 4 arguments, got {}",
                        resolved.len()
                    )));
                };
                let (lon_a, lat_a, lon_b, lat_b) = (&lon_a.sql, &lat_a.sql, &lon_b.sql, &lat_b.sql);
                let sql = format!(
                    "(6371 * acos(cos(radians({lat_a})) * cos(radians({lat_b})) * cos(radians({lon_b}) - \
                     radians({lon_a})) + sin(radians({lat_a})) * sin(radians({lat_b}))))"
                );
                Ok(Res { params, fallback: Fallback::Disabled, ..Res::column(sql) })
            }
            Function::Strftime => {
                if resolved.is_empty() || resolved.len() > 10 {
                    return Err(CompileError::invalid("[strftime] expects 1 to 10 arguments"));
                }
                if !matches!(args[0], Operand::Str(_)) || args.iter().skip(2).any(|a| !matches!(a, Operand::Str(_))) {
                    return Err(CompileError::invalid(
                        "[strftime] the format and the modifiers must be string literals",
                    ));
                }
                let mut idents: Vec<String> = resolved.iter().map(|r| r.sql.clone()).collect();
                let sql = format!("strftime({})", idents.join(","));
                let mut res = Res { params, fallback: Fallback::Enforced, ..Res::column(sql) };
                if let Some(mut mm) = resolved.get(1).and_then(|r| r.multi.clone()) {
                    idents[1] = mm.value.clone();
                    mm.value = format!("strftime({})", idents.join(","));
                    res.multi = Some(mm);
                }
                Ok(res)
            }
        }
    }

    // --------------------------------------------------------------------------------------------
    // Comparisons (PocketBase's buildResolversExpr)

    pub fn compare(&mut self, l: &Res, op: Op, r: &Res) -> String {
        let base = op.without_any();
        let mut expr = match base {
            Op::Eq => self.equal(true, l, r),
            Op::Neq => self.equal(false, l, r),
            Op::Like | Op::NotLike => {
                let not = if base == Op::NotLike { "NOT " } else { "" };
                if r.params.is_empty() {
                    // A column (or NULL) on the right: wrap it in SQL.
                    format!("{} {not}LIKE ('%' || {} || '%') ESCAPE '\\'", l.sql, r.sql)
                } else {
                    self.wrap_like(&r.params);
                    format!("{} {not}LIKE {} ESCAPE '\\'", l.sql, r.sql)
                }
            }
            Op::Lt => format!("{} < {}", l.sql, r.sql),
            Op::Lte => format!("{} <= {}", l.sql, r.sql),
            Op::Gt => format!("{} > {}", l.sql, r.sql),
            Op::Gte => format!("{} >= {}", l.sql, r.sql),
            _ => unreachable!("without_any returns a plain operator"),
        };

        if !op.is_any() {
            match (&l.multi, &r.multi) {
                (Some(lm), Some(rm)) => {
                    let mm = self.many_vs_many(lm, l.fallback, rm, r.fallback, op);
                    expr = format!("({expr} AND {mm})");
                }
                (Some(lm), None) => {
                    let mm = self.many_vs_one(lm, l.fallback, op, r, false);
                    expr = format!("({expr} AND {mm})");
                }
                (None, Some(rm)) => {
                    let mm = self.many_vs_one(rm, r.fallback, op, l, true);
                    expr = format!("({expr} AND {mm})");
                }
                (None, None) => {}
            }
        }

        for after in [&l.after, &r.after].into_iter().flatten() {
            expr = match after {
                After::EmailVisible(alias) => format!("({expr} AND {} = TRUE)", col(alias, "emailVisibility")),
                After::Not => format!("NOT ({expr})"),
            };
        }
        expr
    }

    /// LIKE-wraps the operand's own values (once: PocketBase keys parameters by name, so wrapping the
    /// same value for the main and the multi-match comparison yields one wrapped value).
    fn wrap_like(&mut self, params: &[usize]) {
        for &idx in params {
            if self.like_wrapped[idx] {
                continue;
            }
            self.like_wrapped[idx] = true;
            let p = &mut self.arena[idx];
            *p = match std::mem::replace(p, Param::Null) {
                Param::Text(s) => Param::Text(like_pattern(&s)),
                Param::Real(f) => Param::Text(like_pattern(&super::params::go_float(f))),
                Param::Integer(i) => Param::Text(like_pattern(&i.to_string())),
                Param::Null => Param::Null,
                Param::Macro { name, .. } => Param::Macro { name, like: true },
                Param::Request { source, path, conv, .. } => Param::Request { source, path, conv, like: true },
            };
        }
    }

    /// Whether an operand has an empty value (`hasEmptyParamValue`): known now, or a run-time SQL
    /// condition for request values.
    fn has_empty(&self, r: &Res) -> Emptiness {
        let mut conds = Vec::new();
        for &idx in &r.params {
            match &self.arena[idx] {
                Param::Null => return Emptiness::Known(true),
                Param::Text(s) if s.is_empty() => return Emptiness::Known(true),
                Param::Request { conv: Conv::Value | Conv::Number | Conv::String, .. } => {
                    let m = Self::marker(idx);
                    conds.push(format!("{m} IS NULL OR {m} = ''"));
                }
                _ => {}
            }
        }
        if conds.is_empty() { Emptiness::Known(false) } else { Emptiness::Runtime(format!("({})", conds.join(" OR "))) }
    }

    /// PocketBase's `resolveEqualExpr`. Where the choice depends on a request value being empty, both
    /// variants are emitted under a `CASE`.
    fn equal(&mut self, eq: bool, l: &Res, r: &Res) -> String {
        if l.fallback == Fallback::Disabled || r.fallback == Fallback::Disabled {
            return format!("{} {} {}", l.sql, if eq { "IS" } else { "IS NOT" }, r.sql);
        }
        let world = |le: bool, re: bool| equal_world(eq, l, r, le, re);
        match (self.has_empty(l), self.has_empty(r)) {
            (Emptiness::Known(a), Emptiness::Known(b)) => world(a, b),
            (Emptiness::Runtime(c), Emptiness::Known(b)) => case(&c, world(true, b), world(false, b)),
            (Emptiness::Known(a), Emptiness::Runtime(c)) => case(&c, world(a, true), world(a, false)),
            (Emptiness::Runtime(c1), Emptiness::Runtime(c2)) => case(
                &c1,
                case(&c2, world(true, true), world(true, false)),
                case(&c2, world(false, true), world(false, false)),
            ),
        }
    }

    fn many_vs_one(&mut self, mm: &MultiMatch, fallback: Fallback, op: Op, other: &Res, inverse: bool) -> String {
        let alias = format!("__sm{}", self.next_id());
        let r1 = Res { fallback, after: Some(After::Not), ..Res::column(col(&alias, "multiMatchValue")) };
        let r2 = Res { params: other.params.clone(), kw: other.kw, ..Res::column(other.sql.clone()) };
        let inner = if inverse { self.compare(&r2, op, &r1) } else { self.compare(&r1, op, &r2) };
        format!("NOT EXISTS (SELECT 1 FROM ({}) {} WHERE {inner})", mm_sql(mm), quote(&alias))
    }

    fn many_vs_many(&mut self, lm: &MultiMatch, lf: Fallback, rm: &MultiMatch, rf: Fallback, op: Op) -> String {
        let id = self.next_id();
        let (la, ra) = (format!("__ml{id}"), format!("__mr{id}"));
        let r1 = Res { fallback: lf, ..Res::column(col(&la, "multiMatchValue")) };
        let r2 = Res { fallback: rf, after: Some(After::Not), ..Res::column(col(&ra, "multiMatchValue")) };
        let inner = self.compare(&r1, op, &r2);
        format!(
            "NOT EXISTS (SELECT 1 FROM ({}) {} LEFT JOIN ({}) {} WHERE {inner})",
            mm_sql(lm),
            quote(&la),
            mm_sql(rm),
            quote(&ra)
        )
    }

    // --------------------------------------------------------------------------------------------
    // Scopes

    /// The list-rule conditions of a scope's rule joins (restricted mode): for each joined
    /// collection, `alias.id = '' || (<its list rule, resolved against the join alias>)`. Their own
    /// joins are appended to the scope.
    pub fn rule_join_conditions(&mut self, scope: &mut Scope) -> Result<Vec<String>> {
        let mut conds = Vec::new();
        let rule_joins = std::mem::take(&mut scope.rule_joins);
        for (name, alias) in rule_joins {
            let Some(collection) = self.schema.collection(&name) else {
                return Err(CompileError::invalid(format!("unknown collection {name:?}")));
            };
            let rule = match self.list_rule(collection.name) {
                ListRule::Locked => {
                    return Err(CompileError::invalid(format!(
                        "{name:?} fields can be accessed only by superusers (its list rule is null)"
                    )));
                }
                ListRule::Public => continue,
                ListRule::Filter(rule) => rule,
            };
            let suffix = format!("__r{}", self.next_id());
            let ctx = Ctx { base: collection, alias, table: quote(collection.name), allow_hidden: true, suffix };
            let mut inner = Scope::default();
            let id = Operand::Path(crate::filter::Path {
                root: crate::filter::PathRoot::Field,
                segments: vec!["id".to_string()],
                modifier: None,
                span: Default::default(),
            });
            let l = self.operand(&ctx, &mut inner, &id)?;
            let r = self.literal(Param::Text(String::new()));
            let id_empty = self.compare(&l, Op::Eq, &r);
            let rule_sql = self.expr(&ctx, &mut inner, rule)?;
            conds.push(format!("({id_empty} OR {rule_sql})"));
            scope.joins.extend(inner.joins);
        }
        Ok(conds)
    }

    /// Closes a list scope (a filter and a sort sharing one set of joins, as in PocketBase's list
    /// query). Returns the WHERE condition (if any) and one ORDER BY value per sort value.
    ///
    /// * WHERE: the filter as it is when it needed no joins and no list rule applies; otherwise
    ///   `EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN … WHERE <filter> AND <list rules>)`.
    /// * A sort value that needed no joins stays as it is. Otherwise it is the value of the *first*
    ///   joined row passing that same WHERE: the row PocketBase's `SELECT DISTINCT … ORDER BY` keeps
    ///   (SQLite scans the records in id order and drops later duplicates before sorting). "First"
    ///   is array order for every `json_each`, then the smallest value (for back-relations SQLite
    ///   reads the rows through an automatic index on the relation and the sorted column).
    pub fn close_list_scope(
        &mut self,
        mut scope: Scope,
        // Each with the number of join registrations its resolution made.
        filter: Option<(String, usize)>,
        sorts: Vec<(String, usize)>,
    ) -> Result<(Option<String>, Vec<String>)> {
        let rule_conds = self.rule_join_conditions(&mut scope)?;
        let mut conds: Vec<String> = filter.iter().map(|(c, _)| c.clone()).collect();
        conds.extend(rule_conds.iter().cloned());
        let joins = joins_sql(&scope.joins);
        let where_clause = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };

        let filter_sql = match filter {
            Some((cond, 0)) if rule_conds.is_empty() => Some(cond),
            Some(_) => Some(format!("EXISTS (SELECT 1 FROM (SELECT 1) {joins}{where_clause})")),
            None if !rule_conds.is_empty() => Some(format!("EXISTS (SELECT 1 FROM (SELECT 1) {joins}{where_clause})")),
            None => None,
        };

        let mut order = Vec::with_capacity(sorts.len());
        for (value, joins_used) in sorts {
            // A value that needed no joins is the same for every joined row.
            if joins_used == 0 {
                order.push(value);
                continue;
            }
            let mut keys: Vec<String> = scope
                .joins
                .iter()
                .filter(|j| j.table.starts_with("json_each("))
                .map(|j| col(&j.alias, "key"))
                .collect();
            keys.push(value.clone());
            order.push(format!(
                "(SELECT {value} FROM (SELECT 1) {joins}{where_clause} ORDER BY {} LIMIT 1)",
                keys.join(", ")
            ));
        }
        Ok((filter_sql, order))
    }
}

enum Emptiness {
    Known(bool),
    Runtime(String),
}

fn case(cond: &str, then: String, otherwise: String) -> String {
    if then == otherwise { then } else { format!("(CASE WHEN {cond} THEN {then} ELSE {otherwise} END)") }
}

/// One branch of `resolveEqualExpr` once it is known whether each side has an empty value.
fn equal_world(eq: bool, l: &Res, r: &Res, l_has_empty: bool, r_has_empty: bool) -> String {
    let (op, concat, null_expr) = if eq { ("=", "OR", "IS NULL") } else { ("IS NOT", "AND", "IS NOT NULL") };
    let is_empty = |x: &Res, has_empty: bool| {
        x.kw == Kw::Null || (x.fallback == Fallback::Auto && x.params.len() == 1 && has_empty)
    };
    let known_non_empty = |x: &Res, has_empty: bool| {
        x.fallback != Fallback::Enforced
            && (x.kw == Kw::Bool || (!x.params.is_empty() && !has_empty && x.kw != Kw::Null))
    };
    let (le, re) = (is_empty(l, l_has_empty), is_empty(r, r_has_empty));
    if le && re {
        return format!("'' {op} ''");
    }
    if known_non_empty(l, l_has_empty) || known_non_empty(r, r_has_empty) {
        let ls = if le { "''" } else { l.sql.as_str() };
        let rs = if re { "''" } else { r.sql.as_str() };
        return format!("{ls} {op} {rs}");
    }
    if le {
        return format!("('' {op} {} {concat} {} {null_expr})", r.sql, r.sql);
    }
    if re {
        return format!("({} {op} '' {concat} {} {null_expr})", l.sql, l.sql);
    }
    format!("COALESCE({}, '') {op} COALESCE({}, '')", l.sql, r.sql)
}

pub(super) fn joins_sql(joins: &[Join]) -> String {
    let mut out = String::new();
    for (i, j) in joins.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str("LEFT JOIN ");
        out.push_str(&j.table);
        out.push(' ');
        out.push_str(&quote(&j.alias));
        if let Some(on) = &j.on {
            out.push_str(" ON ");
            out.push_str(on);
        }
    }
    out
}

fn mm_sql(mm: &MultiMatch) -> String {
    let mut sql = format!("SELECT {} AS `multiMatchValue` FROM {} {}", mm.value, mm.from_table, quote(&mm.from_alias));
    if !mm.joins.is_empty() {
        sql.push(' ');
        sql.push_str(&joins_sql(&mm.joins));
    }
    sql.push_str(&format!(" WHERE {} = {}", col(&mm.from_alias, "id"), col(&mm.target_alias, "id")));
    sql
}
