// Independent implementation of docs/FORMAT.md, checked against every vector in tests/vectors/.
// Usage: node check_vectors.mjs [VECTOR_DIR]   (default: ../vectors beside this file)
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import sodium from 'libsodium-wrappers-sumo';

import { parseVector } from '../js/common.mjs';

const EXPECTS = new Set(['success', 'malformed', 'unsupported_version', 'no_matching_key', 'authentication_failed',
  'truncated', 'untrusted_key', 'expired', 'rolled_back']);

// FORMAT.md section 3, spelled as there.
const LABEL = {
  envelopeMagic: 'TIPLNENV',
  payloadKey: 'tipline envelope v1 payload key',
  headerMacKey: 'tipline envelope v1 header mac key',
  publicKeyPrefix: 'tipline-pk1-',
  publicKeyChecksum: 'tipline public key v1 checksum',
  fingerprint: 'tipline fingerprint v1',
  secretKeyMagic: 'TIPLNSEC',
  tipDocumentMagic: 'TIPLNDOC',
  mailboxToken: 'tipline receipt v1 mailbox token',
  replyKey: 'tipline receipt v1 reply key',
  mailboxTokenV2: 'tipline receipt v2 mailbox token',
  replyKeyV2: 'tipline receipt v2 reply key',
  mailboxTokenHash: 'tipline mailbox token hash v1',
  mailboxId: 'tipline mailbox id v1',
  requestSignature: 'tipline responder request v1',
  replyFileMagic: 'TIPLNRPL',
  teamFileMagic: 'TIPLNTEA',
  pow: 'tipline pow v1',
  signedReply: 'tipline signed reply v1',
  signedTeamState: 'tipline signed team state v1',
  organisationKeyPrefix: 'tipline-org1-',
  organisationKeyChecksum: 'tipline organisation key v1 checksum',
  organisationFingerprint: 'tipline organisation fingerprint v1',
  recipientListMagic: 'TIPLNLST',
  recipientListSignature: 'tipline recipient list v1',
  storeFileMagic: 'TIPLNSTO',
  storeKey: 'tipline store v1 key',
  storeFileKey: 'tipline store v1 file key',
};

// A format rejection with one of the error classes of FORMAT.md section 4.
class FormatError extends Error {
  constructor(cls) {
    super(cls);
    this.cls = cls;
  }
}
const fail = (cls) => {
  throw new FormatError(cls);
};

const ascii = (s) => new TextEncoder().encode(s);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
};
const equalBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const hex = (b) => Buffer.from(b).toString('hex');
const sha256Hex = (b) => createHash('sha256').update(b).digest('hex');
const be = (bytes) => bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n);

// --- Section 2: primitives -------------------------------------------------------------------------

const blake2b = (n, message, key = null) => sodium.crypto_generichash(n, message, key);
const labelledHash = (label, ...parts) => blake2b(32, concat(ascii(label), ...parts));
const kdf = (secret, label) => blake2b(32, ascii(label), secret);

function argon2id(outLen, password, salt, opslimit, memlimit) {
  return sodium.crypto_pwhash(outLen, password, salt, opslimit, memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64urlEncode(bytes) {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) out += B64[(acc >> (bits -= 6)) & 63];
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B64[(acc << (6 - bits)) & 63];
  return out;
}

// Canonical: alphabet only, no padding, length not 1 mod 4, unused low bits zero. Returns null when rejected.
function base64urlDecode(text) {
  if (text.length % 4 === 1) return null;
  const out = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    const d = B64.indexOf(ch);
    if (d < 0) return null;
    acc = (acc << 6) | d;
    bits += 6;
    if (bits >= 8) out.push((acc >> (bits -= 8)) & 0xff);
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) return null;
  return Uint8Array.from(out);
}

// Strict UTF-8 (Unicode table 3-7): returns the code points, or null when ill-formed.
function decodeUtf8(bytes) {
  const cps = [];
  for (let i = 0; i < bytes.length; ) {
    const b0 = bytes[i];
    if (b0 < 0x80) {
      cps.push(b0), i++;
      continue;
    }
    let len;
    let value;
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) (len = 2), (value = b0 & 0x1f);
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      (len = 3), (value = b0 & 0x0f);
      if (b0 === 0xe0) lo = 0xa0;
      if (b0 === 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      (len = 4), (value = b0 & 0x07);
      if (b0 === 0xf0) lo = 0x90;
      if (b0 === 0xf4) hi = 0x8f;
    } else return null;
    if (i + len > bytes.length) return null;
    for (let k = 1; k < len; k++) {
      const b = bytes[i + k];
      if (b < (k === 1 ? lo : 0x80) || b > (k === 1 ? hi : 0xbf)) return null;
      value = (value << 6) | (b & 0x3f);
    }
    cps.push(value);
    i += len;
  }
  return cps;
}

// --- Section 5: padding --------------------------------------------------------------------------

const bitlen = (v) => (v === 0n ? 0n : BigInt(v.toString(2).length));
function padme(L) {
  if (L < 2n) return L;
  const e = bitlen(L) - 1n;
  const s = bitlen(e);
  const mask = (1n << (e - s)) - 1n;
  return (L + mask) & ~mask;
}
const MIN_PADDED = 4096n;
const paddedLength = (L) => (padme(L) > MIN_PADDED ? padme(L) : MIN_PADDED);
const isPaddedLength = (P) => P >= MIN_PADDED && padme(P) === P;

