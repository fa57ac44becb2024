// What the pages promise a witness in their footer, checked from the browser's side: a strict
// Content-Security-Policy, no cookie, and no request to anywhere but the tip line itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { env, languages, openBrowser, origin, shownReceipt, submitTip, uniqueMarker } from './support.mjs';

// Records every request the page makes and checks every response; await settled() before reading problems.
function watch(page) {
  const checks = [];
  const seen = { requests: [], documents: [], problems: [], settled: () => Promise.all(checks) };
  page.on('request', (request) => seen.requests.push(request.url()));
  page.on('response', (response) => checks.push(checkResponse(response, seen)));
  return seen;
}

async function checkResponse(response, { documents, problems }) {
  const url = response.url();
  const isDocument = response.request().resourceType() === 'document';
  if (isDocument) documents.push(`${response.request().method()} ${new URL(url).pathname}`);
  const headers = await response.headersArray();
  const names = headers.map((h) => h.name.toLowerCase());
  if (names.includes('set-cookie')) problems.push(`${url} sets a cookie`);
  if (names.includes('server')) problems.push(`${url} names the server software`);
  if (!isDocument) return;
  const csp = headers.filter((h) => h.name.toLowerCase() === 'content-security-policy').map((h) => h.value);
  // 'wasm-unsafe-eval' lets libsodium compile its WebAssembly; no inline script or eval is allowed.
  if (csp.length !== 1 || !csp[0].startsWith("default-src 'none'") || /'unsafe-(inline|eval|hashes)'/.test(csp[0])) {
    problems.push(`${url} has Content-Security-Policy ${JSON.stringify(csp)}`);
  }
}

for (const javaScriptEnabled of [false, true]) {
  const mode = javaScriptEnabled ? 'on' : 'off';
  test(`with JavaScript ${mode}, every page has a strict CSP, sets no cookie and asks only its own origin`, async () => {
    const browser = await openBrowser({ javaScriptEnabled });
    try {
      const page = await browser.context.newPage();
      const seen = watch(page);
      const paths = ['/', ...languages.flatMap((lang) => [`/${lang}/`, `/${lang}/submit`, `/${lang}/check`])];
      for (const path of paths) {
        const response = await page.goto(`${env.baseUrl}${path}`);
        assert.equal(response.status(), 200, `GET ${path}`);
        await page.waitForLoadState('load');
      }
      const posted = await submitTip(page, {
        lang: 'zh-Hans',
        message: `${uniqueMarker(`privacy-${mode}`)} 隐私`,
        inBrowser: javaScriptEnabled,
      });
      assert.equal(posted.status(), javaScriptEnabled ? 201 : 200, 'the submission is stored and answered');
      await shownReceipt(page);
      await page.waitForLoadState('networkidle');
      await seen.settled();

      assert.deepEqual(seen.problems, [], 'no response breaks the header rules');
      const elsewhere = seen.requests.filter((url) => new URL(url).origin !== origin);
      assert.deepEqual(elsewhere, [], `every request goes to ${origin}`);
      // With JavaScript on the receipt shows in the submit page: the form is never posted.
      const expected = [...paths.map((path) => `GET ${path}`), 'GET /zh-Hans/submit',
        ...(javaScriptEnabled ? [] : ['POST /zh-Hans/submit'])];
      assert.deepEqual(seen.documents, expected, 'the headers of every page and of the receipt page were checked');
      assert.ok(seen.requests.some((url) => url.endsWith('/static/style.css')), 'the style sheet was requested');
      assert.deepEqual(await browser.context.cookies(), [], 'the browser holds no cookie after a submission');
      if (javaScriptEnabled) assert.equal(await page.evaluate(() => document.cookie), '', 'document.cookie is empty');
    } finally {
      await browser.close();
    }
  });
}
