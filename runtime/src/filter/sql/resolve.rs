//! Field paths → SQL operands, following PocketBase's `RecordFieldResolver` runner
//! (`core/record_field_resolver_runner.go`): relation and back-relation joins, `:each`/`:length`/
//! `:lower`, JSON paths, `@collection.*`, and the `@request.*` values.

use super::CompileError;
use super::compiler::{
    After, Compiler, Ctx, Fallback, Join, Kw, MultiMatch, Res, Result, Scope, col, json_array_length, json_each,
    json_extract, quote,
};
use super::params::{Conv, Param, Source};
use crate::filter::{Expr, Modifier, Op, Operand, Path, PathRoot};
use crate::meta::{CollectionKind, CollectionMeta, FieldKind, FieldMeta};

/// PocketBase's `maxNestedRels`.
const MAX_NESTED_RELS: usize = 6;

/// Auth fields PocketBase reads from the auth record itself (no join).
const PLAIN_AUTH_FIELDS: [&str; 6] = ["id", "collectionId", "collectionName", "email", "emailVisibility", "verified"];

/// The state of one path resolution (PocketBase's `runner`).
struct Runner<'c, 's> {
    active: &'c CollectionMeta<'s>,
    alias: String,
    nullify_missing: bool,
    with_mm: bool,
    mm: MultiMatch,
    mm_alias: String,
    /// Set for `@request.auth.*` paths resolved through a join: NULL for guests.
    auth_guard: Option<usize>,
}

fn is_multivaluer(f: &FieldMeta<'_>) -> bool {
    matches!(f.kind, FieldKind::Select { .. } | FieldKind::File { .. } | FieldKind::Relation { .. })
}

fn relation_target<'a>(f: &FieldMeta<'a>) -> Option<&'a str> {
    match f.kind {
        FieldKind::Relation { collection, .. } => Some(collection),
        _ => None,
    }
}

/// `coll_via_field` → `(coll, field)`, as `^(\w+)_via_(\w+)$` matches (the last split that leaves
/// both sides non-empty).
fn split_via(prop: &str) -> Option<(&str, &str)> {
    // Every start position (occurrences may overlap, as in "_via_via_"), last first.
    let bytes = prop.as_bytes();
    (0..bytes.len()).rev().filter(|&i| bytes[i..].starts_with(b"_via_")).find_map(|pos| {
        let (a, b) = (&prop[..pos], &prop[pos + 5..]);
        (!a.is_empty() && !b.is_empty()).then_some((a, b))
    })
}

/// The JSON path after a JSON/geoPoint field. The modifier is glued to the last key, as PocketBase's
/// `inflector.Columnify` does by dropping the `:` (so `meta.a:lower` reads key `alower`).
fn json_path(rest: &[&str], modifier: Option<Modifier>) -> String {
    let mut out = String::new();
    for (j, p) in rest.iter().enumerate() {
        let key = match modifier {
            Some(m) if j + 1 == rest.len() => format!("{p}{}", m.as_str()),
            _ => (*p).to_string(),
        };
        if key.parse::<i64>().is_ok() {
            out.push('[');
            out.push_str(&key);
            out.push(']');
        } else {
            if j > 0 {
                out.push('.');
            }
            out.push_str(&key);
        }
    }
    out
}

impl<'c, 's, 'o> Compiler<'c, 's, 'o> {
    pub(super) fn path(&mut self, ctx: &Ctx<'c, 's>, scope: &mut Scope, path: &Path) -> Result<Res> {
        let segs: Vec<&str> = path.segments.iter().map(String::as_str).collect();
        match &path.root {
            PathRoot::Field => {
                let mut run = self.runner(ctx, false);
                self.active_props(ctx, scope, &mut run, &segs, path.modifier)
            }
            PathRoot::Collection { name, alias } => {
                self.collection_field(ctx, scope, name, alias.as_deref(), &segs, path)
            }
            PathRoot::RequestAuth => self.request_auth(ctx, scope, &segs, path.modifier),
            PathRoot::RequestBody => self.request_body(ctx, scope, &segs, path.modifier),
            PathRoot::RequestQuery => self.static_request(ctx, Source::Query, &segs, path.modifier),
            PathRoot::RequestHeaders => self.static_request(ctx, Source::Headers, &segs, path.modifier),
            PathRoot::RequestMethod => self.static_request(ctx, Source::Method, &[], None),
            PathRoot::RequestContext => self.static_request(ctx, Source::Context, &[], None),
        }
    }