// --- Section 6: public key -----------------------------------------------------------------------

function encodePublicKey(box, sign) {
  const checksum = labelledHash(LABEL.publicKeyChecksum, box, sign).subarray(0, 4);
  return LABEL.publicKeyPrefix + base64urlEncode(concat(box, sign, checksum));
}

function decodePublicKey(text) {
  if (!text.startsWith(LABEL.publicKeyPrefix)) fail(/^tipline-pk[0-9]+-/.test(text) ? 'unsupported_version' : 'malformed');
  const b64 = text.slice(LABEL.publicKeyPrefix.length);
  if (b64.length !== 91) fail('malformed');
  const body = base64urlDecode(b64);
  if (body === null || body.length !== 68) fail('malformed');
  const box = body.subarray(0, 32);
  const sign = body.subarray(32, 64);
  const checksum = labelledHash(LABEL.publicKeyChecksum, box, sign).subarray(0, 4);
  if (sodium.compare(checksum, body.subarray(64, 68)) !== 0) fail('malformed');
  if (smallOrder(box)) fail('malformed');
  return { box, sign };
}

// 6.2 step 5: a small-order point makes X25519 all zero for every scalar; libsodium then throws.
function smallOrder(box) {
  const scalar = new Uint8Array(32);
  scalar[0] = 9;
  try {
    sodium.crypto_scalarmult(scalar, box);
    return false;
  } catch {
    return true;
  }
}

// Section 6.3: five groups of five digits from the first 25 bytes of h.
function fingerprintOfHash(h) {
  const groups = [];
  for (let g = 0; g < 5; g++) groups.push((be(h.subarray(5 * g, 5 * g + 5)) % 100000n).toString().padStart(5, '0'));
  return groups.join(' ');
}

const fingerprint = (box, sign) => fingerprintOfHash(labelledHash(LABEL.fingerprint, box, sign));

// --- Section 7: secret key file ------------------------------------------------------------------

function openSecretKeyFile(file, passphrase) {
  const magic = ascii(LABEL.secretKeyMagic);
  const k = Math.min(file.length, 8);
  if (!equalBytes(file.subarray(0, k), magic.subarray(0, k))) fail('malformed');
  if (file.length < 10) fail('truncated');
  if (be(file.subarray(8, 10)) !== 1n) fail('unsupported_version');
  if (file.length < 64) fail('truncated');
  const contents = file[10];
  if (contents !== 1 && contents !== 2 && contents !== 3) fail('malformed');
  if (file[11] !== 1) fail('malformed');
  const opslimit = be(file.subarray(12, 16));
  const memlimit = be(file.subarray(16, 24));
  if (opslimit < 1n || opslimit > 64n || memlimit < 8192n || memlimit > 4294967296n || memlimit % 1024n !== 0n) {
    fail('malformed');
  }
  if (file.length < 144) fail('truncated');
  if (file.length > 144) fail('malformed');
  const key = argon2id(32, passphrase, file.subarray(24, 40), Number(opslimit), Number(memlimit));
  let body;
  try {
    body = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, file.subarray(64, 144), file.subarray(0, 64),
                                                             file.subarray(40, 64), key);
  } catch {
    fail('authentication_failed');
  }
  if (contents === 3 && body.subarray(0, 32).some((b) => b !== 0)) fail('malformed');
  const sign = sodium.crypto_sign_seed_keypair(body.subarray(32, 64)).publicKey;
  if (contents === 3) return { organisation: true, sign };
  const box = contents === 1 ? sodium.crypto_scalarmult_base(body.subarray(0, 32)) : body.slice(0, 32);
  return { organisation: false, box, sign };
}

// --- Section 8: envelope v1 ----------------------------------------------------------------------

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0;
  }
  read(n) {
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += out.length;
    return out;
  }
  readExactly(n) {
    const out = this.read(n);
    if (out.length < n) fail('truncated');
    return out;
  }
}

const CHUNK = 65536n;
const MAX_PADDED = 1n << 40n;

// 8.7 in stream order: onContent gets each chunk's content (provisional) as soon as that chunk has
// authenticated and its tag and length prefix are checked, before its padding is.
function openEnvelopeInto(bytes, secretKeys, onContent) {
  const r = new Reader(bytes);
  const magic = r.read(8);
  if (!equalBytes(magic, ascii(LABEL.envelopeMagic).subarray(0, magic.length))) fail('malformed');
  if (magic.length < 8) fail('truncated');
  const version = r.readExactly(2);
  if (be(version) !== 1n) fail('unsupported_version');
  const count = r.readExactly(1);
  const n = count[0];
  if (n < 1 || n > 16) fail('malformed');
  const paddedField = r.readExactly(8);
  const P = be(paddedField);
  if (!isPaddedLength(P) || P > MAX_PADDED) fail('malformed');
  const rest = r.readExactly(24 + 80 * n + 32);
  const header = concat(magic, version, count, paddedField, rest);
  const streamHeader = header.subarray(19, 43);
  const macAt = 43 + 80 * n;

  let fileKey = null;
  for (let i = 0; i < n && fileKey === null; i++) {
    const stanza = header.subarray(43 + 80 * i, 43 + 80 * (i + 1));
    for (const sk of secretKeys) {
      try {
        fileKey = sodium.crypto_box_seal_open(stanza, sodium.crypto_scalarmult_base(sk), sk);
        break;
      } catch {
        // not this identity
      }
    }
  }
  if (fileKey === null) fail('no_matching_key');

  const mac = blake2b(32, header.subarray(0, macAt), kdf(fileKey, LABEL.headerMacKey));
  if (sodium.compare(mac, header.subarray(macAt, macAt + 32)) !== 0) fail('authentication_failed');

  let state;
  try {
    state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(streamHeader, kdf(fileKey, LABEL.payloadKey));
  } catch {
    fail('authentication_failed');
  }
  pullPayload(r, state, P, onContent);
}

