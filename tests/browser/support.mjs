// What the browser tests share: the server and tools that tests/browser/run set up, a browser in
// one of the configurations of driver.mjs with a fresh profile, the form's submission, and the
// responder's side of a tip.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runTool, runToolOk } from '../js/common.mjs';
import { configurationsFor, launch } from './driver.mjs';

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
  firefox: process.env.TIPLINE_FIREFOX || '/usr/bin/firefox-esr',
};

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

// A browser in configuration config (see driver.mjs) with a fresh profile, its pages served
// through a recording proxy in front of server (the shared tiplined unless given).
export function openBrowser(config, { server = env.baseUrl, ...options } = {}) {
  return launch(config, {
    serverUrl: server,
    scratch: env.scratch,
    executables: { chromium: env.chromium, firefox: env.firefox },
    ...options,
  });
}

// Registers body(config, test) once for each configuration that runs tests with JavaScript on (or
// off), in a suite named for the configuration, so the report says where each test ran. The test
// it is given is node:test's with the configuration's time limit for each test.
export function forEachBrowser(javaScript, body) {
  for (const config of configurationsFor(javaScript)) {
    const limited = (name, fn) => test(name, { timeout: config.timeout }, fn);
    limited.skip = (name, reason) => test(name, { skip: reason }, () => {});
    describe(`[${config.label}]`, () => body(config, limited));
  }
}

export function uniqueMarker(label) {
  return `tipline-browser-${label}-${randomBytes(8).toString('hex')}`;
}

// A full-page screenshot in the artifacts folder, named for the configuration it was taken in.
export async function screenshot(tab, name) {
  await tab.screenshot(path.join(env.artifacts, `${name}-${tab.config.name}.png`));
}

// Fills the form on /LANG/submit as a person would (typing, choosing files and a language) and
// sends it; returns the response to the POST ({status}), with the page left on whatever it answered.
// With inBrowser, the page's script seals the tip and posts the envelope to /api/v1/tips; the
// response returned is that post's, and the receipt then shows in place of the form. Sealing can
// take minutes without a JIT or WebAssembly (Tor Browser's Safer level), so the waits are the
// configuration's.
export async function submitTip(tab, { lang, message, files = [], language, inBrowser = false }) {
  const response = await tab.goto(`/${lang}/submit`);
  assert.equal(response.status, 200, `GET /${lang}/submit`);
  await tab.type('#message', message);
  assert.equal(await tab.value('#message'), message, 'the text area holds what was typed');
  if (files.length > 0) await tab.setFiles('#files', files);
  if (language) await tab.select('#language', language);
  const target = inBrowser ? '/api/v1/tips' : `/${lang}/submit`;
  const timeout = tab.config.timeout;
  if (inBrowser) {
    const [posted] = await Promise.all([
      tab.waitForResponse((method, pathname) => method === 'POST' && pathname === target, timeout),
      tab.click('#tip-form button[type="submit"]'),
    ]);
    await tab.waitFor('p.receipt strong', { hasText: /\d/, timeout });
    return posted;
  }
  const [posted] = await Promise.all([
    tab.waitForResponse((method, pathname) => method === 'POST' && pathname === target, timeout),
    tab.clickAndNavigate('#tip-form button[type="submit"]', timeout),
  ]);
  return posted;
}

// The receipt as the page shows it, checked for its shape: 20 digits in five groups.
export async function shownReceipt(tab) {
  assert.equal(await tab.count('p.receipt strong'), 1, 'the receipt page shows exactly one receipt');
  const receipt = (await tab.text('p.receipt strong')).trim();
  assert.match(receipt, receiptPattern, 'the receipt is 20 digits in groups of four');
  assert.equal((await tab.innerText('p.receipt strong')).trim(), receipt, 'the receipt is visible as written');
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