    fn runner(&self, ctx: &Ctx<'c, 's>, nullify_missing: bool) -> Runner<'c, 's> {
        let mm_alias = format!("__mm_{}", ctx.alias);
        Runner {
            active: ctx.base,
            alias: ctx.alias.clone(),
            nullify_missing,
            with_mm: false,
            mm: MultiMatch {
                target_alias: ctx.alias.clone(),
                from_table: ctx.table.clone(),
                from_alias: mm_alias.clone(),
                value: String::new(),
                joins: Vec::new(),
            },
            mm_alias,
            auth_guard: None,
        }
    }

    fn nullify_or(run: &Runner<'_, '_>, message: String) -> Result<Res> {
        if run.nullify_missing { Ok(Res::null()) } else { Err(CompileError::invalid(message)) }
    }

    /// `@collection.<name>[:<alias>].<props>`: a join without ON (any row of that collection).
    fn collection_field(
        &mut self,
        ctx: &Ctx<'c, 's>,
        scope: &mut Scope,
        name: &str,
        alias: Option<&str>,
        segs: &[&str],
        path: &Path,
    ) -> Result<Res> {
        let Some(collection) = self.load_collection(ctx, name) else {
            return Err(CompileError::invalid(format!(
                "failed to load collection {name:?} from field path \"{path}\""
            )));
        };
        let mut run = self.runner(ctx, false);
        run.active = collection;
        run.alias = match alias {
            Some(a) if !a.is_empty() => format!("__collection_alias_{a}{}", ctx.suffix),
            _ => format!("__collection_{}{}", collection.name, ctx.suffix),
        };
        run.with_mm = true;
        let join = Join { table: quote(collection.name), alias: run.alias.clone(), on: None };
        self.register_join(ctx, scope, Some(collection), join)?;
        run.mm_alias = format!("__mm_{}", run.alias);
        run.mm.joins.push(Join { table: quote(collection.name), alias: run.mm_alias.clone(), on: None });
        self.active_props(ctx, scope, &mut run, segs, path.modifier)
    }

