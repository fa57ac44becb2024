// Photos from a phone (JPEG, PNG and WebP) lose their place, time, camera and author before they are
// sealed, in every configuration: in the page with JavaScript on (web/js/tipline-clean.mjs), on the
// server with it off. The receipt page says which files were cleaned and that one recorded a place,
// and what the responder opens is read with exiftool.
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

// A real photo (ffmpeg's test pattern, in the format the name's extension says), then the camera's
// tags written into it by exiftool.
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
    test(`a phone's photos are cleaned ${javaScript ? 'in the page' : 'by the server'} before sealing, and the receipt page says so`, async () => {
      const label = `clean-${config.name}-${javaScript ? 'js' : 'nojs'}`;
      const marker = uniqueMarker(label);
      const names = ['jpg', 'png', 'webp'].map((ext) => `phone-${config.name}-${javaScript ? 'js' : 'nojs'}.${ext}`);
      const photos = [];
      for (const name of names) photos.push(await phonePhoto(name));
      for (const photo of photos) {
        const before = await tagsOf(photo);
        assert.ok(before.some((t) => /SerialNumber/.test(t)), `the photo records the camera's serial number: ${before}`);
        assert.ok(before.some((t) => /Artist|Creator/.test(t)), 'and its author');
      }
      assert.ok((await tagsOf(photos[0])).some((t) => /GPSLatitude/.test(t)), 'the JPEG records a place');

      const browser = await openBrowser(config);
      try {
        const page = await browser.newPage();
        const posted = await submitTip(page, { lang: 'ko', message: marker, files: photos, inBrowser: javaScript });
        assert.equal(posted.status, javaScript ? 201 : 200);
        await page.waitFor('p.receipt strong', { hasText: /\d/, timeout: config.timeout });
        await page.waitFor('[data-cleaned]');
        assert.deepEqual((await page.innerTexts('[data-cleaned-names] li')).map((t) => t.trim()).sort(), [...names].sort(),
          'the receipt page names each cleaned photo');
        assert.equal(await page.isHidden('[data-cleaned-place]'), false, 'and says one recorded a place');
        await screenshot(page, 'cleaned-photos');
        if (javaScript) {
          for (const r of browser.requests.filter((request) => request.body)) {
            assert.equal(r.body.indexOf(Buffer.from('SN-0042-7')), -1, `no metadata in the clear in ${r.line}`);
          }
        }
      } finally {
        await browser.close();
      }

      const tip = await findTip(await exportAndOpen(label), marker);
      const files = attachmentsOf(tip.info);
      assert.deepEqual(files.map((f) => f.name).sort(), [...names].sort());
      for (const file of files) {
        const after = await tagsOf(path.join(tip.dir, file.file));
        assert.ok(after.some((t) => /ImageWidth/.test(t)), `exiftool still reads ${file.name} as an image: ${after}`);
        assert.deepEqual(after.filter((t) => leaks.test(t)), [],
          `nothing of place, time, camera or author reaches the responder in ${file.name}`);
      }
    });
  });
}
