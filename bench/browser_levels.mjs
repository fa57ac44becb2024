// Time from pressing send to the receipt on the page, for a short message with a 1 MB photo, in
// headless Chromium and in Firefox ESR at Tor Browser's three security levels (JavaScript on in
// Chromium, Standard and Safer; off at Safest, where the server seals the form it is posted).
// With JavaScript on it also measures the longest the page could not draw (its event loop held by
// one task), with the cryptography in the page's worker and, as the baseline, on the page itself
// (the worker script blocked, as where no worker starts).
//
//   node bench/browser_levels.mjs BUILD_DIR [--runs N] [--configs chromium,standard,safer,safest]
//
// Needs tests/browser/node_modules (tests/browser/run installs them), Debian's chromium and
// firefox-esr. Starts its own tiplined on 127.0.0.1 with a fresh responder key in a folder under
// /tmp, removed at the end; the browsers are driven as the browser tests drive them.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { configurations, launch } from '../tests/browser/driver.mjs';

const puppeteer = createRequire(new URL('../tests/browser/package.json', import.meta.url))('puppeteer-core');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const [value] = args.splice(at, 2).slice(1);
  return value;
};
const runs = Number(option('--runs', '5'));
const chosen = option('--configs', 'chromium,standard,safer,safest').split(',');
if (args.length !== 1) {
  console.error('usage: node bench/browser_levels.mjs BUILD_DIR [--runs N] [--configs chromium,standard,safer,safest]');
  process.exit(2);
}
const build = path.resolve(args[0]);
const tool = (dir, name) => path.join(build, dir, name);

// A real JPEG of about 1 MB (the page cleans photos before sealing them, so random bytes will
// not do): noise drawn on a canvas in headless Chromium, at the quality that comes closest.
async function photo(executable, target = 1_000_000) {
  const browser = await puppeteer.launch({ browser: 'chrome', executablePath: executable, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-proxy-server'] });
  try {
    const page = await browser.newPage();
    const dataUrl = await page.evaluate((want) => {
      const canvas = document.createElement('canvas');
      canvas.width = 1200;
      canvas.height = 900;
      const context = canvas.getContext('2d');
      const image = context.createImageData(canvas.width, canvas.height);
      // Smooth gradients with some noise, closer to a photo than pure noise.
      for (let i = 0; i < image.data.length; i += 4) {
        const x = (i / 4) % canvas.width;
        const y = Math.floor(i / 4 / canvas.width);
        image.data[i] = (x / 5 + Math.random() * 90) & 255;
        image.data[i + 1] = (y / 4 + Math.random() * 90) & 255;
        image.data[i + 2] = ((x + y) / 8 + Math.random() * 90) & 255;
        image.data[i + 3] = 255;
      }
      context.putImageData(image, 0, 0);
      let best = null;
      for (let quality = 0.5; quality <= 1.0001; quality += 0.05) {
        const url = canvas.toDataURL('image/jpeg', quality);
        const size = Math.floor((url.length - 'data:image/jpeg;base64,'.length) * 3 / 4);
        if (!best || Math.abs(size - want) < Math.abs(best.size - want)) best = { url, size };
      }
      return best.url;
    }, target);
    return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
  } finally {
    await browser.close();
  }
}

async function startServer(work) {
  await writeFile(path.join(work, 'passphrase'), 'benchmark passphrase, not for real use\n');
  execFileSync(tool('client', 'tipline-responder'), ['keygen', '--kdf', 'interactive', '--out',
    path.join(work, 'responder.key'), '--passphrase-file', path.join(work, 'passphrase')]);
  execFileSync(tool('server', 'tiplined'), ['init', path.join(work, 'data'), '--responder',
    path.join(work, 'responder.key.pub')]);
  // Every run without JavaScript posts a form; the default budget for them is meant for people.
  const conf = path.join(work, 'data', 'tiplined.conf');
  await writeFile(conf, (await readFile(conf, 'utf8')).replace(/^web_form_burst = .*$/m, 'web_form_burst = 1000'));
  const server = spawn(tool('server', 'tiplined'), ['serve', path.join(work, 'data'), '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (b) => {
      out += b;
      const m = /^listening on (\S+)$/m.exec(out);
      if (m) resolve(`http://${m[1]}`);
    });
    server.on('exit', (code) => reject(new Error(`tiplined exited ${code}`)));
  });
  return { server, url };
}

// The page's status line names each step as it starts (tipline.js, progress()): preparing the
// receipt (reading and cleaning the files, then Argon2id), encrypting, the proof of work, sending.
// Each text is recorded with its time, so that a run's total splits into those steps.
const STEPS = { receipt: 'progressReceipt', encrypting: 'progressEncrypting', work: 'progressWork', sending: 'progressSending' };

