// End-to-end auth flows with the official PocketBase JS SDK: password sign-in for users and superusers,
// authRefresh, the authStore's token on later requests (and on a second client that loads it), sign-out,
// the blog's rules seen through a signed-in user, a superuser's impersonate, and OTP refused (it is off in
// the blog; the OTP and MFA flows are tested in runtime/tests/auth_otp_mfa_pocketbase.rs).
//
// Run by `cargo test -p blog-app --test e2e_sdk` (against the real PocketBase first, then ours).

import { test } from "node:test";
import assert from "node:assert/strict";
import PocketBase, { ClientResponseError } from "pocketbase";

const url = process.env.PB_URL;
if (!url) {
  throw new Error("PB_URL is not set; run `cargo test -p blog-app --test e2e_sdk`");
}

// The seeded data (tests/support/mod.rs): every account has this password.
const PASSWORD = "adminpass123";
const ALICE = "ualice000000001";
const BOB = "ubob00000000002";
const P_UNPUB = "punpub000000007"; // Alice's, unpublished
const P_DRAFT = "pdraft000000003"; // Bob's, unpublished

function client() {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  return pb;
}

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

/** The claims of a JWT, decoded as the SDK decodes them. */
function claims(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
}

test("authWithPassword fills the authStore, and the token opens what the rules allow", async () => {
  const pb = client();
  const auth = await pb.collection("users").authWithPassword("alice@example.com", PASSWORD);
  assert.equal(auth.record.id, ALICE);
  assert.equal(auth.record.email, "alice@example.com", "the owner sees its own email");
  assert.equal(auth.record.password, undefined);
  assert.equal(auth.record.tokenKey, undefined);
  assert.ok(pb.authStore.isValid);
  assert.equal(pb.authStore.isSuperuser, false);
  assert.equal(pb.authStore.record.id, ALICE);
  assert.equal(pb.authStore.token, auth.token);
  const c = claims(auth.token);
  assert.deepEqual(Object.keys(c).sort(), ["collectionId", "exp", "id", "refreshable", "type"]);
  assert.equal(c.type, "auth");
  assert.equal(c.collectionId, "_pb_users_auth_");
  assert.equal(c.refreshable, true);

  // Alice sees her unpublished post, not Bob's.
  assert.equal((await pb.collection("posts").getOne(P_UNPUB)).id, P_UNPUB);
  await failsWith(404, pb.collection("posts").getOne(P_DRAFT));
  // users: listRule `id = @request.auth.id`
  const users = await pb.collection("users").getFullList();
  assert.deepEqual(users.map((u) => u.id), [ALICE]);

  // A second client that loads the stored token is Alice too.
  const other = client();
  other.authStore.save(pb.authStore.token, pb.authStore.record);
  assert.equal((await other.collection("posts").getOne(P_UNPUB)).id, P_UNPUB);

  // Signing out makes the client a guest again.
  pb.authStore.clear();
  assert.equal(pb.authStore.isValid, false);
  await failsWith(404, pb.collection("posts").getOne(P_UNPUB));
});

test("authRefresh returns a new token for the same record", async () => {
  const pb = client();
  await pb.collection("users").authWithPassword("bob@example.com", PASSWORD);
  const first = pb.authStore.token;
  await new Promise((r) => setTimeout(r, 1100)); // exp has second resolution
  const refreshed = await pb.collection("users").authRefresh();
  assert.equal(refreshed.record.id, BOB);
  assert.notEqual(refreshed.token, first);
  assert.ok(claims(refreshed.token).exp > claims(first).exp);
  assert.equal(pb.authStore.token, refreshed.token);
  assert.equal((await pb.collection("posts").getOne(P_DRAFT)).id, P_DRAFT);
  // A guest cannot refresh.
  await failsWith(401, client().collection("users").authRefresh());
});

test("wrong credentials are a 400 that does not say which part was wrong", async () => {
  const pb = client();
  const wrong = await failsWith(400, pb.collection("users").authWithPassword("alice@example.com", "nope-nope"));
  const unknown = await failsWith(400, pb.collection("users").authWithPassword("nobody@example.com", PASSWORD));
  assert.deepEqual(wrong.response, unknown.response);
  assert.equal(wrong.response.message, "Failed to authenticate.");
  assert.equal(pb.authStore.isValid, false);
});

