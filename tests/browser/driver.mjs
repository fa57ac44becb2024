// The browsers the suite runs in, and the one small interface the tests use to drive them: Debian's
// Chromium over the DevTools protocol and Debian's Firefox ESR, the engine of Tor Browser, over
// WebDriver BiDi at each of Tor Browser's security levels, both through puppeteer-core.
//
// Every page is loaded through a recording proxy on 127.0.0.1 in front of tiplined. It keeps each
// request's exact bytes, which neither protocol hands back reliably for binary bodies, so the
// assertions about what left the browser read the same log in every engine.
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

// Tor Browser's security levels as Firefox preferences (tests/browser/README.md says where each
// value comes from). Safer and Safest share the JavaScript engine settings; Safest also turns
// scripts off entirely, which Tor Browser does through NoScript.
const saferPrefs = {
  'javascript.options.ion': false,
  'javascript.options.baselinejit': false,
  'javascript.options.native_regexp': false,
  'javascript.options.asmjs': false,
  'javascript.options.wasm': false,
  'mathml.disabled': true,
  'gfx.font_rendering.graphite.enabled': false,
  'gfx.font_rendering.opentype_svg.enabled': false,
  'dom.security.https_only_mode_send_http_background_request': false,
};
const levelPrefs = {
  standard: {},
  safer: saferPrefs,
  safest: { ...saferPrefs, 'svg.disabled': true, 'javascript.enabled': false },
};

// Firefox's own traffic, none of which may leave the machine or show up in a request log.
const quietFirefox = {
  'network.proxy.type': 0, // everything the tests load is on 127.0.0.1
  'app.update.auto': false,
  'app.update.disabledForTesting': true,
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'app.shield.optoutstudies.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/remote-settings', // a closed port: nothing answers
  'security.remote_settings.crlite_filters.enabled': false,
  'security.remote_settings.intermediates.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.newtabpage.enabled': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'browser.startup.page': 0,
  'browser.startup.homepage': 'about:blank',
  'browser.shell.checkDefaultBrowser': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.search.update': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.backup.scheduled.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.trr.mode': 5, // no DNS over HTTPS
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.predictor.enabled': false,
  'network.http.speculative-parallel-limit': 0,
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.blocklist.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'media.gmp-manager.url': '',
  'media.gmp-gmpopenh264.enabled': false,
  'geo.provider.network.url': '',
  'dom.push.connection.enabled': false,
  'identity.fxaccounts.enabled': false,
  'intl.locale.requested': 'en-US',
  'intl.accept_languages': 'en-US, en',
};

// Nothing in Chromium's own background traffic may reach the network or muddy the request log.
const chromiumArgs = [
  '--no-sandbox', // the tests run as root in CI, where Chromium's sandbox cannot start
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-proxy-server',
  '--lang=en-US',
];

// The configurations the suite knows. Tests with JavaScript on run in each one whose scripts run;
// tests with it off run in Chromium with JavaScript disabled and in Firefox at Safest.
// Without WebAssembly or a JIT, sealing at Safer takes minutes, hence its long timeout.
export const configurations = {
  chromium: { engine: 'chromium', javaScript: [true, false], timeout: 5 * 60_000 },
  standard: { engine: 'firefox', level: 'standard', javaScript: [true], timeout: 5 * 60_000 },
  safer: { engine: 'firefox', level: 'safer', javaScript: [true], timeout: 30 * 60_000 },
  safest: { engine: 'firefox', level: 'safest', javaScript: [false], timeout: 5 * 60_000 },
};

// TIPLINE_BROWSER_CONFIGS chooses some of them, comma-separated; all by default.
export function chosenConfigurations() {
  const names = (process.env.TIPLINE_BROWSER_CONFIGS || Object.keys(configurations).join(','))
    .split(',').map((n) => n.trim()).filter(Boolean);
  for (const name of names) {
    if (!configurations[name]) throw new Error(`unknown browser configuration ${name}; known: ${Object.keys(configurations).join(', ')}`);
  }
  return names.map((name) => ({ name, ...configurations[name] }));
}