// 8.3 and 8.4: the framed plaintext of P bytes, in secretstream chunks, from the reader on; nothing may follow.
function pullPayload(r, state, P, onContent) {
  let remaining = P;
  let contentLeft = 0n;
  let first = true;
  while (remaining > 0n) {
    const len = remaining < CHUNK ? remaining : CHUNK;
    const cipher = r.readExactly(Number(len) + 17);
    remaining -= len;
    const pulled = sodium.crypto_secretstream_xchacha20poly1305_pull(state, cipher, null);
    if (!pulled) fail('authentication_failed');
    const expectedTag = remaining === 0n ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                         : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    if (pulled.tag !== expectedTag) fail('malformed');
    const plain = pulled.message;
    let offset = 0;
    if (first) {
      contentLeft = be(plain.subarray(0, 8));
      if (contentLeft > P - 8n || paddedLength(8n + contentLeft) !== P) fail('malformed');
      offset = 8;
      first = false;
    }
    const available = BigInt(plain.length - offset);
    const emit = Number(contentLeft < available ? contentLeft : available);
    onContent(plain.slice(offset, offset + emit));
    contentLeft -= BigInt(emit);
    if (plain.subarray(offset + emit).some((b) => b !== 0)) fail('malformed');
  }
  if (r.read(1).length !== 0) fail('malformed');
}

// --- Section 20: case store files --------------------------------------------------------------

function openStoreFile(bytes, secretKey, wantKind, wantId) {
  const r = new Reader(bytes);
  const magic = r.read(8);
  if (!equalBytes(magic, ascii(LABEL.storeFileMagic).subarray(0, magic.length))) fail('malformed');
  if (magic.length < 8) fail('truncated');
  if (be(r.readExactly(2)) !== 1n) fail('unsupported_version');
  const kind = r.readExactly(1)[0];
  if (kind !== 1 && kind !== 2) fail('malformed');
  const id = r.readExactly(16);
  const P = be(r.readExactly(8));
  if (!isPaddedLength(P) || P > MAX_PADDED) fail('malformed');
  const streamHeader = r.readExactly(24);
  if (kind !== wantKind || !equalBytes(id, wantId)) fail('authentication_failed');
  const storeKey = kdf(secretKey, LABEL.storeKey);
  const fileKey = blake2b(32, concat(ascii(LABEL.storeFileKey), Uint8Array.of(kind), id), storeKey);
  let state;
  try {
    state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(streamHeader, fileKey);
  } catch {
    fail('authentication_failed');
  }
  const parts = [];
  pullPayload(r, state, P, (piece) => parts.push(piece));
  return concat(...parts);
}

function openEnvelope(bytes, secretKeys) {
  const parts = [];
  openEnvelopeInto(bytes, secretKeys, (piece) => parts.push(piece));
  return concat(...parts);
}

// --- Section 9: tip document ---------------------------------------------------------------------

const MAX_CONTENT = (1n << 40n) - (1n << 37n);

const SIGNATURE_SIZE = 64;
const PREAMBLE_SIZE = 14;

// 9.4 steps 2 to 4, on the first 14 bytes.
function readPreamble(preamble) {
  if (!equalBytes(preamble.subarray(0, 8), ascii(LABEL.tipDocumentMagic))) fail('malformed');
  const version = be(preamble.subarray(8, 10));
  if (version !== 1n && version !== 2n) fail('unsupported_version');
  const headerLength = Number(be(preamble.subarray(10, 14)));
  if (headerLength === 0 || headerLength > 2 * 1024 * 1024) fail('malformed');
  return { signed: version === 2n, headerLength };  // signed: 9.5, a reply signed by its responder
}

