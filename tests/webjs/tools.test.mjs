// Envelopes sealed by web/js/tipline-seal.mjs, opened by the C++ tipline-responder: the tip comes
// back byte for byte, with the language, reply key and mailbox the page gave it.
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';

import { makeResponderKey, makeScratch, randomBytes, runTool, runToolOk, seal, toolEnv, tools } from './support.mjs';

let scratch;
let first;
let second;

before(async () => {
  scratch = await makeScratch('tools');
  first = await makeResponderKey(scratch, 'first');
  second = await makeResponderKey(scratch, 'second');
});

after(() => scratch?.remove());

// Opens one envelope with a responder's key into a new folder; returns the tool's result and the folder.
async function openWith(responder, envelope, label) {
  const file = scratch.path(`${label}.envelope`);
  await writeFile(file, envelope);
  const out = scratch.path(`${label}-opened`);
  const result = await runTool(tools.responder, ['open', file, '--key', responder.key, '--passphrase-file',
    responder.passphrase, '--out', out], { env: toolEnv(scratch.dir) });
  return { result, out };
}

// info.txt lists each attachment as `  FILE: N bytes, declared type T, original name "NAME"`.
function attachmentsOf(info) {
  return info.split('\n').filter((line) => line.startsWith('  ')).map((line) => {
    const m = /^ {2}(.+): (\d+) bytes, declared type (.+), original name "(.*)"$/.exec(line);
    assert.ok(m, `an attachment line of info.txt: ${line}`);
    return { file: m[1], size: Number(m[2]), type: m[3], name: m[4] };
  });
}

test('a tip sealed here opens with tipline-responder, byte for byte', async () => {
  const keys = [first, second].map((r) => seal.decodePublicKey(r.text).boxPublicKey);
  const receipt = seal.generateReceipt();
  const receiptKeys = seal.deriveReceiptKeys(receipt, randomBytes(16));
  const message = '제보합니다. 这是证据。 Ünïcödé — 😀\nsecond line\r\nthird\n';
  const evidence = randomBytes(200 * 1024);
  const notes = new TextEncoder().encode('메모: 회의는 화요일\n');
  const envelope = seal.sealTip(keys, {
    kind: 'tip',
    createdAt: 1800000000,
    language: 'zh-Hans',
    replyKey: receiptKeys.replyPublicKey,
    message,
    attachments: [
      { name: 'evidence 证据.bin', mediaType: 'application/octet-stream', bytes: evidence },
      { name: '메모.txt', mediaType: 'text/plain', bytes: notes },
    ],
  });

  // The second stanza: the tool tries every stanza, as the format says.
  const { result, out } = await openWith(second, envelope, 'tip');
  assert.equal(result.code, 0, `tipline-responder open:\n${result.stdout}${result.stderr}`);
  const opened = await readFile(scratch.path('tip-opened', 'message.txt'));
  assert.ok(opened.equals(Buffer.from(message, 'utf8')), 'message.txt is the message, byte for byte');
  const info = await readFile(`${out}/info.txt`, 'utf8');
  assert.match(info, /^kind: tip$/m);
  assert.match(info, /^language: zh-Hans$/m, 'the language as given');
  assert.match(info, /^written: 2027-01-15 08:00:00 UTC /m, 'createdAt as given');
  assert.match(info, /^reply: possible/m);
  assert.match(info, new RegExp(`^mailbox: ${seal.toHex(receiptKeys.mailboxId)}$`, 'm'), 'the mailbox of the receipt');
  assert.equal((await readFile(`${out}/reply-key.txt`, 'utf8')).trim(), seal.toHex(receiptKeys.replyPublicKey),
    'the reply key as given');

  const attachments = attachmentsOf(info);
  assert.deepEqual(attachments.map((a) => [a.name, a.size, a.type]), [
    ['evidence 证据.bin', evidence.length, 'application/octet-stream'],
    ['메모.txt', notes.length, 'text/plain'],
  ], 'both attachments, in order, with their names, sizes and types');
  assert.ok((await readFile(`${out}/${attachments[0].file}`)).equals(evidence), 'the 200 KB file, byte for byte');
  assert.ok((await readFile(`${out}/${attachments[1].file}`)).equals(notes), 'the text file, byte for byte');
});

test('a follow-up without reply key or attachments opens with tipline-responder', async () => {
  const envelope = seal.sealTip([seal.decodePublicKey(first.text).boxPublicKey],
    { kind: 'follow_up', createdAt: 0, language: 'und', message: '' });
  assert.equal(envelope.length, 4268, 'the smallest envelope');
  const { result, out } = await openWith(first, envelope, 'follow-up');
  assert.equal(result.code, 0, `tipline-responder open:\n${result.stdout}${result.stderr}`);
  const info = await readFile(`${out}/info.txt`, 'utf8');
  assert.match(info, /^kind: follow-up$/m);
  assert.match(info, /^language: und$/m);
  assert.match(info, /^written: 1970-01-01 00:00:00 UTC /m);
  assert.match(info, /^reply: not possible/m);
  assert.match(info, /^attachments: 0$/m);
  assert.equal((await readFile(`${out}/message.txt`)).length, 0);
});

test('tipline-responder refuses an envelope sealed here to someone else, or damaged here', async () => {
  const content = randomBytes(100000);
  const envelope = seal.sealEnvelope([seal.decodePublicKey(first.text).boxPublicKey], content);
  const other = await openWith(second, envelope, 'not-mine');
  assert.equal(other.result.code, 1, `another key cannot open it:\n${other.result.stderr}`);
  const damaged = envelope.slice();
  damaged[damaged.length - 10] ^= 1;
  const broken = await openWith(first, damaged, 'damaged');
  assert.equal(broken.result.code, 1, `a damaged envelope is refused:\n${broken.result.stderr}`);
  const left = await readdir(broken.out).catch(() => []);
  assert.deepEqual(left.filter((n) => !n.startsWith('.')), [], 'and nothing of it is left behind');
});

test('the key file text from tipline-responder keygen decodes, with the fingerprint the tool prints', async () => {
  const printed = await runToolOk(tools.responder, ['fingerprint', first.pub], { env: toolEnv(scratch.dir) });
  assert.ok(printed.stdout.includes(seal.fingerprint(seal.decodePublicKey(first.text))),
    `the same fingerprint:\n${printed.stdout}`);
});