    /// The loop over the remaining dotted props (PocketBase's `processActiveProps`).
    fn active_props(
        &mut self,
        ctx: &Ctx<'c, 's>,
        scope: &mut Scope,
        run: &mut Runner<'c, 's>,
        props: &[&str],
        modifier: Option<Modifier>,
    ) -> Result<Res> {
        let n = props.len();
        for i in 0..n {
            let prop = props[i];
            let collection = run.active;
            if i + 1 == n {
                return self.finalize(ctx, scope, run, prop, modifier);
            }
            let field = collection.field(prop);
            if let Some(f) = field
                && f.hidden
                && !ctx.allow_hidden
            {
                return Err(CompileError::invalid(format!("non-filterable field {prop:?}")));
            }

            // JSON and geoPoint fields: the rest is a JSON path.
            if let Some(f) = field
                && matches!(f.kind, FieldKind::Json { .. } | FieldKind::GeoPoint)
            {
                let jpath = json_path(&props[i + 1..], modifier);
                let mut res = Res::column(json_extract(&col(&run.alias, f.name), &jpath));
                res.fallback = Fallback::Disabled;
                if run.with_mm {
                    run.mm.value = json_extract(&col(&run.mm_alias, f.name), &jpath);
                    res.multi = Some(run.mm.clone());
                }
                return Ok(self.guard_auth(run, res));
            }

            if i >= MAX_NESTED_RELS {
                return Err(CompileError::invalid(format!("max nested relations reached for field {prop:?}")));
            }

            let Some(field) = field else {
                if !self.back_relation(ctx, scope, run, prop)? {
                    return Ok(Res::null());
                }
                continue;
            };

            let Some(target) = relation_target(field) else {
                return Err(CompileError::invalid(format!("field {prop:?} is not a valid relation")));
            };
            let Some(rel_collection) = self.load_collection(ctx, target) else {
                return Err(CompileError::invalid(format!("failed to load field {prop:?} collection")));
            };
            let multiple = field.is_multi();

            // "author.id" is the same as "author" for single relations: no join.
            if !multiple && i + 2 == n && props[i + 1] == "id" && modifier.is_none() {
                return self.finalize(ctx, scope, run, field.name, None);
            }

            let field_col = col(&run.alias, field.name);
            let new_alias = format!("{}_{}{}", run.alias, field.name, ctx.suffix);
            if !multiple {
                let on = format!("{} = {field_col}", col(&new_alias, "id"));
                let join = Join { table: quote(rel_collection.name), alias: new_alias.clone(), on: Some(on) };
                self.register_join(ctx, scope, Some(rel_collection), join)?;
            } else {
                let je_alias = format!("__je_{new_alias}");
                let je = Join { table: json_each(&field_col), alias: je_alias.clone(), on: None };
                self.register_join(ctx, scope, None, je)?;
                let on = format!("{} = {}", col(&new_alias, "id"), col(&je_alias, "value"));
                let join = Join { table: quote(rel_collection.name), alias: new_alias.clone(), on: Some(on) };
                self.register_join(ctx, scope, Some(rel_collection), join)?;
            }
            run.active = rel_collection;
            run.alias = new_alias;

            if multiple {
                run.with_mm = true;
            }
            // PocketBase leaves the suffix off these multi-match aliases.
            let new_alias2 = format!("{}_{}", run.mm_alias, field.name);
            let field_col2 = col(&run.mm_alias, field.name);
            if !multiple {
                let on = format!("{} = {field_col2}", col(&new_alias2, "id"));
                run.mm.joins.push(Join { table: quote(rel_collection.name), alias: new_alias2.clone(), on: Some(on) });
            } else {
                let je_alias2 = format!("{}_{}_je", run.mm_alias, field.name);
                run.mm.joins.push(Join { table: json_each(&field_col2), alias: je_alias2.clone(), on: None });
                let on = format!("{} = {}", col(&new_alias2, "id"), col(&je_alias2, "value"));
                run.mm.joins.push(Join { table: quote(rel_collection.name), alias: new_alias2.clone(), on: Some(on) });
            }
            run.mm_alias = new_alias2;
        }
        Err(CompileError::invalid("failed to resolve an empty field path"))
    }