// 9.4 steps 6 and 7, on the whole header body. signedLength is where the signature would start.
function parseHeaderBody(body, signed) {
  const r = new Reader(body);
  const take = (n) => {
    const out = r.read(n);
    if (out.length < n) fail('malformed');
    return out;
  };
  const int = (n) => be(take(n));
  const kind = Number(int(1));
  int(8);  // created_at: any i64
  const language = take(Number(int(1)));
  const hasReply = Number(int(1));
  if (hasReply > 1) fail('malformed');
  if (hasReply === 1) take(32);
  const message = take(Number(int(4)));
  const count = Number(int(2));
  if (count > 256) fail('malformed');
  const attachments = [];
  for (let i = 0; i < count; i++) {
    const name = take(Number(int(2)));
    const mediaType = take(Number(int(1)));
    attachments.push({ name, mediaType, size: int(8) });
  }
  const signer = signed ? { box: take(32), sign: take(32) } : null;
  const languageOk = language.length >= 1 && language.length <= 35 &&
                     language.every((c) => /[A-Za-z0-9-]/.test(String.fromCharCode(c)));
  const attachmentOk = (a) => a.name.length >= 1 && a.name.length <= 255 && decodeUtf8(a.name) !== null &&
                              !a.name.includes(0) && a.mediaType.length >= 1 && a.mediaType.length <= 127 &&
                              a.mediaType.every((c) => c >= 0x21 && c <= 0x7e) && a.size <= MAX_CONTENT;
  if (r.at !== body.length || kind < 1 || kind > 4 || !languageOk || message.length > 1024 * 1024 ||
      decodeUtf8(message) === null || !attachments.every(attachmentOk)) {
    fail('malformed');
  }
  // A signed reply names its witness; the team's state (kind 4, 9.6) is always signed, names none
  // and carries no attachment.
  if (kind === 4 && (!signed || hasReply !== 0 || count !== 0)) fail('malformed');
  if (kind !== 4 && signed && (kind !== 3 || hasReply !== 1)) fail('malformed');
  const signedLength = attachments.reduce((sum, a) => sum + a.size, BigInt(PREAMBLE_SIZE + body.length));
  return {
    kind,
    language: String.fromCharCode(...language),
    message,
    attachments,
    signer,
    signedLength,
    total: signedLength + (signed ? BigInt(SIGNATURE_SIZE) : 0n),
  };
}

// 9.4 step 10 (9.5) on the whole document.
function checkReplySignature(doc, header) {
  const at = Number(header.signedLength);
  const label = header.kind === 4 ? LABEL.signedTeamState : LABEL.signedReply;
  const message = concat(ascii(label), blake2b(32, doc.subarray(0, at)));
  if (!sodium.crypto_sign_verify_detached(doc.subarray(at, at + SIGNATURE_SIZE), message, header.signer.sign)) {
    fail('authentication_failed');
  }
}

const documentResult = ({ kind, language, message, attachments, signer }) => ({ kind, language, message, attachments, signer });

// 9.4 on a whole document, in the order of its steps.
function parseTipDocument(doc) {
  if (doc.length < PREAMBLE_SIZE) fail('malformed');
  const { signed, headerLength } = readPreamble(doc.subarray(0, PREAMBLE_SIZE));
  if (doc.length < PREAMBLE_SIZE + headerLength) fail('malformed');
  const header = parseHeaderBody(doc.subarray(PREAMBLE_SIZE, PREAMBLE_SIZE + headerLength), signed);
  if (BigInt(doc.length) !== header.total) fail('malformed');  // steps 8 and 9: more bytes, or fewer
  if (signed) checkReplySignature(doc, header);
  return documentResult(header);
}

// 9.4 as the reference parser streams it: each check fails at the byte where that parser finds it,
// steps 2 to 4 at the 14th byte, 6 and 7 at the header body's last byte and 8 at the first byte too
// many. end() runs the checks at the end of the input: steps 1, 5, 9 and 10.
class TipDocumentStream {
  constructor() {
    this.parts = [];
    this.length = 0;
    this.preamble = null;  // { signed, headerLength } once 14 bytes have arrived and passed
    this.header = null;  // parseHeaderBody's result once the header body has arrived and passed
  }

  bytes() {
    const all = concat(...this.parts);
    this.parts = [all];
    return all;
  }

  write(piece) {
    const before = this.length;
    this.parts.push(piece.slice());
    this.length += piece.length;
    if (before < PREAMBLE_SIZE && this.length >= PREAMBLE_SIZE) {
      this.preamble = readPreamble(this.bytes().subarray(0, PREAMBLE_SIZE));
    }
    if (this.preamble === null) return;
    const headerEnd = PREAMBLE_SIZE + this.preamble.headerLength;
    if (before < headerEnd && this.length >= headerEnd) {
      this.header = parseHeaderBody(this.bytes().subarray(PREAMBLE_SIZE, headerEnd), this.preamble.signed);
    }
    if (this.header !== null && BigInt(this.length) > this.header.total) fail('malformed');
  }

  end() {
    if (this.preamble === null) fail('malformed');  // step 1
    if (this.header === null) fail('malformed');  // step 5
    if (BigInt(this.length) < this.header.total) fail('malformed');  // step 9
    if (this.preamble.signed) checkReplySignature(this.bytes(), this.header);
    return documentResult(this.header);
  }
}

// FORMAT.md 9.4, last paragraph: an envelope whose content is a tip document, as one stream. Each
// chunk's content reaches the document parser once the envelope has released it, so the first
// failure in stream order wins; the document's end checks come after the envelope opened.
function openTip(bytes, secretKeys) {
  const doc = new TipDocumentStream();
  openEnvelopeInto(bytes, secretKeys, (piece) => doc.write(piece));
  return doc.end();
}

// --- Section 17: organisation key ---------------------------------------------------------------

const ORG_KEY_BASE64_LENGTH = 48;
const ORG_KEY_BODY_SIZE = 36;

function encodeOrganisationKey(orgPk) {
  const checksum = labelledHash(LABEL.organisationKeyChecksum, orgPk).subarray(0, 4);
  return LABEL.organisationKeyPrefix + base64urlEncode(concat(orgPk, checksum));
}

