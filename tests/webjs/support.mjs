// What the tests of web/js/tipline-seal.mjs share: libsodium from web/node_modules, the built tools,
// scratch folders and the vector files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as seal from '../../web/js/tipline-seal.mjs';
import { parseVector, runTool, runToolOk } from '../js/common.mjs';

export { parseVector, runTool, runToolOk };

export { seal };

export const here = path.dirname(fileURLToPath(import.meta.url));
export const webDir = path.join(here, '..', '..', 'web');
export const vectorDir = path.join(here, '..', 'vectors');

// The UMD build, as the page loads it: the one that falls back to plain JavaScript without WebAssembly.
export const requireFromWeb = createRequire(path.join(webDir, 'package.json'));

export async function loadSodium() {
  const sodium = requireFromWeb('libsodium-wrappers-sumo');
  await sodium.ready;
  return sodium;
}

export const sodium = await loadSodium();
seal.useSodium(sodium);

function buildDir() {
  const dir = process.env.TIPLINE_BUILD_DIR;
  if (!dir) throw new Error('TIPLINE_BUILD_DIR is not set; run these tests through tests/webjs/run BUILD_DIR');
  return dir;
}

export const tools = {
  get responder() {
    return path.join(buildDir(), 'client', 'tipline-responder');
  },
  get submit() {
    return path.join(buildDir(), 'client', 'tipline-submit');
  },
  get tiplined() {
    return path.join(buildDir(), 'server', 'tiplined');
  },
};

// libsodium.js draws its random bytes 4 at a time through JavaScript: too slow for test data.
export const randomBytes = (n) => new Uint8Array(nodeRandomBytes(n));
export const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
export const hexBytes = (text) => new Uint8Array(Buffer.from(text, 'hex'));

// The tools talk to 127.0.0.1 only, and keep their state in the scratch folder.
export function toolEnv(scratch) {
  const env = { ...process.env, XDG_DATA_HOME: path.join(scratch, 'state') };
  for (const name of ['http_proxy', 'https_proxy', 'all_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY']) {
    delete env[name];
  }
  return env;
}


