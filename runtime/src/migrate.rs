//! Bringing a database up to the generated schema at start-up: missing tables, columns, views and indexes
//! are created as PocketBase creates them. Nothing is ever dropped except a view whose query changed.

use rusqlite::{Connection, OptionalExtension};

use crate::schema::{Table, TableKind};

/// What start-up changed, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub created: Vec<String>,
    pub altered: Vec<String>,
}

pub fn migrate(conn: &mut Connection, tables: &[Table]) -> rusqlite::Result<Report> {
    let tx = conn.transaction()?;
    let mut report = Report::default();
    // Tables first: views may select from them.
    for table in tables.iter().filter(|t| t.kind == TableKind::Table) {
        let existing: Option<String> = tx
            .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", [table.name], |r| r.get(0))
            .optional()?;
        if existing.is_none() {
            tx.execute_batch(table.create)?;
            report.created.push(table.name.to_owned());
        } else {
            let have: Vec<String> = tx
                .prepare("SELECT name FROM pragma_table_info(?1)")?
                .query_map([table.name], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for column in table.columns.iter().filter(|c| !have.iter().any(|h| h.eq_ignore_ascii_case(c.name))) {
                tx.execute_batch(&format!("ALTER TABLE `{}` ADD COLUMN `{}` {}", table.name, column.name, column.ddl))?;
                report.altered.push(format!("{}.{}", table.name, column.name));
            }
        }
        for index in table.indexes {
            // PocketBase runs index statements as written; IF NOT EXISTS keeps restarts idempotent.
            tx.execute_batch(&if_not_exists(index))?;
        }
    }
    for view in tables.iter().filter(|t| t.kind == TableKind::View) {
        let existing: Option<String> = tx
            .query_row("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?1", [view.name], |r| r.get(0))
            .optional()?;
        if existing.as_deref().map(normalize) != Some(normalize(view.create)) {
            tx.execute_batch(&format!("DROP VIEW IF EXISTS `{}`", view.name))?;
            tx.execute_batch(view.create)?;
            report.created.push(view.name.to_owned());
        }
    }
    tx.commit()?;
    Ok(report)
}

fn normalize(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `CREATE [UNIQUE] INDEX name` -> `CREATE [UNIQUE] INDEX IF NOT EXISTS name` (unless already there).
fn if_not_exists(sql: &str) -> String {
    let upper = sql.to_ascii_uppercase();
    if upper.contains("IF NOT EXISTS") {
        return sql.to_owned();
    }
    match upper.find("INDEX") {
        Some(i) => format!("{}INDEX IF NOT EXISTS{}", &sql[..i], &sql[i + "INDEX".len()..]),
        None => sql.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    const POSTS: Table = Table {
        name: "posts",
        kind: TableKind::Table,
        create: "CREATE TABLE `posts` (`id` TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, `title` TEXT DEFAULT '' NOT NULL)",
        columns: &[
            Column { name: "id", ddl: "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL" },
            Column { name: "title", ddl: "TEXT DEFAULT '' NOT NULL" },
        ],
        indexes: &["CREATE INDEX `idx_title` ON `posts` (`title`)"],
    };
    /// The same collection after a schema edit added a field.
    const POSTS_V2: Table = Table {
        columns: &[
            Column { name: "id", ddl: "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL" },
            Column { name: "title", ddl: "TEXT DEFAULT '' NOT NULL" },
            Column { name: "views", ddl: "NUMERIC DEFAULT 0 NOT NULL" },
        ],
        ..POSTS
    };
    const STATS: Table = Table {
        name: "stats",
        kind: TableKind::View,
        create: "CREATE VIEW `stats` AS SELECT * FROM (SELECT id, title FROM posts)",
        columns: &[],
        indexes: &[],
    };

    #[test]
    fn creates_then_adds_missing_columns_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        let first = migrate(&mut conn, &[POSTS, STATS]).unwrap();
        assert_eq!(first.created, vec!["posts", "stats"]);
        assert!(first.altered.is_empty());
        let second = migrate(&mut conn, &[POSTS_V2, STATS]).unwrap();
        assert_eq!(second.altered, vec!["posts.views"]);
        assert_eq!(migrate(&mut conn, &[POSTS_V2, STATS]).unwrap(), Report::default());
        let indexes: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type='index' AND name='idx_title'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(indexes, 1);
    }

    #[test]
    fn index_statements_become_idempotent() {
        assert_eq!(
            if_not_exists("CREATE UNIQUE INDEX `a` ON `t` (`x`)"),
            "CREATE UNIQUE INDEX IF NOT EXISTS `a` ON `t` (`x`)"
        );
        assert_eq!(if_not_exists("create index if not exists a on t (x)"), "create index if not exists a on t (x)");
    }
}
