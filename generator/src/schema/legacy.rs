//! Converting the legacy (v0.22 and older) collection shape into the v0.23+ model.
//!
//! This follows PocketBase's own upgrade, `migrations/1717233556_v0.23_migrate.go`: each legacy field is
//! rebuilt as a v0.23 field object (with the same lenient casts Go's `cast` package applies), the implied
//! system fields are added, `@request.data` becomes `@request.body`, and auth/view options are renamed.
//! The rebuilt JSON then goes through the ordinary loader, so it is validated exactly like new input.

use serde_json::{Map, Value, json};

use super::{Collection, Field, Unreadable, default_field_id};
use crate::diag::{Diagnostics, SchemaPath};
use crate::schema::load::{collection_from_map, field_from_value, kind_of};

/// PocketBase's stand-in for "no limit" when a legacy relation had `maxSelect` null or 0.
const UNLIMITED_RELATIONS: i64 = 2_147_483_647;

pub fn convert(
    mut legacy: Map<String, Value>,
    path: &SchemaPath,
    diags: &mut Diagnostics,
    unreadable: &mut Unreadable,
) -> Option<Collection> {
    let kind = to_string(legacy.get("type"));
    let name = to_string(legacy.get("name"));
    let id = to_string(legacy.get("id"));
    let options = match legacy.remove("options") {
        Some(Value::Object(o)) => o,
        _ => Map::new(),
    };
    let old_fields = match legacy.remove("schema") {
        Some(Value::Array(fields)) => fields,
        Some(Value::Null) | None => Vec::new(),
        Some(other) => {
            diags.error(&path.key("schema"), format!("expected an array of fields, found {}", kind_of(&other)));
            Vec::new()
        }
    };

    let mut out = Map::new();
    for key in ["id", "name", "type", "system"] {
        if let Some(v) = legacy.remove(key) {
            out.insert(key.into(), v);
        }
    }
    for rule in ["listRule", "viewRule", "createRule", "updateRule", "deleteRule"] {
        out.insert(rule.into(), migrate_rule(legacy.get(rule)));
    }
    let mut indexes: Vec<Value> = match legacy.remove("indexes") {
        Some(Value::Array(v)) => v,
        _ => Vec::new(),
    };

    let mut fields: Vec<Value> = Vec::with_capacity(old_fields.len() + 8);
    fields.push(id_field(kind == "view"));
    if kind == "auth" {
        fields.extend(auth_fields(&options));
        let system_indexes = [
            format!("CREATE UNIQUE INDEX `_{id}_username_idx` ON `{name}` (username COLLATE NOCASE)"),
            format!("CREATE UNIQUE INDEX `_{id}_email_idx` ON `{name}` (`email`) WHERE `email` != ''"),
            format!("CREATE UNIQUE INDEX `_{id}_tokenKey_idx` ON `{name}` (`tokenKey`)"),
        ];
        indexes.splice(0..0, system_indexes.into_iter().map(Value::String));
        out.extend(auth_options(&options));
    }
    for (j, field) in old_fields.into_iter().enumerate() {
        match field {
            Value::Object(field) => fields.push(convert_field(&field)),
            other => diags
                .error(&path.item("schema", j, None), format!("expected a field object, found {}", kind_of(&other))),
        }
    }
    let (add_created, add_updated) = if kind == "view" {
        // PocketBase checks the view's real columns; without a database we look for the names in the query.
        let query = to_string(options.get("query"));
        out.insert("viewQuery".into(), Value::String(query.clone()));
        (mentions_word(&query, "created"), mentions_word(&query, "updated"))
    } else {
        (true, true)
    };
    if add_created {
        fields.push(autodate_field("created", true, false));
    }
    if add_updated {
        fields.push(autodate_field("updated", true, true));
    }
    out.insert("indexes".into(), Value::Array(indexes));

    let mut collection = collection_from_map(out, path, diags)?;
    for (j, field) in fields.into_iter().enumerate() {
        let name = field.get("name").and_then(Value::as_str).map(str::to_owned);
        match field_from_value(field, &path.item("fields", j, name.as_deref()), diags) {
            Some(field) => collection.fields.push(Field { position: Some(j), ..field }),
            None => unreadable.fields.extend(name.map(|n| (collection.name.clone(), n))),
        }
    }
    Some(collection)
}

