// A photo from a phone loses its place, time, camera and author before it is sealed, in every
// configuration: in the page with JavaScript on (web/js/tipline-clean.mjs), on the server with it off.
// The receipt page says which files were cleaned and that one recorded a place, and what the
// responder opens is read with exiftool.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  attachmentsOf,
  env,
  exportAndOpen,
  findTip,
  forEachBrowser,
  openBrowser,
  screenshot,
  submitTip,
  uniqueMarker,
} from './support.mjs';

const run = promisify(execFile);

// What a phone writes: where, when, with what and by whom.
const cameraTags = [
  '-GPSLatitude=42.9633', '-GPSLatitudeRef=N', '-GPSLongitude=129.8429', '-GPSLongitudeRef=E',
  '-Make=PhoneMaker', '-Model=Phone 7', '-SerialNumber=SN-0042-7', '-DateTimeOriginal=2026:11:30 21:14:05',
  '-Software=Camera 2.1', '-Artist=Kim', '-XMP-dc:Creator=Kim', '-Comment=taken behind the house',
];
const leaks = /GPS|Make|Model|Serial|DateTimeOriginal|Software|Artist|Creator|Comment/;

// A real JPEG (ffmpeg's test pattern), then the camera's tags written into it by exiftool.
async function phonePhoto(name) {
  const file = path.join(env.scratch, name);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240', '-frames:v', '1', file]);
  await run('exiftool', ['-q', '-overwrite_original', ...cameraTags, file]);
  return file;
}

// Every tag exiftool reads in the file, by group and name.
async function tagsOf(file) {
  const { stdout } = await run('exiftool', ['-j', '-a', '-u', '-G1', file]);
  return Object.keys(JSON.parse(stdout)[0]);
}

for (const javaScript of [true, false]) {
  forEachBrowser(javaScript, (config, test) => {
    test(`a phone's photo is cleaned ${javaScript ? 'in the page' : 'by the server'} before sealing, and the receipt page says so`, async () => {
      const label = `clean-${config.name}-${javaScript ? 'js' : 'nojs'}`;
      const marker = uniqueMarker(label);
      const name = `phone-${config.name}-${javaScript ? 'js' : 'nojs'}.jpg`;
      const photo = await phonePhoto(name);
      const before = await tagsOf(photo);
      assert.ok(before.some((t) => /GPSLatitude/.test(t)), `the photo records a place: ${before}`);
      assert.ok(before.some((t) => /SerialNumber/.test(t)), 'and the camera\'s serial number');

      const browser = await openBrowser(config);
      try {
        const page = await browser.newPage();
        const posted = await submitTip(page, { lang: 'ko', message: marker, files: [photo], inBrowser: javaScript });
        assert.equal(posted.status, javaScript ? 201 : 200);
        await page.waitFor('p.receipt strong', { hasText: /\d/, timeout: config.timeout });
        await page.waitFor('[data-cleaned]');
        assert.deepEqual((await page.innerTexts('[data-cleaned-names] li')).map((t) => t.trim()), [name],
          'the receipt page names the cleaned photo');
        assert.equal(await page.isHidden('[data-cleaned-place]'), false, 'and says it recorded a place');
        await screenshot(page, 'cleaned-photo');
        if (javaScript) {
          const sent = browser.requests.filter((r) => r.body);
          for (const r of sent) {
            assert.equal(r.body.indexOf(Buffer.from('SN-0042-7')), -1, `no metadata in the clear in ${r.line}`);
          }
        }
      } finally {
        await browser.close();
      }

      const tip = await findTip(await exportAndOpen(label), marker);
      const [file] = attachmentsOf(tip.info);
      assert.equal(file.name, name);
      const after = await tagsOf(path.join(tip.dir, file.file));
      assert.ok(after.some((t) => /ImageWidth/.test(t)), `exiftool still reads it as a JPEG: ${after}`);
      assert.deepEqual(after.filter((t) => leaks.test(t)), [], 'nothing of place, time, camera or author reaches the responder');
    });
  });
}
