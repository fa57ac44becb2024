// Removing what a photo says about where, when and with what it was taken, in the page, before it is
// sealed. The rules are the witness's tool's (client/src/image_metadata.cpp): JPEG, PNG and WebP,
// known by their first bytes, keep only the blocks needed to show the pixels, copied unchanged;
// Exif (with GPS, serial numbers and maker notes), XMP, IPTC, comments, thumbnails, text chunks and
// anything after the image's end go. The result must pass the same rules again with nothing to
// drop, or the photo is refused: nothing is ever sent half-cleaned.

// A photo whose structure is broken, so its metadata cannot be removed with certainty.
export class UncleanImage extends Error {}

const ascii = (text) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function startsWith(bytes, at, text) {
  const t = ascii(text);
  if (bytes.length < at + t.length) return false;
  for (let i = 0; i < t.length; i++) if (bytes[at + i] !== t[i]) return false;
  return true;
}

const be16 = (d, at) => (d[at] << 8) | d[at + 1];
const be32 = (d, at) => ((d[at] << 24) >>> 0) + ((d[at + 1] << 16) | (d[at + 2] << 8) | d[at + 3]);
const le32 = (d, at) => (d[at] | (d[at + 1] << 8) | (d[at + 2] << 16)) + ((d[at + 3] << 24) >>> 0);

// Told from the first bytes only, never from a file name: 'jpeg', 'png', 'webp' or null.
export function detectImageFormat(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (startsWith(bytes, 0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (startsWith(bytes, 0, 'RIFF') && startsWith(bytes, 8, 'WEBP')) return 'webp';
  return null;
}

// Whether a TIFF structure (Exif) points to a GPS block from its first directory.
function tiffHasGps(t) {
  if (t.length < 8) return false;
  const little = t[0] === 0x49 && t[1] === 0x49;
  if (!little && !(t[0] === 0x4d && t[1] === 0x4d)) return false;
  const view = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > t.length) return false;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count && ifd + 2 + 12 * (i + 1) <= t.length; i++) {
    if (view.getUint16(ifd + 2 + 12 * i, little) === 0x8825) return true;
  }
  return false;
}

const latin1 = (bytes) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
};
const xmpHasGps = (bytes) => /exif:GPS|GPSLatitude/.test(latin1(bytes));

// What a dropped block said about the place, as far as it can be told without decompressing.
function exifOrXmpPlace(payload) {
  if (startsWith(payload, 0, 'Exif\0\0')) return tiffHasGps(payload.subarray(6));
  if (startsWith(payload, 0, 'II*\0') || startsWith(payload, 0, 'MM\0*')) return tiffHasGps(payload);
  return xmpHasGps(payload);
}

class Output {
  constructor(size) {
    this.bytes = new Uint8Array(size);
    this.length = 0;
  }
  push(...parts) {
    for (const part of parts) {
      if (typeof part === 'number') {
        this.bytes[this.length++] = part;
      } else {
        this.bytes.set(part, this.length);
        this.length += part.length;
      }
    }
  }
  result() {
    return this.bytes.subarray(0, this.length);
  }
}

const broken = () => {
  throw new UncleanImage('the image\'s structure is broken or cut short');
};

// JPEG keeps JFIF (only without a thumbnail, which could show what was later cropped), the ICC
// colour profile, Adobe's colour transform and the coding segments.
function keepJpegSegment(marker, payload) {
  if (marker === 0xe0) return payload.length === 14 && startsWith(payload, 0, 'JFIF\0');
  if (marker === 0xe2) return startsWith(payload, 0, 'ICC_PROFILE\0');
  if (marker === 0xee) return startsWith(payload, 0, 'Adobe');
  return !(marker >= 0xe0 && marker <= 0xef) && marker !== 0xfe;
}

function filterJpeg(d) {
  const out = new Output(d.length);
  const report = { dropped: 0, place: false };
  out.push(0xff, 0xd8);
  let pos = 2;
  for (;;) {
    if (pos >= d.length || d[pos] !== 0xff) broken();
    while (pos < d.length && d[pos] === 0xff) pos++;  // fill bytes before a marker
    if (pos >= d.length) broken();
    const marker = d[pos++];
    if (marker === 0xd9) {
      out.push(0xff, 0xd9);
      if (pos < d.length) report.dropped++;  // appended images and vendor trailers
      return { bytes: out.result(), ...report };
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      out.push(0xff, marker);
      continue;
    }
    if (marker === 0x00 || marker === 0xd8 || d.length - pos < 2) broken();
    const length = be16(d, pos);
    if (length < 2 || d.length - pos < length) broken();
    const payload = d.subarray(pos + 2, pos + length);
    if (keepJpegSegment(marker, payload)) {
      out.push(0xff, marker, d.subarray(pos, pos + length));
    } else {
      report.dropped++;
      if (marker === 0xe1 && exifOrXmpPlace(payload)) report.place = true;
    }
    pos += length;
    if (marker !== 0xda) continue;
    // Entropy-coded data runs to the first 0xFF that is not a stuffed zero or a restart marker.
    const scan = pos;
    while (pos + 1 < d.length && !(d[pos] === 0xff && d[pos + 1] !== 0x00 && d[pos + 1] !== 0xff &&
                                   !(d[pos + 1] >= 0xd0 && d[pos + 1] <= 0xd7))) {
      pos++;
    }
    if (pos + 1 >= d.length) broken();  // no end of image: the file was cut short
    out.push(d.subarray(scan, pos));
  }
}

