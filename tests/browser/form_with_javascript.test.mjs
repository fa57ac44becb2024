// The submit page with JavaScript on while /static/tipline.js does not exist yet: the page must stay
// a plain form that the server seals. This is a placeholder: when the script that seals in the
// browser arrives, the first assertion fails on purpose, and this file becomes that script's test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { env, openBrowser, runToolOk, shownReceipt, submitTip, uniqueMarker, writeReceiptFile } from './support.mjs';

test('with JavaScript on and no page script, the submit page still works as a plain form', async () => {
  const browser = await openBrowser({ javaScriptEnabled: true });
  let receipt;
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const script = page.waitForResponse((r) => new URL(r.url()).pathname === '/static/tipline.js');
    const response = await page.goto(`${env.baseUrl}/en/submit`);
    assert.equal(response.status(), 200);
    assert.equal(
      (await script).status(),
      404,
      '/static/tipline.js exists now: replace this placeholder with the test of sealing in the browser',
    );
    assert.ok(await page.locator('#mode-server').isVisible(), 'the notice that the server seals is shown');
    assert.ok(await page.locator('#mode-browser').isHidden(), 'the notice of sealing in the browser is hidden');
    assert.ok(await page.locator('#mode-failed').isHidden(), 'no failure is announced');

    const posted = await submitTip(page, { lang: 'en', message: `${uniqueMarker('javascript-on')} plain form` });
    assert.equal(posted.status(), 200, 'the server answers the plain form post');
    receipt = await shownReceipt(page);
    assert.deepEqual(errors, [], 'no script error on either page');
  } finally {
    await browser.close();
  }
  const check = await runToolOk(env.submit, [
    'check', '--server', env.baseUrl, '--receipt-file', await writeReceiptFile(receipt, 'javascript-on'),
  ]);
  assert.match(check.stdout, /no replies yet/, 'the receipt opens a real mailbox');
});
