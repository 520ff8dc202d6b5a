// Browser tests of the Datastar web UI in headless Chromium (playwright-core). Run by tests/ui_browser.rs,
// which starts the blog server on the seeded fixture and sets UI_URL, SHOT_DIR, ADMIN_EMAIL, ADMIN_PASSWORD.
// Every check that matters is made through the REST API too, not only in the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const URL = process.env.UI_URL;
const SHOTS = process.env.SHOT_DIR;
const EMAIL = process.env.ADMIN_EMAIL;
const PASSWORD = process.env.ADMIN_PASSWORD;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(SHOTS, { recursive: true });

let browser;
let token;

async function api(method, path, body) {
  const res = await fetch(URL + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

async function signIn(context) {
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  await page.goto(URL + '/ui/');
  await page.waitForURL(/\/ui\/login$/);
  await page.locator('input[name=identity]').fill(EMAIL);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/ui\/$/);
  return page;
}

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const auth = await api('POST', '/api/collections/_superusers/auth-with-password', { identity: EMAIL, password: PASSWORD });
  assert.equal(auth.status, 200);
  token = auth.json.token;
  // Enough tags for three pages of infinite scroll.
  for (let i = 0; i < 95; i++) {
    const r = await api('POST', '/api/collections/tags/records', { name: `bulk-${String(i).padStart(3, '0')}`, color: i % 2 ? '#336699' : '' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
});

after(async () => {
  await browser?.close();
});

test('a wrong password is refused and a session cookie is HttpOnly and SameSite=Strict', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(URL + '/ui/login');
  await shot(page, '01-sign-in');
  await page.locator('input[name=identity]').fill(EMAIL);
  await page.locator('input[name=password]').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#login-error').filter({ hasText: /./ }).waitFor();
  assert.match(await page.locator('#login-error').innerText(), /wrong|failed/i);
  await context.close();

  const ctx2 = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const home = await signIn(ctx2);
  const [cookie] = await ctx2.cookies();
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await home.evaluate(() => document.cookie), '', 'the token is not readable from scripts');
  await shot(home, '02-collections');
  for (const name of ['posts', 'tags', 'users', 'post_stats']) {
    await home.locator('.cards').getByRole('link', { name: new RegExp(`^${name}`) }).waitFor();
  }
  await home.getByRole('button', { name: 'Sign out' }).click();
  await home.waitForURL(/\/ui\/login$/);
  await home.goto(URL + '/ui/c/tags');
  await home.waitForURL(/\/ui\/login$/);
  await ctx2.close();
});