// PNG keeps the critical chunks and those that change how pixels look or animate.
const PNG_KEPT = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'cHRM', 'gAMA', 'iCCP', 'sBIT', 'sRGB',
  'cICP', 'mDCv', 'cLLi', 'bKGD', 'pHYs', 'acTL', 'fcTL', 'fdAT']);

function filterPng(d) {
  const out = new Output(d.length);
  const report = { dropped: 0, place: false };
  out.push(d.subarray(0, 8));
  let pos = 8;
  for (;;) {
    if (d.length - pos < 12) broken();
    const length = be32(d, pos);
    if (length > d.length - pos - 12) broken();
    const type = latin1(d.subarray(pos + 4, pos + 8));
    const end = pos + 12 + length;
    if (PNG_KEPT.has(type)) {
      out.push(d.subarray(pos, end));
    } else if (type[0] >= 'A' && type[0] <= 'Z') {
      broken();  // an unknown critical chunk: no viewer could show this image
    } else {
      report.dropped++;
      if (['eXIf', 'iTXt', 'tEXt'].includes(type) && exifOrXmpPlace(d.subarray(pos + 8, end - 4))) {
        report.place = true;
      }
    }
    pos = end;
    if (type === 'IEND') {
      if (pos < d.length) report.dropped++;
      return { bytes: out.result(), ...report };
    }
  }
}

// WebP keeps the bitstreams, alpha, animation and ICC chunks; VP8X stops announcing Exif and XMP.
const WEBP_KEPT = new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANIM', 'ANMF', 'ICCP']);

function filterWebp(d) {
  if (d.length < 12) broken();
  const riffEnd = le32(d, 4) + 8;
  if (riffEnd > d.length || riffEnd < 12) broken();
  const out = new Output(d.length);
  const report = { dropped: 0, place: false };
  out.push(d.subarray(0, 12));
  let pos = 12;
  while (pos < riffEnd) {
    if (riffEnd - pos < 8) broken();
    const fourcc = latin1(d.subarray(pos, pos + 4));
    const size = le32(d, pos + 4);
    const padded = size + (size & 1);
    if (padded > riffEnd - pos - 8) broken();
    if (WEBP_KEPT.has(fourcc)) {
      const at = out.length;
      out.push(d.subarray(pos, pos + 8 + padded));
      if (fourcc === 'VP8X') {
        if (size < 10) broken();
        out.bytes[at + 8] &= ~(0x08 | 0x04);
      }
    } else {
      report.dropped++;
      if ((fourcc === 'EXIF' || fourcc === 'XMP ') && exifOrXmpPlace(d.subarray(pos + 8, pos + 8 + size))) {
        report.place = true;
      }
    }
    pos += 8 + padded;
  }
  if (riffEnd < d.length) report.dropped++;
  const bytes = out.result();
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(4, bytes.length - 8, true);
  return { bytes, ...report };
}

const FILTERS = { jpeg: filterJpeg, png: filterPng, webp: filterWebp };

// The photo without its metadata: { bytes, format, removed, place }, where removed says whether
// anything was dropped and place whether what was dropped recorded where the photo was taken. A
// file that is not a JPEG, PNG or WebP comes back as it is, with format null. Throws UncleanImage
// when the photo cannot be cleaned with certainty.
export function cleanImage(bytes) {
  const format = detectImageFormat(bytes);
  if (format === null) return { bytes, format, removed: false, place: false };
  const filter = FILTERS[format];
  const first = filter(bytes);
  // Fail closed: the result must pass the same rules again with nothing left to drop.
  const again = filter(first.bytes);
  if (again.dropped !== 0 || again.bytes.length !== first.bytes.length) {
    throw new UncleanImage('metadata was still present after cleaning');
  }
  return { bytes: first.bytes, format, removed: first.dropped > 0, place: first.place };
}
