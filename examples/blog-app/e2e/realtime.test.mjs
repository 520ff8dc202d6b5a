// Realtime with the official JS SDK: `subscribe('*' | id, cb, {filter, expand})` and `unsubscribe`.
//
// Run by `cargo test -p blog-app --test e2e_sdk` against the real PocketBase first, then against our server
// (see sdk.test.mjs). Node runs test files in parallel, so this one only creates records no other file
// counts (users, which guests cannot list) and puts back what it changes.

import { test } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { EventSource as EventSourcePolyfill } from "eventsource";

// The SDK uses the global EventSource, which Node has only from version 22 on.
globalThis.EventSource ??= EventSourcePolyfill;

const url = process.env.PB_URL;
if (!url) {
  throw new Error("PB_URL is not set; run `cargo test -p blog-app --test e2e_sdk`");
}

const ALICE = "ualice000000001";
const P_HELLO = "phello000000001";
const T_RUST = "trust0000000001";

/** A client signed in to `collection` (the seeded password). */
async function signedIn(collection = "users", email = "alice@example.com") {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  await pb.collection(collection).authWithPassword(email, "adminpass123");
  return pb;
}

/** A guest client. */
function guest() {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  return pb;
}

/** Collects the events a callback gets; `until(n)` waits for at least n of them. */
function collector() {
  const events = [];
  let waiters = [];
  return {
    events,
    callback(e) {
      events.push(e);
      waiters = waiters.filter((w) => !w());
    },
    until(n, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (events.length >= n) {
            clearTimeout(timer);
            resolve(events);
            return true;
          }
          return false;
        };
        const timer = setTimeout(
          () => reject(new Error(`expected ${n} events, got ${JSON.stringify(events.map((e) => e.action))}`)),
          ms,
        );
        if (!check()) waiters.push(check);
      });
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test("subscribe('*') with a filter gets create, update and delete; the list rule hides them from a guest", async () => {
  const admin = await signedIn("_superusers", "admin@example.com");
  const viewer = guest();
  const all = collector();
  const filtered = collector();
  const guestSees = collector();
  await admin.collection("users").subscribe("*", all.callback);
  await admin.collection("users").subscribe("*", filtered.callback, { filter: "name = 'Realtime R.'" });
  await viewer.collection("users").subscribe("*", guestSees.callback);

  // A guest signs up (users' create rule is public), renames and deletes itself.
  const email = `rt-${Date.now()}@example.com`;
  const self = guest();
  const user = await self.collection("users").create({ email, password: "password123", passwordConfirm: "password123", name: "R" });
  await self.collection("users").authWithPassword(email, "password123");
  await self.collection("users").update(user.id, { name: "Realtime R." });
  await self.collection("users").delete(user.id);

  await all.until(3);
  assert.deepEqual(
    all.events.filter((e) => e.record.id === user.id).map((e) => [e.action, e.record.name]),
    [["create", "R"], ["update", "Realtime R."], ["delete", "Realtime R."]],
  );
  const created = all.events.find((e) => e.record.id === user.id);
  assert.equal(created.record.collectionName, "users");
  assert.equal(created.record.email, email, "a superuser sees every email");
  assert.ok(!("password" in created.record) && !("tokenKey" in created.record));

  await filtered.until(2);
  assert.deepEqual(
    filtered.events.map((e) => [e.action, e.record.id]),
    [["update", user.id], ["delete", user.id]],
  );
  await sleep(300);
  assert.equal(guestSees.events.length, 0, "a guest may not list users");

  await admin.collection("users").unsubscribe();
  await viewer.collection("users").unsubscribe();
  assert.equal(admin.realtime.isConnected, false, "the last unsubscribe closes the connection");
});

test("subscribe(id) with expand, then unsubscribe", async () => {
  const pb = await signedIn();
  const got = collector();
  const unsubscribe = await pb.collection("posts").subscribe(P_HELLO, got.callback, { expand: "author,tags" });
  const before = await pb.collection("posts").getOne(P_HELLO);
  await pb.collection("posts").update(P_HELLO, { views: before.views + 1 });
  const [event] = await got.until(1);
  assert.equal(event.action, "update");
  assert.equal(event.record.id, P_HELLO);
  assert.equal(event.record.views, before.views + 1);
  assert.equal(event.record.expand.author.id, ALICE);
  assert.equal(event.record.expand.author.email, "alice@example.com", "alice sees her own email");
  assert.deepEqual(event.record.expand.tags.map((t) => t.id), [T_RUST, "tweb00000000003"]);

  await unsubscribe();
  await pb.collection("posts").update(P_HELLO, { views: before.views });
  await sleep(300);
  assert.equal(got.events.length, 1, "no events after unsubscribe");
});
