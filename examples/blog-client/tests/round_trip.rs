//! The progenitor client generated from the blog's OpenAPI document against the blog server (served
//! in-process on loopback, on a fresh data directory): sign up and sign in, then create, list, update, view
//! and delete a post with typed bodies and results, PocketBase's error JSON through the client's error, and
//! the realtime stream's messages read into the document's event schemas.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use blog_client::types::{
    AuthWithPasswordUsersBody, PostsCreate, PostsCreateCategoriesItem, PostsCreateStatus, PostsRecord,
    PostsRecordCategoriesItem, PostsRecordStatus, PostsUpdate, PostsUpdateStatus, UsersCreate,
};
use blog_client::{ByteStream, Client, Error, types};
use futures_util::StreamExt as _;
use pbgen_runtime::codegen::Server;

const EMAIL: &str = "writer@example.com";
const PASSWORD: &str = "correct horse battery";

/// Serves the generated blog app on a free loopback port for as long as the test's runtime lives; returns
/// its base URL.
async fn serve(dir: PathBuf) -> String {
    let store = pbgen_runtime::server::open(&blog::app::APP, &dir).expect("open the data directory");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let router = Server::new(&blog::app::APP).router(store, dir);
    // The client address is what the server's rate limits count by.
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.expect("serve") });
    format!("http://{addr}")
}

/// A client whose requests carry `token` in the `Authorization` header, as the document's security says.
fn signed_in(base: &str, token: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, token.parse().expect("a token is a header value"));
    let http = reqwest::Client::builder().default_headers(headers).build().expect("reqwest client");
    Client::new_with_client(base, http)
}

/// The error JSON inside a documented error response; panics on anything else.
fn error_json<T: std::fmt::Debug>(result: Result<T, Error<types::Error>>) -> (u16, types::Error) {
    match result {
        Err(Error::ErrorResponse(response)) => (response.status().as_u16(), response.into_inner()),
        other => panic!("expected a documented error response, got {other:?}"),
    }
}

fn post(slug: &str, views: f64, author: &str) -> types::builder::PostsCreate {
    PostsCreate::builder()
        .title(format!("Post {slug}"))
        .slug(slug)
        .author(author)
        .status(PostsCreateStatus::Draft)
        .views(views)
        .categories(vec![PostsCreateCategoriesItem::Tech, PostsCreateCategoriesItem::News])
}

/// Signs up (users' create rule is open) and signs in with auth-with-password; returns the user's id and a
/// client that sends the token.
async fn sign_up_and_in(guest: &Client, base: &str) -> (String, Client) {
    let user = guest
        .create_users()
        .body(
            UsersCreate::builder()
                .email(EMAIL)
                .password(PASSWORD)
                .password_confirm(PASSWORD)
                .name("Writer".to_string()),
        )
        .send()
        .await
        .expect("sign up")
        .into_inner();
    let user_id = user.id.expect("a created user has an id");
    assert_eq!(user.name.as_deref(), Some("Writer"));
    let auth = guest
        .auth_with_password_users()
        .body(AuthWithPasswordUsersBody::builder().identity(EMAIL).password(PASSWORD))
        .send()
        .await
        .expect("auth-with-password")
        .into_inner();
    assert_eq!(auth.record.and_then(|r| r.id).as_deref(), Some(user_id.as_str()));
    let client = signed_in(base, &auth.token.expect("auth-with-password returns a token"));
    (user_id, client)
}