    /// `<collection>_via_<relationField>`. `Ok(false)`: the path resolves to NULL (request paths
    /// naming something that does not exist).
    fn back_relation(
        &mut self,
        ctx: &Ctx<'c, 's>,
        scope: &mut Scope,
        run: &mut Runner<'c, 's>,
        prop: &str,
    ) -> Result<bool> {
        let collection = run.active;
        let nullify = run.nullify_missing;
        let signal_null = |_: &mut Runner<'c, 's>, message: String| -> Result<bool> {
            if nullify { Ok(false) } else { Err(CompileError::invalid(message)) }
        };
        let Some((back_name, back_field_name)) = split_via(prop) else {
            return signal_null(run, format!("failed to resolve field {prop:?}"));
        };
        let Some(back_collection) = self.load_collection(ctx, back_name) else {
            return signal_null(run, format!("failed to load back relation field {prop:?} collection"));
        };
        let Some(back_field) = back_collection.field(back_field_name) else {
            return signal_null(run, format!("missing back relation field {back_field_name:?}"));
        };
        let Some(target) = relation_target(back_field) else {
            return signal_null(run, format!("invalid back relation field {back_field_name:?}"));
        };
        if back_field.hidden && !ctx.allow_hidden {
            return Err(CompileError::invalid(format!("non-filterable back relation field {back_field_name:?}")));
        }
        if target != collection.name && target != collection.id {
            return signal_null(
                run,
                format!("invalid collection reference of a back relation field {back_field_name:?}"),
            );
        }

        let multiple = back_field.is_multi();
        let new_alias = format!("{}_{prop}{}", run.alias, ctx.suffix);
        let back_col = col(&new_alias, back_field.name);
        let on = if !multiple {
            format!("{back_col} = {}", col(&run.alias, "id"))
        } else {
            let je = format!("__je_{new_alias}");
            format!(
                "{} IN (SELECT {} FROM {} {})",
                col(&run.alias, "id"),
                col(&je, "value"),
                json_each(&back_col),
                quote(&je)
            )
        };
        let join = Join { table: quote(back_collection.name), alias: new_alias.clone(), on: Some(on) };
        self.register_join(ctx, scope, Some(back_collection), join)?;
        run.active = back_collection;
        run.alias = new_alias;

        // PocketBase skips the multi-match for a single back relation only when the relation field
        // has a single-column UNIQUE index; the metadata has no indexes, so it always applies (with a
        // unique index the check is redundant, so the result is the same).
        run.with_mm = true;

        let new_alias2 = format!("{}_{prop}{}", run.mm_alias, ctx.suffix);
        let back_col2 = col(&new_alias2, back_field.name);
        let on2 = if !multiple {
            format!("{back_col2} = {}", col(&run.mm_alias, "id"))
        } else {
            let je2 = format!("__je_{new_alias2}");
            format!(
                "{} IN (SELECT {} FROM {} {})",
                col(&run.mm_alias, "id"),
                col(&je2, "value"),
                json_each(&back_col2),
                quote(&je2)
            )
        };
        run.mm.joins.push(Join { table: quote(back_collection.name), alias: new_alias2.clone(), on: Some(on2) });
        run.mm_alias = new_alias2;
        Ok(true)
    }

    /// The last prop (PocketBase's `finalizeActivePropsProcessing`).
    fn finalize(
        &mut self,
        ctx: &Ctx<'c, 's>,
        scope: &mut Scope,
        run: &mut Runner<'c, 's>,
        name: &str,
        modifier: Option<Modifier>,
    ) -> Result<Res> {
        let collection = run.active;
        let Some(field) = collection.field(name) else {
            return Self::nullify_or(run, format!("unknown field {name:?}"));
        };
        if field.hidden && !ctx.allow_hidden {
            return Err(CompileError::invalid(format!("non-filterable field {name:?}")));
        }
        let multivaluer = is_multivaluer(field);
        let field_col = col(&run.alias, field.name);

        if modifier == Some(Modifier::Length) && multivaluer {
            let mut res = Res::column(json_array_length(&field_col));
            if run.with_mm {
                run.mm.value = json_array_length(&col(&run.mm_alias, field.name));
                res.multi = Some(run.mm.clone());
            }
            return Ok(self.guard_auth(run, res));
        }

        if modifier == Some(Modifier::Each) && multivaluer {
            let je_alias = format!("__je_{}_{}{}", run.alias, field.name, ctx.suffix);
            let join = Join { table: json_each(&field_col), alias: je_alias.clone(), on: None };
            self.register_join(ctx, scope, None, join)?;
            let mut res = Res::column(col(&je_alias, "value"));
            if field.is_multi() {
                run.with_mm = true;
            }
            if run.with_mm {
                let je_alias2 = format!("__je_{}_{}{}", run.mm_alias, field.name, ctx.suffix);
                run.mm.joins.push(Join {
                    table: json_each(&col(&run.mm_alias, field.name)),
                    alias: je_alias2.clone(),
                    on: None,
                });
                run.mm.value = col(&je_alias2, "value");
                res.multi = Some(run.mm.clone());
            }
            return Ok(self.guard_auth(run, res));
        }

        let mut res = Res::column(field_col.clone());
        if run.with_mm {
            run.mm.value = col(&run.mm_alias, field.name);
        }
        if field.name == "email" && !ctx.allow_hidden && collection.kind == CollectionKind::Auth {
            res.after = Some(After::EmailVisible(run.alias.clone()));
        }
        if matches!(field.kind, FieldKind::Json { .. }) {
            res.fallback = Fallback::Disabled;
            res.sql = json_extract(&field_col, "");
            if run.with_mm {
                run.mm.value = json_extract(&col(&run.mm_alias, field.name), "");
            }
        }
        if modifier == Some(Modifier::Lower) {
            res.sql = format!("LOWER({})", res.sql);
            if run.with_mm {
                run.mm.value = format!("LOWER({})", run.mm.value);
            }
        }
        if run.with_mm {
            res.multi = Some(run.mm.clone());
        }
        Ok(self.guard_auth(run, res))
    }

