// The forms work from the keyboard alone and name every control, in every language.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { catalogs, forEachBrowser, languages, openBrowser } from './support.mjs';

// The focused element as the test names it, where it is, and whether its focus can be seen.
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const type = el.getAttribute('type');
    const style = getComputedStyle(el);
    return {
      name: el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}${type ? `[type=${type}]` : ''}`,
      inHeader: Boolean(el.closest('header')),
      inForm: Boolean(el.closest('#tip-form')),
      outlined: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    };
  });
}

forEachBrowser(false, (config, test) => {
let browser;
before(async () => {
  browser = await openBrowser(config);
});
after(async () => {
  await browser?.close();
});

test('Tab from the top of the submit page reaches the message, files, language and send button in order', async () => {
  const page = await browser.newPage();
  await page.goto('/en/submit');
  const stops = [];
  for (let i = 0; i < 20; i++) {
    await page.press('Tab');
    const stop = await focused(page);
    if (!stop) break;
    stops.push(stop);
    if (stop.name === 'button[type=submit]') break;
  }
  const names = stops.map((s) => s.name);
  const first = names.indexOf('#message');
  assert.ok(first > 0, `Tab reaches the message after the header links: ${names.join(' ')}`);
  assert.ok(stops.slice(0, first).every((s) => s.inHeader), `only header links come before it: ${names.join(' ')}`);
  assert.deepEqual(
    names.slice(first),
    ['#message', '#files', '#language', 'button[type=submit]'],
    'the form controls follow one another in order',
  );
  assert.ok(stops.slice(first).every((s) => s.inForm), 'each of them belongs to the form');
  const unseen = stops.filter((s) => !s.outlined).map((s) => s.name);
  assert.deepEqual(unseen, [], 'every keyboard focus is visibly outlined');
  await page.close();
});

for (const lang of languages) {
  test(`every form control in ${lang} has its own label`, async () => {
    const page = await browser.newPage();
    const t = catalogs[lang];
    const expected = {
      submit: { message: t['submit.message'], files: t['submit.files'], language: t['submit.language'] },
      check: { receipt: t['check.receipt'] },
    };
    for (const [path, labels] of Object.entries(expected)) {
      await page.goto(`/${lang}/${path}`);
      const found = await page.evaluate(() =>
        [...document.querySelectorAll('main form')].flatMap((form) =>
          [...form.querySelectorAll('input:not([type=hidden]), textarea, select')].map((el) => [
            el.id,
            [...el.labels].map((label) => label.textContent.trim()),
          ]),
        ),
      );
      assert.deepEqual(
        found,
        Object.entries(labels).map(([id, text]) => [id, [text]]),
        `the controls of /${lang}/${path} and their labels`,
      );
      const buttons = await page.innerTexts('main form button');
      assert.ok(buttons.length === 1 && buttons[0].trim().length > 0, `the button of /${lang}/${path} has a name`);
    }
    await page.close();
  });
}
});