test('tags: infinite scroll, search, sort, edit, validation, bulk delete, live updates', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await signIn(context);
  await page.goto(URL + '/ui/c/tags');
  const rows = page.locator('#rows tr');
  const total = (await api('GET', '/api/collections/tags/records?perPage=1')).json.totalItems;
  assert.ok(total > 95);
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 40);
  await shot(page, '03-tags');

  // Scroll to the end of the table: the next pages load.
  for (let want = 80; ; want = Math.min(want + 40, total)) {
    await page.locator('#more').scrollIntoViewIfNeeded();
    await page.waitForFunction((n) => document.querySelectorAll('#rows tr').length >= n, want);
    if (want === total) break;
  }
  assert.equal(await rows.count(), total);
  await page.locator('#more.end').waitFor();

  // Plain text search, then a PocketBase filter.
  const search = page.locator('input[type=search]');
  await search.fill('bulk-01');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 10);
  assert.match(await page.locator('.summary').innerText(), /text/);
  await search.fill('name = "bulk-042" || name = "bulk-043"');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 2);
  assert.match(await page.locator('.summary').innerText(), /filter/);
  await shot(page, '04-search');

  // Sort by name, both ways.
  await search.fill('bulk-');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 40);
  await page.locator('th', { hasText: /^name/ }).click();
  await page.waitForFunction(() => document.querySelector('#rows tr td[data-f=name]')?.innerText === 'bulk-000');
  await page.locator('th', { hasText: /^name/ }).click();
  await page.waitForFunction(() => document.querySelector('#rows tr td[data-f=name]')?.innerText === 'bulk-094');

  // Click a cell: the editor opens on it; change the value and save; the API has it.
  const target = (await api('GET', '/api/collections/tags/records?filter=' + encodeURIComponent('name="bulk-094"'))).json.items[0];
  const row = page.locator(`#r-${target.id}`);
  await row.locator('td[data-f=name]').click();
  const editor = page.locator('#editor .panel');
  await editor.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'in-name');
  await shot(page, '05-edit');
  await page.locator('#in-name').fill('x');
  await editor.getByRole('button', { name: 'Save' }).click();
  await page.locator('#err-name').filter({ hasText: /./ }).waitFor();
  const message = await page.locator('#err-name').innerText();
  const direct = await api('PATCH', `/api/collections/tags/records/${target.id}`, { name: 'x' });
  assert.equal(direct.status, 400);
  assert.equal(message, direct.json.data.name.message, 'the UI shows the API\'s own validation message');
  await shot(page, '06-validation');
  await page.locator('#in-name').fill('bulk-renamed <b>tag</b>');
  await editor.getByRole('button', { name: 'Save' }).click();
  await page.locator('#editor .panel').waitFor({ state: 'detached' });
  await row.locator('td[data-f=name]').filter({ hasText: 'bulk-renamed <b>tag</b>' }).waitFor();
  assert.equal((await api('GET', `/api/collections/tags/records/${target.id}`)).json.name, 'bulk-renamed <b>tag</b>');

  // Bulk delete three rows.
  await search.fill('bulk-00');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 10);
  const victims = (await api('GET', '/api/collections/tags/records?sort=name&perPage=3&filter=' + encodeURIComponent('name~"bulk-00"'))).json.items;
  for (const v of victims) await page.locator(`#r-${v.id} td.sel input`).check();
  await page.locator('#bulk-bar').getByText('3 selected').waitFor();
  await shot(page, '07-bulk');
  await page.locator('#bulk-bar').getByRole('button', { name: 'Delete' }).click();
  for (const v of victims) await page.locator(`#r-${v.id}`).waitFor({ state: 'detached' });
  for (const v of victims) assert.equal((await api('GET', `/api/collections/tags/records/${v.id}`)).status, 404);

  // Bulk update: set color on two rows.
  const [a, b] = (await api('GET', '/api/collections/tags/records?sort=name&perPage=2&filter=' + encodeURIComponent('name~"bulk-00"'))).json.items;
  await page.locator(`#r-${a.id} td.sel input`).check();
  await page.locator(`#r-${b.id} td.sel input`).check();
  await page.locator('select[name=bulk_field]').selectOption('color');
  await page.locator('input[name=bulk_value]').fill('#abcdef');
  await page.locator('#bulk-bar').getByRole('button', { name: 'Apply' }).click();
  await page.locator('#bulk-msg').filter({ hasText: 'Updated 2' }).waitFor();
  for (const r of [a, b]) assert.equal((await api('GET', `/api/collections/tags/records/${r.id}`)).json.color, '#abcdef');

  // A second browser sees changes made elsewhere within a second (the first one shows everything again).
  await search.fill('');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 40);
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const watcher = await signIn(other);
  await watcher.goto(URL + '/ui/c/tags');
  await watcher.waitForFunction(() => document.querySelectorAll('#rows tr').length === 40);
  await watcher.waitForTimeout(300); // the live stream connects
  let started = Date.now();
  const created = await api('POST', '/api/collections/tags/records', { name: '<script>window.__xss = 1</script>' });
  assert.equal(created.status, 200);
  const liveRow = watcher.locator(`#r-${created.json.id}`);
  await liveRow.waitFor({ timeout: 1000 });
  assert.ok(Date.now() - started < 1000);
  assert.equal(await liveRow.locator('td[data-f=name]').innerText(), '<script>window.__xss = 1</script>');
  assert.equal(await watcher.evaluate(() => window.__xss), undefined, 'record values are escaped');
  // Edited in the first browser, seen in the second.
  started = Date.now();
  await page.locator(`#r-${created.json.id} td[data-f=color]`).click();
  await page.locator('#in-color').fill('#123456');
  await page.locator('#editor .panel').getByRole('button', { name: 'Save' }).click();
  await watcher.locator(`#r-${created.json.id} td[data-f=color]`).filter({ hasText: '#123456' }).waitFor({ timeout: 2000 });
  await shot(watcher, '08-live');
  // Deleted through the API, gone in both.
  assert.equal((await api('DELETE', `/api/collections/tags/records/${created.json.id}`)).status, 204);
  await liveRow.waitFor({ state: 'detached', timeout: 1000 });
  await other.close();
  await context.close();
});

