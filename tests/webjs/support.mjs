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
