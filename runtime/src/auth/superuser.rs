//! `superuser upsert EMAIL PASSWORD` (PocketBase's `cmd/superuser.go`).

use rusqlite::Connection;
use serde_json::Value;

use super::SUPERUSERS;
use crate::meta::{CollectionKind, FieldKind};
use crate::server::App;

/// PocketBase's address of the superuser its installer creates (removed when a real one is created).
const INSTALLER_EMAIL: &str = "__pbinstaller@example.com";

/// Creates the `_superusers` record with this email, or sets the password of the existing one, as
/// PocketBase's `superuser upsert` does: the email must be valid, the password pass the collection's
/// password field (at least 8 characters by default), it is stored as a bcrypt hash (`$2a$`, the field's
/// cost, 10 by default), the record is `verified`, and a new `tokenKey` revokes the old tokens. The errors
/// are PocketBase's messages; on success PocketBase prints `Successfully saved superuser "EMAIL"!`.
/// `conn` is the writer (e.g. `store.with_writer(|c| upsert_superuser(app, c, email, password))`), on a
/// database whose tables are up to date.
pub fn upsert_superuser(app: &App, conn: &Connection, email: &str, password: &str) -> Result<(), String> {
    if email.is_empty() || !crate::validate::is_email(email) {
        return Err("missing or invalid email address".to_owned());
    }
    let api = app
        .collection(SUPERUSERS)
        .filter(|c| c.meta.kind == CollectionKind::Auth)
        .ok_or_else(|| format!("failed to fetch {SUPERUSERS:?} collection: no such collection"))?;
    let meta = api.meta;
    let failed = |e: &dyn std::fmt::Display| format!("failed to upsert superuser account: {e}");
    let password_field = meta.field("password").ok_or_else(|| failed(&"no password field"))?;
    if let Err(e) = crate::validate::check_field(password_field, &Value::String(password.to_owned())) {
        // ozzo-validation's own text for a blank value is lower case (the API shows it capitalized)
        let message = if e.code == "validation_required" { "cannot be blank.".to_owned() } else { e.message };
        return Err(failed(&format!("password: {message}")));
    }
    let cost = match password_field.kind {
        FieldKind::Password { cost, .. } if cost > 0 => cost as u32,
        // Go's bcrypt.DefaultCost (the Rust crate's DEFAULT_COST is 12)
        _ => 10,
    };
    let hash =
        bcrypt::hash_with_result(password, cost).map_err(|e| failed(&e))?.format_for_version(bcrypt::Version::TwoA);
    let now = super::refs::now();
    let token_key = super::secrets::random_alphanumeric(50);

    let tx = conn.unchecked_transaction().map_err(|e| failed(&e))?;
    let existing = super::handlers::find_by_field(&tx, app, meta, "email", email)
        .map_err(|e| failed(&e))?
        .ok()
        .flatten()
        .and_then(|r| r.get("id").and_then(Value::as_str).map(str::to_owned));
    let mut columns: Vec<String> = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    let mut set = |name: &str, value: rusqlite::types::Value| {
        columns.push(format!("`{name}`"));
        values.push(value);
    };
    use rusqlite::types::Value as Sql;
    set("email", Sql::Text(email.to_owned()));
    set("password", Sql::Text(hash));
    set("tokenKey", Sql::Text(token_key));
    set("verified", Sql::Integer(1));
    match &existing {
        Some(id) => {
            for f in meta.fields {
                if let FieldKind::Autodate { on_update: true, .. } = f.kind {
                    set(f.name, Sql::Text(now.clone()));
                }
            }
            let assignments: Vec<String> = columns.iter().map(|c| format!("{c} = ?")).collect();
            values.push(Sql::Text(id.clone()));
            let sql = format!("UPDATE `{}` SET {} WHERE `id` = ?", meta.name, assignments.join(", "));
            tx.execute(&sql, rusqlite::params_from_iter(values)).map_err(|e| failed(&e))?;
        }
        None => {
            set("id", Sql::Text(super::refs::new_id()));
            for f in meta.fields {
                if ["id", "email", "password", "tokenKey", "verified"].contains(&f.name) {
                    continue;
                }
                let value = match f.kind {
                    FieldKind::Autodate { on_create: true, .. } => Sql::Text(now.clone()),
                    FieldKind::Number { .. } | FieldKind::Bool => Sql::Integer(0),
                    FieldKind::Json { .. } => Sql::Null,
                    FieldKind::GeoPoint => Sql::Text(r#"{"lon":0,"lat":0}"#.to_owned()),
                    _ if f.is_multi() => Sql::Text("[]".to_owned()),
                    _ => Sql::Text(String::new()),
                };
                set(f.name, value);
            }
            let sql = format!(
                "INSERT INTO `{}` ({}) VALUES ({})",
                meta.name,
                columns.join(", "),
                vec!["?"; columns.len()].join(", ")
            );
            tx.execute(&sql, rusqlite::params_from_iter(values)).map_err(|e| failed(&e))?;
            if email != INSTALLER_EMAIL {
                tx.execute(&format!("DELETE FROM `{}` WHERE `email` = ?1", meta.name), [INSTALLER_EMAIL])
                    .map_err(|e| failed(&e))?;
            }
        }
    }
    tx.commit().map_err(|e| failed(&e))
}
