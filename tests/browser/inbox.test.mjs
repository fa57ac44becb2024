// The responders' inbox (tipline-responder inbox) in Chromium and Firefox ESR, on a 360-pixel phone
// and on a desktop, in every language: the list and a conversation from the catalogs, nothing wider
// than the screen, what a witness wrote shown as text, a safe copy's image loaded under the CSP, and
// triage, a note and a reply sent through the forms with a real mouse and keyboard. The browser
// talks to the inbox directly: the inbox answers only requests addressed to its own host and port.
// A full-page screenshot of each page goes to the artifacts folder.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chosenConfigurations } from './driver.mjs';
import { env, languages, openBrowser, runToolOk, screenshot, uniqueMarker } from './support.mjs';

const catalogs = Object.fromEntries(
  await Promise.all(
    languages.map(async (lang) => {
      const file = new URL(`../../responder/inbox/i18n/${lang}.json`, import.meta.url);
      return [lang, JSON.parse(await readFile(file, 'utf8'))];
    }),
  ),
);
const viewports = {
  phone: { viewport: { width: 360, height: 800 }, mobile: true },
  desktop: { viewport: { width: 1280, height: 900 }, mobile: false },
};
const keyLike = /\b(list|status|conv|kind|msg|att|notes|triage|note|reply|safe|export|delete|error|nav|site|outbox|who)\.[a-z_]+\b/;
const placeholder = /\{[A-Za-z_]+\}/;

const marker = uniqueMarker('inbox');
const tips = {
  en: `${marker} Women held at the checkpoint <b>near</b> Tumen since March.`,
  ko: `${marker} 두만강 건너 탈북 여성 세 명이 팔려 갔습니다.`,
  zh: `${marker} 她们在边境被卖到农村，邻居都知道。`,
  photo: `${marker} a photo of the house`,
};
const inbox = { origin: '', root: '', process: null, store: '', outbox: '', threads: {} };
const storeArgs = () => ['--key', env.key, '--passphrase-file', env.passphraseFile, '--store', inbox.store];

// The inbox's configurations: Chromium, and Firefox ESR as it is (the inbox has no script, and runs
// on the responders' own machine, not in Tor Browser).
const inboxConfigurations = chosenConfigurations()
  .filter((c) => c.name === 'chromium' || c.name === 'standard')
  .map((c) => ({ ...c, javaScript: true, label: c.engine === 'chromium' ? 'chromium' : 'firefox-esr' }));

async function sendTip(label, message, files = []) {
  const file = path.join(env.scratch, `inbox-${label}.txt`);
  await writeFile(file, message);
  const args = ['send', '--server', env.baseUrl, '--message-file', file];
  for (const f of files) args.push('--file', f);
  await runToolOk(env.submit, args);
}

function startInbox(extra) {
  return new Promise((resolve, reject) => {
    const child = spawn(env.responder, ['inbox', ...storeArgs(), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (b) => { err += b; });
    child.stdout.on('data', (b) => {
      out += b;
      const m = /inbox on (http:\/\/127\.0\.0\.1:\d+)(\/[0-9a-f]{32}\/)/.exec(out);
      if (m) resolve({ child, origin: m[1], root: m[2] });
    });
    child.on('exit', (code) => reject(new Error(`the inbox exited ${code} before it listened: ${out}${err}`)));
  });
}

// The listed conversation whose text holds part: its full id.
async function threadOf(tab, part) {
  const threads = await tab.evaluate((p) => [...document.querySelectorAll('li.conversation')]
    .filter((li) => li.textContent.includes(p)).map((li) => li.dataset.thread), part);
  assert.equal(threads.length, 1, `one conversation holds ${part}`);
  return threads[0];
}

async function checkPage(tab, { lang, name, vp, heading }) {
  await screenshot(tab, `inbox-${lang}-${name}-${vp}`);
  const t = catalogs[lang];
  const where = `the inbox's ${name} page in ${lang} (${vp})`;
  assert.equal(await tab.evaluate(() => document.documentElement.lang), lang, `html lang on ${where}`);
  assert.equal((await tab.innerText('h1')).trim(), heading, `heading of ${where}`);
  assert.ok((await tab.title()).endsWith(` · ${t['site.title']}`), `title of ${where}`);
  assert.equal((await tab.innerText('footer p')).trim(), t.footer, `footer of ${where}`);
  const shown = await tab.evaluate(() => [document.title, document.body.innerText].join('\n'));
  assert.doesNotMatch(shown, keyLike, `no catalog key in place of a text on ${where}`);
  assert.doesNotMatch(shown, placeholder, `no unfilled placeholder on ${where}`);
  const nav = await tab.evaluate(() => [...document.querySelectorAll('header nav a')].map((a) => [a.getAttribute('hreflang'), a.textContent]));
  assert.deepEqual(nav, languages.map((other) => [other, catalogs[other]['language.name']]), `language links on ${where}`);
  const [page, body, view] = await tab.evaluate(() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]);
  assert.ok(page <= view && body <= view, `${where} is no wider than the screen (${page}, ${body} > ${view})`);
}

