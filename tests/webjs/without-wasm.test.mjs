// Without WebAssembly (Tor Browser's "Safer" level turns it off), the UMD build of libsodium falls
// back to plain JavaScript: the receipt keys and a sealed tip must come out the same.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import test from 'node:test';

import { here, seal, sodium, vectorsOf } from './support.mjs';

// Runs in a child Node with WebAssembly removed before libsodium loads; prints one JSON line.
const child = `
delete globalThis.WebAssembly;
const events = [];
// The UMD build's failed WebAssembly start leaves one rejected promise behind; it is expected.
process.on('unhandledRejection', (e) => events.push(String(e)));
const { requireFromWeb, receiptBody, salt, recipient } = JSON.parse(process.argv[1]);
const { createRequire } = await import('node:module');
const sodium = createRequire(requireFromWeb)('libsodium-wrappers-sumo');
await sodium.ready;
const seal = await import(${JSON.stringify(new URL('../../web/js/tipline-seal.mjs', import.meta.url).href)});
seal.useSodium(sodium);
const started = Date.now();
const keys = seal.deriveReceiptKeys(seal.parseReceipt(receiptBody), salt);
const deriveMs = Date.now() - started;
const envelope = seal.sealTip([Uint8Array.from(Buffer.from(recipient, 'hex'))], {
  kind: 'tip', createdAt: 1, language: 'en', replyKey: keys.replyPublicKey, message: 'sealed without WebAssembly',
  attachments: [{ name: 'a.bin', mediaType: 'application/octet-stream', bytes: new Uint8Array(100000).fill(7) }],
});
console.log(JSON.stringify({
  wasm: typeof WebAssembly, events, deriveMs, mailboxName: seal.toHex(keys.mailboxId),
  envelope: Buffer.from(envelope).toString('base64'),
}));
`;

function runChild(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', child, JSON.stringify(args)],
      { cwd: here, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (err += b));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`child exited ${code}:\n${err}`));
    });
  });
}

test('without WebAssembly the receipt vector derives the same keys, and the sealed tip opens', async (t) => {
  const vector = (await vectorsOf('receipt')).find((v) => v.name === 'receipt_success');
  const me = sodium.crypto_box_keypair();
  const result = await runChild({
    requireFromWeb: new URL('../../web/package.json', import.meta.url).pathname,
    receiptBody: Buffer.from(vector.body).toString('utf8'),
    salt: vector.one('salt'),
    recipient: seal.toHex(me.publicKey),
  });
  assert.equal(result.wasm, 'undefined', 'the child ran without WebAssembly');
  assert.ok(result.events.every((e) => /WebAssembly is not defined/.test(e)), `unexpected: ${result.events}`);
  assert.equal(result.mailboxName, vector.one('mailbox-name'), 'the same mailbox name as the C++ vector');
  const doc = seal.parseTipDocument(seal.openEnvelope(new Uint8Array(Buffer.from(result.envelope, 'base64')),
    [{ publicKey: me.publicKey, secretKey: me.privateKey }]));
  assert.equal(doc.message, 'sealed without WebAssembly');
  assert.deepEqual(doc.attachments[0].bytes, new Uint8Array(100000).fill(7));
  t.diagnostic(`Argon2id without WebAssembly: ${result.deriveMs} ms`);
});