    /// For `@request.auth.*` paths resolved through a join: `NULL` when there is no auth record (as
    /// PocketBase resolves them for guests) rather than whatever the empty join yields.
    fn guard_auth(&self, run: &mut Runner<'c, 's>, mut res: Res) -> Res {
        if let Some(idx) = run.auth_guard {
            let m = Self::marker(idx);
            res.sql = format!("(CASE WHEN {m} IS NULL THEN NULL ELSE {} END)", res.sql);
            if let Some(mm) = &mut res.multi {
                mm.value = format!("(CASE WHEN {m} IS NULL THEN NULL ELSE {} END)", mm.value);
            }
        }
        res
    }

    // --------------------------------------------------------------------------------------------
    // @request.*

    /// A value read from the request when the filter runs (PocketBase's `resolveStaticRequestField`).
    fn static_request(
        &mut self,
        ctx: &Ctx<'c, 's>,
        source: Source,
        segs: &[&str],
        modifier: Option<Modifier>,
    ) -> Result<Res> {
        let path = segs.join(".");
        match modifier {
            Some(Modifier::Isset) => {
                let (_, m) = self.param(Param::Request { source, path, conv: Conv::Isset, like: false });
                Ok(Res { kw: Kw::Bool, ..Res::column(m) })
            }
            None | Some(Modifier::Lower) => {
                // PocketBase turns numeric strings into numbers when the last path segment names a
                // number field of the collection (meant for multipart bodies, applied to every source).
                let last = segs.last().copied().unwrap_or(match source {
                    Source::Method => "method",
                    Source::Context => "context",
                    _ => "",
                });
                let number = ctx.base.field(last).is_some_and(|f| matches!(f.kind, FieldKind::Number { .. }));
                let conv = if number { Conv::Number } else { Conv::Value };
                let (idx, m) = self.param(Param::Request { source, path, conv, like: false });
                let sql = if modifier.is_some() { format!("LOWER({m})") } else { m };
                Ok(Res { params: vec![idx], ..Res::column(sql) })
            }
            Some(m) => Err(CompileError::invalid(format!(
                "invalid modifier sequence {}:{}",
                segs.last().copied().unwrap_or_default(),
                m.as_str()
            ))),
        }
    }