before(async () => {
  inbox.store = path.join(env.scratch, 'inbox-store');
  inbox.outbox = path.join(inbox.store, 'outbox');
  for (const [label, message] of Object.entries(tips)) {
    if (label === 'photo') continue;
    await sendTip(label, message);
  }
  const photo = path.join(env.scratch, 'inbox-photo.png');
  await runToolOk('/usr/bin/gm', ['convert', '-size', '160x100', 'xc:orange', photo]);
  await sendTip('photo', tips.photo, [photo]);

  // What the server holds, exported by the operator as for a USB stick, imported offline.
  const bundle = path.join(env.scratch, 'inbox.bundle');
  await runToolOk(env.tiplined, ['export', env.dataDir, '--out', bundle]);
  await runToolOk(env.responder, ['import', bundle, ...storeArgs()]);
  const colleague = path.join(env.scratch, 'inbox-colleague.key');
  await runToolOk(env.responder, ['keygen', '--kdf', 'interactive', '--out', colleague, '--passphrase-file', env.passphraseFile]);
  const listed = await runToolOk(env.responder, ['conversations', ...storeArgs(), '--search', 'photo of the house']);
  const photoConversation = listed.stdout.split('\t')[0];
  await runToolOk(env.responder, ['safe-copy', photoConversation, ...storeArgs()]);

  const started = await startInbox(['--colleague', `${colleague}.pub`]);
  Object.assign(inbox, { process: started.child, origin: started.origin, root: started.root });
});

after(async () => {
  if (!inbox.process) return;
  const exited = new Promise((resolve) => inbox.process.on('exit', resolve));
  inbox.process.kill('SIGINT');
  assert.equal(await exited, 0, 'Ctrl-C ends the inbox with exit 0');
});

