// The page's whole path against a real tiplined: keys from GET /api/v1/keys, a tip sealed here and
// posted with the mailbox headers derived here, the receipt accepted by tipline-submit, the tip
// opened by tipline-responder, and the responder's reply read back with openReplies.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { makeResponderKey, makeScratch, randomBytes, runTool, runToolOk, seal, toolEnv, tools } from './support.mjs';

let scratch;
let responder;
let server;  // the tiplined child process; stopped by its PID
let baseUrl;
let responderUrl;

// Starts tiplined on free loopback ports and waits until it says where it listens.
function startServer(dataDir) {
  const args = ['serve', dataDir, '--listen', '127.0.0.1:0', '--responder-listen', '127.0.0.1:0'];
  const child = spawn(tools.tiplined, args, { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv(scratch.dir) });
  let out = '';
  let err = '';
  child.stderr.on('data', (b) => (err += b));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tiplined did not start:\n${out}${err}`)), 20000);
    child.on('exit', (code) => reject(new Error(`tiplined exited ${code} before it listened:\n${out}${err}`)));
    child.stdout.on('data', (b) => {
      out += b;
      const source = /^listening on (\S+)$/m.exec(out);
      const responderAddress = /^responder listening on (\S+)$/m.exec(out);
      if (source && responderAddress) {
        clearTimeout(timer);
        resolve({ child, source: source[1], responder: responderAddress[1] });
      }
    });
  });
}

function stopServer() {
  if (!server || server.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    server.once('exit', resolve);
    process.kill(server.pid, 'SIGTERM');
  });
}

before(async () => {
  scratch = await makeScratch('server');
  responder = await makeResponderKey(scratch);
  await runToolOk(tools.tiplined, ['init', scratch.path('data'), '--responder', responder.pub],
    { env: toolEnv(scratch.dir) });
  // Submissions past 64 KiB ask for more work, so that the rule shows with a small upload.
  const conf = scratch.path('data/tiplined.conf');
  const text = await readFile(conf, 'utf8');
  assert.match(text, /^pow_size_base_bytes = \d+$/m);
  await writeFile(conf, text.replace(/^pow_size_base_bytes = \d+$/m, 'pow_size_base_bytes = 65536'));
  const started = await startServer(scratch.path('data'));
  server = started.child;
  baseUrl = `http://${started.source}`;
  responderUrl = `http://${started.responder}`;
});

after(async () => {
  await stopServer();
  await scratch?.remove();
});

const env = () => toolEnv(scratch.dir);

async function fetchKeys() {
  const response = await fetch(`${baseUrl}/api/v1/keys`);
  assert.equal(response.status, 200, 'GET /api/v1/keys');
  return seal.parseKeysResponse(await response.json());
}

