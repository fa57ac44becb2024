// The submit page with JavaScript on: the tip is sealed in the browser, only an envelope leaves it,
// and what the responder opens is exactly what was typed and attached. When sealing cannot happen,
// the page says so and sends nothing at all.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import {
  attachmentsOf,
  env,
  exportAndOpen,
  findTip,
  openBrowser,
  runToolOk,
  screenshot,
  shownReceipt,
  submitTip,
  uniqueMarker,
  writeReceiptFile,
} from './support.mjs';

test('with JavaScript on the tip is sealed in the browser and only ciphertext is sent', async () => {
  const marker = uniqueMarker('javascript-on');
  const typed = `${marker}\n브라우저에서 봉인한 제보입니다.\n中文内容。`;
  const evidence = randomBytes(250 * 1024);
  evidence.write(marker, 1000);  // the marker inside the file too: it must not appear in the request
  const evidencePath = path.join(env.scratch, 'in-browser.bin');
  await writeFile(evidencePath, evidence);

  const browser = await openBrowser({ javaScriptEnabled: true });
  let receipt;
  const bodies = [];
  const documents = [];
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (request.method() !== 'GET') bodies.push({ path: new URL(request.url()).pathname, body: request.postDataBuffer() });
      if (request.resourceType() === 'document') documents.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    const sodium = page.waitForResponse((r) => new URL(r.url()).pathname === '/static/sodium.js');
    await page.goto(`${env.baseUrl}/ko/submit`);
    await page.locator('#mode-browser').waitFor();
    assert.ok(await page.locator('#mode-server').isHidden(), 'the notice that the server seals is gone');
    assert.equal((await sodium).headers()['content-encoding'], 'gzip', 'libsodium travels compressed');
    const posted = await submitTip(page, {
      lang: 'ko', message: typed, files: [evidencePath], language: 'zh-Hans', inBrowser: true,
    });
    assert.equal(posted.status(), 201, 'the envelope is stored');
    receipt = await shownReceipt(page);
    await screenshot(page, 'javascript-on-receipt');
    assert.deepEqual(errors, [], 'no script error');
  } finally {
    await browser.close();
  }

  assert.deepEqual(documents.filter((d) => !d.startsWith('GET ')), [], 'the form itself was never posted');
  assert.deepEqual(bodies.map((b) => b.path), ['/api/v1/tips'], 'one request carried the tip');
  const sent = bodies[0].body;
  assert.ok(sent && sent.length > evidence.length, 'the request carried the whole envelope');
  assert.equal(sent.subarray(0, 8).toString('latin1'), 'TIPLNENV', 'what was sent is an envelope');
  assert.equal(sent.indexOf(Buffer.from(marker)), -1, 'no plaintext marker in what was sent');
  assert.equal(sent.indexOf(Buffer.from('브라우저에서')), -1, 'no message text in what was sent');

  const check = await runToolOk(env.submit, [
    'check', '--server', env.baseUrl, '--receipt-file', await writeReceiptFile(receipt, 'javascript-on'),
  ]);
  assert.match(check.stdout, /no replies yet/, 'the receipt made in the browser opens the mailbox');

  const tip = await findTip(await exportAndOpen('javascript-on'), marker);
  assert.equal(tip.message.toString('utf8'), typed, 'message.txt is exactly the text typed');
  assert.match(tip.info, /^language: zh-Hans$/m, 'the language chosen in the form');
  assert.match(tip.info, /^reply: possible/m, 'the reply key of the receipt is in the tip');
  const [file] = attachmentsOf(tip.info);
  assert.equal(file.name, 'in-browser.bin');
  assert.equal(file.size, evidence.length);
});

test('when libsodium cannot load, the page says so and sends nothing', async () => {
  const browser = await openBrowser({ javaScriptEnabled: true });
  try {
    const page = await browser.context.newPage();
    await page.route('**/static/sodium.js', (route) => route.fulfill({ status: 404, body: '' }));
    const sent = [];
    page.on('request', (request) => {
      if (request.method() !== 'GET') sent.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    await page.goto(`${env.baseUrl}/en/submit`);
    await page.locator('#mode-browser').waitFor();
    await page.locator('#message').fill(`${uniqueMarker('no-sodium')} must never leave the device`);
    await page.locator('#tip-form button[type="submit"]').click();
    await page.locator('#mode-failed').waitFor({ timeout: 30000 });
    await page.waitForTimeout(500);
    assert.deepEqual(sent, [], 'nothing was posted: no envelope, and no plaintext form');
    assert.equal(new URL(page.url()).pathname, '/en/submit', 'the page stayed where it was');
    assert.ok(await page.locator('#tip-form button[type="submit"]').isDisabled(), 'the page stops');
    await screenshot(page, 'javascript-on-failed');
  } finally {
    await browser.close();
  }
});
