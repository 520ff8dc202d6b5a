//! API rules: parsed with the runtime's filter parser and checked against the schema when `gen` runs, so
//! a typo in a rule is a generation error with its path, not a 400 at run time.

use std::collections::BTreeSet;

use pbgen_runtime::filter::{self, Modifier, Path, PathRoot};

use super::{Collection, CollectionType, FieldType, Rule};

/// Names an auth record has besides its fields, usable after `@request.auth.`.
const AUTH_VIRTUALS: &[&str] = &["collectionId", "collectionName"];
/// Body keys an auth collection accepts besides its fields.
const AUTH_BODY_EXTRAS: &[&str] = &["passwordConfirm", "oldPassword"];

/// Parses `source` (`None` = superusers only, `""` = public) and checks every path in it.
/// Errors are human-readable sentences; the caller adds the schema path.
/// `broken` holds `(collection, field)` pairs that failed to lower; paths through them are not reported again.
pub fn lower_rule(
    source: Option<&str>,
    colls: &[Collection],
    broken: &BTreeSet<(usize, String)>,
    this: usize,
) -> Result<Rule, Vec<String>> {
    let Some(source) = source else { return Ok(Rule::SuperusersOnly) };
    if source.trim().is_empty() {
        return Ok(Rule::Public);
    }
    let expr = filter::parse(source).map_err(|e| vec![format!("invalid rule: {e}")])?;
    let errors: Vec<String> = expr
        .paths()
        .filter_map(|p| {
            Walker { colls, broken }.check_path(p, this).err().map(|e| format!("{e} (at offset {})", p.span.offset))
        })
        .collect();
    if errors.is_empty() { Ok(Rule::Expr { source: source.to_owned(), expr: Box::new(expr) }) } else { Err(errors) }
}

/// Resolves paths against the schema.
struct Walker<'a> {
    colls: &'a [Collection],
    broken: &'a BTreeSet<(usize, String)>,
}