fn migrate_rule(rule: Option<&Value>) -> Value {
    match rule {
        Some(Value::String(s)) => Value::String(s.replace("@request.data", "@request.body")),
        Some(Value::Null) | None => Value::Null,
        Some(other) => Value::String(to_string(Some(other))),
    }
}

fn convert_field(f: &Map<String, Value>) -> Value {
    let opt = |key: &str| f.get("options").and_then(|o| o.get(key));
    let kind = to_string(f.get("type"));
    let mut out = json!({
        "type": kind,
        "id": to_string(f.get("id")),
        "name": to_string(f.get("name")),
        "system": to_bool(f.get("system")),
        "required": to_bool(f.get("required")),
        "presentable": to_bool(f.get("presentable")),
        "hidden": false,
    });
    let extra = match kind.as_str() {
        "bool" => json!({}),
        "number" => json!({
            "onlyInt": to_bool(opt("noDecimal")),
            "min": opt("min").cloned().unwrap_or(Value::Null),
            "max": opt("max").cloned().unwrap_or(Value::Null),
        }),
        "text" => json!({
            "primaryKey": to_bool(f.get("primaryKey")),
            "hidden": to_bool(f.get("hidden")),
            "min": to_int(opt("min")),
            "max": to_int(opt("max")),
            "pattern": to_string(opt("pattern")),
            "autogeneratePattern": to_string(opt("autogeneratePattern")),
        }),
        "email" | "url" => json!({
            "exceptDomains": to_string_slice(opt("exceptDomains")),
            "onlyDomains": to_string_slice(opt("onlyDomains")),
        }),
        "editor" => json!({ "convertURLs": to_bool(opt("convertUrls")) }),
        "date" => json!({ "min": to_string(opt("min")), "max": to_string(opt("max")) }),
        "json" => json!({ "maxSize": to_int(opt("maxSize")) }),
        "select" => json!({
            "values": to_string_slice(opt("values")),
            "maxSelect": to_int(opt("maxSelect")),
        }),
        "relation" => {
            let max_select = match to_int(opt("maxSelect")) {
                n if n <= 0 => UNLIMITED_RELATIONS,
                n => n,
            };
            json!({
                "collectionId": to_string(opt("collectionId")),
                "cascadeDelete": to_bool(opt("cascadeDelete")),
                "minSelect": to_int(opt("minSelect")),
                "maxSelect": max_select,
            })
        }
        "file" => json!({
            "maxSelect": to_int(opt("maxSelect")),
            "maxSize": to_int(opt("maxSize")),
            "thumbs": to_string_slice(opt("thumbs")),
            "mimeTypes": to_string_slice(opt("mimeTypes")),
            "protected": to_bool(opt("protected")),
        }),
        // PocketBase passes other types through unchanged; the loader then reports them as unknown.
        _ => Value::Object(f.clone()),
    };
    if let (Value::Object(out), Value::Object(extra)) = (&mut out, extra) {
        out.extend(extra);
    }
    out
}

/// The upgrade adds a generated 15-character id; PocketBase then re-infers a view's id from its query,
/// which leaves it without length limits or generator.
fn id_field(view: bool) -> Value {
    let (len, generate) = if view { (0, "") } else { (15, "[a-z0-9]{15}") };
    json!({
        "id": default_field_id("text", "id"), "type": "text", "name": "id", "system": true, "required": true,
        "presentable": false, "hidden": false, "primaryKey": true, "min": len, "max": len,
        "pattern": "^[a-z0-9]+$", "autogeneratePattern": generate,
    })
}

fn autodate_field(name: &str, on_create: bool, on_update: bool) -> Value {
    json!({
        "id": default_field_id("autodate", name), "type": "autodate", "name": name, "system": false,
        "presentable": false, "hidden": false, "onCreate": on_create, "onUpdate": on_update,
    })
}

