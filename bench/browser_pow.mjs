// Proof-of-work cost in a browser (bench/README.md): web/js/tipline-seal.mjs solving challenges in
// headless Chromium, with WebAssembly and without it (as at Tor Browser's Safer level), against the
// same code in Node in this process as the baseline.
//
//   node bench/browser_pow.mjs [--quick]
//
// Needs web/node_modules (scripts/build) and tests/browser/node_modules (tests/browser/run), and
// Debian's chromium. The page's files are served from the source tree by Playwright's router, so no
// server is started.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as seal from '../web/js/tipline-seal.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = createRequire(path.join(root, 'tests/browser/package.json'))('playwright-core');
const sodium = createRequire(path.join(root, 'web/package.json'))('libsodium-wrappers-sumo');

const quick = process.argv.includes('--quick');
const BITS = 18;  // tiplined's default pow_bits
const SOLVES = quick ? 6 : 30;
const NO_WASM_BITS = 12;  // without WebAssembly, measured at fewer bits and scaled by 2^(18-12)

function randomChallenge(bits) {
  const c = new Uint8Array(34);
  crypto.getRandomValues(c);
  c[0] = 1;
  c[1] = bits;
  return c;
}

function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { mean, median: sorted[Math.floor(sorted.length / 2)], p95: sorted[Math.min(sorted.length - 1, Math.round(0.95 * (sorted.length - 1)))] };
}

async function solveTimes(solveOne, bits, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await solveOne(randomChallenge(bits));
    times.push(performance.now() - start);
  }
  return summary(times);
}

// In the page: the same module, solving with its default pause (the page stays responsive).
async function inChromium(wasm) {
  const sodiumJs = Buffer.concat(await Promise.all([
    readFile(path.join(root, 'web/node_modules/libsodium-sumo/dist/modules-sumo/libsodium-sumo.js')),
    readFile(path.join(root, 'web/node_modules/libsodium-wrappers-sumo/dist/modules-sumo/libsodium-wrappers.js')),
  ]));
  const sealJs = await readFile(path.join(root, 'web/js/tipline-seal.mjs'));
  const browser = await chromium.launch({
    executablePath: process.env.TIPLINE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    // Without WebAssembly libsodium falls back to plain JavaScript, as at Tor Browser's Safer level.
    if (!wasm) await page.addInitScript('delete globalThis.WebAssembly');
    await page.route('http://bench.invalid/**', (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === '/static/sodium.js') return route.fulfill({ body: sodiumJs, contentType: 'text/javascript' });
      if (url.pathname === '/static/tipline-seal.mjs') return route.fulfill({ body: sealJs, contentType: 'text/javascript' });
      return route.fulfill({ body: '<!doctype html><title>bench</title>', contentType: 'text/html' });
    });
    await page.goto('http://bench.invalid/');
    await page.addScriptTag({ url: '/static/sodium.js' });
    const bits = wasm ? BITS : NO_WASM_BITS;
    return await page.evaluate(async ({ bits, solves }) => {
      await globalThis.sodium.ready;
      const s = await import('/static/tipline-seal.mjs');
      s.useSodium(globalThis.sodium);
      const times = [];
      for (let i = 0; i < solves; i++) {
        const c = new Uint8Array(34);
        crypto.getRandomValues(c);
        c[0] = 1;
        c[1] = bits;
        const start = performance.now();
        await s.solveChallenge(c);
        times.push(performance.now() - start);
      }
      return { times, wasm: typeof WebAssembly !== 'undefined' };
    }, { bits, solves: SOLVES });
  } finally {
    await browser.close();
  }
}

await sodium.ready;
seal.useSodium(sodium);
console.log(`tipline proof-of-work benchmark in a browser (${quick ? 'quick' : 'full'} mode), ${SOLVES} challenges each`);
const node = await solveTimes((c) => seal.solveChallenge(c, () => undefined), BITS, SOLVES);
const line = (name, r, scale = 1) => console.log(
  `  ${name.padEnd(44)} mean ${(r.mean * scale).toFixed(0).padStart(6)} ms, median ${(r.median * scale).toFixed(0).padStart(6)} ms, p95 ${(r.p95 * scale).toFixed(0).padStart(6)} ms`,
);
line(`Node, WebAssembly, ${BITS} bits (baseline)`, node);
const withWasm = await inChromium(true);
if (!withWasm.wasm) throw new Error('Chromium ran without WebAssembly');
const chrome = summary(withWasm.times);
line(`Chromium, WebAssembly, ${BITS} bits`, chrome);
const withoutWasm = await inChromium(false);
if (withoutWasm.wasm) throw new Error('WebAssembly was not removed');
const plain = summary(withoutWasm.times);
const scale = 2 ** (BITS - NO_WASM_BITS);
line(`Chromium, no WebAssembly, ${NO_WASM_BITS} bits x ${scale}`, plain, scale);
console.log(`  ratio to the baseline (means): Chromium ${(chrome.mean / node.mean).toFixed(2)}x, ` +
  `Chromium without WebAssembly ${((plain.mean * scale) / node.mean).toFixed(1)}x`);