// A submission with a proof of work solved here, as the web page solves it; solved: false sends none.
async function post(pathName, envelope, headers, { solved = true } = {}) {
  const proof = {};
  if (solved) {
    const answer = await fetch(`${baseUrl}/api/v1/challenge`);
    assert.equal(answer.status, 200, 'GET /api/v1/challenge');
    const { required, challenge, sizeBaseBytes } = seal.parseChallengeResponse(await answer.json());
    assert.ok(required, 'the server asks for a proof of work by default');
    // As much more work as the body's size asks, as the page solves it.
    const extra = seal.sizeExtraBits(envelope.length, sizeBaseBytes);
    proof['Tipline-Proof'] = await seal.solveChallenge(challenge, () => undefined, extra);
  }
  const response = await fetch(`${baseUrl}${pathName}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', ...headers, ...proof },
    body: envelope,
  });
  return { status: response.status, body: await response.json() };
}

async function writeReceiptFile(digits, label) {
  const file = scratch.path(`${label}.receipt`);
  await writeFile(file, `${seal.formatReceipt(digits)}\n`, { mode: 0o600 });
  return file;
}

// Every stored item exported by the operator's tool and opened with the responder's key.
async function exportAndOpen(label) {
  const bundle = scratch.path(`${label}.bundle`);
  await runToolOk(tools.tiplined, ['export', scratch.path('data'), '--out', bundle], { env: env() });
  const out = scratch.path(`${label}-opened`);
  await runToolOk(tools.responder, ['open', bundle, '--key', responder.key, '--passphrase-file', responder.passphrase,
    '--out', out], { env: env() });
  return out;
}

const today = () => new Date().toISOString().slice(0, 10);

test('a tip sealed here is stored with its mailbox, checked by tipline-submit, answered and read back', async (t) => {
  const keys = await fetchKeys();
  assert.equal(keys.recipients.length, 1);
  assert.equal(keys.recipients[0].text, responder.text, 'the server lists the responder key it was given');
  assert.equal(keys.list, null, 'a server given no recipient list serves none');

  const receipt = seal.generateReceipt();
  const receiptKeys = seal.deriveReceiptKeys(receipt, keys.salt);
  const message = `웹에서 봉인한 제보 ${receipt.slice(0, 4)} — 证据见附件\n`;
  const evidence = randomBytes(200 * 1024);
  const envelope = seal.sealTip(keys.recipients.map((r) => r.boxPublicKey), {
    kind: 'tip',
    createdAt: Math.floor(Date.now() / 1000),
    language: 'ko',
    replyKey: receiptKeys.replyPublicKey,
    message,
    attachments: [{ name: 'photo.jpg', mediaType: 'image/jpeg', bytes: evidence }],
  });
  assert.ok(envelope.length <= keys.limits.inlineBytes, 'small enough for one POST');
  const unsolved = await post('/api/v1/tips', envelope, seal.newMailboxHeaders(receiptKeys), { solved: false });
  assert.equal(unsolved.status, 403, 'a tip without a proof of work is refused');
  assert.equal(unsolved.body.error.code, 'proof_required');
  assert.ok(keys.proof.required && keys.proof.challenge instanceof Uint8Array, 'the keys answer carries a challenge');
  const stored = await post('/api/v1/tips', envelope, seal.newMailboxHeaders(receiptKeys));
  assert.equal(stored.status, 201, `POST /api/v1/tips: ${JSON.stringify(stored.body)}`);
  assert.match(stored.body.id, /^[0-9a-f]{32}$/);

  const again = await post('/api/v1/tips', envelope, seal.newMailboxHeaders(receiptKeys));
  assert.equal(again.status, 409, 'a second tip cannot take the same mailbox');
  assert.equal(again.body.error.code, 'mailbox_taken');

  // The C++ client derives the same mailbox name and token from the receipt, or this is refused.
  const check = await runTool(tools.submit, ['check', '--server', baseUrl, '--receipt-file',
    await writeReceiptFile(receipt, 'tip')], { env: env() });
  assert.equal(check.code, 0, `tipline-submit check with the receipt made here:\n${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /no replies yet/);

  const opened = await exportAndOpen('tip');
  const folder = path.join(opened, `${today()}-${stored.body.id}`);
  assert.ok((await readFile(path.join(folder, 'message.txt'))).equals(Buffer.from(message, 'utf8')),
    'the exported tip opens to the message, byte for byte');
  const info = await readFile(path.join(folder, 'info.txt'), 'utf8');
  assert.match(info, /^language: ko$/m);
  assert.match(info, new RegExp(`^mailbox: ${seal.toHex(receiptKeys.mailboxId)}$`, 'm'));
  assert.ok((await readFile(path.join(folder, 'photo.jpg'))).equals(evidence), 'the attachment, byte for byte');

  // The responder answers; the page reads the answer with the keys derived here.
  const answer = `답변 ${seal.toHex(randomBytes(4))}: 고맙습니다. Are you safe?\n`;
  await writeFile(scratch.path('answer.txt'), answer);
  await runToolOk(tools.responder, ['reply', '--tip', folder, '--key', responder.key, '--passphrase-file',
    responder.passphrase, '--message-file', scratch.path('answer.txt'), '--out', scratch.path('answer.reply')],
    { env: env() });
  await runToolOk(tools.responder, ['push', '--server', responderUrl, '--key', responder.key, '--passphrase-file',
    responder.passphrase, scratch.path('answer.reply')], { env: env() });

  const mailbox = await fetch(`${baseUrl}/api/v1/mailbox`, { headers: seal.mailboxAccessHeaders(receiptKeys) });
  assert.equal(mailbox.status, 200, 'GET /api/v1/mailbox with the token derived here');
  const bundle = new Uint8Array(await mailbox.arrayBuffer());
  const witness = { publicKey: receiptKeys.replyPublicKey, secretKey: receiptKeys.replySecretKey };
  const entries = seal.readBundle(bundle);
  assert.equal(entries.length, 1, 'the one reply');
  const reply = seal.parseTipDocument(seal.openEnvelope(
    bundle.subarray(entries[0].offset, entries[0].offset + entries[0].size), [witness]));
  assert.equal(reply.kind, 'reply');
  assert.equal(reply.message, answer, "the responder's answer, as written");
  // The page shows a reply only when its responder signed it (document version 2, FORMAT.md 9.5) with
  // a key it seals to. A tool that does not sign replies yet gives one the page counts as unverified.
  const { replies, unverified, unreadable } = seal.openReplies(bundle, witness, keys.recipients);
  assert.equal(unreadable, 0);
  t.diagnostic(`tipline-responder reply wrote ${reply.signer === null ? 'an unsigned' : 'a signed'} reply`);
  if (reply.signer === null) {
    assert.deepEqual([replies.length, unverified], [0, 1], 'an unsigned reply is counted, not shown');
  } else {
    assert.equal(reply.signer.fingerprint, keys.recipients[0].fingerprint, 'signed by the responder');
    assert.deepEqual(reply.replyKey, receiptKeys.replyPublicKey, 'it answers this receipt');
    assert.equal(unverified, 0);
    assert.equal(replies.length, 1, 'the signed reply is shown');
    assert.equal(replies[0].message, answer, "the responder's answer, as written");
    assert.equal(replies[0].day, today());
    assert.deepEqual(replies[0].attachments, []);
    assert.deepEqual(replies[0].signer, { fingerprint: keys.recipients[0].fingerprint });
  }
  assert.deepEqual(seal.openReplies(bundle, witness), { replies: [], unverified: 1, unreadable: 0 },
    'trusting no one, nothing is shown');

  // A follow-up under the same receipt, sealed here, reaches the responder.
  const followUp = `추가 정보 ${receipt.slice(-4)}\n`;
  const posted = await post('/api/v1/mailbox/messages', seal.sealTip(keys.recipients.map((r) => r.boxPublicKey), {
    kind: 'follow_up', createdAt: Math.floor(Date.now() / 1000), language: 'ko',
    replyKey: receiptKeys.replyPublicKey, message: followUp,
  }), seal.mailboxAccessHeaders(receiptKeys));
  assert.equal(posted.status, 201, `POST /api/v1/mailbox/messages: ${JSON.stringify(posted.body)}`);
  const later = await exportAndOpen('follow-up');
  const followFolder = path.join(later, `${today()}-${posted.body.id}`);
  assert.ok((await readFile(path.join(followFolder, 'message.txt'))).equals(Buffer.from(followUp, 'utf8')));
  assert.match(await readFile(path.join(followFolder, 'info.txt'), 'utf8'), /^kind: follow-up$/m);
});

