//! Tokens end to end on a real store: issued by us, read back by [`authenticate`], and every token
//! PocketBase treats as a guest.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::*;
use crate::access::CollectionRules;
use crate::hooks::NoHooks;
use crate::meta::{FieldMeta, SchemaMeta};
use crate::schema::{Table, TableKind};
use crate::server::App;
use crate::store::Store;

const fn field(name: &'static str, hidden: bool, kind: FieldKind<'static>) -> FieldMeta<'static> {
    FieldMeta { name, system: true, hidden, presentable: false, required: false, kind }
}

const ID: FieldMeta<'static> = field(
    "id",
    false,
    FieldKind::Text {
        min: 15,
        max: 15,
        pattern: "^[a-z0-9]+$",
        autogenerate_pattern: "[a-z0-9]{15}",
        primary_key: true,
    },
);

static AUTH_FIELDS: [FieldMeta<'static>; 8] = [
    ID,
    field("password", true, FieldKind::Password { min: 8, max: 0, pattern: "", cost: 4 }),
    field(
        "tokenKey",
        true,
        FieldKind::Text { min: 30, max: 60, pattern: "", autogenerate_pattern: "[a-zA-Z0-9]{50}", primary_key: false },
    ),
    field("email", false, FieldKind::Email { except_domains: &[], only_domains: &[] }),
    field("emailVisibility", false, FieldKind::Bool),
    field("verified", false, FieldKind::Bool),
    field(
        "secretNote",
        true,
        FieldKind::Text { min: 0, max: 0, pattern: "", autogenerate_pattern: "", primary_key: false },
    ),
    field("created", false, FieldKind::Autodate { on_create: true, on_update: false }),
];
static BASE_FIELDS: [FieldMeta<'static>; 1] = [ID];

static COLLECTIONS: [CollectionMeta<'static>; 4] = [
    CollectionMeta {
        id: "_pb_users_auth_",
        name: "users",
        kind: CollectionKind::Auth,
        system: false,
        fields: &AUTH_FIELDS,
    },
    CollectionMeta {
        id: "pbc_members",
        name: "members",
        kind: CollectionKind::Auth,
        system: false,
        fields: &AUTH_FIELDS,
    },
    CollectionMeta {
        id: "pbc_3142635823",
        name: "_superusers",
        kind: CollectionKind::Auth,
        system: true,
        fields: &AUTH_FIELDS,
    },
    CollectionMeta { id: "pbc_posts", name: "posts", kind: CollectionKind::Base, system: false, fields: &BASE_FIELDS },
];
static SCHEMA: SchemaMeta<'static> = SchemaMeta { collections: &COLLECTIONS };

const RULES: CollectionRules = CollectionRules {
    list: Rule::Public,
    view: Rule::Public,
    create: Rule::Public,
    update: Rule::Public,
    delete: Rule::Public,
};
static APIS: [CollectionApi; 4] = [
    CollectionApi { meta: &COLLECTIONS[0], rules: RULES, auth: Some(DEFAULT_SETTINGS) },
    CollectionApi {
        meta: &COLLECTIONS[1],
        rules: RULES,
        auth: Some(AuthSettings { auth_token_duration: 60, file_token_duration: 30, ..DEFAULT_SETTINGS }),
    },
    CollectionApi { meta: &COLLECTIONS[2], rules: RULES, auth: None },
    CollectionApi { meta: &COLLECTIONS[3], rules: RULES, auth: None },
];

/// The CREATE TABLE of an auth table named `$name`.
macro_rules! auth_table {
    ($name:literal) => {
        concat!(
            "CREATE TABLE `",
            $name,
            "` (`created` TEXT DEFAULT '' NOT NULL, `email` TEXT DEFAULT '' NOT NULL, ",
            "`emailVisibility` BOOLEAN DEFAULT FALSE NOT NULL, `id` TEXT PRIMARY KEY NOT NULL, ",
            "`password` TEXT DEFAULT '' NOT NULL, `secretNote` TEXT DEFAULT '' NOT NULL, ",
            "`tokenKey` TEXT DEFAULT '' NOT NULL, `verified` BOOLEAN DEFAULT FALSE NOT NULL)"
        )
    };
}

static TABLES: [Table; 3] = [
    Table {
        name: "users",
        kind: TableKind::Table,
        create: auth_table!("users"),
        columns: &[],
        indexes: &["CREATE UNIQUE INDEX `idx_email__pb_users_auth_` ON `users` (`email`) WHERE `email` != ''"],
    },
    Table { name: "members", kind: TableKind::Table, create: auth_table!("members"), columns: &[], indexes: &[] },
    Table {
        name: "_superusers",
        kind: TableKind::Table,
        create: auth_table!("_superusers"),
        columns: &[],
        indexes: &["CREATE UNIQUE INDEX `idx_email_pbc_3142635823` ON `_superusers` (`email`) WHERE `email` != ''"],
    },
];

static APP: App = App::new(&SCHEMA, &TABLES, &APIS);

struct Fixture {
    state: AppState,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 2).unwrap();
    store.with_writer(|conn| {
        for t in &TABLES {
            conn.execute_batch(t.create).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO users (id, email, tokenKey, password, secretNote) VALUES
               ('alice0000000001', 'alice@example.com', 'aliceTokenKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '', 'hers');
             INSERT INTO members (id, email, tokenKey) VALUES
               ('alice0000000001', 'alice@example.com', 'memberTokenKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB');
             INSERT INTO _superusers (id, email, tokenKey) VALUES
               ('root00000000001', 'root@example.com', 'rootTokenKeyCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC');",
        )
        .unwrap();
    });
    let state = AppState::new(crate::api::Shared {
        app: &APP,
        store,
        data_dir: Arc::new(dir.path().to_path_buf()),
        hooks: Arc::new(NoHooks),
        events: Default::default(),
        mail: Default::default(),
    });
    Fixture { state, _dir: dir }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn headers(value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
    h
}

async fn record(state: &AppState, collection: &str, id: &str) -> Auth {
    let api = state.app.collection(collection).unwrap();
    let id = id.to_owned();
    let record = state.store.read(move |conn| Ok(load_stored(conn, api.meta, &id)?)).await.unwrap().unwrap();
    Auth { collection: api.meta, record }
}

async fn who(state: &AppState, authorization: &str) -> Option<(String, String)> {
    authenticate(state, &headers(authorization)).await.map(|a| (a.collection.name.to_owned(), a.id().to_owned()))
}

/// The HMAC key of a record's tokens of `kind`.
async fn key(state: &AppState, auth: &Auth, kind: TokenKind) -> String {
    let api = state.app.collection(auth.collection.id).unwrap();
    let secrets = ensure_secrets(state, api).await.unwrap();
    format!("{}{}", auth.token_key(), secrets.get(kind))
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn claims_of(token: &str) -> Value {
    Value::Object(jwt::parse_unverified(token, SystemTime::now()).unwrap().claims)
}

#[test]
fn round_trip() {
    let f = fixture();
    rt().block_on(async {
        let alice = record(&f.state, "users", "alice0000000001").await;
        let token = new_auth_token(&f.state, &alice).await.unwrap();
        let claims = claims_of(&token);
        let exp = claims["exp"].as_u64().unwrap();
        assert!((now_secs() + 432000).abs_diff(exp) <= 2, "default lifetime");
        assert_eq!(
            claims,
            json!({"collectionId": "_pb_users_auth_", "exp": exp, "id": "alice0000000001", "refreshable": true, "type": "auth"})
        );
        assert_eq!(who(&f.state, &token).await, Some(("users".into(), "alice0000000001".into())));
        // what rules and responses get
        let auth = authenticate(&f.state, &headers(&token)).await.unwrap();
        assert_eq!(auth.record["secretNote"], "hers", "the stored record, hidden fields included");
        let seen = auth.request_value();
        assert!(seen.get("tokenKey").is_none() && seen.get("password").is_none());
        assert_eq!(seen.get("collectionName"), Some(&sql::Value::String("users".into())));
        assert_eq!(seen.get("email"), Some(&sql::Value::String("alice@example.com".into())));
        assert!(!auth.is_superuser());
        assert_eq!(auth.viewer().auth, Some(("users".into(), "alice0000000001".into())));
        assert!(!format!("{auth:?}").contains("TokenKey"), "no secrets in Debug");

        // the schema's lifetime
        let member = record(&f.state, "members", "alice0000000001").await;
        let token = new_auth_token(&f.state, &member).await.unwrap();
        assert!((now_secs() + 60).abs_diff(claims_of(&token)["exp"].as_u64().unwrap()) <= 2);
        assert_eq!(who(&f.state, &token).await, Some(("members".into(), "alice0000000001".into())));

        // _superusers without settings: PocketBase's 1 day
        let root = record(&f.state, SUPERUSERS, "root00000000001").await;
        let token = new_auth_token(&f.state, &root).await.unwrap();
        assert!((now_secs() + 86400).abs_diff(claims_of(&token)["exp"].as_u64().unwrap()) <= 2);
        assert!(authenticate(&f.state, &headers(&token)).await.unwrap().is_superuser());

        // static (impersonation) tokens
        let token = new_static_auth_token(&f.state, &alice, Some(Duration::from_secs(5))).await.unwrap();
        assert_eq!(claims_of(&token)["refreshable"], false);
        assert!((now_secs() + 5).abs_diff(claims_of(&token)["exp"].as_u64().unwrap()) <= 2);
        assert!(who(&f.state, &token).await.is_some());
    });
}

#[test]
fn authorization_header_forms() {
    let f = fixture();
    rt().block_on(async {
        let alice = record(&f.state, "users", "alice0000000001").await;
        let token = new_auth_token(&f.state, &alice).await.unwrap();
        for ok in [token.clone(), format!("Bearer {token}"), format!("bearer {token}"), format!("BEARER {token}")] {
            assert!(who(&f.state, &ok).await.is_some(), "{ok}");
        }
        for bad in [format!("Bearer  {token}"), format!("Token {token}"), format!("Bearer{token}"), "Bearer ".into()] {
            assert!(who(&f.state, &bad).await.is_none(), "{bad}");
        }
        assert!(authenticate(&f.state, &HeaderMap::new()).await.is_none());
    });
}

#[test]
fn invalid_tokens_are_guests() {
    let f = fixture();
    rt().block_on(async {
        let alice = record(&f.state, "users", "alice0000000001").await;
        let good = new_auth_token(&f.state, &alice).await.unwrap();
        let key = key(&f.state, &alice, TokenKind::Auth).await;
        let exp = now_secs() + 3600;
        let claims = |extra: &str| {
            format!(
                r#"{{"collectionId":"_pb_users_auth_","exp":{exp},"id":"alice0000000001","refreshable":true,"type":"auth"{extra}}}"#
            )
        };
        // sanity: a hand-made token with the right key is accepted
        assert!(who(&f.state, &jwt::encode(jwt::HEADER, &claims(""), key.as_bytes())).await.is_some());

        let (head, rest) = good.split_once('.').unwrap();
        let (payload, signature) = rest.split_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        let cases: Vec<(&str, String)> = vec![
            ("garbage", "garbage".into()),
            ("empty segments", "..".into()),
            ("bad signature", format!("{head}.{payload}.{flipped}{}", &signature[1..])),
            ("signed with another key", jwt::encode(jwt::HEADER, &claims(""), b"not the key")),
            ("signed without the secret", jwt::encode(jwt::HEADER, &claims(""), alice.token_key().as_bytes())),
            ("alg none", format!("{}.{payload}.", b64(r#"{"alg":"none","typ":"JWT"}"#))),
            ("alg none signed", jwt::encode(r#"{"alg":"none","typ":"JWT"}"#, &claims(""), key.as_bytes())),
            ("alg HS512", jwt::encode(r#"{"alg":"HS512","typ":"JWT"}"#, &claims(""), key.as_bytes())),
            ("expired", jwt::encode(jwt::HEADER, &claims("").replace(&exp.to_string(), &(now_secs() - 1).to_string()), key.as_bytes())),
            ("not before", jwt::encode(jwt::HEADER, &claims(&format!(r#","nbf":{exp}"#)), key.as_bytes())),
            ("issued later", jwt::encode(jwt::HEADER, &claims(&format!(r#","iat":{exp}"#)), key.as_bytes())),
            ("exp a string", jwt::encode(jwt::HEADER, &claims("").replace(&exp.to_string(), &format!("\"{exp}\"")), key.as_bytes())),
            ("file token", jwt::encode(jwt::HEADER, &claims("").replace("\"auth\"", "\"file\""), key.as_bytes())),
            ("unknown type", jwt::encode(jwt::HEADER, &claims("").replace("\"auth\"", "\"admin\""), key.as_bytes())),
            ("no id", jwt::encode(jwt::HEADER, &claims("").replace("\"id\"", "\"uid\""), key.as_bytes())),
            ("id not a string", jwt::encode(jwt::HEADER, &claims("").replace("\"alice0000000001\"", "1"), key.as_bytes())),
            ("unknown record", jwt::encode(jwt::HEADER, &claims("").replace("alice0000000001", "nobody000000001"), key.as_bytes())),
            ("unknown collection", jwt::encode(jwt::HEADER, &claims("").replace("_pb_users_auth_", "nope"), key.as_bytes())),
            ("a base collection", jwt::encode(jwt::HEADER, &claims("").replace("_pb_users_auth_", "pbc_posts"), key.as_bytes())),
            // the same record id in another auth collection, with this collection's key
            ("another auth collection", jwt::encode(jwt::HEADER, &claims("").replace("_pb_users_auth_", "pbc_members"), key.as_bytes())),
            ("trailing data", jwt::encode(jwt::HEADER, &format!("{} x", claims("")), key.as_bytes())),
        ];
        for (name, token) in &cases {
            assert!(who(&f.state, token).await.is_none(), "{name}: {token}");
        }
        // the collection may be named instead of its id (PocketBase looks it up by name or id)
        let by_name = jwt::encode(jwt::HEADER, &claims("").replace("_pb_users_auth_", "users"), key.as_bytes());
        assert!(who(&f.state, &by_name).await.is_some());
        // no exp at all: golang-jwt does not require one
        let no_exp = jwt::encode(jwt::HEADER, &claims("").replace(&format!(r#""exp":{exp},"#), ""), key.as_bytes());
        assert!(who(&f.state, &no_exp).await.is_some());
        // a member token is no users token
        let member = record(&f.state, "members", "alice0000000001").await;
        let member_token = new_auth_token(&f.state, &member).await.unwrap();
        assert_eq!(who(&f.state, &member_token).await, Some(("members".into(), "alice0000000001".into())));
        let relabeled = member_token.replace(
            member_token.split('.').nth(1).unwrap(),
            &b64(&String::from_utf8(jwt_payload(&member_token)).unwrap().replace("pbc_members", "_pb_users_auth_")),
        );
        assert!(who(&f.state, &relabeled).await.is_none());
    });
}

#[test]
fn rotated_token_key_and_deleted_record() {
    let f = fixture();
    rt().block_on(async {
        let alice = record(&f.state, "users", "alice0000000001").await;
        let token = new_auth_token(&f.state, &alice).await.unwrap();
        assert!(who(&f.state, &token).await.is_some());
        f.state
            .store
            .write(|tx| {
                tx.execute("UPDATE users SET tokenKey = 'rotatedKeyDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD' WHERE id = 'alice0000000001'", [])?;
                Ok(())
            })
            .await
            .unwrap();
        assert!(who(&f.state, &token).await.is_none(), "a new tokenKey revokes old tokens");
        let alice = record(&f.state, "users", "alice0000000001").await;
        let token = new_auth_token(&f.state, &alice).await.unwrap();
        assert!(who(&f.state, &token).await.is_some());
        f.state.store.write(|tx| Ok(tx.execute("DELETE FROM users", []).map(|_| ())?)).await.unwrap();
        assert!(who(&f.state, &token).await.is_none());
    });
}

#[test]
fn file_tokens() {
    let f = fixture();
    rt().block_on(async {
        let member = record(&f.state, "members", "alice0000000001").await;
        let token = new_file_token(&f.state, &member).await.unwrap();
        let claims = claims_of(&token);
        let exp = claims["exp"].as_u64().unwrap();
        assert!((now_secs() + 30).abs_diff(exp) <= 2);
        assert_eq!(claims, json!({"collectionId": "pbc_members", "exp": exp, "id": "alice0000000001", "type": "file"}));
        assert!(who(&f.state, &token).await.is_none(), "a file token is no auth token");
        let found = find_auth_record_by_token(&f.state, &token, TokenKind::File).await.unwrap();
        assert_eq!(found.id(), "alice0000000001");
        // signed with the file secret, not the auth one
        let auth_key = key(&f.state, &member, TokenKind::Auth).await;
        let wrong = jwt::encode(jwt::HEADER, &String::from_utf8(jwt_payload(&token)).unwrap(), auth_key.as_bytes());
        assert!(find_auth_record_by_token(&f.state, &wrong, TokenKind::File).await.is_none());
        // other kinds carry their extra claims
        let mut extra = Map::new();
        extra.insert("email".into(), "alice@example.com".into());
        let token = new_token(&f.state, &member, TokenKind::Verification, extra, None).await.unwrap();
        assert_eq!(claims_of(&token)["email"], "alice@example.com");
        assert!(find_auth_record_by_token(&f.state, &token, TokenKind::Verification).await.is_some());
        assert!(find_auth_record_by_token(&f.state, &token, TokenKind::PasswordReset).await.is_none());
    });
}

#[test]
fn secrets_are_made_once_per_collection() {
    let f = fixture();
    rt().block_on(async {
        let alice = record(&f.state, "users", "alice0000000001").await;
        let member = record(&f.state, "members", "alice0000000001").await;
        let k1 = key(&f.state, &alice, TokenKind::Auth).await;
        let k2 = key(&f.state, &member, TokenKind::Auth).await;
        assert_ne!(k1[alice.token_key().len()..], k2[member.token_key().len()..]);
        assert_eq!(key(&f.state, &alice, TokenKind::Auth).await, k1);
        let rows: i64 = f
            .state
            .store
            .read(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM _pbgen_secrets", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(rows, 10);
    });
}

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn jwt_payload(token: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap()
}
