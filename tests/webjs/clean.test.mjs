// Photos cleaned in the page (web/js/tipline-clean.mjs): JPEG, PNG and WebP given place, time, camera
// and author by exiftool, as a phone would, come out with none of it by exiftool's reading, pixels
// untouched; damaged photos are refused; other files pass unchanged.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';

import { UncleanImage, cleanImage, detectImageFormat } from '../../web/js/tipline-clean.mjs';
import { makeScratch, randomBytes } from './support.mjs';

const run = promisify(execFile);

// A 24x8 grey baseline JPEG with JFIF and no metadata (as tests/common/image_fixtures.cpp builds it).
function plainJpeg() {
  const segment = (marker, payload) => [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
  const dqt = [0x00, ...new Array(64).fill(1)];
  const dhtDc = [0x00, 1, 1, ...new Array(14).fill(0), 0x08, 0x04];
  const dhtAc = [0x10, 1, ...new Array(15).fill(0), 0x00];
  return new Uint8Array([
    0xff, 0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 2, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, dqt),
    ...segment(0xc0, [8, 0, 8, 0, 24, 1, 1, 0x11, 0]),
    ...segment(0xc4, dhtDc),
    ...segment(0xc4, dhtAc),
    ...segment(0xdd, [0, 2]),
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    0xbc, 0xff, 0x00, 0x7f, 0xff, 0xd0, 0x81,
    0xff, 0xd9,
  ]);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

// An 8x8 RGB PNG of random pixels.
function plainPng() {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const rows = Buffer.concat(Array.from({ length: 8 }, () => Buffer.concat([Buffer.from([0]), Buffer.from(randomBytes(24))])));
  return new Uint8Array(Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(rows)), pngChunk('IEND', Buffer.alloc(0)),
  ]));
}

// A 1x1 lossless WebP.
const plainWebp = () => new Uint8Array(Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'));

// What a phone writes: where, when, with what and by whom.
const cameraTags = [
  '-GPSLatitude=39.0392', '-GPSLatitudeRef=N', '-GPSLongitude=125.7625', '-GPSLongitudeRef=E',
  '-Make=PhoneMaker', '-Model=Phone 7', '-SerialNumber=SN-0042-7', '-DateTimeOriginal=2026:11:30 21:14:05',
  '-Software=Camera 2.1', '-Artist=Kim', '-XMP-dc:Creator=Kim', '-XMP-exif:GPSLatitude=39.0392',
];
const leaks = /GPS|Make|Model|Serial|DateTimeOriginal|Software|Artist|Creator|Comment/;

async function tagged(scratch, name, bytes, extra = []) {
  const file = scratch.path(name);
  await writeFile(file, bytes);
  await run('exiftool', ['-q', '-overwrite_original', ...cameraTags, ...extra, file]);
  return new Uint8Array(await readFile(file));
}

// Every tag exiftool reads in the file, by name.
async function tagsOf(scratch, name, bytes) {
  const file = scratch.path(name);
  await writeFile(file, bytes);
  const { stdout } = await run('exiftool', ['-j', '-a', '-u', '-G1', file]);
  return Object.keys(JSON.parse(stdout)[0]);
}

for (const [format, make, extra] of [
  ['jpeg', plainJpeg, ['-Comment=taken behind the house']],
  ['png', plainPng, []],
  ['webp', plainWebp, []],
]) {
  test(`a ${format} photo loses place, time, camera and author, and keeps its pixels`, async () => {
    const scratch = await makeScratch(`clean-${format}`);
    try {
      const plain = make();
      const photo = await tagged(scratch, `photo.${format}`, plain, extra);
      const before = await tagsOf(scratch, `before.${format}`, photo);
      assert.ok(before.some((t) => /GPSLatitude/.test(t)), `exiftool wrote a place into the ${format}: ${before}`);
      assert.ok(before.some((t) => /SerialNumber/.test(t)), 'and a serial number');

      assert.equal(detectImageFormat(photo), format);
      const cleaned = cleanImage(photo);
      assert.equal(cleaned.format, format);
      assert.equal(cleaned.removed, true);
      assert.equal(cleaned.place, true, 'the page can tell the witness a place was recorded');
      const after = await tagsOf(scratch, `after.${format}`, cleaned.bytes);
      assert.deepEqual(after.filter((t) => leaks.test(t)), [], `nothing of it is left in the ${format}`);
      // The pixels: a photo with nothing to remove comes out byte for byte as it went in.
      assert.deepEqual(cleanImage(plain), { bytes: plain, format, removed: false, place: false });
      assert.equal(cleanImage(cleaned.bytes).removed, false, 'cleaning twice finds nothing more');
    } finally {
      await scratch.remove();
    }
  });
}

test('a photo whose structure is broken is refused, and other files pass unchanged', () => {
  const jpeg = plainJpeg();
  assert.throws(() => cleanImage(jpeg.subarray(0, jpeg.length - 12)), UncleanImage, 'cut short');
  const lying = new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x40, ...new Array(30).fill(0x5a)]);
  assert.throws(() => cleanImage(lying), UncleanImage, 'a segment longer than the file');
  const png = plainPng();
  const critical = new Uint8Array(png);
  critical.set([0x51, 0x51, 0x51, 0x51], 8 + 12 + 13 + 4);  // the IDAT chunk's type: an unknown critical chunk
  assert.throws(() => cleanImage(critical), UncleanImage);
  const text = new TextEncoder().encode('a note, not a photo');
  const passed = cleanImage(text);
  assert.equal(passed.bytes, text);
  assert.equal(passed.format, null);
  assert.equal(passed.removed, false);
});

test('what follows a JPEG\'s end, and a JFIF thumbnail, go too', () => {
  const jpeg = plainJpeg();
  const trailer = new Uint8Array([...jpeg, ...new TextEncoder().encode('appended second image')]);
  const cleaned = cleanImage(trailer);
  assert.equal(cleaned.removed, true);
  assert.deepEqual(cleaned.bytes, jpeg);
  const withThumbnail = new Uint8Array([
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 2, 0, 0, 1, 0, 1, 1, 1, 9, 9, 9, 9, 9, 9,
    ...jpeg.subarray(2 + 18),
  ]);
  const noThumbnail = cleanImage(withThumbnail);
  assert.equal(noThumbnail.removed, true);
  assert.ok(noThumbnail.bytes.length < withThumbnail.length);
});
