// The organisation's signed list in the web form: its fingerprint on the pages for the witness to
// compare, the tip sealed in the browser to the list's responders only, and nothing sent at all
// when the list the server serves has expired. A tiplined of its own, so the shared one is untouched.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before } from 'node:test';
import { env, forEachBrowser, openBrowser, runToolOk, screenshot, uniqueMarker } from './support.mjs';

let work;
let server;
let baseUrl;
let organisationFingerprint;
const passphrase = () => path.join(work, 'passphrase');

const fingerprintOf = (out) => /fingerprint: ([0-9 ]{29})/.exec(out)[1];

async function keysAnswer() {
  return (await fetch(`${baseUrl}/api/v1/keys`)).json();
}

before(async () => {
  work = await mkdtemp(path.join(env.scratch, 'organisation-'));
  await writeFile(passphrase(), 'organisation browser test passphrase\n');
  const common = ['--kdf', 'interactive', '--passphrase-file', passphrase()];
  await runToolOk(env.responder, ['keygen', '--out', path.join(work, 'alice.key'), ...common]);
  const org = await runToolOk(env.responder, ['org', 'keygen', '--out', path.join(work, 'org.key'), ...common]);
  organisationFingerprint = fingerprintOf(org.stdout);
  const sign = (out, expires) => runToolOk(env.responder, [
    'org', 'sign', '--key', path.join(work, 'org.key'), '--passphrase-file', passphrase(),
    '--responder', path.join(work, 'alice.key.pub'), '--serial', '1', '--expires', expires, '--out', out,
  ]);
  await sign(path.join(work, 'current.list'), '2099-12-31');
  // Signed validly, valid through today only: put in place by hand below, as a seized server could.
  await sign(path.join(work, 'lapsing.list'), new Date().toISOString().slice(0, 10));
  await runToolOk(env.tiplined, ['init', path.join(work, 'data'), '--recipient-list', path.join(work, 'current.list')]);

  server = spawn(env.tiplined, ['serve', path.join(work, 'data'), '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  baseUrl = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (b) => {
      out += b;
      const m = /^listening on (\S+)$/m.exec(out);
      if (m) resolve(`http://${m[1]}`);
    });
    server.on('exit', (code) => reject(new Error(`tiplined exited ${code}`)));
  });
});

after(() => server?.kill('SIGTERM'));

forEachBrowser(false, (config, test) => {
test('the submit and check pages show the organisation fingerprint, with or without JavaScript', async () => {
  const browser = await openBrowser(config, { server: baseUrl });
  try {
    const page = await browser.newPage();
    for (const pageName of ['submit', 'check']) {
      await page.goto(`/ko/${pageName}`);
      assert.equal(await page.text('[data-organisation]'), organisationFingerprint,
        `/ko/${pageName} shows the fingerprint the organisation key has`);
    }
    await screenshot(page, 'organisation-fingerprint');
  } finally {
    await browser.close();
  }
});
});

forEachBrowser(true, (config, test) => {

test('with JavaScript on the tip is sealed to the list\'s responders only', async () => {
  const browser = await openBrowser(config, { server: baseUrl });
  try {
    const page = await browser.newPage();
    await page.goto('/en/submit');
    await page.waitFor('#mode-browser');
    const posted = await submitTipAt(page, uniqueMarker('organisation'));
    assert.equal(posted.status, 201);
  } finally {
    await browser.close();
  }
  const envelopes = browser.requests.filter((r) => r.line === 'POST /api/v1/tips').map((r) => r.body);
  assert.equal(envelopes.length, 1);
  assert.equal(envelopes[0][10], 1, 'one stanza: the list names one responder');
});

test('an expired list the server serves makes the page refuse, and nothing is sent', async () => {
  // Put in place by hand (tiplined recipients install would refuse it), as a seized server could.
  await copyFile(path.join(work, 'lapsing.list'), path.join(work, 'data', 'recipients.list'));
  const lapsing = (await readFile(path.join(work, 'lapsing.list'))).toString('hex');
  for (let i = 0; i < 100 && (await keysAnswer()).recipient_list !== lapsing; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await keysAnswer()).recipient_list, lapsing, 'the server serves the lapsing list');
  // The list is valid through today: the page is told it is tomorrow, when it has lapsed.
  const browser = await openBrowser(config, { server: baseUrl });
  try {
    const page = await browser.newPage();
    await page.beforeScripts(() => {
      const tomorrow = Date.now() + 2 * 86400000;
      const RealDate = Date;
      globalThis.Date = class extends RealDate {
        constructor(...args) { super(...(args.length ? args : [tomorrow])); }
        static now() { return tomorrow; }
      };
    });
    await page.goto('/en/submit');
    await page.waitFor('#mode-browser');
    await page.fill('#message', uniqueMarker('expired'));
    await page.click('#tip-form button[type="submit"]');
    await page.waitFor('#mode-list-failed', { timeout: Math.max(60_000, config.timeout) });
    assert.ok(await page.isHidden('#mode-failed'), 'the failure says the list is at fault');
    await screenshot(page, 'organisation-list-refused');
  } finally {
    await browser.close();
    // The next configuration's tests need the current list served again.
    await copyFile(path.join(work, 'current.list'), path.join(work, 'data', 'recipients.list'));
    const current = (await readFile(path.join(work, 'current.list'))).toString('hex');
    for (let i = 0; i < 100 && (await keysAnswer()).recipient_list !== current; i++) await new Promise((r) => setTimeout(r, 100));
  }
  const sent = browser.requests.filter((r) => r.method !== 'GET').map((r) => r.path);
  assert.deepEqual(sent, [], 'no POST or PUT left the page');
});
});

// The form on this test's own server, sent from the page with JavaScript on.
async function submitTipAt(page, message) {
  await page.type('#message', message);
  const [posted] = await Promise.all([
    page.waitForResponse((method, pathname) => method === 'POST' && pathname === '/api/v1/tips',
      Math.max(60_000, page.config.timeout)),
    page.click('#tip-form button[type="submit"]'),
  ]);
  return posted;
}