function watchSteps() {
  const line = document.getElementById('sending');
  globalThis.stepsSeen = [];
  globalThis.stepTexts = { ...line.dataset };  // the line is gone once the receipt replaces the form
  new MutationObserver(() => {
    const seen = globalThis.stepsSeen;
    if (seen.at(-1)?.text !== line.textContent) seen.push({ at: performance.now(), text: line.textContent });
  }).observe(line, { childList: true, characterData: true, subtree: true });
  globalThis.stepsStarted = performance.now();
  // A timer every 10 ms: a longer gap between two ticks is time the page could not draw.
  globalThis.longestStill = 0;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    globalThis.longestStill = Math.max(globalThis.longestStill, now - last);
    last = now;
  }, 10);
}

function stepsTaken(names) {
  const done = performance.now();
  const out = {};
  const seen = globalThis.stepsSeen;
  for (let i = 0; i < seen.length; i++) {
    const [step] = Object.entries(names).find(([, key]) => {
      const template = globalThis.stepTexts[key] ?? '';
      const fixed = template.split(/\[[a-z]+\]/)[0];
      return fixed && seen[i].text.startsWith(fixed);
    }) ?? ['other'];
    out[step] = (out[step] ?? 0) + ((seen[i + 1]?.at ?? done) - seen[i].at);
  }
  return out;
}

// One send: the form filled, then the time from the click to the receipt shown, and for the page's
// script the time each step took.
async function sendOnce(browser, config, photoPath, run) {
  const page = await browser.newPage();
  try {
    await page.goto('/en/submit');
    if (config.javaScript) await page.waitFor('#mode-browser');
    await page.fill('#message', `benchmark ${config.name} run ${run}: a short message with a photo`);
    await page.setFiles('#files', [photoPath]);
    if (config.javaScript) await page.evaluate(watchSteps);
    const started = performance.now();
    if (config.javaScript) {
      await page.click('#tip-form button[type="submit"]');
    } else {
      await page.clickAndNavigate('#tip-form button[type="submit"]', config.timeout);
    }
    // When no receipt comes, what the page says instead is the useful part of the failure.
    await page.waitFor('p.receipt strong', { hasText: /\d/, timeout: config.timeout }).catch(async (e) => {
      throw new Error(`${e.message}\nthe page says: ${await page.innerText('main').catch(() => '?')}`);
    });
    const total = performance.now() - started;
    if (!config.javaScript) return { total, steps: {}, still: 0 };
    return { total, steps: await page.evaluate(stepsTaken, STEPS), still: await page.evaluate(() => globalThis.longestStill) };
  } finally {
    await page.close();
  }
}

const work = await mkdtemp('/tmp/tipline-bench-levels.');
const { server, url } = await startServer(work);
const photoPath = path.join(work, 'photo.jpg');
const photoBytes = await photo(process.env.TIPLINE_CHROMIUM || '/usr/bin/chromium');
await writeFile(photoPath, photoBytes);
unsetProxy();
try {
  console.log(`send to receipt, short message with a ${photoBytes.length}-byte JPEG photo, ${runs} runs each (seconds)`);
  console.log('configuration                     median      max   still   steps, median of each (receipt: files and Argon2id)');
  const rows = chosen.flatMap((name) => {
    const base = configurations[name];
    if (!base) throw new Error(`unknown configuration ${name}`);
    const config = { name, ...base, javaScript: base.javaScript[0] };
    return config.javaScript ? [{ config, onPage: false }, { config, onPage: true }] : [{ config, onPage: false }];
  });
  for (const { config, onPage } of rows) {
    const browser = await launch(config, {
      serverUrl: url,
      scratch: work,
      executables: {
        chromium: process.env.TIPLINE_CHROMIUM || '/usr/bin/chromium',
        firefox: process.env.TIPLINE_FIREFOX || '/usr/bin/firefox-esr',
      },
    });
    if (onPage) browser.block('/static/tipline-worker.js');
    const times = [];
    try {
      for (let run = 1; run <= runs; run++) times.push(await sendOnce(browser, config, photoPath, run));
    } finally {
      await browser.close();
    }
    const label = (config.engine === 'chromium' ? 'chromium (JavaScript on)' : `firefox-esr ${config.level}`) +
      (onPage ? ', on the page' : '');
    const totals = times.map((t) => t.total).sort((a, b) => a - b);
    const steps = [...new Set(times.flatMap((t) => Object.keys(t.steps)))]
      .map((step) => `${step} ${(median(times.map((t) => t.steps[step] ?? 0)) / 1000).toFixed(1)}`).join(', ');
    // still: the median over the runs of each run's longest gap, in seconds.
    const still = config.javaScript ? (median(times.map((t) => t.still)) / 1000).toFixed(2) : '-';
    console.log(`${label.padEnd(32)} ${(median(totals) / 1000).toFixed(1).padStart(7)}  ${(totals.at(-1) / 1000).toFixed(1).padStart(7)}  ${still.padStart(6)}   ${steps}`);
  }
} finally {
  server.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

// The browsers reach 127.0.0.1 only; no proxy from the environment may stand in between.
function unsetProxy() {
  for (const name of ['http_proxy', 'https_proxy', 'all_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY']) delete process.env[name];
}