    fn request_body(
        &mut self,
        ctx: &Ctx<'c, 's>,
        scope: &mut Scope,
        segs: &[&str],
        modifier: Option<Modifier>,
    ) -> Result<Res> {
        let Some(field) = ctx.base.field(segs[0]) else {
            return self.static_request(ctx, Source::Body, segs, modifier);
        };
        if segs.len() > 1 {
            if let Some(target) = relation_target(field) {
                return self.request_body_relation(ctx, scope, field, target, &segs[1..], modifier);
            }
            return self.static_request(ctx, Source::Body, segs, modifier);
        }
        let name = field.name.to_string();
        match modifier {
            Some(Modifier::Each) => {
                if !is_multivaluer(field) {
                    return Err(CompileError::invalid(format!("field {name:?} doesn't support multivalue operations")));
                }
                let (idx, m) = self.param(Param::Request {
                    source: Source::Body,
                    path: name.clone(),
                    conv: Conv::JsonArray,
                    like: false,
                });
                let je_alias = format!("__dataEach_je_{name}{}", ctx.suffix);
                let join = Join { table: format!("json_each({m})"), alias: je_alias.clone(), on: None };
                self.register_join(ctx, scope, None, join)?;
                let mut res = Res { params: vec![idx], ..Res::column(col(&je_alias, "value")) };
                if field.is_multi() {
                    let mut run = self.runner(ctx, true);
                    let (_, m2) = self.param(Param::Request {
                        source: Source::Body,
                        path: name,
                        conv: Conv::JsonArray,
                        like: false,
                    });
                    let je_alias2 = format!("__mm_{je_alias}");
                    run.mm.joins.push(Join { table: format!("json_each({m2})"), alias: je_alias2.clone(), on: None });
                    run.mm.value = col(&je_alias2, "value");
                    res.multi = Some(run.mm);
                }
                Ok(res)
            }
            Some(Modifier::Length) => {
                if !is_multivaluer(field) {
                    return Err(CompileError::invalid(format!("field {name:?} doesn't support multivalue operations")));
                }
                let (_, m) =
                    self.param(Param::Request { source: Source::Body, path: name, conv: Conv::Length, like: false });
                Ok(Res::column(m))
            }
            Some(Modifier::Lower) => {
                let (idx, m) =
                    self.param(Param::Request { source: Source::Body, path: name, conv: Conv::String, like: false });
                Ok(Res { params: vec![idx], ..Res::column(format!("LOWER({m})")) })
            }
            Some(Modifier::Changed) => {
                // `@request.body.X:isset = true && @request.body.X != X`
                let body = |modifier| {
                    Operand::Path(Path {
                        root: PathRoot::RequestBody,
                        segments: vec![name.clone()],
                        modifier,
                        span: Default::default(),
                    })
                };
                let column = Operand::Path(Path {
                    root: PathRoot::Field,
                    segments: vec![name.clone()],
                    modifier: None,
                    span: Default::default(),
                });
                let alias = Expr::And(vec![
                    Expr::Compare { left: body(Some(Modifier::Isset)), op: Op::Eq, right: Operand::Bool(true) },
                    Expr::Compare { left: body(None), op: Op::Neq, right: column },
                ]);
                let sql = self.expr(ctx, scope, &alias)?;
                Ok(Res { fallback: Fallback::Disabled, ..Res::column(sql) })
            }
            None | Some(Modifier::Isset) => self.static_request(ctx, Source::Body, segs, modifier),
        }
    }

    /// `@request.body.<relation>.<props>`: joins the submitted related records.
    fn request_body_relation(
        &mut self,
        ctx: &Ctx<'c, 's>,
        scope: &mut Scope,
        field: &FieldMeta<'_>,
        target: &str,
        rest: &[&str],
        modifier: Option<Modifier>,
    ) -> Result<Res> {
        let Some(rel_collection) = self.load_collection(ctx, target) else {
            return Err(CompileError::invalid(format!(
                "failed to load collection {target:?} from data field {:?}",
                field.name
            )));
        };
        let mut run = self.runner(ctx, true);
        run.active = rel_collection;
        run.alias = format!("__data_{}_{}{}", rel_collection.name, field.name, ctx.suffix);
        let ids = |this: &mut Self| {
            this.param(Param::Request {
                source: Source::Body,
                path: field.name.to_string(),
                conv: Conv::IdList,
                like: false,
            })
            .1
        };
        let m = ids(self);
        let on = format!("{} IN (SELECT value FROM json_each({m}))", col(&run.alias, "id"));
        let join = Join { table: quote(rel_collection.name), alias: run.alias.clone(), on: Some(on) };
        self.register_join(ctx, scope, Some(rel_collection), join)?;
        if field.is_multi() {
            run.with_mm = true;
        }
        run.mm_alias = format!("__mm_{}", run.alias);
        let m2 = ids(self);
        let on2 = format!("{} IN (SELECT value FROM json_each({m2}))", col(&run.mm_alias, "id"));
        run.mm.joins.push(Join { table: quote(rel_collection.name), alias: run.mm_alias.clone(), on: Some(on2) });
        self.active_props(ctx, scope, &mut run, rest, modifier)
    }

