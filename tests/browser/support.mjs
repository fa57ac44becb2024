// What the browser tests share: the server and tools that tests/browser/run set up, a headless
// Chromium with a fresh profile, the form's submission, and the responder's side of a tip.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { runTool, runToolOk } from '../js/common.mjs';

export { runTool, runToolOk };

function setting(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run these tests through tests/browser/run BUILD_DIR`);
  return value;
}

export const env = {
  baseUrl: setting('TIPLINE_BASE_URL'),
  responderUrl: setting('TIPLINE_RESPONDER_URL'),
  tiplined: setting('TIPLINE_TIPLINED'),
  submit: setting('TIPLINE_SUBMIT'),
  responder: setting('TIPLINE_RESPONDER'),
  dataDir: setting('TIPLINE_DATA_DIR'),
  key: setting('TIPLINE_RESPONDER_KEY'),
  onlineKey: setting('TIPLINE_ONLINE_KEY'),
  passphraseFile: setting('TIPLINE_PASSPHRASE_FILE'),
  scratch: setting('TIPLINE_SCRATCH'),
  artifacts: setting('TIPLINE_ARTIFACTS'),
  chromium: process.env.TIPLINE_CHROMIUM || '/usr/bin/chromium',
};

export const origin = new URL(env.baseUrl).origin;
export const languages = ['en', 'ko', 'zh-Hans'];
export const receiptPattern = /^\d{4} \d{4} \d{4} \d{4} \d{4}$/;

// Every text the pages show, straight from the catalogs the server is built with.
export const catalogs = Object.fromEntries(
  await Promise.all(
    languages.map(async (lang) => {
      const file = new URL(`../../web/i18n/${lang}.json`, import.meta.url);
      return [lang, JSON.parse(await readFile(file, 'utf8'))];
    }),
  ),
);

// Nothing in the browser's own background traffic may reach the network or muddy the request log.
const chromiumArgs = [
  '--no-sandbox', // the tests run as root in CI, where Chromium's sandbox cannot start
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-proxy-server',
];

// A browser with a profile of its own, removed on close; options go to Playwright's context.
export async function openBrowser(options = {}) {
  const profile = await mkdtemp(path.join(env.scratch, 'profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env.chromium,
    headless: true,
    args: chromiumArgs,
    locale: 'en-US',
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  context.setDefaultTimeout(20_000);
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export function uniqueMarker(label) {
  return `tipline-browser-${label}-${randomBytes(8).toString('hex')}`;
}

export async function screenshot(page, name) {
  await mkdir(env.artifacts, { recursive: true });
  await page.screenshot({ path: path.join(env.artifacts, `${name}.png`), fullPage: true });
}

// Fills the form on /LANG/submit as a person would (typing, choosing files and a language) and
// sends it; returns the response to the POST, with the page left on whatever it answered.
// With inBrowser, the page's script seals the tip and posts the envelope to /api/v1/tips; the
// response returned is that post's, and the receipt then shows in place of the form.
export async function submitTip(page, { lang, message, files = [], language, inBrowser = false }) {
  const response = await page.goto(`${env.baseUrl}/${lang}/submit`);
  assert.equal(response.status(), 200, `GET /${lang}/submit`);
  await page.locator('#message').click();
  await page.keyboard.type(message);
  assert.equal(await page.locator('#message').inputValue(), message, 'the text area holds what was typed');
  if (files.length > 0) await page.locator('#files').setInputFiles(files);
  if (language) await page.locator('#language').selectOption(language);
  const target = inBrowser ? '/api/v1/tips' : `/${lang}/submit`;
  const [posted] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === target,
      { timeout: 60000 }),
    page.locator('#tip-form button[type="submit"]').click(),
  ]);
  if (inBrowser) {
    await page.locator('p.receipt strong').filter({ hasText: /\d/ }).waitFor({ timeout: 60000 });
  } else {
    await page.waitForLoadState('load');
  }
  return posted;
}

// The receipt as the page shows it, checked for its shape: 20 digits in five groups.
export async function shownReceipt(page) {
  const strong = page.locator('p.receipt strong');
  assert.equal(await strong.count(), 1, 'the receipt page shows exactly one receipt');
  const receipt = (await strong.textContent()).trim();
  assert.match(receipt, receiptPattern, 'the receipt is 20 digits in groups of four');
  assert.equal((await strong.innerText()).trim(), receipt, 'the receipt is visible as written');
  return receipt;
}

export async function writeReceiptFile(receipt, label) {
  const file = path.join(env.scratch, `${label}.receipt`);
  await writeFile(file, `${receipt}\n`, { mode: 0o600 });
  return file;
}


// Opens a bundle into a new folder with the responder's secret key, as on the offline machine.
export async function openBundle(bundle, out) {
  await runToolOk(env.responder, ['open', bundle, '--key', env.key, '--passphrase-file', env.passphraseFile, '--out', out]);
  return out;
}

// Every tip the server holds so far, exported by the operator's tool and opened.
export async function exportAndOpen(label) {
  const bundle = path.join(env.scratch, `${label}.bundle`);
  await runToolOk(env.tiplined, ['export', env.dataDir, '--out', bundle]);
  return openBundle(bundle, path.join(env.scratch, `${label}-opened`));
}

// The one opened tip whose message holds the marker: its folder, id, message bytes and info.txt.
export async function findTip(opened, marker) {
  const found = [];
  for (const name of await readdir(opened)) {
    const dir = path.join(opened, name);
    const message = await readFile(path.join(dir, 'message.txt'));
    if (message.includes(Buffer.from(marker, 'utf8'))) found.push({ dir, name, message });
  }
  assert.equal(found.length, 1, `exactly one opened tip in ${opened} carries ${marker}`);
  const tip = found[0];
  return {
    ...tip,
    id: tip.name.slice(tip.name.lastIndexOf('-') + 1),
    info: await readFile(path.join(tip.dir, 'info.txt'), 'utf8'),
  };
}

// info.txt lists each attachment as `  FILE: N bytes, declared type T, original name "NAME"`.
export function attachmentsOf(info) {
  const lines = info.split('\n').filter((line) => line.startsWith('  '));
  return lines.map((line) => {
    const m = /^ {2}(.+): (\d+) bytes, declared type (.+), original name "(.*)"$/.exec(line);
    assert.ok(m, `info.txt attachment line has the documented shape: ${line}`);
    return { file: m[1], size: Number(m[2]), type: m[3], name: m[4] };
  });
}

// The responder's side of a conversation: fetch what is new over the signed API, open it offline,
// find the tip with the marker, and reply to it with answer.
export async function replyToTip(marker, answer, label) {
  const bundle = path.join(env.scratch, `${label}-fetched.bundle`);
  await runToolOk(env.responder, [
    'fetch', '--server', env.responderUrl, '--key', env.onlineKey, '--passphrase-file', env.passphraseFile,
    '--out', bundle,
  ]);
  const tip = await findTip(await openBundle(bundle, path.join(env.scratch, `${label}-opened`)), marker);
  const answerFile = path.join(env.scratch, `${label}-answer.txt`);
  await writeFile(answerFile, answer);
  const replyFile = path.join(env.scratch, `${label}.reply`);
  await runToolOk(env.responder, [
    'reply', '--tip', tip.dir, '--key', env.key, '--passphrase-file', env.passphraseFile,
    '--message-file', answerFile, '--out', replyFile,
  ]);
  await runToolOk(env.responder, [
    'push', '--server', env.responderUrl, '--key', env.onlineKey, '--passphrase-file', env.passphraseFile, replyFile,
  ]);
}

// What the responder's next fetch holds: the opened folder of the item carrying the marker.
export async function fetchItem(marker, label) {
  const bundle = path.join(env.scratch, `${label}-fetched.bundle`);
  await runToolOk(env.responder, [
    'fetch', '--server', env.responderUrl, '--key', env.onlineKey, '--passphrase-file', env.passphraseFile,
    '--out', bundle,
  ]);
  return findTip(await openBundle(bundle, path.join(env.scratch, `${label}-opened`)), marker);
}