export async function makeScratch(label) {
  const dir = await mkdtemp(path.join(tmpdir(), `tipline-webjs-${label}-`));
  return {
    dir,
    path: (...names) => path.join(dir, ...names),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

// A responder key pair made by the real tool, with its passphrase file and public key text.
export async function makeResponderKey(scratch, name = 'responder') {
  const passphrase = scratch.path(`${name}.passphrase`);
  await writeFile(passphrase, 'web sealing test passphrase, not for real use\n', { mode: 0o600 });
  const key = scratch.path(`${name}.key`);
  await runToolOk(tools.responder, ['keygen', '--kdf', 'interactive', '--out', key, '--passphrase-file', passphrase],
    { env: toolEnv(scratch.dir) });
  const text = (await readFile(`${key}.pub`, 'utf8')).trim();
  return { key, pub: `${key}.pub`, passphrase, text };
}


// Every vector file of one area, by name; names with a dot are not vectors.
export async function vectorsOf(area) {
  const names = (await readdir(vectorDir)).filter((n) => !n.includes('.') && n.startsWith(`${area}_`)).sort();
  return Promise.all(names.map(async (name) => ({ name, ...parseVector(await readFile(path.join(vectorDir, name))) })));
}

// The class a call ends with: 'success' with its value, or a TiplineError's code.
export function outcome(fn) {
  try {
    return { got: 'success', value: fn() };
  } catch (e) {
    if (!(e instanceof seal.TiplineError)) throw e;
    return { got: e.code, error: e };
  }
}

// --- Signed things made here with libsodium, byte for byte as FORMAT.md describes them -------------

// A responder's public identity with both secret halves (FORMAT.md 6): an X25519 and an Ed25519 pair.
export function makeIdentity() {
  const box = sodium.crypto_box_keypair();
  const sign = sodium.crypto_sign_keypair();
  return {
    boxPublicKey: box.publicKey,
    boxSecretKey: box.privateKey,
    signPublicKey: sign.publicKey,
    signSecretKey: sign.privateKey,
  };
}

// FORMAT.md 6.1 and 17.1, written here with Node's base64url (which never pads).
const checksumOf = (label, ...parts) =>
  sodium.crypto_generichash(32, Buffer.concat([Buffer.from(label), ...parts])).subarray(0, 4);
export const publicKeyText = ({ boxPublicKey, signPublicKey }) => 'tipline-pk1-' +
  Buffer.concat([boxPublicKey, signPublicKey, checksumOf('tipline public key v1 checksum', boxPublicKey,
    signPublicKey)]).toString('base64url');
export const organisationKeyText = (signPublicKey) => 'tipline-org1-' +
  Buffer.concat([signPublicKey, checksumOf('tipline organisation key v1 checksum', signPublicKey)])
    .toString('base64url');

// FORMAT.md 9.5: a reply (fields as for encodeTipDocument, kind reply) signed by `signer`, as document
// version 2: version 2, header_length + 64, the signer after the header body, the attachments, then
// Ed25519 over "tipline signed reply v1" || BLAKE2b-256(everything before the signature).
// signWith signs with another Ed25519 secret key than the signer's, to make a forgery.
export function signedReplyDocument(signer, reply, { signWith = signer.signSecretKey } = {}) {
  const [head, ...attachments] = seal.encodeTipDocument({ kind: 'reply', ...reply });
  const preamble = Buffer.from(head.subarray(0, 14));
  preamble.writeUInt16BE(2, 8);
  preamble.writeUInt32BE(preamble.readUInt32BE(10) + 64, 10);
  const document = Buffer.concat([preamble, head.subarray(14), signer.boxPublicKey, signer.signPublicKey,
    ...attachments]);
  const message = Buffer.concat([Buffer.from('tipline signed reply v1'), sodium.crypto_generichash(32, document)]);
  return new Uint8Array(Buffer.concat([document, sodium.crypto_sign_detached(message, signWith)]));
}

// FORMAT.md 18.1: a recipient list signed by `organisation` ({ publicKey, privateKey }, Ed25519).
// `signWith` signs with another key than the one the list names.
export function recipientListBytes(organisation, { serial, expiresDay, recipients },
  { signWith = organisation.privateKey } = {}) {
  const head = Buffer.alloc(55);
  head.write('TIPLNLST', 0, 'latin1');
  head.writeUInt16BE(1, 8);
  Buffer.from(organisation.publicKey).copy(head, 10);
  head.writeBigUInt64BE(BigInt(serial), 42);
  head.writeUInt32BE(expiresDay, 50);
  head.writeUInt8(recipients.length, 54);
  const body = Buffer.concat([head, ...recipients.flatMap((r) => [r.boxPublicKey, r.signPublicKey])]);
  const signature = sodium.crypto_sign_detached(Buffer.concat([Buffer.from('tipline recipient list v1'), body]),
    signWith);
  return new Uint8Array(Buffer.concat([body, signature]));
}

// A bundle of FORMAT.md section 11, made here: envelope i gets id bytes i + 1 and day `day + i`.
export function bundleOf(envelopes, day = 20000) {
  const head = Buffer.alloc(14 + 28 * envelopes.length);
  head.write('TIPLNBDL', 0, 'latin1');
  head.writeUInt16BE(1, 8);
  head.writeUInt32BE(envelopes.length, 10);
  envelopes.forEach((e, i) => {
    head.fill(i + 1, 14 + 28 * i, 30 + 28 * i);
    head.writeUInt32BE(day + i, 30 + 28 * i);
    head.writeBigUInt64BE(BigInt(e.length), 34 + 28 * i);
  });
  return new Uint8Array(Buffer.concat([head, ...envelopes]));
}