function decodeOrganisationKey(text) {
  if (!text.startsWith(LABEL.organisationKeyPrefix)) {
    fail(/^tipline-org[0-9]+-/.test(text) ? 'unsupported_version' : 'malformed');
  }
  const b64 = text.slice(LABEL.organisationKeyPrefix.length);
  if (b64.length !== ORG_KEY_BASE64_LENGTH) fail('malformed');
  const body = base64urlDecode(b64);
  if (body === null || body.length !== ORG_KEY_BODY_SIZE) fail('malformed');
  const orgPk = body.subarray(0, 32);
  const checksum = labelledHash(LABEL.organisationKeyChecksum, orgPk).subarray(0, 4);
  if (sodium.compare(checksum, body.subarray(32, 36)) !== 0) fail('malformed');
  return orgPk;
}

const organisationFingerprint = (orgPk) => fingerprintOfHash(labelledHash(LABEL.organisationFingerprint, orgPk));

// --- Section 18: recipient list ------------------------------------------------------------------

const LIST_FIXED_SIZE = 55;
const LIST_ENTRY_SIZE = 64;
const LIST_MAX_COUNT = 16;

// 18.2, checks 1 to 7.
function readRecipientList(bytes) {
  const n = bytes.length;
  const magic = ascii(LABEL.recipientListMagic);
  const k = Math.min(n, 8);
  if (!equalBytes(bytes.subarray(0, k), magic.subarray(0, k))) fail('malformed');
  if (n < 10) fail('truncated');
  if (be(bytes.subarray(8, 10)) !== 1n) fail('unsupported_version');
  if (n < LIST_FIXED_SIZE) fail('truncated');
  const orgPk = bytes.subarray(10, 42);
  const serial = be(bytes.subarray(42, 50));
  const expires = Number(be(bytes.subarray(50, 54)));
  const count = bytes[54];
  if (serial === 0n || count === 0 || count > LIST_MAX_COUNT) fail('malformed');
  const signedSize = LIST_FIXED_SIZE + LIST_ENTRY_SIZE * count;
  if (n < signedSize + SIGNATURE_SIZE) fail('truncated');
  if (n > signedSize + SIGNATURE_SIZE) fail('malformed');
  const recipients = [];
  for (let i = 0; i < count; i++) {
    const at = LIST_FIXED_SIZE + LIST_ENTRY_SIZE * i;
    recipients.push(bytes.subarray(at, at + LIST_ENTRY_SIZE));
  }
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) if (equalBytes(recipients[i], recipients[j])) fail('malformed');
    if (smallOrder(recipients[i].subarray(0, 32))) fail('malformed');
  }
  const message = concat(ascii(LABEL.recipientListSignature), bytes.subarray(0, signedSize));
  if (!sodium.crypto_sign_verify_detached(bytes.subarray(signedSize, n), message, orgPk)) fail('authentication_failed');
  return {
    orgPk,
    serial,
    expires,
    recipients: recipients.map((r) => ({ box: r.subarray(0, 32), sign: r.subarray(32, 64) })),
  };
}

// 18.3, checks 8 to 10. pinned is an org_pk or null; remembered a BigInt or null.
function trustRecipientList(list, today, pinned, remembered) {
  if (pinned !== null && !equalBytes(pinned, list.orgPk)) fail('untrusted_key');
  if (today > BigInt(list.expires)) fail('expired');
  if (remembered !== null && list.serial < remembered) fail('rolled_back');
}

