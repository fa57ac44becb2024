// Every page in every language on a 360-pixel phone, the receipt and refusal pages included: the
// right language, every text from its own catalog, nothing wider than the screen. A full-page
// screenshot of each goes to the artifacts folder.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { catalogs, forEachBrowser, languages, openBrowser, screenshot, shownReceipt, submitTip, uniqueMarker } from './support.mjs';

const phone = { width: 360, height: 800 };
// The shape of a catalog key shown in place of its text.
const keyLike = /\b(home|submit|receipt|check|error|nav|mode|site|language|footer)\.[a-z_.]+\b/;
const placeholder = /\{[A-Za-z_]+\}/;

// The longest stretches of an English text that a translated page must not show.
function englishFragments(text) {
  return text.split(placeholder).filter((part) => part.trim().length >= 12);
}

async function checkPage(page, { lang, name, headingKey, titleKey }) {
  await screenshot(page, `${lang}-${name}`);
  const t = catalogs[lang];
  const where = `${name} page in ${lang}`;

  assert.equal(await page.evaluate(() => document.documentElement.lang), lang, `html lang on the ${where}`);
  assert.equal(await page.title(), `${t[titleKey]} · ${t['site.title']}`, `title of the ${where}`);
  assert.equal((await page.innerText('h1')).trim(), t[headingKey], `heading of the ${where}`);
  assert.equal((await page.innerText('footer p')).trim(), t.footer, `footer of the ${where}`);

  // What a reader sees or hears: the rendered text, the title and the labels given to assistive technology.
  const shown = await page.evaluate(() => {
    const labels = [...document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')].flatMap((el) =>
      ['aria-label', 'title', 'placeholder', 'alt'].map((a) => el.getAttribute(a) ?? ''),
    );
    return [document.title, document.body.innerText, ...labels].join('\n');
  });
  assert.doesNotMatch(shown, keyLike, `no catalog key in place of a text on the ${where}`);
  for (const key of Object.keys(t).filter((k) => k.includes('.'))) {
    assert.ok(!shown.includes(key), `catalog key ${key} is not shown on the ${where}`);
  }
  assert.doesNotMatch(shown, placeholder, `no unfilled placeholder on the ${where}`);
  if (lang !== 'en') {
    // A key missing from this catalog would fall back to English.
    for (const [key, english] of Object.entries(catalogs.en)) {
      if (key === 'language.name' || english === t[key]) continue;
      for (const fragment of englishFragments(english)) {
        assert.ok(!shown.includes(fragment.trim()), `English text of ${key} on the ${where}: ${fragment.trim()}`);
      }
    }
  }

  const nav = await page.evaluate(() =>
    [...document.querySelectorAll('header nav a')].map((a) => [a.getAttribute('hreflang'), a.textContent, a.getAttribute('aria-current')]),
  );
  assert.deepEqual(
    nav,
    languages.map((other) => [other, catalogs[other]['language.name'], other === lang ? 'page' : null]),
    `the language links on the ${where}`,
  );

  const width = await page.evaluate(() => [document.documentElement.scrollWidth, document.body.scrollWidth]);
  assert.ok(
    Math.max(...width) <= phone.width,
    `no horizontal scroll at ${phone.width} px on the ${where}: scrollWidth ${width.join(', ')}`,
  );
}

forEachBrowser(false, (config, test) => {
let browser;
before(async () => {
  browser = await openBrowser(config, { viewport: phone, mobile: true });
});
after(async () => {
  await browser?.close();
});

test('the root page is the English home page', async () => {
  const page = await browser.newPage();
  const response = await page.goto('/');
  assert.equal(response.status, 200);
  await checkPage(page, { lang: 'en', name: 'root', headingKey: 'home.heading', titleKey: 'nav.home' });
  await page.close();
});

for (const lang of languages) {
  test(`every page in ${lang} renders from the ${lang} catalog and fits a 360-pixel screen`, async () => {
    const page = await browser.newPage();
    const pages = [
      { name: 'home', path: '', headingKey: 'home.heading', titleKey: 'nav.home' },
      { name: 'submit', path: 'submit', headingKey: 'submit.heading', titleKey: 'submit.heading' },
      { name: 'check', path: 'check', headingKey: 'check.heading', titleKey: 'check.heading' },
    ];
    for (const p of pages) {
      const response = await page.goto(`/${lang}/${p.path}`);
      assert.equal(response.status, 200, `GET /${lang}/${p.path}`);
      await checkPage(page, { lang, ...p });
      if (p.name === 'submit') {
        const hint = await page.innerText('#files-hint');
        assert.match(hint, /\d+ (B|KiB|MiB|GiB)/, `the file hint in ${lang} names the size limit`);
      }
    }

    const posted = await submitTip(page, { lang, message: `${uniqueMarker(`language-${lang}`)} ${lang}` });
    assert.equal(posted.status, 200, `POST /${lang}/submit`);
    await checkPage(page, { lang, name: 'receipt', headingKey: 'receipt.heading', titleKey: 'receipt.heading' });
    await shownReceipt(page);

    const refused = await submitTip(page, { lang, message: '' });
    assert.equal(refused.status, 400, `POST /${lang}/submit with neither a message nor a file`);
    await checkPage(page, { lang, name: 'refused', headingKey: 'error.heading', titleKey: 'error.heading' });
    assert.equal((await page.innerText('main p.notice')).trim(), catalogs[lang]['error.empty']);
    await page.close();
  });
}
});
