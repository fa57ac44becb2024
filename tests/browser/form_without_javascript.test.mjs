// The web form as Tor Browser at its Safest level uses it, with JavaScript off: what a witness types
// and attaches must reach the responder exactly, and the receipt the page shows must be the real one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  attachmentsOf,
  env,
  exportAndOpen,
  findTip,
  forEachBrowser,
  openBrowser,
  openBundle,
  runTool,
  runToolOk,
  screenshot,
  shownReceipt,
  submitTip,
  uniqueMarker,
  writeReceiptFile,
} from './support.mjs';

// Random bytes with a multipart delimiter's look-alikes inside, which the server's parser must pass through.
function binaryEvidence() {
  const bytes = randomBytes(300 * 1024);
  const lookalike = Buffer.from('\r\n------WebKitFormBoundaryAAAAAAAAAAAAAAAA\r\nContent-Disposition: form-data\r\n\r\n');
  for (const at of [0, 4096, 150 * 1024, bytes.length - lookalike.length]) lookalike.copy(bytes, at);
  bytes[1] = 0x00;
  bytes[2] = 0xff;
  return bytes;
}

forEachBrowser(false, (config, test) => {
test('a tip sent with JavaScript off arrives with exactly the typed text, both files and the language', async () => {
  const marker = uniqueMarker('no-javascript');
  // Typed as a person would, line breaks included; Tab is left out because it moves the focus.
  const typed =
    `${marker}\n국경 근처에서 본 일을 알립니다.\n\n` +
    `中文：他们在码头等船。 "quotes" & <angle> 'apostrophe' 😀\n` +
    `Last line, then a trailing line break.\n`;
  const evidence = binaryEvidence();
  const notes = Buffer.from('first line\nsecond line, CRLF next\r\n메모의 마지막 줄, no final line break', 'utf8');
  const folder = await mkdtemp(path.join(env.scratch, 'files-'));
  const evidencePath = path.join(folder, 'evidence.bin');
  const notesPath = path.join(folder, '메모.txt');
  await writeFile(evidencePath, evidence);
  await writeFile(notesPath, notes);

  const browser = await openBrowser(config);
  let receipt;
  try {
    const page = await browser.newPage();
    const posted = await submitTip(page, {
      lang: 'en',
      message: typed,
      files: [evidencePath, notesPath],
      language: 'ko',
    });
    await screenshot(page, 'no-javascript-receipt');
    assert.equal(posted.status, 200, 'the submission is answered with the receipt page');
    assert.equal(new URL(page.currentUrl()).pathname, '/en/submit');
    receipt = await shownReceipt(page);
  } finally {
    await browser.close();
  }

  const receiptFile = await writeReceiptFile(receipt, `no-javascript-${config.name}`);
  const check = await runToolOk(env.submit, ['check', '--server', env.baseUrl, '--receipt-file', receiptFile]);
  assert.match(check.stdout, /no replies yet/, 'the receipt opens a mailbox that has no replies yet');

  const tip = await findTip(await exportAndOpen(`no-javascript-${config.name}`), marker);
  // The HTML standard has browsers send a textarea's line breaks as CRLF, so exactly each typed LF becomes CRLF.
  const expected = typed.replaceAll('\n', '\r\n');
  assert.equal(tip.message.toString('utf8'), expected, 'message.txt is the typed text');
  assert.ok(tip.message.equals(Buffer.from(expected, 'utf8')), 'message.txt is the typed text, byte for byte');
  assert.match(tip.info, /^language: ko$/m, 'info.txt names the language chosen in the form');
  assert.match(tip.info, /^reply: possible/m, 'the tip carries the reply key that the receipt derives');

  const attachments = attachmentsOf(tip.info);
  assert.deepEqual(
    attachments.map((a) => [a.name, a.size, a.type]),
    [
      ['evidence.bin', evidence.length, 'application/octet-stream'],
      ['메모.txt', notes.length, 'text/plain'],
    ],
    'info.txt lists both files in the order chosen, with their names, sizes and types',
  );
  const opened = await Promise.all(attachments.map((a) => readFile(path.join(tip.dir, a.file))));
  assert.ok(opened[0].equals(evidence), 'the binary file arrives byte for byte');
  assert.ok(opened[1].equals(notes), 'the text file arrives byte for byte, its line breaks untouched');
});

test("the receipt the page showed reads the responder's reply", async () => {
  const marker = uniqueMarker('reply');
  const browser = await openBrowser(config);
  let receipt;
  try {
    const page = await browser.newPage();
    const posted = await submitTip(page, { lang: 'ko', message: `${marker}\n답장을 기다립니다.` });
    assert.equal(posted.status, 200, 'the submission is answered with the receipt page');
    receipt = await shownReceipt(page);
  } finally {
    await browser.close();
  }

  // The responder: fetch over the signed responder API, open offline, answer, push the answer.
  const bundle = path.join(env.scratch, `reply-fetched-${config.name}.bundle`);
  await runToolOk(env.responder, [
    'fetch', '--server', env.responderUrl, '--key', env.onlineKey, '--passphrase-file', env.passphraseFile,
    '--out', bundle,
  ]);
  const tip = await findTip(await openBundle(bundle, path.join(env.scratch, `reply-opened-${config.name}`)), marker);
  const answer = `${uniqueMarker('answer')} 고맙습니다. Are you safe?\n`;
  const answerFile = path.join(env.scratch, `answer-${config.name}.txt`);
  await writeFile(answerFile, answer);
  const replyFile = path.join(env.scratch, `answer-${config.name}.reply`);
  await runToolOk(env.responder, [
    'reply', '--tip', tip.dir, '--key', env.key, '--passphrase-file', env.passphraseFile,
    '--message-file', answerFile, '--out', replyFile,
  ]);
  await runToolOk(env.responder, [
    'push', '--server', env.responderUrl, '--key', env.onlineKey, '--passphrase-file', env.passphraseFile, replyFile,
  ]);

  const check = await runToolOk(env.submit, [
    'check', '--server', env.baseUrl, '--receipt-file', await writeReceiptFile(receipt, `reply-${config.name}`),
  ]);
  assert.ok(check.stdout.includes(answer.trim()), `the witness reads the reply with the receipt:\n${check.stdout}`);

  // Another receipt must read nothing, or the check above would prove nothing about this one.
  const other = receipt.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
  const wrong = await runTool(env.submit, [
    'check', '--server', env.baseUrl, '--receipt-file', await writeReceiptFile(other, `reply-wrong-${config.name}`),
  ]);
  assert.equal(wrong.code, 1, `a different receipt is refused:\n${wrong.stdout}${wrong.stderr}`);
  assert.ok(!wrong.stdout.includes(answer.trim()), 'a different receipt does not read the reply');

  // The same, on the web page with JavaScript off: type the receipt, read the answer, send more.
  const web = await openBrowser(config);
  try {
    const page = await web.newPage();
    await page.goto('/ko/check');
    await page.fill('#receipt', receipt.replaceAll(' ', ''));
    const checked = await page.clickAndNavigate('main form button[type=submit]');
    assert.equal(checked.status, 200, 'the check form answers with the replies page');
    const shown = await page.innerTexts('article.reply .message');
    assert.deepEqual(shown.map((t) => t.trim()), [answer.trim()], 'the page shows the one reply, as text');
    await screenshot(page, 'no-javascript-replies');
    const more = `${uniqueMarker('follow-up')} 더 알려 드립니다.`;
    await page.fill('#message', more);
    const sent = await page.clickAndNavigate('#follow-up-form button[type=submit]');
    assert.equal(sent.status, 200, 'the follow-up is answered with a confirmation');
    await page.close();
    const fetched = path.join(env.scratch, `follow-up-${config.name}.bundle`);
    await runToolOk(env.responder, [
      'fetch', '--server', env.responderUrl, '--key', env.onlineKey, '--passphrase-file', env.passphraseFile,
      '--out', fetched,
    ]);
    const followUp = await findTip(await openBundle(fetched, path.join(env.scratch, `follow-up-opened-${config.name}`)), more.split(' ')[0]);
    assert.equal(followUp.message.toString('utf8'), more, 'the responder gets the follow-up exactly');
    assert.match(followUp.info, /^kind: follow-up$/m, 'it arrives as a follow-up to the same mailbox');
  } finally {
    await web.close();
  }
});

// Firefox asks before a reload sends a form again, and WebDriver BiDi neither reports nor answers
// that question, so the reload can only be driven in Chromium.
const reloadTest = config.engine === 'chromium' ? test
  : (name) => test.skip(name, 'Firefox asks before sending the form again, out of WebDriver BiDi\'s reach');
reloadTest('reloading the receipt page shows the same receipt and stores the tip once', async () => {
  const marker = uniqueMarker('reload');
  const browser = await openBrowser(config);
  try {
    const page = await browser.newPage();
    await submitTip(page, { lang: 'en', message: marker });
    const first = await shownReceipt(page);
    // A reload posts the same form again, as a witness might after a dropped connection.
    const again = await page.reload();
    assert.equal(again.status, 200);
    assert.equal(await shownReceipt(page), first, 'the reload shows the same receipt');
  } finally {
    await browser.close();
  }
  // findTip insists on exactly one stored tip with the marker.
  await findTip(await exportAndOpen(`reload-${config.name}`), marker);
});
});