test('posts: widgets per field type, create with inline errors, views are read-only', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await signIn(context);
  await page.goto(URL + '/ui/c/posts');
  await page.locator('#rows tr').first().waitFor();
  await shot(page, '09-posts');
  await page.getByRole('button', { name: 'New record' }).click();
  const editor = page.locator('#editor .panel');
  await editor.waitFor();
  // One widget per field type.
  assert.equal(await page.locator('#in-published').getAttribute('type'), 'checkbox');
  assert.equal(await page.locator('#in-views').getAttribute('type'), 'number');
  assert.equal(await page.locator('#in-publishedAt').getAttribute('type'), 'datetime-local');
  assert.equal(await page.locator('#in-contact').getAttribute('type'), 'email');
  assert.equal(await page.locator('#in-website').getAttribute('type'), 'url');
  assert.equal(await page.locator('#in-status').evaluate((e) => e.tagName), 'SELECT');
  assert.equal(await page.locator('#in-categories').evaluate((e) => e.multiple), true);
  assert.equal(await page.locator('#in-tags').evaluate((e) => e.multiple), true);
  assert.ok((await page.locator('#in-author option').allInnerTexts()).length > 1, 'relation picker lists users');
  assert.equal(await page.locator('#in-meta').evaluate((e) => e.tagName), 'TEXTAREA');
  assert.equal(await page.locator('#in-body').evaluate((e) => e.tagName), 'TEXTAREA');
  assert.equal(await page.locator('#in-cover').getAttribute('type'), 'file');
  assert.equal(await page.locator('#in-accessCode').getAttribute('type'), 'password');
  assert.equal(await page.locator('#in-created').evaluate((e) => e.tagName), 'OUTPUT');
  await shot(page, '10-new-post');
  // Invalid: the API's errors land next to their fields.
  await page.locator('#in-title').fill('ab');
  await editor.getByRole('button', { name: 'Create' }).click();
  await page.locator('#err-title').filter({ hasText: /./ }).waitFor();
  assert.notEqual(await page.locator('#err-slug').innerText(), '');
  await shot(page, '11-create-errors');
  // Valid, with a file.
  const authors = await page.locator('#in-author option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  await page.locator('#in-title').fill('Made in the browser');
  await page.locator('#in-slug').fill('made-in-the-browser');
  await page.locator('#in-status').selectOption('draft');
  await page.locator('#in-author').selectOption(authors[0]);
  await page.locator('#in-published').check();
  await page.locator('#in-views').fill('12');
  // A 1×1 PNG: the cover field takes images only.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  await page.locator('#in-cover').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png });
  await editor.getByRole('button', { name: 'Create' }).click();
  await editor.waitFor({ state: 'detached' });
  const made = (await api('GET', '/api/collections/posts/records?filter=' + encodeURIComponent('slug="made-in-the-browser"'))).json.items[0];
  assert.equal(made.title, 'Made in the browser');
  assert.equal(made.published, true);
  assert.equal(made.views, 12);
  assert.match(made.cover, /^dot_\w+\.png$/);
  // The table shows it as a thumbnail served by /api/files.
  await page.locator(`#r-${made.id} td[data-f=cover] img`).waitFor();
  assert.match(await page.locator(`#r-${made.id} td[data-f=cover] img`).getAttribute('src'), /^\/api\/files\/.+thumb=100x100/);
  await page.locator(`#r-${made.id}`).waitFor();

  // Views: no selection, no editor, no create.
  await page.goto(URL + '/ui/c/post_stats');
  await page.locator('#rows tr').first().waitFor();
  assert.equal(await page.locator('td.sel').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'New record' }).count(), 0);
  await page.locator('#rows tr td').first().click();
  await page.waitForTimeout(300);
  assert.equal(await page.locator('#editor .panel').count(), 0);
  await shot(page, '12-view');
  await context.close();
});