test('a receipt other than the one whose keys opened the mailbox is refused', async () => {
  const keys = await fetchKeys();
  const receipt = seal.generateReceipt();
  const receiptKeys = seal.deriveReceiptKeys(receipt, keys.salt);
  const envelope = seal.sealTip(keys.recipients.map((r) => r.boxPublicKey),
    { kind: 'tip', createdAt: 0, language: 'en', replyKey: receiptKeys.replyPublicKey, message: 'hello' });
  assert.equal((await post('/api/v1/tips', envelope, seal.newMailboxHeaders(receiptKeys))).status, 201);

  const other = receipt.replace(/.$/, (d) => String((Number(d) + 1) % 10));
  const wrong = await runTool(tools.submit, ['check', '--server', baseUrl, '--receipt-file',
    await writeReceiptFile(other, 'other')], { env: env() });
  assert.equal(wrong.code, 1, `another receipt finds no mailbox:\n${wrong.stdout}${wrong.stderr}`);
  const denied = await fetch(`${baseUrl}/api/v1/mailbox`,
    { headers: seal.mailboxAccessHeaders({ ...receiptKeys, mailboxToken: randomBytes(32) }) });
  assert.equal(denied.status, 404, 'the right name with a wrong token');
  assert.equal((await denied.json()).error.code, 'mailbox_denied');
  const right = await runTool(tools.submit, ['check', '--server', baseUrl, '--receipt-file',
    await writeReceiptFile(receipt, 'right')], { env: env() });
  assert.equal(right.code, 0, `the receipt itself opens it:\n${right.stdout}${right.stderr}`);
});

test('the server stores what was sealed here and nothing else: no plaintext in its files', async () => {
  const marker = `plaintext-marker-${seal.toHex(randomBytes(8))}`;
  const keys = await fetchKeys();
  const envelope = seal.sealTip(keys.recipients.map((r) => r.boxPublicKey),
    { kind: 'tip', createdAt: 0, language: 'en', message: marker });
  assert.equal((await post('/api/v1/tips', envelope, {})).status, 201);
  assert.ok(!Buffer.from(envelope).includes(marker), 'the envelope does not hold the message');
  for (const name of await readdir(scratch.path('data'), { recursive: true })) {
    const file = scratch.path('data', name);
    const bytes = await readFile(file).catch(() => null);  // folders
    if (bytes) assert.ok(!bytes.includes(marker), `${name} does not hold the message`);
  }
});

test('an upload past size_base_bytes needs the extra bits of proof of work its size asks for', async () => {
  const answer = seal.parseChallengeResponse(await (await fetch(`${baseUrl}/api/v1/challenge`)).json());
  assert.equal(answer.sizeBaseBytes, 65536, 'the challenge publishes the rule');
  const length = 200000;
  const extra = seal.sizeExtraBits(length, answer.sizeBaseBytes);
  assert.equal(extra, 2, '200,000 bytes is past two doublings of 64 KiB');
  const start = (proof) => fetch(`${baseUrl}/api/v1/uploads`, {
    method: 'POST', headers: { 'Upload-Length': String(length), 'Tipline-Proof': proof },
  });
  // Solved at the challenge's own bits only: refused, with what it needs, and not spent.
  let weak;
  for (;;) {
    weak = await seal.solveChallenge(answer.challenge, () => undefined);
    const nonce = Number.parseInt(weak.split('.')[1], 16);
    if (seal.powZeroBits(answer.challenge, nonce) < answer.challenge[1] + extra) break;
  }
  const refused = await start(weak);
  assert.equal(refused.status, 403);
  const body = await refused.json();
  assert.equal(body.error.code, 'proof_too_weak_for_size');
  assert.equal(body.extra_bits, extra);
  // The same challenge solved for the extra bits starts the upload.
  const accepted = await start(await seal.solveChallenge(answer.challenge, () => undefined, extra));
  assert.equal(accepted.status, 201);
  assert.match((await accepted.json()).upload, /^[0-9a-f]{32}$/);
});
