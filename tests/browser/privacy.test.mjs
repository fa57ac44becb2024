// What the pages promise a witness in their footer, checked from the browser's side: a strict
// Content-Security-Policy, no cookie, and no request to anywhere but the tip line itself.
import assert from 'node:assert/strict';
import { forEachBrowser, languages, openBrowser, shownReceipt, submitTip, uniqueMarker } from './support.mjs';

// The rules every response the browser reports must keep; documents must carry the strict CSP.
function problemsOf(responses) {
  const problems = [];
  for (const { url, headers, document } of responses) {
    const names = Object.keys(headers).map((name) => name.toLowerCase());
    if (names.includes('set-cookie')) problems.push(`${url} sets a cookie`);
    if (names.includes('server')) problems.push(`${url} names the server software`);
    if (!document) continue;
    // Headers as the browser reports them, one value per name: several CSP headers would be joined.
    const csp = Object.entries(headers).filter(([name]) => name.toLowerCase() === 'content-security-policy')
      .flatMap(([, value]) => value.split('\n'));
    // 'wasm-unsafe-eval' lets libsodium compile its WebAssembly; no inline script or eval is allowed.
    if (csp.length !== 1 || !csp[0].startsWith("default-src 'none'") || /'unsafe-(inline|eval|hashes)'/.test(csp[0])) {
      problems.push(`${url} has Content-Security-Policy ${JSON.stringify(csp)}`);
    }
  }
  return problems;
}

const paths = ['/', ...languages.flatMap((lang) => [`/${lang}/`, `/${lang}/submit`, `/${lang}/check`])];

// Every document the test loads. With JavaScript on the receipt shows in the submit page: the form
// is never posted.
function expectedDocuments(javaScriptEnabled) {
  return [...paths.map((path) => `GET ${path}`), 'GET /zh-Hans/submit', ...(javaScriptEnabled ? [] : ['POST /zh-Hans/submit'])];
}

for (const javaScriptEnabled of [false, true]) {
  const mode = javaScriptEnabled ? 'on' : 'off';
  forEachBrowser(javaScriptEnabled, (config, test) => {
    test(`with JavaScript ${mode}, every page has a strict CSP, sets no cookie and asks only its own origin`, async () => {
      const browser = await openBrowser(config);
      try {
        const page = await browser.newPage();
        const seen = page.watchNetwork();
        for (const path of paths) {
          const response = await page.goto(path);
          assert.equal(response.status, 200, `GET ${path}`);
        }
        const posted = await submitTip(page, {
          lang: 'zh-Hans',
          message: `${uniqueMarker(`privacy-${mode}`)} 隐私`,
          inBrowser: javaScriptEnabled,
        });
        assert.equal(posted.status, javaScriptEnabled ? 201 : 200, 'the submission is stored and answered');
        await shownReceipt(page);
        await page.waitForNetworkIdle();

        assert.deepEqual(problemsOf(seen.responses), [], 'no response breaks the header rules');
        // The browser reports one value per header name, so the count comes from what the server sent.
        const answered = browser.requests.filter((r) => r.document && r.responseHeaders);
        assert.equal(answered.length, expectedDocuments(javaScriptEnabled).length, 'every page went through the proxy');
        for (const r of answered) {
          const csp = r.responseHeaders.filter(([name]) => name === 'content-security-policy');
          assert.equal(csp.length, 1, `${r.line} is answered with exactly one Content-Security-Policy`);
        }
        // A data: URL is read inside the browser, not fetched from anywhere (Firefox loads one of its
        // own fonts that way); the CSP above keeps the pages from using any.
        const elsewhere = seen.requests.filter((url) => !url.startsWith('data:') && new URL(url).origin !== browser.origin);
        assert.deepEqual(elsewhere, [], `every request goes to ${browser.origin}`);
        const expected = expectedDocuments(javaScriptEnabled);
        const documents = seen.responses.filter((r) => r.document).map((r) => `${r.method} ${new URL(r.url).pathname}`);
        assert.deepEqual(documents, expected, 'the headers of every page and of the receipt page were checked');
        assert.ok(seen.requests.some((url) => url.endsWith('/static/style.css')), 'the style sheet was requested');
        assert.deepEqual(await browser.cookies(), [], 'the browser holds no cookie after a submission');
        if (javaScriptEnabled) assert.equal(await page.evaluate(() => document.cookie), '', 'document.cookie is empty');
      } finally {
        await browser.close();
      }
    });
  });
}