/// The fields a legacy auth collection had implicitly, in the order the upgrade prepends them.
fn auth_fields(options: &Map<String, Value>) -> [Value; 6] {
    [
        json!({
            "id": default_field_id("password", "password"), "type": "password", "name": "password",
            "presentable": false, "system": true, "hidden": true, "required": true, "pattern": "",
            "min": to_int(options.get("minPasswordLength")), "cost": 10,
        }),
        json!({
            "id": default_field_id("text", "tokenKey"), "type": "text", "name": "tokenKey", "system": true,
            "hidden": true, "required": true, "presentable": false, "primaryKey": false, "min": 30, "max": 60,
            "pattern": "", "autogeneratePattern": "[a-zA-Z0-9_]{50}",
        }),
        json!({
            "id": default_field_id("email", "email"), "type": "email", "name": "email", "system": true,
            "hidden": false, "presentable": false, "required": to_bool(options.get("requireEmail")),
            "exceptDomains": to_string_slice(options.get("exceptEmailDomains")),
            "onlyDomains": to_string_slice(options.get("onlyEmailDomains")),
        }),
        json!({
            "id": default_field_id("bool", "emailVisibility"), "type": "bool", "name": "emailVisibility",
            "system": true, "hidden": false, "presentable": false, "required": false,
        }),
        json!({
            "id": default_field_id("bool", "verified"), "type": "bool", "name": "verified",
            "system": true, "hidden": false, "presentable": false, "required": false,
        }),
        json!({
            "id": default_field_id("text", "username"), "type": "text", "name": "username", "system": false,
            "hidden": false, "required": true, "presentable": false, "primaryKey": false, "min": 3, "max": 150,
            "pattern": r"^[\w][\w\.\-]*$", "autogeneratePattern": "users[0-9]{6}",
        }),
    ]
}

/// The v0.23 auth keys derived from legacy options. Token durations are v0.22's defaults, which the upgrade
/// carries over from the old settings (a schema export does not include settings).
fn auth_options(options: &Map<String, Value>) -> Map<String, Value> {
    let mut identity_fields = Vec::new();
    if to_bool(options.get("allowEmailAuth")) {
        identity_fields.push("email");
    }
    if to_bool(options.get("allowUsernameAuth")) {
        identity_fields.push("username");
    }
    let manage_rule = match options.get("manageRule") {
        Some(Value::String(s)) if !s.is_empty() => migrate_rule(Some(&Value::String(s.clone()))),
        _ => Value::Null,
    };
    let auth_rule = if to_bool(options.get("onlyVerified")) { "verified=true" } else { "" };
    let value = json!({
        "authRule": auth_rule,
        "manageRule": manage_rule,
        "passwordAuth": { "enabled": !identity_fields.is_empty(), "identityFields": identity_fields },
        "oauth2": { "enabled": false },
        "mfa": { "enabled": false, "duration": 600, "rule": "" },
        "otp": { "enabled": false, "duration": 180, "length": 8 },
        "authToken": { "duration": 1_209_600 },
        "passwordResetToken": { "duration": 1800 },
        "emailChangeToken": { "duration": 1800 },
        "verificationToken": { "duration": 604_800 },
        "fileToken": { "duration": 120 },
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!("a json! object literal"),
    }
}

/// Whether `word` appears in `text` as a whole identifier (case-insensitive).
fn mentions_word(text: &str, word: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    lower.match_indices(word).any(|(i, _)| {
        let before = lower[..i].chars().next_back();
        let after = lower[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

// Lenient casts with the results of Go's spf13/cast, which the upgrade uses.

fn to_bool(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "t" | "T" | "true" | "TRUE" | "True"),
        _ => false,
    }
}

fn to_int(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)).unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        Some(Value::Bool(b)) => i64::from(*b),
        _ => 0,
    }
}

fn to_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn to_string_slice(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().map(|i| to_string(Some(i))).collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_match_ignores_substrings() {
        assert!(mentions_word("SELECT id, created FROM x", "created"));
        assert!(mentions_word("SELECT p.Created as created", "created"));
        assert!(!mentions_word("SELECT id, created_at FROM x", "created"));
        assert!(!mentions_word("SELECT recreated FROM x", "created"));
    }
}
