//! The progenitor client generated from the blog's OpenAPI document against the blog server (served
//! in-process on loopback, on a fresh data directory): sign up and sign in, then create, list, update, view
//! and delete a post with typed bodies and results, and PocketBase's error JSON through the client's error.

use std::net::SocketAddr;
use std::path::PathBuf;

use blog_client::types::{
    AuthWithPasswordUsersBody, PostsCreate, PostsCreateCategoriesItem, PostsCreateStatus, PostsRecord,
    PostsRecordCategoriesItem, PostsRecordStatus, PostsUpdate, PostsUpdateStatus, UsersCreate,
};
use blog_client::{Client, Error, types};
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

    // Sign up (users' create rule is open) and sign in.
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
    let client = signed_in(&base, &auth.token.expect("auth-with-password returns a token"));

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