// The configurations a test with JavaScript on (or off) runs in, each named for the test's title.
export function configurationsFor(javaScript) {
  return chosenConfigurations()
    .filter((c) => c.javaScript.includes(javaScript))
    .map((c) => ({ ...c, javaScript, label: c.engine === 'chromium' ? `chromium, JavaScript ${javaScript ? 'on' : 'off'}` : `firefox-esr ${c.level}` }));
}

// A proxy in front of target that keeps every request: method, path, headers, body, whether it
// loaded a document, the headers of the server's answer exactly as sent, and whether the whole
// answer reached the browser (delivered). Paths in blocked are
// answered 404 here, as a failed download would be. While a request matches cut(method, pathname),
// its connection is dropped once the server has answered, as a circuit that fails mid-upload
// drops it: what the server stored stays stored, and the browser never hears of it.
async function startRecorder(target) {
  const upstream = new URL(target);
  const requests = [];
  const blocked = new Set();
  const link = { cut: null };
  const server = http.createServer((req, res) => {
    const entry = {
      method: req.method,
      path: req.url,
      line: `${req.method} ${req.url}`,
      headers: req.headers,
      document: req.headers['sec-fetch-mode'] === 'navigate',
      body: null,
      responseHeaders: null,
    };
    requests.push(entry);
    // Whether the browser got the whole answer: a request it gives up on (a closed page, a cut link,
    // a connection its network layer drops and retries on another) closes its side first.
    entry.delivered = false;
    res.on('finish', () => { entry.delivered = true; });
    // A browser that gives up on a request closes its side: that ends this request, not the test.
    req.on('error', () => res.destroy());
    res.on('error', () => {});
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      if (chunks.length > 0) entry.body = Buffer.concat(chunks);
    });
    if (blocked.has(new URL(req.url, upstream).pathname)) {
      req.resume();
      res.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    const dropped = link.cut?.(req.method, new URL(req.url, upstream).pathname) ?? false;
    entry.dropped = dropped;
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (dropped) {
          answer.resume();
          answer.on('end', () => res.destroy());
          return;
        }
        entry.responseHeaders = [];
        for (let i = 0; i < answer.rawHeaders.length; i += 2) {
          entry.responseHeaders.push([answer.rawHeaders[i].toLowerCase(), answer.rawHeaders[i + 1]]);
        }
        res.writeHead(answer.statusCode, answer.statusMessage, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    requests,
    blocked,
    link,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

// Launches the configuration's browser with a profile of its own under scratch, removed on close,
// in front of the server at serverUrl. viewport and mobile shape every page it opens. With direct,
// the browser talks to the server itself, with no recording proxy between (for a server that
// answers only requests addressed to its own host and port), and nothing is recorded.
export async function launch(config, { serverUrl, scratch, executables, viewport = { width: 1280, height: 900 }, mobile = false, direct = false }) {
  const profile = await mkdtemp(path.join(scratch, `profile-${config.name}-`));
  const recorder = direct
    ? { base: new URL(serverUrl).origin, requests: [], blocked: new Set(), link: { cut: null }, close: async () => {} }
    : await startRecorder(serverUrl);
  const options = config.engine === 'chromium'
    ? { browser: 'chrome', executablePath: executables.chromium, args: chromiumArgs }
    : {
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: executables.firefox,
      extraPrefsFirefox: { ...quietFirefox, ...levelPrefs[config.level] },
    };
  const browser = await puppeteer.launch({
    ...options,
    headless: true,
    userDataDir: profile,
    defaultViewport: null,
    protocolTimeout: config.timeout,
  });
  return {
    config,
    base: recorder.base,
    origin: new URL(recorder.base).origin,
    // Every request the server was sent through this browser, in the order they arrived.
    requests: recorder.requests,
    // Answers 404 for pathname from now on, without asking the server.
    block: (pathname) => recorder.blocked.add(pathname),
    // From now on, drops the connection of each request for which cut(method, pathname) is true,
    // after the server has answered it; null restores the link.
    cut: (cut) => { recorder.link.cut = cut; },
    async newPage() {
      const page = await browser.newPage();
      await page.setViewport(
        config.engine === 'chromium' ? { ...viewport, isMobile: mobile, hasTouch: mobile } : viewport,
      );
      if (config.engine === 'chromium' && !config.javaScript) await page.setJavaScriptEnabled(false);
      return new Tab(page, recorder.base, config);
    },
    cookies: () => browser.cookies(),
    async close() {
      await browser.close().catch(() => {});
      await recorder.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One page, driven only through what works with scripts off as well as on: DOM reads and real mouse
// and keyboard input. Waiting is polled from here, since the protocols' own waiting runs script in
// the page and never returns when the page's scripts are disabled.
export class Tab {
  constructor(page, base, config) {
    this.page = page;
    this.base = base;
    this.config = config;
    this.defaultTimeout = Math.max(20_000, config.timeout / 10);
    // Requests the browser has started for this page and not yet answered or failed, but for the
    // favicon the browser fetches on its own: Chromium 156 never reports that one as done. An
    // answer counts (not only a finished body): Chromium reports no end for its workers' requests.
    // A new document drops what the one before left waiting: Chromium reports no end for the
    // requests of a page's worker that stops when its page is left.
    this.inflight = new Set();
    this.lastActivity = Date.now();
    const settle = (r) => {
      this.inflight.delete(r);
      this.lastActivity = Date.now();
    };
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/favicon.ico') return;
      this.inflight.add(r);
      this.lastActivity = Date.now();
    });
    page.on('response', (r) => settle(r.request()));
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) this.inflight.clear();
    });
    page.on('requestfinished', settle);
    page.on('requestfailed', settle);
  }

  url(path = '') {
    return new URL(path, this.base).href;
  }

  currentUrl() {
    return this.page.url();
  }

  // Loads path and answers {status, headers}.
  async goto(path) {
    const response = await this.page.goto(this.url(path), { waitUntil: 'load', timeout: this.defaultTimeout });
    return { status: response.status(), headers: response.headers() };
  }

  async reload() {
    const response = await this.page.reload({ waitUntil: 'load', timeout: this.defaultTimeout });
    return { status: response.status(), headers: response.headers() };
  }

  evaluate(fn, ...args) {
    return this.page.evaluate(fn, ...args);
  }

  title() {
    return this.page.title();
  }

  // fn(selector, ...args) run in the page, to read or change the element selector matches. Plain
  // evaluation: puppeteer's element queries hang in Firefox once a page with scripts off has been
  // reached by a form post.
  on(selector, fn, ...args) {
    return this.page.evaluate(fn, selector, ...args);
  }

  count(selector) {
    return this.page.evaluate((sel) => document.querySelectorAll(sel).length, selector);
  }

  text(selector) {
    return this.on(selector, (sel) => document.querySelector(sel).textContent);
  }

  innerText(selector) {
    return this.on(selector, (sel) => document.querySelector(sel).innerText);
  }

  innerTexts(selector) {
    return this.page.evaluate((sel) => [...document.querySelectorAll(sel)].map((el) => el.innerText), selector);
  }

  value(selector) {
    return this.on(selector, (sel) => document.querySelector(sel).value);
  }

  // Hidden: not there, or taking no space on the page.
  isHidden(selector) {
    return this.page.evaluate((sel) => {
      const el = document.querySelector(sel);
      return !el || el.getClientRects().length === 0 || getComputedStyle(el).visibility === 'hidden';
    }, selector);
  }

  isDisabled(selector) {
    return this.on(selector, (sel) => document.querySelector(sel).disabled);
  }

  // Waits until an element matching selector is shown, its text matching hasText if given.
  async waitFor(selector, { hasText, timeout = this.defaultTimeout } = {}) {
    const pattern = hasText ? [hasText.source, hasText.flags] : null;
    await this.waitUntil(
      (sel, p) => [...document.querySelectorAll(sel)].some((el) => el.getClientRects().length > 0
        && (!p || new RegExp(p[0], p[1]).test(el.textContent))),
      { timeout, what: `${selector}${hasText ? ` with text ${hasText}` : ''}` },
      selector,
      pattern,
    );
  }

  // Waits until fn, run in the page, returns something true.
  async waitUntil(fn, { timeout = this.defaultTimeout, what = 'the condition' } = {}, ...args) {
    const end = Date.now() + timeout;
    for (;;) {
      // A navigation can end the document the check ran in; the next round asks the new one.
      if (await this.page.evaluate(fn, ...args).catch(() => false)) return;
      if (Date.now() > end) throw new Error(`waited ${timeout} ms for ${what} on ${this.page.url()}`);
      await sleep(100);
    }
  }

  // A real mouse click in the middle of the element, scrolled into view first.
  async click(selector) {
    await this.waitFor(selector);
    const at = await this.on(selector, (sel) => {
      const el = document.querySelector(sel);
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const box = el.getBoundingClientRect();
      return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    });
    await this.page.mouse.click(at.x, at.y);
  }

  // Clicks and waits for the page it leads to; answers the new document's {status}.
  async clickAndNavigate(selector, timeout = this.defaultTimeout) {
    const [response] = await Promise.all([
      this.page.waitForNavigation({ waitUntil: 'load', timeout }),
      this.click(selector),
    ]);
    return { status: response.status() };
  }

  // Clicks into the field and types text with the keyboard, as a person would.
  async type(selector, text) {
    await this.click(selector);
    await this.page.keyboard.type(text);
  }

  // Puts text in the field at once, with the input event typing would have sent.
  async fill(selector, text) {
    await this.waitFor(selector);
    await this.on(selector, (sel, t) => {
      const el = document.querySelector(sel);
      el.focus();
      el.value = t;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, text);
  }

  async setFiles(selector, files) {
    const input = await this.page.evaluateHandle((sel) => document.querySelector(sel), selector);
    await input.uploadFile(...files);
    await input.dispose();
  }

  // Chooses the option with value, with the events a person's choice sends.
  async select(selector, value) {
    await this.on(selector, (sel, v) => {
      const el = document.querySelector(sel);
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, value);
    assert.equal(await this.value(selector), value, `${selector} offers ${value}`);
  }

  press(key) {
    return this.page.keyboard.press(key);
  }

  // Answers the first response the browser receives that match(method, pathname) accepts.
  async waitForResponse(match, timeout = this.defaultTimeout) {
    const response = await this.page.waitForResponse(
      (r) => match(r.request().method(), new URL(r.url()).pathname),
      { timeout },
    );
    return { status: response.status(), headers: response.headers() };
  }

  // Script errors the page throws from now on.
  collectErrors() {
    const errors = [];
    this.page.on('pageerror', (error) => errors.push(error.message));
    return errors;
  }

  // Every request (url, method, navigation) and response (url, status, headers, navigation) the
  // browser itself reports from now on, wherever it goes.
  watchNetwork() {
    const seen = { requests: [], responses: [] };
    this.page.on('request', (r) => seen.requests.push(r.url()));
    this.page.on('response', (r) => seen.responses.push({
      url: r.url(),
      method: r.request().method(),
      document: r.request().isNavigationRequest(),
      status: r.status(),
      headers: r.headers(),
    }));
    return seen;
  }

  // Runs fn in each new document before the page's own scripts.
  beforeScripts(fn) {
    return this.page.evaluateOnNewDocument(fn);
  }

  // Resolves once no request of the page's has been waiting for an answer for 500 ms.
  async waitForNetworkIdle(idleTime = 500) {
    const deadline = Date.now() + this.defaultTimeout;
    for (;;) {
      const quiet = this.inflight.size === 0 ? Date.now() - this.lastActivity : 0;
      if (quiet >= idleTime) return;
      if (Date.now() > deadline) {
        throw new Error(`the network did not go idle: ${[...this.inflight].map((r) => r.url()).join(', ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async screenshot(file) {
    await mkdir(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file, fullPage: true });
  }

  close() {
    return this.page.close();
  }
}