fn slugs(items: &[PostsRecord]) -> Vec<&str> {
    items.iter().map(|p| p.slug.as_deref().unwrap_or_default()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_update_delete_with_the_generated_client() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = serve(dir.path().join("pb_data")).await;
    let guest = Client::new(&base);

    // The client was generated from the document this server serves.
    let served: serde_json::Value = reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("GET /api/openapi.json")
        .json()
        .await
        .expect("the served document is JSON");
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../generated/blog/openapi.json");
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&spec).expect("read the document"))
        .expect("generated/blog/openapi.json is JSON");
    assert!(served == file, "/api/openapi.json differs from generated/blog/openapi.json");

    let (user_id, client) = sign_up_and_in(&guest, &base).await;

    // Create: typed bodies in, typed records out.
    let mut created = Vec::new();
    for (slug, views) in [("client-a", 5.0), ("client-b", 50.0), ("client-c", 20.0)] {
        let record = client.create_posts().body(post(slug, views, &user_id)).send().await.expect("create a post");
        created.push(record.into_inner());
    }
    let first = &created[0];
    let id = first.id.clone().expect("a created post has an id");
    assert_eq!(first.title.as_deref(), Some("Post client-a"));
    assert_eq!(first.author.as_deref(), Some(user_id.as_str()));
    assert_eq!(first.status, Some(PostsRecordStatus::Draft));
    assert_eq!(first.categories, [PostsRecordCategoriesItem::Tech, PostsRecordCategoriesItem::News]);
    assert_eq!(first.published, Some(false));
    assert_eq!(first.views, Some(5.0));

    // A field error comes back as PocketBase's error JSON with the field under `data`.
    let (status, error) = error_json(client.create_posts().body(post("client-a", 1.0, &user_id)).send().await);
    assert_eq!((status, error.status, error.message.as_str()), (400, 400, "Failed to create record."));
    assert_eq!(error.data.keys().collect::<Vec<_>>(), ["slug"]);
    assert_eq!(error.data["slug"].code, "validation_not_unique");

    // List with a filter and a sort; the guest sees none of these unpublished drafts.
    let mine = format!("author = '{user_id}' && views >= 10");
    let page = client.list_posts().filter(&mine).sort("-views").send().await.expect("list posts").into_inner();
    assert_eq!(slugs(&page.items), ["client-b", "client-c"]);
    assert_eq!((page.page, page.per_page, page.total_items, page.total_pages), (1, 30, 2, 1));
    assert_eq!(page.items[0].views, Some(50.0));
    assert_eq!(page.items[1].status, Some(PostsRecordStatus::Draft));
    let guest_page = guest.list_posts().filter(&mine).send().await.expect("list posts as a guest").into_inner();
    assert_eq!(guest_page.total_items, 0);

    // Update, then view: the guest can now see it too.
    let updated = client
        .update_posts()
        .id(&id)
        .body(
            PostsUpdate::builder()
                .title("Published from Rust".to_string())
                .published(true)
                .status(PostsUpdateStatus::Live),
        )
        .send()
        .await
        .expect("update the post")
        .into_inner();
    assert_eq!(updated.title.as_deref(), Some("Published from Rust"));
    assert_eq!(updated.status, Some(PostsRecordStatus::Live));
    assert_eq!(updated.slug.as_deref(), Some("client-a"), "fields not sent keep their values");
    let viewed = guest.view_posts().id(&id).send().await.expect("view the post as a guest").into_inner();
    assert_eq!(viewed.title.as_deref(), Some("Published from Rust"));
    assert_eq!(viewed.published, Some(true));
    assert_eq!(viewed.created, first.created);

    // The guest may not delete it (delete rule: the author); the author may.
    let (status, error) = error_json(guest.delete_posts().id(&id).send().await);
    assert_eq!((status, error.status), (404, 404));
    let deleted = client.delete_posts().id(&id).send().await.expect("delete the post");
    assert_eq!(deleted.status().as_u16(), 204);

    // Gone: a 404 in PocketBase's error JSON.
    let (status, error) = error_json(client.view_posts().id(&id).send().await);
    assert_eq!(status, 404);
    assert_eq!(error.status, 404);
    assert_eq!(error.message, "The requested resource wasn't found.");
    assert!(error.data.is_empty());
    let left = client.list_posts().filter(format!("author = '{user_id}'")).send().await.expect("list").into_inner();
    assert_eq!(slugs(&left.items), ["client-b", "client-c"]);
}

/// Messages of the realtime stream (a `ByteStream` in the generated client): each SSE message's `id`, `event`
/// and JSON `data` lines, read into the document's event schemas.
struct Events {
    stream: ByteStream,
    buffer: Vec<u8>,
}

impl Events {
    async fn next<T: serde::de::DeserializeOwned>(&mut self) -> T {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let frame: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let frame = String::from_utf8(frame).expect("SSE is UTF-8");
                let mut message = serde_json::Map::new();
                for line in frame.lines() {
                    let (name, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    let value = match name {
                        "data" => serde_json::from_str(value).expect("an event's data is JSON"),
                        _ => serde_json::Value::from(value),
                    };
                    message.insert(name.to_string(), value);
                }
                let message = serde_json::Value::Object(message);
                return serde_json::from_value(message.clone())
                    .unwrap_or_else(|e| panic!("{message} does not match the documented event: {e}"));
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("a realtime message within 10 s")
                .expect("the realtime stream stays open")
                .expect("read the realtime stream");
            self.buffer.extend_from_slice(&chunk);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realtime_events_with_the_generated_client() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = serve(dir.path().join("pb_data")).await;
    let (user_id, client) = sign_up_and_in(&Client::new(&base), &base).await;

    // Connect, subscribe with the client id from PB_CONNECT.
    let stream = client.realtime_connect().send().await.expect("open the realtime stream").into_inner();
    let mut events = Events { stream, buffer: Vec::new() };
    let connect: types::RealtimeConnect = events.next().await;
    assert_eq!(connect.event, types::RealtimeConnectEvent::PbConnect);
    assert_eq!(connect.id, connect.data.client_id);
    let subscribe = types::RealtimeSubscribeBody::builder()
        .client_id(connect.data.client_id.clone())
        .subscriptions(vec!["posts/*".to_string()]);
    let answer = client.realtime_subscribe().body(subscribe).send().await.expect("subscribe to posts/*");
    assert_eq!(answer.status().as_u16(), 204);

    // A create, an update and a delete through the client arrive as typed `{action, record}` messages (the
    // draft is the author's: the list rule shows it to them).
    let created = client.create_posts().body(post("live-a", 1.0, &user_id)).send().await.expect("create").into_inner();
    let id = created.id.clone().expect("a created post has an id");
    let event: types::PostsEvent = events.next().await;
    assert_eq!((event.event.as_str(), event.id.as_str()), ("posts/*", connect.id.as_str()));
    assert_eq!(event.data.action, types::PostsEventDataAction::Create);
    assert_eq!(event.data.record.id.as_deref(), Some(id.as_str()));
    assert_eq!(event.data.record.title, created.title);

    let update = PostsUpdate::builder().views(7.0);
    client.update_posts().id(&id).body(update).send().await.expect("update");
    let event: types::PostsEvent = events.next().await;
    assert_eq!(event.data.action, types::PostsEventDataAction::Update);
    assert_eq!(event.data.record.views, Some(7.0));

    client.delete_posts().id(&id).send().await.expect("delete");
    let event: types::PostsEvent = events.next().await;
    assert_eq!(event.data.action, types::PostsEventDataAction::Delete);
    assert_eq!(event.data.record.id.as_deref(), Some(id.as_str()));
}