    fn request_auth(
        &mut self,
        ctx: &Ctx<'c, 's>,
        scope: &mut Scope,
        segs: &[&str],
        modifier: Option<Modifier>,
    ) -> Result<Res> {
        if segs.len() == 1 && !matches!(modifier, Some(Modifier::Each | Modifier::Length)) {
            let name = segs[0];
            if modifier.is_none() && PLAIN_AUTH_FIELDS.contains(&name) {
                // Read from the auth record like any other static request value.
                return self.static_request(ctx, Source::Auth, segs, None);
            }
            // PocketBase joins the auth collection for other fields; the record the server loaded
            // has the same values, bound as the column would hold them.
            let (_, m) = self.param(Param::Request {
                source: Source::Auth,
                path: name.to_string(),
                conv: Conv::Column,
                like: false,
            });
            let mut res = Res::column(if modifier == Some(Modifier::Lower) { format!("LOWER({m})") } else { m });
            let json_field = self
                .opts
                .auth_collection
                .and_then(|a| self.schema.collection(a))
                .and_then(|c| c.field(name))
                .is_some_and(|f| matches!(f.kind, FieldKind::Json { .. }));
            if json_field {
                res.fallback = Fallback::Disabled;
            }
            return Ok(res);
        }

        // Relations of the auth record, `:each`, `:length`: join the auth collection's table.
        let Some(auth_name) = self.opts.auth_collection else {
            return Err(CompileError::invalid(format!(
                "@request.auth.{}{} needs the auth collection: compile with Options::auth_collection set",
                segs.join("."),
                modifier.map(|m| format!(":{}", m.as_str())).unwrap_or_default()
            )));
        };
        let Some(auth) = self.schema.collection(auth_name) else {
            return Err(CompileError::invalid(format!("unknown auth collection {auth_name:?}")));
        };
        let mut run = self.runner(ctx, true);
        run.active = auth;
        run.alias = format!("__auth_{}{}", auth.name, ctx.suffix);
        let on = |this: &mut Self, alias: &str| {
            let (id_idx, id) =
                this.param(Param::Request { source: Source::Auth, path: "id".into(), conv: Conv::Value, like: false });
            let (_, coll) = this.param(Param::Request {
                source: Source::Auth,
                path: "collectionId".into(),
                conv: Conv::Value,
                like: false,
            });
            let (_, lit) = this.param(Param::Text(auth.id.to_string()));
            (id_idx, format!("{} = {id} AND {coll} = {lit}", col(alias, "id")))
        };
        let (guard, on1) = on(self, &run.alias);
        let join = Join { table: quote(auth.name), alias: run.alias.clone(), on: Some(on1) };
        self.register_join(ctx, scope, Some(auth), join)?;
        run.mm_alias = format!("__mm_{}", run.alias);
        let (_, on2) = on(self, &run.mm_alias);
        run.mm.joins.push(Join { table: quote(auth.name), alias: run.mm_alias.clone(), on: Some(on2) });
        run.auth_guard = Some(guard);
        self.active_props(ctx, scope, &mut run, segs, modifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_split() {
        assert_eq!(split_via("posts_via_author"), Some(("posts", "author")));
        assert_eq!(split_via("a_via_b_via_c"), Some(("a_via_b", "c")));
        assert_eq!(split_via("a_via_b_via_"), Some(("a", "b_via_")));
        assert_eq!(split_via("_via_x"), None);
        assert_eq!(split_via("posts"), None);
    }

    #[test]
    fn json_paths() {
        assert_eq!(json_path(&["a", "b"], None), "a.b");
        assert_eq!(json_path(&["0", "a"], None), "[0].a");
        assert_eq!(json_path(&["a", "0"], None), "a[0]");
        assert_eq!(json_path(&["a"], Some(Modifier::Lower)), "alower");
    }
}