// Days since 1970-01-01 (UTC) as YYYY-MM-DD, by the proleptic Gregorian calendar: 146097 days
// every 400 years, counted from 0000-03-01 so that the leap day ends each year.
function dayToDate(day) {
  const z = BigInt(day) + 719468n;  // days from 0000-03-01 to 1970-01-01
  const era = z / 146097n;
  const doe = z % 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = doy - (153n * mp + 2n) / 5n + 1n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  const y = era * 400n + yoe + (m <= 2n ? 1n : 0n);
  const pad = (v, w) => v.toString().padStart(w, '0');
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

// --- Section 10: receipt -------------------------------------------------------------------------

function parseReceipt(typed) {
  const cps = decodeUtf8(typed);
  if (cps === null) fail('malformed');
  const digits = [];
  for (let c of cps) {
    if (c >= 0xff10 && c <= 0xff19) c = 0x30 + (c - 0xff10);
    if (c === 0x20 || c === 0x2d || c === 0x3000 || c === 0x09) continue;
    if (c < 0x30 || c > 0x39 || digits.length === 20) fail('malformed');
    digits.push(c);
  }
  if (digits.length !== 20) fail('malformed');
  return Uint8Array.from(digits);
}

// Version 1: 64 MiB, 2 passes; version 2: 16 MiB, 1 pass, and its own labels (10.3).
function deriveReceiptKeys(digits, salt, version) {
  if (version !== '1' && version !== '2') fail('unsupported_version');
  const seed = version === '1' ? argon2id(64, digits, salt, 2, 67108864) : argon2id(64, digits, salt, 1, 16777216);
  const mailboxToken = kdf(seed, version === '1' ? LABEL.mailboxToken : LABEL.mailboxTokenV2);
  const reply = sodium.crypto_box_seed_keypair(kdf(seed, version === '1' ? LABEL.replyKey : LABEL.replyKeyV2));
  return {
    mailboxToken,
    mailboxTokenHash: labelledHash(LABEL.mailboxTokenHash, mailboxToken),
    replyPublicKey: reply.publicKey,
    mailboxName: labelledHash(LABEL.mailboxId, reply.publicKey),
  };
}

// --- Section 13: signed responder requests -----------------------------------------------------

function uint(n, bytes) {
  const out = new Uint8Array(bytes);
  let v = BigInt(n);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function verifyRequest(method, target, body, timestamp, nonce, signKey, signature) {
  const m = ascii(method);
  const t = new TextEncoder().encode(target);
  const bodyHash = sodium.crypto_generichash(32, body, null);
  const message = concat(ascii(LABEL.requestSignature), uint(m.length, 2), m, uint(t.length, 4), t, bodyHash,
    uint(timestamp, 8), nonce);
  if (!sodium.crypto_sign_verify_detached(signature, message, signKey)) fail('authentication_failed');
  return bodyHash;
}

// --- Section 14: reply file ----------------------------------------------------------------------

// Steps 1-5 of 8.7 without a key, and the total size of 8.8.
function envelopeSizeFromHeader(bytes) {
  const magic = bytes.subarray(0, Math.min(bytes.length, 8));
  if (!equalBytes(magic, ascii(LABEL.envelopeMagic).subarray(0, magic.length))) fail('malformed');
  if (bytes.length < 19) fail('truncated');
  if (be(bytes.subarray(8, 10)) !== 1n) fail('unsupported_version');
  const n = bytes[10];
  if (n < 1 || n > 16) fail('malformed');
  const P = be(bytes.subarray(11, 19));
  if (!isPaddedLength(P) || P > MAX_PADDED) fail('malformed');
  return 75n + 80n * BigInt(n) + P + 17n * ((P + 65535n) / 65536n);
}

function readReplyFile(bytes) {
  const magic = ascii(LABEL.replyFileMagic);
  const head = bytes.subarray(0, Math.min(bytes.length, 8));
  if (!equalBytes(head, magic.subarray(0, head.length))) fail('malformed');
  if (bytes.length < 8) fail('truncated');
  if (bytes.length < 42) fail('truncated');
  if (be(bytes.subarray(8, 10)) !== 1n) fail('unsupported_version');
  const envelope = bytes.subarray(42);
  const size = envelopeSizeFromHeader(envelope);
  if (size > BigInt(envelope.length)) fail('truncated');
  if (size < BigInt(envelope.length)) fail('malformed');
  return { mailbox: bytes.subarray(10, 42), envelopeLength: envelope.length };
}

// FORMAT.md 21.3: the team-state file, as the reply file without a mailbox.
function readTeamFile(bytes) {
  const magic = ascii(LABEL.teamFileMagic);
  const head = bytes.subarray(0, Math.min(bytes.length, 8));
  if (!equalBytes(head, magic.subarray(0, head.length))) fail('malformed');
  if (bytes.length < 10) fail('truncated');
  if (be(bytes.subarray(8, 10)) !== 1n) fail('unsupported_version');
  const envelope = bytes.subarray(10);
  const size = envelopeSizeFromHeader(envelope);
  if (size > BigInt(envelope.length)) fail('truncated');
  if (size < BigInt(envelope.length)) fail('malformed');
  return { envelopeLength: envelope.length };
}

// FORMAT.md 21.1: the changes' JSON, each change with the document's signer as its writer.
function readTeamChanges(bytes, writer) {
  if (decodeUtf8(bytes) === null) fail('malformed');
  const text = Buffer.from(bytes).toString('utf8');
  // Numbers are integers written without a fraction or an exponent: look outside the strings.
  if (/\d[eE]|\./.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) fail('malformed');
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    fail('malformed');
  }
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const keysAre = (o, keys) => Object.keys(o).length === keys.length && keys.every((k) => k in o);
  if (!isObject(doc) || !keysAre(doc, ['version', 'changes']) || doc.version !== 1 ||
      !Array.isArray(doc.changes)) {
    fail('malformed');
  }
  const within = (n, low, high) => Number.isSafeInteger(n) && n >= low && n <= high;
  return doc.changes.map((c) => {
    if (!isObject(c) || !keysAre(c, ['thread', 'name', 'value', 'clock', 'day']) ||
        typeof c.thread !== 'string' || typeof c.name !== 'string' || typeof c.value !== 'string' ||
        !within(c.clock, 1, 2 ** 53 - 1) || !within(c.day, 0, 2 ** 31)) {
      fail('malformed');
    }
    return { ...c, writer };
  });
}

// FORMAT.md 21.2: whether a store takes a change.
function acceptableChange(c) {
  const hex = (t, n) => new RegExp(`^[0-9a-f]{${n}}$`).test(t);
  const utf8Length = (t) => Buffer.byteLength(t, 'utf8');
  if (!hex(c.thread, 64) && !hex(c.thread, 32)) return false;
  if (c.clock > 2 ** 48) return false;  // what a store takes from a colleague
  if (c.name === 'status') return ['new', 'read', 'needs_reply', 'answered', 'closed'].includes(c.value);
  if (c.name === 'assignee') return c.value === '' || /^[0-9]{5}( [0-9]{5}){4}$/.test(c.value);
  if (c.name.startsWith('tag:')) {
    const tag = c.name.slice(4);
    return utf8Length(tag) >= 1 && utf8Length(tag) <= 64 && !/[\x00-\x1f\x7f,]/.test(tag) &&
           (c.value === '0' || c.value === '1');
  }
  if (c.name.startsWith('note:')) {
    if (!hex(c.name.slice(5), 16)) return false;
    if (c.value === '') return true;
    return c.value.startsWith('1\n') && utf8Length(c.value) > 2 && utf8Length(c.value) - 2 <= 65536;
  }
  if (c.name.startsWith('seen:')) {
    const rest = c.name.slice(5);
    const colon = rest.lastIndexOf(':');
    return colon >= 0 && rest.slice(0, colon) === c.writer && hex(rest.slice(colon + 1), 32) &&
           c.value === '1';
  }
  return false;
}

// --- Section 11: vector files and checks --------------------------------------------------------


const one = (headers, key) => {
  const values = headers.get(key);
  if (!values || values.length !== 1) throw new Error(`needs exactly one "${key}:" header`);
  return values[0];
};
const bytesFromHex = (text) => {
  if (!/^([0-9a-f]{2})*$/.test(text)) throw new Error(`not lowercase hex: ${text}`);
  return new Uint8Array(Buffer.from(text, 'hex'));
};

// Each check returns the values a success vector lists, by header name; a FormatError gives the class.
// FORMAT.md section 11: the manifest, checked against the file's total length.
function readBundle(bytes) {
  const magic = ascii('TIPLNBDL');
  const head = bytes.subarray(0, Math.min(bytes.length, 8));
  if (!equalBytes(head, magic.subarray(0, head.length))) fail('malformed');
  if (bytes.length < 14) fail('truncated');
  if (be(bytes.subarray(8, 10)) !== 1n) fail('unsupported_version');
  const count = Number(be(bytes.subarray(10, 14)));
  if (count > 1000000) fail('malformed');
  const minEnvelope = 43n + 80n + 32n + 4096n + 17n;
  const seen = new Set();
  const ids = [];
  let total = 14n + 28n * BigInt(count);
  for (let i = 0; i < count; i++) {
    const at = 14 + 28 * i;
    if (bytes.length < at + 28) fail('truncated');
    const id = hex(bytes.subarray(at, at + 16));
    const size = be(bytes.subarray(at + 20, at + 28));
    if (size < minEnvelope || size > (1n << 41n) || seen.has(id)) fail('malformed');
    seen.add(id);
    ids.push(id);
    total += size;
  }
  const length = BigInt(bytes.length);
  if (total !== length) fail(total > length ? 'truncated' : 'malformed');
  return ids;
}

// FORMAT.md section 16: a proof's text, then the work. Returns the hash's leading zero bits.
function checkProof(body) {
  const text = Buffer.from(body).toString('latin1');
  const match = /^([0-9a-f]{68})\.([0-9a-f]{16})$/.exec(text);
  if (!match) fail('malformed');
  const challenge = bytesFromHex(match[1]);
  if (challenge[0] !== 1) fail('unsupported_version');
  if (challenge[1] > 40) fail('malformed');
  const hash = blake2b(32, concat(ascii(LABEL.pow), challenge, bytesFromHex(match[2])));
  let zeros = 0;
  for (const b of hash) {
    if (b === 0) {
      zeros += 8;
      continue;
    }
    zeros += Math.clz32(b) - 24;
    break;
  }
  if (zeros < challenge[1]) fail('authentication_failed');
  return zeros;
}

function tipDocumentValues(doc) {
  const values = { 'message-sha256': sha256Hex(doc.message), attachments: String(doc.attachments.length),
    language: doc.language };
  if (doc.signer !== null) values.signer = fingerprint(doc.signer.box, doc.signer.sign);
  if (doc.kind === 4) values.kind = '4';
  return values;
}

// What fn returns, or the class of the FormatError it throws.
function outcomeOf(fn) {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return e.cls;
  }
}