test("writes as a signed-in user follow the rules", async () => {
  const pb = client();
  await pb.collection("users").authWithPassword("alice@example.com", PASSWORD);
  const mine = await pb.collection("posts").create({ title: "By Alice", slug: "by-alice-e2e", status: "draft", author: ALICE });
  assert.equal(mine.author, ALICE);
  // createRule: the author must be the requester
  await failsWith(400, pb.collection("posts").create({ title: "Forged", slug: "forged-e2e", status: "draft", author: BOB }));
  const updated = await pb.collection("posts").update(mine.id, { title: "By Alice, edited" });
  assert.equal(updated.title, "By Alice, edited");
  // updateRule: the author may not be moved to someone else
  await failsWith(404, pb.collection("posts").update(mine.id, { author: BOB }));
  // Bob may not touch Alice's post
  const bob = client();
  await bob.collection("users").authWithPassword("bob@example.com", PASSWORD);
  await failsWith(404, bob.collection("posts").update(mine.id, { title: "mine now" }));
  await failsWith(404, bob.collection("posts").delete(mine.id));
  await pb.collection("posts").delete(mine.id);
  await failsWith(404, pb.collection("posts").getOne(mine.id));
});

test("a superuser signs in through _superusers and bypasses the rules", async () => {
  const pb = client();
  const auth = await pb.collection("_superusers").authWithPassword("admin@example.com", PASSWORD);
  assert.equal(auth.record.collectionName, "_superusers");
  assert.ok(pb.authStore.isSuperuser);
  const users = await pb.collection("users").getFullList({ sort: "id" });
  assert.ok(users.length >= 4);
  const bob = users.find((u) => u.id === BOB);
  assert.equal(bob.email, "bob@example.com", "superusers see hidden emails");
  assert.equal((await pb.collection("posts").getOne(P_DRAFT)).id, P_DRAFT);
  // A user token is not a superuser token.
  const user = client();
  await user.collection("users").authWithPassword("bob@example.com", PASSWORD);
  assert.equal(user.authStore.isSuperuser, false);
  await failsWith(403, user.collection("tags").update("trust0000000001", { name: "nope" }));
});

test("a superuser impersonates a user: a client with a non-refreshable token of that user", async () => {
  const su = client();
  await su.collection("_superusers").authWithPassword("admin@example.com", PASSWORD);
  const alice = await su.collection("users").impersonate(ALICE, 120);
  assert.equal(alice.authStore.record.id, ALICE);
  assert.equal(alice.authStore.record.email, "alice@example.com");
  const c = claims(alice.authStore.token);
  assert.equal(c.refreshable, false);
  assert.ok(Math.abs(c.exp - (Date.now() / 1000 + 120)) < 5, `exp ${c.exp}`);
  assert.equal((await alice.collection("posts").getOne(P_UNPUB)).id, P_UNPUB);
  assert.ok(su.authStore.isSuperuser, "the superuser's own client keeps its auth");
  // not refreshable: a refresh answers the same token
  const token = alice.authStore.token;
  assert.equal((await alice.collection("users").authRefresh()).token, token);
  // only superusers may impersonate
  const bob = client();
  await bob.collection("users").authWithPassword("bob@example.com", PASSWORD);
  await failsWith(403, bob.collection("users").impersonate(ALICE, 60));
  await failsWith(401, client().collection("users").impersonate(ALICE, 60));
});

test("the blog has OTP and MFA off: requestOTP and authWithOTP are refused", async () => {
  const pb = client();
  const methods = await pb.collection("users").listAuthMethods();
  assert.deepEqual([methods.otp, methods.mfa], [{ enabled: false, duration: 0 }, { enabled: false, duration: 0 }]);
  const e = await failsWith(403, pb.collection("users").requestOTP("alice@example.com"));
  assert.equal(e.response.message, "The collection is not configured to allow OTP authentication.");
  await failsWith(403, pb.collection("users").authWithOTP("abcdefghijklmno", "12345678"));
  assert.equal(pb.authStore.isValid, false);
});