impl Walker<'_> {
    fn check_path(&self, path: &Path, this: usize) -> Result<(), String> {
        let colls = self.colls;
        let request_only = matches!(path.modifier, Some(Modifier::Isset | Modifier::Changed));
        let segs = &path.segments;
        match &path.root {
            PathRoot::Field | PathRoot::Collection { .. } if request_only => {
                Err(format!("`:{}` applies only to @request.* values", modifier_name(path)))
            }
            PathRoot::Field => self.walk(this, segs, &[]),
            PathRoot::RequestBody => {
                let extras = body_extras(&colls[this]);
                if request_only && segs.len() == 1 {
                    return self.known_field(this, &segs[0], extras);
                }
                self.walk(this, segs, extras)
            }
            PathRoot::RequestAuth => self.check_auth_path(segs),
            PathRoot::RequestQuery | PathRoot::RequestHeaders | PathRoot::RequestMethod | PathRoot::RequestContext => {
                Ok(())
            }
            PathRoot::Collection { name, .. } => {
                let target = colls
                    .iter()
                    .position(|c| &c.name == name || &c.id == name)
                    .ok_or_else(|| format!("@collection.{name}: unknown collection {name:?}"))?;
                self.walk(target, segs, &[])
            }
        }
    }

    /// `@request.auth.x...` is valid when `x` is an auth record's virtual name or a field of some auth
    /// collection through which the rest of the path resolves.
    fn check_auth_path(&self, segs: &[String]) -> Result<(), String> {
        let Some(first) = segs.first() else { return Ok(()) };
        if segs.len() == 1 && AUTH_VIRTUALS.contains(&first.as_str()) {
            return Ok(());
        }
        let mut first_error = None;
        let back_relation = first.contains("_via_");
        for (i, c) in self.colls.iter().enumerate().filter(|(_, c)| c.kind == CollectionType::Auth) {
            if back_relation || c.field(first).is_some() || self.broken.contains(&(i, first.clone())) {
                match self.walk(i, segs, &[]) {
                    Ok(()) => return Ok(()),
                    Err(e) => first_error = first_error.or(Some(e)),
                }
            }
        }
        Err(first_error.unwrap_or_else(|| format!("@request.auth.{first}: no auth collection has a field {first:?}")))
    }

    fn known_field(&self, at: usize, name: &str, extras: &[&str]) -> Result<(), String> {
        let coll = &self.colls[at];
        if extras.contains(&name) || coll.field(name).is_some() || self.broken.contains(&(at, name.to_owned())) {
            Ok(())
        } else {
            Err(unknown_field(coll, name))
        }
    }

    /// Follows `segs` from collection `at`: relations and back-relations (`coll_via_field`) hop to another
    /// collection, a json field takes any sub-path, a geoPoint takes `lon` or `lat`. A field that failed to
    /// lower ends the walk without a second error.
    fn walk(&self, mut at: usize, segs: &[String], extras: &[&str]) -> Result<(), String> {
        let colls = self.colls;
        for (i, seg) in segs.iter().enumerate() {
            let last = i + 1 == segs.len();
            if i == 0 && last && extras.contains(&seg.as_str()) {
                return Ok(());
            }
            if let Some((coll_name, field_name)) = seg.split_once("_via_") {
                at = back_relation(colls, at, coll_name, field_name)?;
                continue;
            }
            if self.broken.contains(&(at, seg.clone())) {
                return Ok(());
            }
            let coll = &colls[at];
            let field = coll.field(seg).ok_or_else(|| unknown_field(coll, seg))?;
            if last {
                return Ok(());
            }
            match &field.ty {
                FieldType::Relation(r) => at = r.target,
                FieldType::Json(_) => return Ok(()),
                FieldType::GeoPoint => {
                    let sub = &segs[i + 1];
                    return if (sub == "lon" || sub == "lat") && i + 2 == segs.len() {
                        Ok(())
                    } else {
                        Err(format!("{:?}.{sub}: a geoPoint has only `lon` and `lat`", field.name))
                    };
                }
                other => {
                    return Err(format!(
                        "{:?} in collection {:?} is a {} field, so it has no {:?}",
                        field.name,
                        coll.name,
                        other.type_name(),
                        segs[i + 1]
                    ));
                }
            }
        }
        Ok(())
    }
}

fn body_extras(c: &Collection) -> &'static [&'static str] {
    if c.kind == CollectionType::Auth { AUTH_BODY_EXTRAS } else { &[] }
}

fn back_relation(colls: &[Collection], at: usize, coll_name: &str, field_name: &str) -> Result<usize, String> {
    let source = colls
        .iter()
        .position(|c| c.name == coll_name)
        .ok_or_else(|| format!("{coll_name}_via_{field_name}: unknown collection {coll_name:?}"))?;
    let field = colls[source]
        .field(field_name)
        .ok_or_else(|| format!("{coll_name}_via_{field_name}: {}", unknown_field(&colls[source], field_name)))?;
    match &field.ty {
        FieldType::Relation(r) if r.target == at => Ok(source),
        _ => Err(format!(
            "{coll_name}_via_{field_name}: {coll_name}.{field_name} is not a relation to {:?}",
            colls[at].name
        )),
    }
}

fn unknown_field(coll: &Collection, name: &str) -> String {
    let mut message = format!("unknown field {name:?} in collection {:?}", coll.name);
    if let Some(near) = coll.fields.iter().map(|f| f.name.as_str()).min_by_key(|f| edit_distance(f, name))
        && edit_distance(near, name) <= 2
    {
        message.push_str(&format!(", did you mean {near:?}?"));
    }
    message
}

fn modifier_name(path: &Path) -> &'static str {
    match path.modifier {
        Some(Modifier::Isset) => "isset",
        Some(Modifier::Changed) => "changed",
        Some(Modifier::Length) => "length",
        Some(Modifier::Each) => "each",
        Some(Modifier::Lower) => "lower",
        None => "",
    }
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("title", "titel"), 2);
        assert_eq!(edit_distance("author", "author"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
