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
const { requireFromWeb, receipts, recipient } = JSON.parse(process.argv[1]);
const { createRequire } = await import('node:module');
const sodium = createRequire(requireFromWeb)('libsodium-wrappers-sumo');
await sodium.ready;
const seal = await import(${JSON.stringify(new URL('../../web/js/tipline-seal.mjs', import.meta.url).href)});
seal.useSodium(sodium);
const derived = receipts.map(({ body, salt, version }) => {
  const started = Date.now();
  const keys = seal.deriveReceiptKeys(seal.parseReceipt(body), salt, version);
  return { keys, ms: Date.now() - started };
});
const keys = derived.at(-1).keys;
const envelope = seal.sealTip([Uint8Array.from(Buffer.from(recipient, 'hex'))], {
  kind: 'tip', createdAt: 1, language: 'en', replyKey: keys.replyPublicKey, message: 'sealed without WebAssembly',
  attachments: [{ name: 'a.bin', mediaType: 'application/octet-stream', bytes: new Uint8Array(100000).fill(7) }],
});
console.log(JSON.stringify({
  wasm: typeof WebAssembly, events, deriveMs: derived.map((d) => d.ms),
  mailboxNames: derived.map((d) => seal.toHex(d.keys.mailboxId)),
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

test('without WebAssembly the receipt vectors of both versions derive the same keys, and the sealed tip opens', async (t) => {
  const all = await vectorsOf('receipt');
  const vectors = ['receipt_success', 'receipt_v2_success'].map((name) => all.find((v) => v.name === name));
  const me = sodium.crypto_box_keypair();
  const result = await runChild({
    requireFromWeb: new URL('../../web/package.json', import.meta.url).pathname,
    receipts: vectors.map((v) => ({
      body: Buffer.from(v.body).toString('utf8'), salt: v.one('salt'), version: Number(v.one('receipt-kdf')),
    })),
    recipient: seal.toHex(me.publicKey),
  });
  assert.equal(result.wasm, 'undefined', 'the child ran without WebAssembly');
  assert.ok(result.events.every((e) => /WebAssembly is not defined/.test(e)), `unexpected: ${result.events}`);
  assert.deepEqual(result.mailboxNames, vectors.map((v) => v.one('mailbox-name')),
    'the same mailbox names as the C++ vectors, version 1 then 2');
  const doc = seal.parseTipDocument(seal.openEnvelope(new Uint8Array(Buffer.from(result.envelope, 'base64')),
    [{ publicKey: me.publicKey, secretKey: me.privateKey }]));
  assert.equal(doc.message, 'sealed without WebAssembly');
  assert.deepEqual(doc.attachments[0].bytes, new Uint8Array(100000).fill(7));
  t.diagnostic(`Argon2id without WebAssembly: version 1 ${result.deriveMs[0]} ms, version 2 ${result.deriveMs[1]} ms`);
});
