//! The seeded databases both servers start from: PocketBase itself creates the tables (`.ci/pb-make-db`, as
//! the tests' fixtures do), then rows are written straight into its plain tables in one transaction.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rusqlite::{Connection, params};

/// bcrypt (cost 10) of [`PASSWORD`], as PocketBase stores passwords.
const PASSWORD_HASH: &str = "$2a$10$TOj9a3u/kFlyzZnYfm5vrunVSvYI12B6399LPPDCCLRbbCFkkdrDq";
pub const PASSWORD: &str = "adminpass123";

/// How much data the blog scenarios run on.
pub struct BlogSize {
    pub users: usize,
    pub posts: usize,
    pub comments: usize,
}

/// What the scenarios need to know about the seeded blog.
pub struct Blog {
    pub pb_data: PathBuf,
    /// Published posts (guests may view them).
    pub public_posts: Vec<String>,
    /// The first user, who signs in for the authenticated scenarios, and the posts they wrote.
    pub user_email: String,
    pub user_id: String,
    pub user_posts: Vec<String>,
}

/// `out/pb_data` with `schema` imported by the real PocketBase.
pub fn reference_db(root: &Path, pb: &str, schema: &Path, out: &Path) -> Result<PathBuf, String> {
    let output = Command::new("python3")
        .arg(root.join(".ci/pb-make-db"))
        .arg(schema)
        .arg(out)
        .args(["--pb", pb, "--force"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("python3 .ci/pb-make-db: {e}"))?;
    if !output.status.success() {
        return Err(format!("pb-make-db {} failed: {}", schema.display(), String::from_utf8_lossy(&output.stderr)));
    }
    Ok(out.join("pb_data"))
}

fn token_key(n: usize) -> String {
    format!("benchtokenkey{n:010}abcdefghijklmnopqrstuvwxyzABCD")
}

fn date(n: usize) -> String {
    // Distinct, increasing dates: one second apart from 2024-01-01.
    let (d, s) = (n / 86_400, n % 86_400);
    format!("2024-{:02}-{:02} {:02}:{:02}:{:02}.000Z", 1 + (d / 28) % 12, 1 + d % 28, s / 3600, (s / 60) % 60, s % 60)
}

fn superuser(conn: &Connection) -> rusqlite::Result<()> {
    // PocketBase starts its installer when there is no superuser; our server ignores this table.
    conn.execute(
        "INSERT INTO _superusers (id, email, emailVisibility, verified, password, tokenKey, created, updated) \
         VALUES ('sbench000000001', 'admin@example.com', 0, 1, ?1, ?2, ?3, ?3)",
        params![PASSWORD_HASH, token_key(0), date(0)],
    )?;
    Ok(())
}

/// The blog schema (schemas/blog.json) with users, tags, posts and comments.
pub fn blog(root: &Path, pb: &str, out: &Path, size: &BlogSize) -> Result<Blog, String> {
    let pb_data = reference_db(root, pb, &root.join("schemas/blog.json"), out)?;
    let mut conn = Connection::open(pb_data.join("data.db")).map_err(|e| e.to_string())?;
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let user_id = |i: usize| format!("u{i:014}");
    let tag_id = |i: usize| format!("t{i:014}");
    let post_id = |i: usize| format!("p{i:014}");
    let mut blog = Blog {
        pb_data: pb_data.clone(),
        public_posts: Vec::new(),
        user_email: "user0@example.com".into(),
        user_id: user_id(0),
        user_posts: Vec::new(),
    };
    let seed = |tx: &rusqlite::Transaction, blog: &mut Blog| -> rusqlite::Result<()> {
        superuser(tx)?;
        let roles = ["reader", "author", "editor"];
        let mut insert = tx.prepare(
            "INSERT INTO users (id, email, emailVisibility, verified, name, role, password, tokenKey, created, updated) \
             VALUES (?1, ?2, 1, 1, ?3, ?4, ?5, ?6, ?7, ?7)",
        )?;
        for i in 0..size.users {
            insert.execute(params![
                user_id(i),
                format!("user{i}@example.com"),
                format!("User {i}"),
                roles[i % 3],
                PASSWORD_HASH,
                token_key(i + 1),
                date(i)
            ])?;
        }
        let tags = 20;
        let mut insert =
            tx.prepare("INSERT INTO tags (id, name, color, created, updated) VALUES (?1, ?2, ?3, ?4, ?4)")?;
        for i in 0..tags {
            insert.execute(params![tag_id(i), format!("tag{i}"), format!("#{:06x}", i * 99_991), date(i)])?;
        }
        let statuses = ["draft", "review", "live"];
        let categories = ["tech", "life", "news", "misc"];
        let mut insert = tx.prepare(
            "INSERT INTO posts (id, title, slug, body, excerpt, published, views, rating, status, categories, author, \
             tags, meta, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
        )?;
        for i in 0..size.posts {
            let published = i % 5 != 0;
            let author = i % size.users;
            let cats = serde_json::json!([categories[i % 4], categories[(i / 4) % 4]]);
            let tags = serde_json::json!([tag_id(i % tags), tag_id((i * 7 + 3) % tags)]);
            insert.execute(params![
                post_id(i),
                format!("Post number {i}"),
                format!("post-{i}"),
                format!("<p>The body of post {i}, with <b>some</b> markup and a few sentences of text to read.</p>"),
                format!("Excerpt {i}"),
                published,
                ((i * 7919) % 1000) as i64,
                (i % 50) as f64 / 10.0,
                statuses[i % 3],
                cats.to_string(),
                user_id(author),
                tags.to_string(),
                serde_json::json!({"n": i, "even": i % 2 == 0}).to_string(),
                date(i),
            ])?;
            if published && blog.public_posts.len() < 200 {
                blog.public_posts.push(post_id(i));
            }
            if author == 0 && blog.user_posts.len() < 200 {
                blog.user_posts.push(post_id(i));
            }
        }
        let mut insert = tx.prepare(
            "INSERT INTO comments (id, post, author, text, approved, created, updated) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        )?;
        for i in 0..size.comments {
            insert.execute(params![
                format!("c{i:014}"),
                post_id((i * 31) % size.posts),
                user_id(i % size.users),
                format!("Comment {i}"),
                i % 2 == 0,
                date(i)
            ])?;
        }
        Ok(())
    };
    seed(&tx, &mut blog).map_err(|e| format!("seeding the blog: {e}"))?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok(blog)
}

const TYPES: [&str; 4] = ["a", "b", "c", "d"];

/// PocketBase's own benchmark schema with `posts10k` and `posts100k` filled (`rows` / 10 and `rows` rows).
pub fn pb_benchmarks(root: &Path, pb: &str, schema: &Path, out: &Path, rows: usize) -> Result<PathBuf, String> {
    let pb_data = reference_db(root, pb, schema, out)?;
    let mut conn = Connection::open(pb_data.join("data.db")).map_err(|e| e.to_string())?;
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let seed = |tx: &rusqlite::Transaction| -> rusqlite::Result<()> {
        superuser(tx)?;
        tx.execute(
            "INSERT INTO organizations (id, name, created, updated) VALUES ('o00000000000001', 'org', ?1, ?1)",
            [date(0)],
        )?;
        let users = 100;
        let mut insert = tx.prepare(
            "INSERT INTO users (id, email, emailVisibility, verified, username, organization, permissions, password, \
             tokenKey, created, updated) VALUES (?1, ?2, 1, 1, ?3, 'o00000000000001', '[]', ?4, ?5, ?6, ?6)",
        )?;
        for i in 0..users {
            insert.execute(params![
                format!("u{i:014}"),
                format!("user{i}@example.com"),
                format!("user{i}"),
                PASSWORD_HASH,
                token_key(i + 1),
                date(i)
            ])?;
        }
        for (table, n) in [("posts10k", rows / 10), ("posts100k", rows)] {
            let mut insert = tx.prepare(&format!(
                "INSERT INTO {table} (id, title, description, public, type, author, created, updated) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
            ))?;
            for i in 0..n {
                insert.execute(params![
                    format!("r{i:014}"),
                    format!("Title {i}"),
                    format!("<p>Description of record {i}.</p>"),
                    i % 2 == 0,
                    serde_json::json!([TYPES[i % 4]]).to_string(),
                    format!("u{:014}", i % users),
                    date(i)
                ])?;
            }
        }
        Ok(())
    };
    seed(&tx).map_err(|e| format!("seeding the benchmark schema: {e}"))?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok(pb_data)
}
