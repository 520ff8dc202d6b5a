// End-to-end tests of the blog server with the official PocketBase JS SDK, as a guest.
//
// Run by `cargo test -p blog-app --test e2e_sdk`, which seeds the database (see tests/support/mod.rs) and sets
// PB_URL; it runs these against the real PocketBase first (so the expectations are PocketBase's) and then
// against our server. By hand: `PB_URL=http://127.0.0.1:8090 node --test examples/blog-app/e2e/`.

import { test } from "node:test";
import assert from "node:assert/strict";
import PocketBase, { ClientResponseError } from "pocketbase";

const url = process.env.PB_URL;
if (!url) {
  throw new Error("PB_URL is not set; run `cargo test -p blog-app --test e2e_sdk`");
}
const pb = new PocketBase(url);
pb.autoCancellation(false);

const posts = () => pb.collection("posts");

// The seeded ids (tests/support/mod.rs).
const P_HELLO = "phello000000001";
const P_UNPUB = "punpub000000007";
const T_RUST = "trust0000000001";
const ids = (items) => items.map((r) => r.id);

/** Awaits `promise`, which must fail with a ClientResponseError of `status`; returns the error. */
async function failsWith(status, promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ClientResponseError, `expected a ClientResponseError, got ${e}`);
    assert.equal(e.status, status, `status of ${e.url}: ${JSON.stringify(e.response)}`);
    return e;
  }
  assert.fail(`expected a ${status} error`);
}

test("getList with filter and sort", async () => {
  const list = await posts().getList(1, 20, { filter: "views > 10", sort: "-views" });
  assert.equal(list.page, 1);
  assert.equal(list.perPage, 20);
  assert.equal(list.totalItems, 5);
  assert.equal(list.totalPages, 1);
  assert.deepEqual(ids(list.items), [
    "pnews0000000006",
    P_HELLO,
    "punico000000010",
    "prust0000000002",
    "plife0000000005",
  ]);
  const hello = list.items[1];
  assert.equal(hello.collectionName, "posts");
  assert.equal(hello.collectionId, "pbc_1125843985");
  assert.equal(hello.title, "Hello World");
  assert.deepEqual(hello.categories, ["tech", "news"]);
  assert.deepEqual(hello.tags, [T_RUST, "tweb00000000003"]);
  assert.deepEqual(hello.location, { lon: 23.32, lat: 42.69 });
  assert.deepEqual(hello.meta, { a: 1, b: [1, 2], nested: { x: "y" } });
  assert.equal(hello.rating, 4.5);
  assert.equal(hello.published, true);
  assert.equal(hello.publishedAt, "2024-01-05 10:00:00.000Z");
  assert.equal(hello.created, "2024-01-11 08:00:00.000Z");
  // hidden fields are never sent to a guest
  assert.ok(!("internalNotes" in hello), "internalNotes is hidden");
  assert.ok(!("accessCode" in hello), "accessCode is hidden");
});

test("getList pages and relation filters", async () => {
  const page2 = await posts().getList(2, 3, { sort: "title" });
  assert.equal(page2.totalItems, 8, "the 2 unpublished posts are hidden by the list rule");
  assert.equal(page2.totalPages, 3);
  assert.deepEqual(ids(page2.items), ["pnews0000000006", "prust0000000002", "pzed00000000009"]);

  const tagged = await posts().getList(1, 10, { filter: "tags.name ?= 'rust'", sort: "-created" });
  assert.deepEqual(ids(tagged.items), ["punico000000010", "prust0000000002", P_HELLO]);

  const unpublished = await posts().getList(1, 10, { filter: "published = false" });
  assert.equal(unpublished.totalItems, 0);
  assert.deepEqual(unpublished.items, []);

  const skipped = await posts().getList(1, 2, { skipTotal: true, sort: "views" });
  assert.equal(skipped.totalItems, -1);
  assert.equal(skipped.totalPages, -1);
  assert.deepEqual(ids(skipped.items), ["pquote000000008", "pzed00000000009"]);
});

test("getFullList pages through everything", async () => {
  const all = await posts().getFullList({ sort: "title", batch: 3 });
  assert.deepEqual(
    all.map((p) => p.title),
    [
      "Go Concurrency",
      "Hello World",
      'It\'s "quoted"',
      "News 100% true",
      "Rust Tips",
      "Zed",
      "life and LIFE",
      "Ünïcödé title",
    ],
  );
  const comments = await pb.collection("comments").getFullList({ filter: pb.filter("post = {:p}", { p: P_HELLO }), sort: "created" });
  assert.deepEqual(ids(comments), ["cfirst000000001", "creply000000002", "cspam0000000006"]);
});