const AREAS = {
  pow: (body) => ({ 'zero-bits': String(checkProof(body)) }),
  bundle: (body) => {
    const ids = readBundle(body);
    return { entries: String(ids.length), ids: ids.join(',') };
  },
  envelope: (body, h) => {
    const content = openEnvelope(body, (h.get('identity') ?? []).map(bytesFromHex));
    return { 'content-sha256': sha256Hex(content), 'content-length': String(content.length) };
  },
  tipdoc: (body) => {
    // The streaming parser that tip_* vectors use must agree with the whole-document one (the values
    // as JSON, or the class), however the document is cut.
    const whole = outcomeOf(() => JSON.stringify(tipDocumentValues(parseTipDocument(body))));
    for (const size of [1, 3, 13, 14, 15, 64, Math.max(body.length, 1)]) {
      const streamed = outcomeOf(() => {
        const doc = new TipDocumentStream();
        for (let at = 0; at < body.length; at += size) doc.write(body.subarray(at, at + size));
        return JSON.stringify(tipDocumentValues(doc.end()));
      });
      if (streamed !== whole) {
        throw new Error(`fed in pieces of ${size} bytes, the streaming parser gives ${streamed}, not ${whole}`);
      }
    }
    return tipDocumentValues(parseTipDocument(body));
  },
  storefile: (body, h) => {
    const content = openStoreFile(body, bytesFromHex(one(h, 'identity')), Number(one(h, 'store-kind')),
                                  bytesFromHex(one(h, 'store-id')));
    return { 'content-sha256': sha256Hex(content), 'content-length': String(content.length) };
  },
  tip: (body, h) => tipDocumentValues(openTip(body, (h.get('identity') ?? []).map(bytesFromHex))),
  keyfile: (body, h) => {
    const id = openSecretKeyFile(body, ascii(one(h, 'passphrase')));
    if (id.organisation) return { 'organisation-key': encodeOrganisationKey(id.sign) };
    return { 'public-key': encodePublicKey(id.box, id.sign) };
  },
  orgkey: (body) => {
    const orgPk = decodeOrganisationKey(Buffer.from(body).toString('latin1'));  // one char per byte
    return { fingerprint: organisationFingerprint(orgPk) };
  },
  list: (body, h) => {
    const decimal = (key) => {
      const text = one(h, key);
      if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new Error(`"${key}:" is not a decimal number: ${text}`);
      return BigInt(text);
    };
    const optional = (key, read) => (h.has(key) ? read(key) : null);
    const pinnedKey = (key) => {
      try {
        return decodeOrganisationKey(one(h, key));
      } catch (e) {
        if (e instanceof FormatError) throw new Error(`"${key}:" is not an organisation key: ${e.cls}`);
        throw e;
      }
    };
    const today = decimal('today');
    const pinned = optional('pinned', pinnedKey);
    const remembered = optional('remembered', decimal);
    const list = readRecipientList(body);
    trustRecipientList(list, today, pinned, remembered);
    return {
      organisation: organisationFingerprint(list.orgPk),
      serial: list.serial.toString(),
      expires: dayToDate(list.expires),
      recipients: list.recipients.map((r) => fingerprint(r.box, r.sign)).join(','),
    };
  },
  pubkey: (body) => {
    const id = decodePublicKey(Buffer.from(body).toString('latin1'));  // one char per byte, as the text is ASCII
    return { fingerprint: fingerprint(id.box, id.sign) };
  },
  receipt: (body, h) => {
    const keys = deriveReceiptKeys(parseReceipt(body), bytesFromHex(one(h, 'salt')), one(h, 'receipt-kdf'));
    return {
      'mailbox-token': hex(keys.mailboxToken),
      'mailbox-token-hash': hex(keys.mailboxTokenHash),
      'reply-public-key': hex(keys.replyPublicKey),
      'mailbox-name': hex(keys.mailboxName),
    };
  },
  request: (body, h) => {
    const signer = decodePublicKey(one(h, 'signer'));
    const bodyHash = verifyRequest(one(h, 'method'), one(h, 'target'), body, one(h, 'timestamp'),
      bytesFromHex(one(h, 'nonce')), signer.sign, bytesFromHex(one(h, 'signature')));
    return { 'body-hash': hex(bodyHash) };
  },
  replyfile: (body) => {
    const r = readReplyFile(body);
    return { mailbox: hex(r.mailbox), 'envelope-length': String(r.envelopeLength) };
  },
  teamfile: (body) => ({ 'envelope-length': String(readTeamFile(body).envelopeLength) }),
  teamjson: (body, h) => {
    const changes = readTeamChanges(body, one(h, 'writer'));
    return { changes: String(changes.length), acceptable: String(changes.filter(acceptableChange).length) };
  },
};