for (const config of inboxConfigurations) {
  describe(`[inbox, ${config.label}]`, () => {
    for (const [vp, shape] of Object.entries(viewports)) {
      test(`the list and conversations in every language, on a ${vp}`, { timeout: config.timeout }, async () => {
        const browser = await openBrowser(config, { server: inbox.origin, direct: true, ...shape });
        try {
          const tab = await browser.newPage();
          for (const lang of languages) {
            const t = catalogs[lang];
            const list = await tab.goto(`${inbox.root}${lang}/?q=${encodeURIComponent(marker)}`);
            assert.equal(list.status, 200);
            assert.equal(list.headers['cache-control'], 'no-store', 'no page is kept in the disk cache');
            assert.match(list.headers['content-security-policy'], /default-src 'none'/);
            assert.equal(await tab.count('li.conversation'), 4, 'the search finds the four tips');
            await checkPage(tab, { lang, name: 'list', vp, heading: t['list.heading'] });
            for (const [label, part] of [['en', 'checkpoint'], ['ko', '두만강'], ['zh', '边境'], ['photo', 'photo of the house']]) {
              inbox.threads[label] = await threadOf(tab, part);
            }

            await tab.goto(`${inbox.root}${lang}/c/${inbox.threads.en}`);
            await checkPage(tab, { lang, name: 'conversation', vp, heading: t['conv.heading'].replace('{id}', inbox.threads.en.slice(0, 8)) });
            assert.ok((await tab.innerText('.message .body')).includes('<b>near</b>'), 'the witness\'s markup is shown as text');
            assert.equal(await tab.count('.message .body b'), 0, 'and is not markup');
            assert.ok((await tab.innerText('.message h2')).startsWith(t['kind.tip']), 'the message is the tip');

            await tab.goto(`${inbox.root}${lang}/c/${inbox.threads.photo}`);
            await checkPage(tab, { lang, name: 'safe-copy', vp, heading: t['conv.heading'].replace('{id}', inbox.threads.photo.slice(0, 8)) });
            await tab.waitUntil(() => {
              const img = document.querySelector('img.safe');
              return img && img.complete && img.naturalWidth === 160 && img.naturalHeight === 100;
            }, { what: 'the safe copy\'s image, loaded' });
          }
        } finally {
          await browser.close();
        }
      });
    }

    test('triage, a note and a reply through the forms, then another language', { timeout: config.timeout }, async () => {
      const browser = await openBrowser(config, { server: inbox.origin, direct: true, ...viewports.desktop });
      try {
        const tab = await browser.newPage();
        // Each browser works on its own conversation.
        const lang = config.engine === 'chromium' ? 'ko' : 'zh-Hans';
        const thread = inbox.threads[config.engine === 'chromium' ? 'ko' : 'zh'];
        assert.ok(thread, 'the list test found the conversations');
        const t = catalogs[lang];
        const page = `${inbox.root}${lang}/c/${thread}`;
        assert.equal((await tab.goto(page)).status, 200);

        await tab.select('#status', 'needs_reply');
        const tag = config.engine === 'chromium' ? '긴급' : '紧急';
        await tab.type('#add_tag', tag);
        assert.equal((await tab.clickAndNavigate('#triage button[type="submit"]')).status, 200);
        assert.equal(tab.currentUrl(), new URL(page, inbox.origin).href, 'the form leads back to the conversation');
        assert.equal((await tab.innerText('#status-now')).trim(), t['status.needs_reply']);
        assert.ok((await tab.innerText('#tags-now')).includes(tag));

        const note = `${marker} call the partner first`;
        await tab.type('#note-text', note);
        await tab.clickAndNavigate('#note button[type="submit"]');
        assert.ok((await tab.innerText('#notes')).includes(note), 'the note shows on the conversation');
        await screenshot(tab, `inbox-${lang}-triaged`);

        const before = (await readdir(inbox.outbox).catch(() => [])).length;
        await tab.type('#reply-text', `${marker} 안전하신가요? 你安全吗？`);
        await tab.clickAndNavigate('#reply button[type="submit"]');
        await screenshot(tab, `inbox-${lang}-reply-sealed`);
        assert.equal((await tab.innerText('h1')).trim(), t['reply.sealed_heading']);
        const files = await readdir(inbox.outbox);
        assert.equal(files.length, before + 1, 'one reply file in the outbox');
        const newest = files.find((f) => f.includes(thread.slice(0, 8)));
        assert.ok(newest && (await tab.innerText('#result')).includes(newest), 'the page names the reply file');
        const sealed = await readFile(path.join(inbox.outbox, newest));
        assert.ok(!sealed.includes(Buffer.from(marker)), 'the reply file holds no plaintext');

        // The command line sees what the forms did, while the inbox runs.
        const listed = await runToolOk(env.responder, ['conversations', ...storeArgs(), '--tag', tag]);
        assert.ok(listed.stdout.startsWith(`${thread.slice(0, 8)}\tanswered\t`), listed.stdout);

        await tab.goto(page);
        await tab.clickAndNavigate('header nav a[hreflang="en"]');
        assert.equal(await tab.evaluate(() => document.documentElement.lang), 'en');
        assert.equal((await tab.innerText('#status-now')).trim(), catalogs.en['status.answered']);
      } finally {
        await browser.close();
      }
    });
  });
}

// Nothing under the store's folder holds a word of what was shown, typed or sent.
test('the store holds no plaintext of the tips, tags, notes or replies', async () => {
  const bytes = [];
  const walk = async (dir) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else bytes.push(await readFile(p));
    }
  };
  await mkdir(inbox.store, { recursive: true });
  await walk(inbox.store);
  const all = Buffer.concat(bytes);
  for (const word of [marker, 'checkpoint', '두만강', '边境', '긴급', '紧急', 'call the partner']) {
    assert.ok(!all.includes(Buffer.from(word)), `the store does not hold "${word}" in plaintext`);
  }
});