test("getFirstListItem finds one record, and 404 when there is none", async () => {
  const first = await posts().getFirstListItem(pb.filter("slug = {:slug}", { slug: "hello-world" }));
  assert.equal(first.id, P_HELLO);

  // the SDK makes this 404 itself (getList(1, 1) came back empty), with `code` instead of `status`
  const e = await failsWith(404, posts().getFirstListItem(pb.filter("slug = {:slug}", { slug: "nope" })));
  assert.equal(e.response.code, 404);
  assert.equal(e.response.message, "The requested resource wasn't found.");

  // a hidden (unpublished) record is not found either
  await failsWith(404, posts().getFirstListItem(`id = '${P_UNPUB}'`));
});

test("getOne, and 404 for hidden and missing records", async () => {
  const post = await posts().getOne(P_HELLO);
  assert.equal(post.slug, "hello-world");
  assert.equal(post.author, "ualice000000001");

  for (const id of [P_UNPUB, "missing00000000"]) {
    const e = await failsWith(404, posts().getOne(id));
    assert.deepEqual(e.response, { data: {}, message: "The requested resource wasn't found.", status: 404 });
  }
  // the users view rule needs auth
  await failsWith(404, pb.collection("users").getOne("ualice000000001"));
});

test("create a user as a guest", async () => {
  const email = `sdk-${Date.now()}@example.com`;
  const user = await pb.collection("users").create({
    email,
    emailVisibility: true,
    password: "password123",
    passwordConfirm: "password123",
    name: "SDK User",
    role: "reader",
    unknownField: "ignored",
  });
  assert.match(user.id, /^[a-z0-9]{15}$/);
  assert.equal(user.collectionName, "users");
  assert.equal(user.collectionId, "_pb_users_auth_");
  assert.equal(user.email, email);
  assert.equal(user.name, "SDK User");
  assert.equal(user.role, "reader");
  assert.equal(user.verified, false);
  assert.match(user.created, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(user.created, user.updated);
  assert.ok(!("password" in user) && !("tokenKey" in user) && !("unknownField" in user));

  // hidden email when emailVisibility is false
  const quiet = await pb.collection("users").create({
    email: `quiet-${Date.now()}@example.com`,
    password: "password123",
    passwordConfirm: "password123",
  });
  assert.ok(!("email" in quiet), "a guest does not see a hidden email");
  assert.equal(quiet.emailVisibility, false);

  // the list rule still hides every user from a guest
  const list = await pb.collection("users").getList(1, 10);
  assert.equal(list.totalItems, 0);

  // a duplicate email
  const dup = await failsWith(
    400,
    pb.collection("users").create({ email, password: "password123", passwordConfirm: "password123" }),
  );
  assert.equal(dup.response.data.email.code, "validation_not_unique");
});

test("ClientResponseError carries PocketBase's error body", async () => {
  const e = await failsWith(
    400,
    pb.collection("users").create({ email: "not-an-email", password: "short", passwordConfirm: "other" }),
  );
  assert.equal(e.response.status, 400);
  assert.equal(e.response.message, "Failed to create record.");
  assert.equal(typeof e.response.data, "object");
  assert.ok(e.response.data.passwordConfirm || e.response.data.email, JSON.stringify(e.response.data));
  assert.equal(e.isAbort, false);
  assert.ok(e.url.includes("/api/collections/users/records"), e.url);
  assert.deepEqual(e.data, e.response, "`data` is the SDK's alias of `response`");

  const invalid = await failsWith(
    400,
    pb.collection("users").create({ email: "not-an-email", password: "password123", passwordConfirm: "password123" }),
  );
  assert.deepEqual(invalid.response.data, {
    email: { code: "validation_is_email", message: "Must be a valid email address." },
  });

  // rules: a failed create rule, a null rule, a failed update/delete rule
  const create = await failsWith(400, pb.collection("tags").create({ name: "sdk-tag" }));
  assert.deepEqual(create.response, { data: {}, message: "Failed to create record.", status: 400 });
  const update = await failsWith(403, pb.collection("tags").update(T_RUST, { name: "renamed" }));
  assert.equal(update.response.message, "Only superusers can perform this action.");
  await failsWith(404, posts().update(P_HELLO, { title: "Hacked" }));
  await failsWith(404, posts().delete(P_HELLO));
  await failsWith(403, pb.collection("_superusers").getList(1, 1));

  // bad filters: a syntax error, a hidden field, @request in a guest's filter
  const bad = await failsWith(400, posts().getList(1, 5, { filter: "views >" }));
  assert.equal(bad.response.message, "Something went wrong while processing your request.");
  await failsWith(400, posts().getList(1, 5, { filter: "internalNotes != ''" }));
  const req = await failsWith(403, posts().getList(1, 5, { filter: "@request.auth.id = ''" }));
  assert.equal(req.response.message, "Only superusers can filter by @request.");

  // an unknown collection
  const missing = await failsWith(404, pb.collection("nope").getList(1, 1));
  assert.equal(missing.response.message, "Missing collection context.");
});

test("pb.filter() escapes its parameters", async () => {
  const quoted = await posts().getList(1, 10, {
    filter: pb.filter("title ~ {:t} && views >= {:v} && published = {:p}", { t: "It's \"quo", v: -10, p: true }),
  });
  assert.deepEqual(ids(quoted.items), ["pquote000000008"]);

  const dated = await posts().getList(1, 10, {
    filter: pb.filter("publishedAt != '' && publishedAt < {:d}", { d: new Date("2024-01-10T00:00:00Z") }),
    sort: "publishedAt",
  });
  assert.deepEqual(ids(dated.items), ["pzed00000000009", P_HELLO]);

  const nulls = await posts().getList(1, 10, { filter: pb.filter("meta.a = {:x}", { x: null }), sort: "id" });
  assert.deepEqual(ids(nulls.items), ["plife0000000005", "pnews0000000006", "pquote000000008", "pzed00000000009"]);

  const percent = await pb.collection("tags").getList(1, 10, { filter: pb.filter("name ~ {:n}", { n: "100%" }) });
  assert.deepEqual(
    percent.items.map((t) => t.name),
    ["100% pure"],
  );
});

test("tags and the post_stats view", async () => {
  const tags = await pb.collection("tags").getList(1, 10, { sort: "name" });
  assert.equal(tags.totalItems, 6);
  assert.deepEqual(
    tags.items.map((t) => t.name),
    ["100% pure", "Rustacean", "db", "go", "rust", "web"],
  );
  const rust = tags.items[4];
  assert.deepEqual(Object.keys(rust).sort(), ["collectionId", "collectionName", "color", "created", "id", "name", "updated"]);
  assert.equal(rust.color, "#ff0000");

  const stats = await pb.collection("post_stats").getList(1, 3, { sort: "-comments_count,title" });
  assert.equal(stats.totalItems, 10, "the view's own rule shows every post");
  assert.deepEqual(ids(stats.items), [P_HELLO, "pgo000000000004", "prust0000000002"]);
  assert.equal(stats.items[0].comments_count, 3);
  assert.equal(stats.items[0].last_comment_at, "2024-01-25 06:00:00.000Z");
});

test("expand and fields through the SDK", async () => {
  const post = await posts().getOne(P_HELLO, { expand: "tags,comments_via_post", fields: "id,title,expand.tags.name" });
  assert.deepEqual(Object.keys(post).sort(), ["expand", "id", "title"]);
  assert.deepEqual(
    post.expand.tags.map((t) => t.name),
    ["rust", "web"].filter((n) => post.expand.tags.some((t) => t.name === n)),
  );
  assert.ok(post.expand.tags.length >= 1);
  const list = await posts().getList(1, 5, { sort: "title", expand: "tags", fields: "id,expand.tags.id" });
  for (const item of list.items) {
    assert.deepEqual(Object.keys(item).filter((k) => k !== "expand"), ["id"]);
  }
  const excerpt = await posts().getOne(P_HELLO, { fields: "body:excerpt(5,true)" });
  assert.ok(excerpt.body.endsWith("..."), JSON.stringify(excerpt));
});

test("files: upload with the SDK, then download and thumb through getURL", async () => {
  // A 2x2 PNG.
  const png = Uint8Array.from(
    Buffer.from(
      "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000164944415478da63f8cfc0f09f81e13f03c37f06000dfe03fd8f09a4d40000000049454e44ae426082",
      "hex",
    ),
  );
  const user = await pb.collection("users").create({
    email: `sdk-file-${Date.now()}@example.com`,
    password: "12345678",
    passwordConfirm: "12345678",
    name: "With Avatar",
    avatar: new Blob([png], { type: "image/png" }),
  });
  assert.match(user.avatar, /^blob_[a-z0-9]{10}\.png$/);
  const original = await fetch(pb.files.getURL(user, user.avatar));
  assert.equal(original.status, 200);
  assert.equal(original.headers.get("content-type"), "image/png");
  assert.deepEqual(new Uint8Array(await original.arrayBuffer()), png);
  const thumb = await fetch(pb.files.getURL(user, user.avatar, { thumb: "100x100" }));
  assert.equal(thumb.status, 200);
  assert.equal(thumb.headers.get("content-type"), "image/png");
  const download = await fetch(pb.files.getURL(user, user.avatar, { download: true }));
  assert.match(download.headers.get("content-disposition"), /^attachment/);
});

test("update and delete as a guest meet the rules", async () => {
  // posts: update/delete need the author; a guest gets 404 (the rule hides the record).
  await failsWith(404, posts().update(P_HELLO, { title: "Hijacked" }));
  await failsWith(404, posts().delete(P_HELLO));
  // tags: null update/delete rules are superuser-only.
  await failsWith(403, pb.collection("tags").update(T_RUST, { name: "x" }));
  await failsWith(403, pb.collection("tags").delete(T_RUST));
  const still = await posts().getOne(P_HELLO);
  assert.equal(still.title, "Hello World");
});