function check(name, raw) {
  const { headers, body } = parseVector(raw);
  const expect = one(headers, 'expect');
  one(headers, 'comment');
  if (!EXPECTS.has(expect)) return `unknown expect "${expect}"`;
  const area = AREAS[name.slice(0, name.indexOf('_'))];
  let got;
  let values = {};
  try {
    values = area(body, headers);
    got = 'success';
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    got = e.cls;
  }
  if (got !== expect) return `expected ${expect}, got ${got}`;
  if (expect !== 'success') return null;
  for (const [key, value] of Object.entries(values)) {
    const want = one(headers, key);
    if (want !== value) return `${key}: expected ${want}, got ${value}`;
  }
  return null;
}

async function main() {
  await sodium.ready;
  const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');
  let names;
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    console.error(`check_vectors: error: cannot read ${dir}: ${e.message}`);
    return 2;
  }
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const name of names) {
    const path = join(dir, name);
    if (name.includes('.') || !name.includes('_') || !statSync(path).isFile()) continue;
    if (!(name.slice(0, name.indexOf('_')) in AREAS)) {
      console.log(`skip ${name}: area not implemented here`);
      skipped++;
      continue;
    }
    let problem;
    try {
      problem = check(name, readFileSync(path));
    } catch (e) {
      problem = `error: ${e.message}`;
    }
    if (problem === null) {
      passed++;
      console.log(`ok   ${name}`);
    } else {
      failed++;
      console.log(`FAIL ${name}: ${problem}`);
    }
  }
  if (skipped > 0) console.log(`${skipped} vectors skipped`);
  if (passed + failed === 0) console.error(`check_vectors: error: no vectors in ${dir}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

process.exitCode = await main();
