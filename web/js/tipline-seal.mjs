// Seals tips and reads replies on the witness's device, byte for byte as docs/FORMAT.md specifies.
//
// The only dependency is a libsodium object handed to useSodium() once it is ready:
//
//   await sodium.ready;
//   useSodium(sodium);
//
// It must be libsodium-wrappers-sumo: the standard build of libsodium-wrappers has no
// crypto_pwhash, and receipts need Argon2id. The module runs unchanged in a browser and in Node.
//
// Every rejection is a TiplineError whose `code` is an error class of FORMAT.md section 4, or
// `invalid_argument` when a caller asks for something the formats cannot express.

// FORMAT.md sections 3 and 11, spelled as there: the labels this module uses.
export const LABELS = Object.freeze({
  envelopeMagic: 'TIPLNENV',
  payloadKey: 'tipline envelope v1 payload key',
  headerMacKey: 'tipline envelope v1 header mac key',
  publicKeyPrefix: 'tipline-pk1-',
  publicKeyChecksum: 'tipline public key v1 checksum',
  fingerprint: 'tipline fingerprint v1',
  tipDocumentMagic: 'TIPLNDOC',
  mailboxToken: 'tipline receipt v1 mailbox token',
  replyKey: 'tipline receipt v1 reply key',
  mailboxTokenV2: 'tipline receipt v2 mailbox token',
  replyKeyV2: 'tipline receipt v2 reply key',
  mailboxTokenHash: 'tipline mailbox token hash v1',
  mailboxId: 'tipline mailbox id v1',
  bundleMagic: 'TIPLNBDL',
  pow: 'tipline pow v1',
  signedReply: 'tipline signed reply v1',
  signedTeamState: 'tipline signed team state v1',
  organisationKeyPrefix: 'tipline-org1-',
  organisationKeyChecksum: 'tipline organisation key v1 checksum',
  organisationFingerprint: 'tipline organisation fingerprint v1',
  recipientListMagic: 'TIPLNLST',
  recipientListSignature: 'tipline recipient list v1',
});

const FORMAT_VERSION = 1;
const SIGNED_DOCUMENT_VERSION = 2;  // section 9.5: a reply signed by its responder

// Section 5 and 8.
const MIN_PADDED_LENGTH = 4096;
const MAX_PADDED_LENGTH = 2 ** 40;
export const MAX_CONTENT_LENGTH = 2 ** 40 - 2 ** 37;
export const MAX_RECIPIENTS = 16;
const CHUNK_SIZE = 65536;
const CHUNK_OVERHEAD = 17;
const LENGTH_PREFIX_SIZE = 8;
const FIXED_HEADER_SIZE = 43;
const STANZA_SIZE = 80;
const MAC_SIZE = 32;
const KEY_SIZE = 32;

// Section 6.
const PUBLIC_KEY_BODY_SIZE = 68;
const PUBLIC_KEY_BASE64_LENGTH = 91;
const CHECKSUM_SIZE = 4;
const FINGERPRINT_GROUPS = 5;
const FINGERPRINT_GROUP_DIGITS = 5;
const FINGERPRINT_DIGITS = FINGERPRINT_GROUPS * FINGERPRINT_GROUP_DIGITS;
const IDENTITY_SIZE = 64;  // box_pk then sign_pk, as in the text form and the recipient list
const SIGNATURE_SIZE = 64;  // Ed25519

// Section 9.
const PREAMBLE_SIZE = 14;
const MAX_HEADER_LENGTH = 2 * 1024 * 1024;
export const MAX_MESSAGE_BYTES = 1024 * 1024;
export const MAX_ATTACHMENTS = 256;
const MAX_NAME_BYTES = 255;
const MAX_MEDIA_TYPE_BYTES = 127;
const MAX_LANGUAGE_LENGTH = 35;
// u8 values 1 to 4; team_state (9.6) is the responders' own, read here only to follow the format.
const TIP_KINDS = Object.freeze(['tip', 'follow_up', 'reply', 'team_state']);

// Section 10.
const RECEIPT_DIGITS = 20;
const RECEIPT_GROUP = 4;
// Section 10.3: how each version of a receipt is stretched, and with which labels.
const RECEIPT_STRETCH = {
  1: { opslimit: 2, memlimit: 67108864, tokenLabel: LABELS.mailboxToken, replyLabel: LABELS.replyKey },
  2: { opslimit: 1, memlimit: 16777216, tokenLabel: LABELS.mailboxTokenV2, replyLabel: LABELS.replyKeyV2 },
};
export const RECEIPT_VERSION = 2;        // every new receipt
export const RECEIPT_VERSIONS = [2, 1];  // the order in which a typed receipt's mailbox is looked for
const RECEIPT_SEED_SIZE = 64;
const SALT_SIZE = 16;

// Section 17.
const ORGANISATION_KEY_BODY_SIZE = 36;
const ORGANISATION_KEY_BASE64_LENGTH = 48;

// Section 18.
const LIST_FIXED_SIZE = 55;  // magic, version, organisation, serial, expires, count
const LIST_ENTRY_SIZE = IDENTITY_SIZE;
const LIST_MAX_COUNT = 16;
const DAY_MS = 86400000;

// Section 11.
const BUNDLE_HEADER_SIZE = 14;
const BUNDLE_ENTRY_SIZE = 28;
const BUNDLE_MAX_COUNT = 1000000;
const BUNDLE_MIN_ENVELOPE = 4268;
const BUNDLE_MAX_ENVELOPE = 2 ** 41;

export class TiplineError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'TiplineError';
    this.code = code;
  }
}

const fail = (code, message) => {
  throw new TiplineError(code, message);
};
const invalid = (message) => fail('invalid_argument', message);
const unsupported = (what) => fail('unsupported_version', `${what} is of a version this module does not read`);

// --- libsodium ------------------------------------------------------------------------------------

const REQUIRED_SODIUM = [
  'crypto_pwhash', 'crypto_box_seal', 'crypto_box_seal_open', 'crypto_box_seed_keypair', 'crypto_generichash',
  'crypto_generichash_init', 'crypto_generichash_update', 'crypto_generichash_final', 'crypto_sign_verify_detached',
  'crypto_scalarmult', 'crypto_scalarmult_base', 'crypto_secretstream_xchacha20poly1305_keygen',
  'crypto_secretstream_xchacha20poly1305_init_push', 'crypto_secretstream_xchacha20poly1305_push',
  'crypto_secretstream_xchacha20poly1305_init_pull', 'crypto_secretstream_xchacha20poly1305_pull',
  'randombytes_uniform', 'memzero', 'memcmp',
];

let sodium = null;

// Takes a ready libsodium-wrappers-sumo object, which every function that hashes, encrypts or draws
// random numbers needs.
export function useSodium(candidate) {
  if (candidate === null || typeof candidate !== 'object') invalid('useSodium needs the libsodium object');
  for (const name of REQUIRED_SODIUM) {
    if (typeof candidate[name] !== 'function') {
      invalid(`libsodium has no ${name}: load libsodium-wrappers-sumo and wait for sodium.ready`);
    }
  }
  if (candidate.crypto_pwhash_ALG_ARGON2ID13 !== 2 || candidate.crypto_secretstream_xchacha20poly1305_TAG_FINAL !== 3) {
    invalid('libsodium is not ready or not a build this module knows');
  }
  sodium = candidate;
}

function lib() {
  if (sodium === null) invalid('call useSodium(sodium) once sodium.ready has resolved');
  return sodium;
}

// sodium.memzero, or its equivalent before useSodium: encoding and parsing documents need no libsodium.
function wipe(...buffers) {
  for (const b of buffers) {
    if (!(b instanceof Uint8Array)) continue;
    if (sodium) sodium.memzero(b);
    else b.fill(0);
  }
}

// --- Bytes ----------------------------------------------------------------------------------------

const utf8Encoder = new TextEncoder();
const strictUtf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const ascii = (text) => utf8Encoder.encode(text);

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(bytes) {
  if (!(bytes instanceof Uint8Array)) invalid('toHex needs a Uint8Array');
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function fromHex(text, size, what) {
  if (typeof text !== 'string' || !new RegExp(`^[0-9a-f]{${2 * size}}$`).test(text)) {
    invalid(`${what} must be ${2 * size} lowercase hex digits`);
  }
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// Strict UTF-8 (section 2.8) of a string, or null when it holds a lone surrogate, which has none.
function utf8OfString(text) {
  return LONE_SURROGATE.test(text) ? null : utf8Encoder.encode(text);
}

// Section 2.8; the WHATWG decoder in fatal mode accepts exactly the well-formed sequences.
function decodeStrictUtf8(bytes) {
  try {
    return strictUtf8Decoder.decode(bytes);
  } catch {
    return null;
  }
}

const view = (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function checkKey(key, what) {
  if (!(key instanceof Uint8Array) || key.length !== KEY_SIZE) invalid(`${what} must be a ${KEY_SIZE}-byte Uint8Array`);
  return key;
}

// --- Section 2.1: BLAKE2b shapes ------------------------------------------------------------------

const labelledHash = (label, ...parts) => lib().crypto_generichash(32, concat(ascii(label), ...parts), null);
const keyedSubkey = (secret, label) => lib().crypto_generichash(32, ascii(label), secret);

// --- Section 5: padding ---------------------------------------------------------------------------

const bitLength = (n) => (n === 0 ? 0 : n.toString(2).length);

function padme(length) {
  if (length < 2) return length;
  const e = bitLength(length) - 1;
  const step = 2 ** (e - bitLength(e));
  return Math.ceil(length / step) * step;  // exact: step is a power of two and length < 2^53
}

export function paddedLength(length) {
  if (!Number.isSafeInteger(length) || length < 0) invalid('a length must be a non-negative safe integer');
  return Math.max(MIN_PADDED_LENGTH, padme(length));
}

const isPaddedLength = (p) => p >= MIN_PADDED_LENGTH && padme(p) === p;

// Section 8.8: the envelope's size for content of this length sealed to this many recipients.
export function envelopeSize(contentLength, recipientCount) {
  if (!Number.isSafeInteger(contentLength) || contentLength < 0 || contentLength > MAX_CONTENT_LENGTH) {
    invalid(`content must be 0 to ${MAX_CONTENT_LENGTH} bytes`);
  }
  if (!Number.isInteger(recipientCount) || recipientCount < 1 || recipientCount > MAX_RECIPIENTS) {
    invalid(`an envelope has 1 to ${MAX_RECIPIENTS} recipients`);
  }
  const p = paddedLength(LENGTH_PREFIX_SIZE + contentLength);
  return FIXED_HEADER_SIZE + STANZA_SIZE * recipientCount + MAC_SIZE + p + CHUNK_OVERHEAD * Math.ceil(p / CHUNK_SIZE);
}

// --- Section 6: public keys -----------------------------------------------------------------------

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Section 2.7: base64url without padding.
function encodeBase64url(bytes) {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += BASE64URL[(acc >> bits) & 63];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE64URL[(acc << (6 - bits)) & 63];
  return out;
}

// Section 2.7: canonical base64url without padding, or null.
function decodeBase64url(text) {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let at = 0;
  for (const ch of text) {
    const digit = BASE64URL.indexOf(ch);
    if (digit < 0) return null;
    acc = (acc << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  return acc === 0 ? out : null;
}

// Section 6.2, checks in order; returns { boxPublicKey, signPublicKey }.
export function decodePublicKey(text) {
  if (typeof text !== 'string') invalid('a public key is a string');
  if (!text.startsWith(LABELS.publicKeyPrefix)) {
    if (/^tipline-pk[0-9]+-/.test(text)) unsupported('the public key');
    fail('malformed', `a public key starts with ${LABELS.publicKeyPrefix}`);
  }
  const encoded = text.slice(LABELS.publicKeyPrefix.length);
  if (encoded.length !== PUBLIC_KEY_BASE64_LENGTH) fail('malformed', 'the public key has the wrong length');
  const body = decodeBase64url(encoded);
  if (body === null || body.length !== PUBLIC_KEY_BODY_SIZE) {
    fail('malformed', 'the public key is not canonical base64url');
  }
  const boxPublicKey = body.slice(0, 32);
  const signPublicKey = body.slice(32, 64);
  const checksum = labelledHash(LABELS.publicKeyChecksum, boxPublicKey, signPublicKey).subarray(0, CHECKSUM_SIZE);
  if (!lib().memcmp(checksum, body.subarray(64, 64 + CHECKSUM_SIZE))) {
    fail('malformed', 'the public key checksum does not match: the key is damaged');
  }
  if (isLowOrder(boxPublicKey)) fail('malformed', 'the public key is a point of small order: nothing sealed to it opens');
  return { boxPublicKey, signPublicKey };
}

// Section 6.2, step 5: X25519 with any scalar gives all zeros, which libsodium refuses to return.
const LOW_ORDER_PROBE = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 9 : 0));
function isLowOrder(boxPublicKey) {
  try {
    wipe(lib().crypto_scalarmult(LOW_ORDER_PROBE, boxPublicKey));
    return false;
  } catch {
    return true;
  }
}

// Section 6.1: the text form of a public identity.
export function encodePublicKey({ boxPublicKey, signPublicKey }) {
  checkKey(boxPublicKey, 'boxPublicKey');
  checkKey(signPublicKey, 'signPublicKey');
  const checksum = labelledHash(LABELS.publicKeyChecksum, boxPublicKey, signPublicKey).subarray(0, CHECKSUM_SIZE);
  return LABELS.publicKeyPrefix + encodeBase64url(concat(boxPublicKey, signPublicKey, checksum));
}

// Section 6.3 from the 32-byte hash: five groups of five digits, to compare aloud.
function fingerprintOfHash(h) {
  const groups = [];
  for (let g = 0; g < FINGERPRINT_GROUPS; g++) {
    let v = 0;
    for (const b of h.subarray(5 * g, 5 * g + 5)) v = v * 256 + b;  // 40 bits: exact in a double
    groups.push(String(v % 10 ** FINGERPRINT_GROUP_DIGITS).padStart(FINGERPRINT_GROUP_DIGITS, '0'));
  }
  return groups.join(' ');
}

// Section 6.3: a responder's fingerprint.
export function fingerprint({ boxPublicKey, signPublicKey }) {
  return fingerprintOfHash(labelledHash(LABELS.fingerprint, checkKey(boxPublicKey, 'boxPublicKey'),
    checkKey(signPublicKey, 'signPublicKey')));
}

// Sections 6.4 and 10.2 share one reader: strict UTF-8, full-width digits as ASCII, separators
// skipped, anything else refused; exactly `count` digits.
function readTypedDigits(typed, count, isSeparator, what) {
  let text = typed;
  if (typed instanceof Uint8Array) text = decodeStrictUtf8(typed);
  else if (typeof typed !== 'string') invalid(`a typed ${what} is a string or its UTF-8 bytes`);
  else if (LONE_SURROGATE.test(typed)) text = null;
  if (text === null) fail('malformed', `the ${what} is not valid text`);
  let digits = '';
  for (const ch of text) {
    let c = ch.codePointAt(0);
    if (c >= 0xff10 && c <= 0xff19) c = 0x30 + (c - 0xff10);  // full-width digits from CJK input
    if (isSeparator(c)) continue;
    if (c < 0x30 || c > 0x39) fail('malformed', `a ${what} holds only digits, spaces and dashes`);
    if (digits.length === count) fail('malformed', `the ${what} has more than ${count} digits`);
    digits += String.fromCharCode(c);
  }
  if (digits.length !== count) fail('malformed', `the ${what} has ${digits.length} digits, not ${count}`);
  return digits;
}

// Section 10.2: space, hyphen-minus, ideographic space and tab.
const isReceiptSeparator = (c) => c === 0x20 || c === 0x2d || c === 0x3000 || c === 0x09;

// Section 6.4: those, and the other Unicode spaces and dashes a web page or a PDF may hold.
const isFingerprintSeparator = (c) => isReceiptSeparator(c) || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) ||
  c === 0x202f || c === 0x205f || (c >= 0x2010 && c <= 0x2015) || c === 0x2212 || c === 0xfe58 ||
  c === 0xfe63 || c === 0xff0d || c === 0x30fc;

// Section 6.4: a fingerprint as a person typed or pasted it (a string, or its UTF-8 bytes), in its
// canonical form "ddddd ddddd ddddd ddddd ddddd", to compare with one computed here.
export function parseFingerprint(typed) {
  const digits = readTypedDigits(typed, FINGERPRINT_DIGITS, isFingerprintSeparator, 'fingerprint');
  const groups = [];
  for (let i = 0; i < FINGERPRINT_DIGITS; i += FINGERPRINT_GROUP_DIGITS) {
    groups.push(digits.slice(i, i + FINGERPRINT_GROUP_DIGITS));
  }
  return groups.join(' ');
}

// --- Section 17: organisation key -----------------------------------------------------------------

const organisationChecksum = (signPublicKey) =>
  labelledHash(LABELS.organisationKeyChecksum, signPublicKey).subarray(0, CHECKSUM_SIZE);

// Section 17.1, checks in order; returns { signPublicKey }, the organisation's Ed25519 key.
export function decodeOrganisationKey(text) {
  if (typeof text !== 'string') invalid('an organisation key is a string');
  if (!text.startsWith(LABELS.organisationKeyPrefix)) {
    if (/^tipline-org[0-9]+-/.test(text)) unsupported('the organisation key');
    fail('malformed', `an organisation key starts with ${LABELS.organisationKeyPrefix}`);
  }
  const encoded = text.slice(LABELS.organisationKeyPrefix.length);
  if (encoded.length !== ORGANISATION_KEY_BASE64_LENGTH) fail('malformed', 'the organisation key has the wrong length');
  const body = decodeBase64url(encoded);
  if (body === null || body.length !== ORGANISATION_KEY_BODY_SIZE) {
    fail('malformed', 'the organisation key is not canonical base64url');
  }
  const signPublicKey = body.slice(0, KEY_SIZE);
  if (!lib().memcmp(organisationChecksum(signPublicKey), body.subarray(KEY_SIZE))) {
    fail('malformed', 'the organisation key checksum does not match: the key is damaged');
  }
  return { signPublicKey };
}

// Section 17.1: the text form of { signPublicKey }.
export function encodeOrganisationKey({ signPublicKey }) {
  checkKey(signPublicKey, 'signPublicKey');
  return LABELS.organisationKeyPrefix + encodeBase64url(concat(signPublicKey, organisationChecksum(signPublicKey)));
}

// Section 17.2: the organisation's fingerprint, under its own label.
export function organisationFingerprint({ signPublicKey }) {
  return fingerprintOfHash(labelledHash(LABELS.organisationFingerprint, checkKey(signPublicKey, 'signPublicKey')));
}

// --- Section 18: recipient list -------------------------------------------------------------------

// Today in UTC, as days since 1970-01-01: the day a recipient list's expiry is compared with.
export function currentDay() {
  return Math.floor(Date.now() / DAY_MS);
}

// Section 18.2, checks 1 to 7: the list as the organisation signed it, or a TiplineError. The
// serial is a u64 and is returned as a BigInt, always, so that every serial the format allows
// (not only those below 2^53) compares exactly; String(serial) prints it.
export function decodeRecipientList(bytes) {
  if (!(bytes instanceof Uint8Array)) invalid('a recipient list is a Uint8Array');
  const s = lib();
  const n = bytes.length;
  const magic = ascii(LABELS.recipientListMagic);
  const head = bytes.subarray(0, Math.min(n, magic.length));
  if (!sameBytes(head, magic.subarray(0, head.length))) fail('malformed', 'not a recipient list');
  if (n < magic.length + 2) fail('truncated', 'the recipient list ends inside its header');
  const v = view(bytes);
  if (v.getUint16(8) !== FORMAT_VERSION) unsupported('the recipient list');
  if (n < LIST_FIXED_SIZE) fail('truncated', 'the recipient list ends inside its header');
  const signPublicKey = bytes.slice(10, 42);
  const serial = v.getBigUint64(42);
  const expiresDay = v.getUint32(50);
  const count = bytes[54];
  if (serial === 0n) fail('malformed', 'the recipient list has serial 0');
  if (count === 0 || count > LIST_MAX_COUNT) {
    fail('malformed', `a recipient list names 1 to ${LIST_MAX_COUNT} responders`);
  }
  const signedSize = LIST_FIXED_SIZE + LIST_ENTRY_SIZE * count;
  if (n < signedSize + SIGNATURE_SIZE) fail('truncated', 'the recipient list ends early');
  if (n > signedSize + SIGNATURE_SIZE) fail('malformed', 'the recipient list has bytes after its signature');
  const entries = [];
  for (let i = 0; i < count; i++) {
    const at = LIST_FIXED_SIZE + LIST_ENTRY_SIZE * i;
    entries.push(bytes.subarray(at, at + LIST_ENTRY_SIZE));
  }
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      if (sameBytes(entries[i], entries[j])) fail('malformed', 'the recipient list names a responder twice');
    }
    if (isLowOrder(entries[i].subarray(0, 32))) fail('malformed', 'the recipient list names a key of small order');
  }
  const message = concat(ascii(LABELS.recipientListSignature), bytes.subarray(0, signedSize));
  if (!s.crypto_sign_verify_detached(bytes.subarray(signedSize), message, signPublicKey)) {
    fail('authentication_failed', 'the recipient list is not signed by the organisation it names');
  }
  const organisation = { signPublicKey };
  const recipients = entries.map((e) => {
    const key = { boxPublicKey: e.slice(0, KEY_SIZE), signPublicKey: e.slice(KEY_SIZE) };
    return { ...key, text: encodePublicKey(key), fingerprint: fingerprint(key) };
  });
  return {
    organisation: {
      signPublicKey,
      text: encodeOrganisationKey(organisation),
      fingerprint: organisationFingerprint(organisation),
    },
    serial,
    expiresDay,
    expires: formatDay(expiresDay),
    recipients,
  };
}

function checkDay(day, what) {
  if (!Number.isSafeInteger(day) || day < 0) invalid(`${what} is a day number: days since 1970-01-01, UTC`);
  return day;
}

// Section 18.3, checks 8 to 10, on a list from decodeRecipientList. today defaults to currentDay();
// pinned is the organisation key the reader trusts (its text, or { signPublicKey }); remembered the
// highest serial seen from the list's organisation (a safe integer or a BigInt). Returns the list.
export function checkRecipientList(list, { today, pinned, remembered } = {}) {
  if (list === null || typeof list !== 'object' || list.organisation === null ||
      typeof list.organisation !== 'object' || typeof list.serial !== 'bigint' || !Number.isInteger(list.expiresDay)) {
    invalid('checkRecipientList needs a list from decodeRecipientList');
  }
  const day = today === undefined ? currentDay() : checkDay(today, 'today');
  let pinnedKey = null;
  if (typeof pinned === 'string') {
    try {
      pinnedKey = decodeOrganisationKey(pinned).signPublicKey;
    } catch (e) {
      if (!(e instanceof TiplineError)) throw e;
      invalid(`pinned is not an organisation key: ${e.message}`);
    }
  } else if (pinned !== undefined && pinned !== null) {
    if (typeof pinned !== 'object') invalid('pinned is an organisation key text or { signPublicKey }');
    pinnedKey = checkKey(pinned.signPublicKey, 'pinned.signPublicKey');
  }
  let highest = null;
  if (typeof remembered === 'bigint' && remembered >= 0n) highest = remembered;
  else if (Number.isSafeInteger(remembered) && remembered >= 0) highest = BigInt(remembered);
  else if (remembered !== undefined && remembered !== null) {
    invalid('remembered is a serial: a safe integer or a BigInt');
  }

  if (pinnedKey !== null && !sameBytes(pinnedKey, checkKey(list.organisation.signPublicKey, 'signPublicKey'))) {
    fail('untrusted_key', 'the recipient list is signed by another organisation than the one pinned');
  }
  if (day > list.expiresDay) fail('expired', `the recipient list expired after ${formatDay(list.expiresDay)}`);
  if (highest !== null && list.serial < highest) {
    fail('rolled_back', `the recipient list has serial ${list.serial}, older than ${highest} seen before`);
  }
  return list;
}

// The list's bytes as the source API sends them: lowercase hex.
function listBytesOfHex(text) {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) {
    fail('malformed', 'the recipient list is not lowercase hex');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// GET /api/v1/keys (PROTOCOL.md): every key decoded and checked, fingerprints computed here.
// When the answer carries recipient_list (the organisation's signed list, section 18, as lowercase
// hex), the list is decoded, its signature verified and its expiry checked against today (default:
// currentDay()), and the recipients are the list's: the JSON recipients array must still be
// well-formed but names no one. Then `list` is { organisation: { signPublicKey, text, fingerprint },
// serial (BigInt), expiresDay, expires }; without a list it is null.
export function parseKeysResponse(answer, { today } = {}) {
  if (answer === null || typeof answer !== 'object') fail('malformed', 'the keys answer is not a JSON object');
  if (answer.version !== FORMAT_VERSION) unsupported('the keys answer');
  const listed = answer.recipients;
  if (!Array.isArray(listed) || listed.length < 1 || listed.length > MAX_RECIPIENTS) {
    fail('malformed', `the keys answer lists 1 to ${MAX_RECIPIENTS} recipients`);
  }
  const fromJson = listed.map((entry, i) => {
    if (entry === null || typeof entry !== 'object' || typeof entry.key !== 'string') {
      fail('malformed', `recipient ${i + 1} of the keys answer has no key`);
    }
    const key = decodePublicKey(entry.key);
    const computed = fingerprint(key);
    if (entry.fingerprint !== undefined && entry.fingerprint !== computed) {
      fail('malformed', `recipient ${i + 1}'s fingerprint does not match its key`);
    }
    return { text: entry.key, ...key, fingerprint: computed };
  });
  let recipients = fromJson;
  let list = null;
  if (answer.recipient_list !== undefined && answer.recipient_list !== null) {
    const decoded = checkRecipientList(decodeRecipientList(listBytesOfHex(answer.recipient_list)), { today });
    recipients = decoded.recipients;
    list = {
      organisation: decoded.organisation,
      serial: decoded.serial,
      expiresDay: decoded.expiresDay,
      expires: decoded.expires,
    };
  }
  if (typeof answer.salt !== 'string' || !/^[0-9a-f]{32}$/.test(answer.salt)) {
    fail('malformed', 'the keys answer has no salt of 32 lowercase hex digits');
  }
  const limits = answer.limits ?? {};
  const limit = (name) => {
    const v = limits[name];
    if (!Number.isSafeInteger(v) || v < 1) fail('malformed', `the keys answer has no limit ${name}`);
    return v;
  };
  return {
    recipients,
    list,
    salt: fromHex(answer.salt, SALT_SIZE, 'the salt'),
    limits: {
      inlineBytes: limit('inline_bytes'),
      envelopeBytes: limit('envelope_bytes'),
      uploadChunkBytes: limit('upload_chunk_bytes'),
    },
    proof: parseChallengeResponse(answer.proof_of_work ?? { required: false }),
  };
}

// --- Section 10: receipts -------------------------------------------------------------------------

const DIGITS_PATTERN = new RegExp(`^[0-9]{${RECEIPT_DIGITS}}$`);

// Section 10.1: 20 digits, each uniform and independent.
export function generateReceipt() {
  const s = lib();
  let digits = '';
  for (let i = 0; i < RECEIPT_DIGITS; i++) digits += String.fromCharCode(0x30 + s.randombytes_uniform(10));
  return digits;
}

// Section 10.1: "0123 4567 8901 2345 6789".
export function formatReceipt(digits) {
  if (typeof digits !== 'string' || !DIGITS_PATTERN.test(digits)) {
    invalid(`a receipt is ${RECEIPT_DIGITS} ASCII digits`);
  }
  const groups = [];
  for (let i = 0; i < RECEIPT_DIGITS; i += RECEIPT_GROUP) groups.push(digits.slice(i, i + RECEIPT_GROUP));
  return groups.join(' ');
}

// Section 10.2: what a person typed (a string, or its UTF-8 bytes) to the 20 digits.
export function parseReceipt(typed) {
  return readTypedDigits(typed, RECEIPT_DIGITS, isReceiptSeparator, 'receipt');
}

function saltBytes(salt) {
  if (salt instanceof Uint8Array) {
    if (salt.length !== SALT_SIZE) invalid(`the deployment salt is ${SALT_SIZE} bytes`);
    return salt;
  }
  return fromHex(salt, SALT_SIZE, 'the deployment salt');
}

// Sections 10.3 and 10.4. Version 2 (every new receipt): Argon2id with 16 MiB and one pass, about
// 20 ms with WebAssembly and a few seconds without a JIT. Version 1 (receipts made before it):
// 64 MiB and two passes, 8 times the work. A typed receipt does not say its version: look for the
// mailbox with RECEIPT_VERSIONS in order.
export function deriveReceiptKeys(digits, salt, version = RECEIPT_VERSION) {
  const s = lib();
  if (typeof digits !== 'string' || !DIGITS_PATTERN.test(digits)) {
    invalid(`receipt keys come from ${RECEIPT_DIGITS} ASCII digits, as parseReceipt returns them`);
  }
  const stretch = RECEIPT_STRETCH[version];
  if (!stretch) invalid(`a receipt is version ${RECEIPT_VERSIONS.join(' or ')}`);
  const password = ascii(digits);
  const seed = s.crypto_pwhash(RECEIPT_SEED_SIZE, password, saltBytes(salt), stretch.opslimit, stretch.memlimit,
    s.crypto_pwhash_ALG_ARGON2ID13);
  const mailboxToken = keyedSubkey(seed, stretch.tokenLabel);
  const replySeed = keyedSubkey(seed, stretch.replyLabel);
  const reply = s.crypto_box_seed_keypair(replySeed);
  wipe(password, seed, replySeed);
  return {
    mailboxToken,
    replyPublicKey: reply.publicKey,
    replySecretKey: reply.privateKey,
    mailboxId: mailboxIdOf(reply.publicKey),
    tokenHash: labelledHash(LABELS.mailboxTokenHash, mailboxToken),
  };
}

// Section 10.4: the name of the mailbox whose replies are sealed to this reply key.
export function mailboxIdOf(replyPublicKey) {
  return labelledHash(LABELS.mailboxId, checkKey(replyPublicKey, 'replyPublicKey'));
}

// Headers of POST /api/v1/tips (and /api/v1/uploads) that open the mailbox.
export function newMailboxHeaders({ mailboxId, tokenHash }) {
  return {
    'Tipline-Mailbox': toHex(checkKey(mailboxId, 'mailboxId')),
    'Tipline-Mailbox-Token-Hash': toHex(checkKey(tokenHash, 'tokenHash')),
  };
}

// Headers of GET /api/v1/mailbox and POST /api/v1/mailbox/messages.
export function mailboxAccessHeaders({ mailboxId, mailboxToken }) {
  return {
    'Tipline-Mailbox': toHex(checkKey(mailboxId, 'mailboxId')),
    'Tipline-Mailbox-Token': toHex(checkKey(mailboxToken, 'mailboxToken')),
  };
}

// --- Section 9: tip documents ---------------------------------------------------------------------

const LANGUAGE_PATTERN = new RegExp(`^[A-Za-z0-9-]{1,${MAX_LANGUAGE_LENGTH}}$`);
const MEDIA_TYPE_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${MAX_MEDIA_TYPE_BYTES}}$`);
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function checkCreatedAt(createdAt) {
  if (Number.isSafeInteger(createdAt)) return BigInt(createdAt);
  if (typeof createdAt === 'bigint' && createdAt >= I64_MIN && createdAt <= I64_MAX) return createdAt;
  return invalid('createdAt is whole seconds since the Unix epoch, a safe integer or an i64 BigInt');
}

// The message as a fresh copy of its UTF-8 bytes, which the caller wipes.
function messageBytes(message) {
  let bytes = null;
  if (typeof message === 'string') bytes = utf8OfString(message);
  else if (message instanceof Uint8Array) bytes = decodeStrictUtf8(message) === null ? null : message.slice();
  else invalid('message is a string or its UTF-8 bytes');
  if (bytes === null) invalid('message is not valid UTF-8 text');
  if (bytes.length > MAX_MESSAGE_BYTES) {
    wipe(bytes);
    invalid(`message is at most ${MAX_MESSAGE_BYTES} bytes of UTF-8`);
  }
  return bytes;
}

function checkAttachment(a, i) {
  const fault = (text) => invalid(`attachment ${i + 1}: ${text}`);
  if (a === null || typeof a !== 'object') fault('is not an object');
  const name = typeof a.name === 'string' ? utf8OfString(a.name) : null;
  if (name === null || name.length < 1 || name.length > MAX_NAME_BYTES || name.includes(0)) {
    fault(`name is 1 to ${MAX_NAME_BYTES} bytes of UTF-8 without NUL`);
  }
  if (typeof a.mediaType !== 'string' || !MEDIA_TYPE_PATTERN.test(a.mediaType)) {
    fault(`mediaType is 1 to ${MAX_MEDIA_TYPE_BYTES} visible ASCII characters without spaces, such as image/jpeg`);
  }
  if (!(a.bytes instanceof Uint8Array)) fault('bytes is a Uint8Array');
  return { name, mediaType: ascii(a.mediaType), bytes: a.bytes };
}

// The fields of section 9.2 as bytes, the message last so that no check leaves a copy of it behind.
function checkTip(tip) {
  if (tip === null || typeof tip !== 'object') invalid('a tip document is an object');
  if (tip.signer !== undefined && tip.signer !== null) {
    invalid('this module does not sign: a tip document with a signer (version 2) is written by a responder');
  }
  const kind = TIP_KINDS.indexOf(tip.kind) + 1;
  if (kind === 0) invalid(`kind is one of ${TIP_KINDS.join(', ')}`);
  if (tip.kind === 'team_state') invalid("the team's state is written and signed by a responder, not here");
  const createdAt = checkCreatedAt(tip.createdAt);
  if (typeof tip.language !== 'string' || !LANGUAGE_PATTERN.test(tip.language)) {
    invalid(`language is 1 to ${MAX_LANGUAGE_LENGTH} of A-Z, a-z, 0-9 and -, such as en, ko, zh-Hans or und`);
  }
  const replyKey = tip.replyKey ?? null;
  if (replyKey !== null) checkKey(replyKey, 'replyKey');
  const list = tip.attachments ?? [];
  if (!Array.isArray(list) || list.length > MAX_ATTACHMENTS) {
    invalid(`attachments is an array of at most ${MAX_ATTACHMENTS}`);
  }
  const attachments = list.map(checkAttachment);
  return { kind, createdAt, language: ascii(tip.language), replyKey, attachments, message: messageBytes(tip.message) };
}

function headerBodyLength(t) {
  let n = 1 + 8 + 1 + t.language.length + 1 + (t.replyKey ? KEY_SIZE : 0) + 4 + t.message.length + 2;
  for (const a of t.attachments) n += 2 + a.name.length + 1 + a.mediaType.length + 8;
  return n;
}

// Section 9, version 1: the document as a list of byte strings whose concatenation is the document.
// The first (preamble and header body) is new and holds the message: wipe it after sealing (sealTip
// does). The attachments follow as the caller's own arrays, not copied. The browser never signs: a
// tip with a signer (version 2, which only a responder writes) is refused, not silently unsigned.
export function encodeTipDocument(tip) {
  const t = checkTip(tip);
  const bodyLength = headerBodyLength(t);
  const documentLength = t.attachments.reduce((n, a) => n + a.bytes.length, PREAMBLE_SIZE + bodyLength);
  if (bodyLength > MAX_HEADER_LENGTH || documentLength > MAX_CONTENT_LENGTH) {
    wipe(t.message);
    invalid(`a tip document is at most ${MAX_CONTENT_LENGTH} bytes`);
  }
  const head = new Uint8Array(PREAMBLE_SIZE + bodyLength);
  const v = view(head);
  let at = 0;
  const put = (bytes) => {
    head.set(bytes, at);
    at += bytes.length;
  };
  put(ascii(LABELS.tipDocumentMagic));
  v.setUint16(at, FORMAT_VERSION);
  v.setUint32(at + 2, bodyLength);
  at += 6;
  head[at++] = t.kind;
  v.setBigInt64(at, t.createdAt);
  at += 8;
  head[at++] = t.language.length;
  put(t.language);
  head[at++] = t.replyKey ? 1 : 0;
  if (t.replyKey) put(t.replyKey);
  v.setUint32(at, t.message.length);
  at += 4;
  put(t.message);
  wipe(t.message);
  v.setUint16(at, t.attachments.length);
  at += 2;
  for (const a of t.attachments) {
    v.setUint16(at, a.name.length);
    at += 2;
    put(a.name);
    head[at++] = a.mediaType.length;
    put(a.mediaType);
    v.setBigUint64(at, BigInt(a.bytes.length));
    at += 8;
  }
  return [head, ...t.attachments.map((a) => a.bytes)];
}

// Section 9.4 as a stream: buffers the preamble and header body, counts attachment bytes. In
// version 2 it also hashes every byte before the signature (9.5) and keeps the signature's 64 bytes.
// close() frees the hash state of a document that ended in an error; finish() frees it too. When
// onAttachmentData is given, it receives (index, bytes) for each run of attachment bytes as they
// pass through, and must copy what it keeps.
class TipDocumentReader {
  constructor(onAttachmentData = null) {
    this.onAttachmentData = onAttachmentData;
    this.pending = new Uint8Array(PREAMBLE_SIZE);
    this.filled = 0;
    this.headerLength = 0;  // 0 until the preamble is read
    this.header = null;
    this.current = 0;  // the attachment that receives the next bytes
    this.currentLeft = 0;
    this.attachmentOffsets = [];  // where each attachment starts in the document
    this.position = 0;
    this.signed = false;  // version 2
    this.hash = null;  // version 2: the libsodium BLAKE2b state over the document before the signature
    this.signature = null;
    this.signatureFilled = 0;
  }

  hashUpdate(bytes) {
    if (this.hash !== null && bytes.length > 0) lib().crypto_generichash_update(this.hash, bytes);
  }

  write(bytes) {
    let rest = bytes;
    while (rest.length > 0) {
      if (this.header === null) {
        const n = Math.min(this.pending.length - this.filled, rest.length);
        this.pending.set(rest.subarray(0, n), this.filled);
        this.filled += n;
        this.position += n;
        rest = rest.subarray(n);
        if (this.filled < this.pending.length) return;
        if (this.headerLength === 0) this.readPreamble();
        else this.readHeaderBody();
        continue;
      }
      const sizes = this.header.attachments;
      while (this.current < sizes.length && this.currentLeft === 0) {
        if (++this.current < sizes.length) {
          this.currentLeft = sizes[this.current].size;
          this.attachmentOffsets[this.current] = this.position;
        }
      }
      if (this.current >= sizes.length) {
        if (!this.signed || this.signatureFilled === SIGNATURE_SIZE) {
          fail('malformed', `the tip document has bytes after its ${this.signed ? 'signature' : 'last attachment'}`);
        }
        const n = Math.min(rest.length, SIGNATURE_SIZE - this.signatureFilled);
        this.signature.set(rest.subarray(0, n), this.signatureFilled);
        this.signatureFilled += n;
        this.position += n;
        rest = rest.subarray(n);
        continue;
      }
      const n = Math.min(rest.length, this.currentLeft);
      this.hashUpdate(rest.subarray(0, n));
      if (this.onAttachmentData !== null && n > 0) this.onAttachmentData(this.current, rest.subarray(0, n));
      this.currentLeft -= n;
      this.position += n;
      rest = rest.subarray(n);
    }
  }

  readPreamble() {
    const p = this.pending;
    if (!sameBytes(p.subarray(0, 8), ascii(LABELS.tipDocumentMagic))) fail('malformed', 'not a tip document');
    const version = view(p).getUint16(8);
    if (version !== FORMAT_VERSION && version !== SIGNED_DOCUMENT_VERSION) unsupported('the tip document');
    this.headerLength = view(p).getUint32(10);
    if (this.headerLength === 0 || this.headerLength > MAX_HEADER_LENGTH) {
      fail('malformed', 'the tip document header has a bad length');
    }
    if (version === SIGNED_DOCUMENT_VERSION) {
      this.signed = true;
      this.signature = new Uint8Array(SIGNATURE_SIZE);
      this.hash = lib().crypto_generichash_init(null, KEY_SIZE);
      this.hashUpdate(p);
    }
    this.pending = new Uint8Array(this.headerLength);
    this.filled = 0;
  }

  readHeaderBody() {
    const body = this.pending;
    try {
      this.hashUpdate(body);
      this.header = parseHeaderBody(body, this.signed);
    } finally {
      wipe(body);
      this.pending = null;
    }
    const sizes = this.header.attachments;
    if (sizes.length > 0) {
      this.currentLeft = sizes[0].size;
      this.attachmentOffsets[0] = this.position;
    }
  }

  // Frees the hash state; returns the digest when it was still open.
  closeHash() {
    if (this.hash === null) return null;
    const state = this.hash;
    this.hash = null;
    return lib().crypto_generichash_final(state, KEY_SIZE);
  }

  close() {
    this.closeHash();
  }

  // Steps 1, 5, 9 and 10 at the end of the input. A signature that does not verify (step 10) is
  // returned as signatureValid: false, for finish() to throw and openReplies to count.
  end() {
    if (this.header === null) fail('malformed', 'the tip document ends inside its header');
    const sizes = this.header.attachments;
    if (this.current < sizes.length && this.currentLeft > 0) {
      fail('malformed', 'the tip document ends inside an attachment');
    }
    for (let i = this.current + 1; i < sizes.length; i++) {
      if (sizes[i].size > 0) fail('malformed', 'the tip document ends before its last attachment');
      this.attachmentOffsets[i] = this.position;
    }
    const document = { ...this.header, attachmentOffsets: this.attachmentOffsets };
    if (!this.signed) return { document, signatureValid: true };
    if (this.signatureFilled < SIGNATURE_SIZE) fail('malformed', 'the tip document ends inside its signature');
    const digest = this.closeHash();
    const label = this.header.kind === 'team_state' ? LABELS.signedTeamState : LABELS.signedReply;
    const message = concat(ascii(label), digest);
    const signer = this.header.signer;
    const signatureValid = lib().crypto_sign_verify_detached(this.signature, message, signer.signPublicKey);
    document.signer = { ...signer, fingerprint: fingerprint(signer) };
    return { document, signatureValid };
  }

  finish() {
    const { document, signatureValid } = this.end();
    if (!signatureValid) fail('authentication_failed', 'the signed reply is not signed by the responder it names');
    return document;
  }
}

// Steps 6 and 7 of section 9.4, once the whole header body is here; signed is version 2.
function parseHeaderBody(body, signed) {
  const v = view(body);
  let at = 0;
  const need = (n) => {
    if (at + n > body.length) fail('malformed', 'a field runs past the tip document header');
    const start = at;
    at += n;
    return start;
  };
  const take = (n) => body.subarray(need(n), at);
  const kind = body[need(1)];
  const createdAt = v.getBigInt64(need(8));
  const language = take(body[need(1)]);
  const hasReplyKey = body[need(1)];
  if (hasReplyKey > 1) fail('malformed', 'the tip document has a bad reply key flag');
  const replyKey = hasReplyKey === 1 ? take(KEY_SIZE).slice() : null;
  const message = take(v.getUint32(need(4)));
  const count = v.getUint16(need(2));
  if (count > MAX_ATTACHMENTS) fail('malformed', 'the tip document has too many attachments');
  const attachments = [];
  for (let i = 0; i < count; i++) {
    const name = take(v.getUint16(need(2)));
    const mediaType = take(body[need(1)]);
    attachments.push({ name, mediaType, size: v.getBigUint64(need(8)) });
  }
  const signer = signed ? take(IDENTITY_SIZE).slice() : null;
  const languageText = String.fromCharCode(...language);
  const messageText = message.length <= MAX_MESSAGE_BYTES ? decodeStrictUtf8(message) : null;
  const names = attachments.map((a) =>
    (a.name.length <= MAX_NAME_BYTES && !a.name.includes(0) ? decodeStrictUtf8(a.name) : null));
  const mediaTypes = attachments.map((a) => String.fromCharCode(...a.mediaType));
  if (at !== body.length || kind < 1 || kind > TIP_KINDS.length || !LANGUAGE_PATTERN.test(languageText) ||
      messageText === null || names.some((n) => n === null || n.length === 0) ||
      !mediaTypes.every((m) => MEDIA_TYPE_PATTERN.test(m)) ||
      attachments.some((a) => a.size > BigInt(MAX_CONTENT_LENGTH))) {
    fail('malformed', 'the tip document header breaks a rule of its format');
  }
  if (TIP_KINDS[kind - 1] === 'team_state') {
    // Always signed, for no witness, with no file (9.6).
    if (!signed || replyKey !== null || count !== 0) {
      fail('malformed', "the team's state is signed, names no reply key and carries no file");
    }
  } else if (signed && (TIP_KINDS[kind - 1] !== 'reply' || replyKey === null)) {
    fail('malformed', 'only a reply that names the reply key it answers is signed');
  }
  return {
    kind: TIP_KINDS[kind - 1],
    createdAt,
    language: languageText,
    replyKey,
    message: messageText,
    attachments: attachments.map((a, i) => ({ name: names[i], mediaType: mediaTypes[i], size: Number(a.size) })),
    signer: signer === null ? null
      : { boxPublicKey: signer.slice(0, KEY_SIZE), signPublicKey: signer.slice(KEY_SIZE) },
  };
}

// Section 9.4 on a whole document in memory. Attachment bytes are views into the document. A
// signed reply (version 2) has signer { boxPublicKey, signPublicKey, fingerprint }: its signature
// verified, which shows only which key signed it. Any other document has signer null.
export function parseTipDocument(document) {
  if (!(document instanceof Uint8Array)) invalid('a tip document is a Uint8Array');
  const reader = new TipDocumentReader();
  let parsed;
  try {
    reader.write(document);
    parsed = reader.finish();
  } finally {
    reader.close();
  }
  const { attachmentOffsets, ...header } = parsed;
  header.attachments = header.attachments.map((a, i) => ({
    ...a,
    bytes: document.subarray(attachmentOffsets[i], attachmentOffsets[i] + a.size),
  }));
  return header;
}

// --- Section 8: envelopes -------------------------------------------------------------------------

function checkRecipients(recipientBoxKeys) {
  if (!Array.isArray(recipientBoxKeys) || recipientBoxKeys.length < 1 || recipientBoxKeys.length > MAX_RECIPIENTS) {
    invalid(`an envelope is sealed to 1 to ${MAX_RECIPIENTS} recipients`);
  }
  return recipientBoxKeys.map((k, i) => checkKey(k, `recipient ${i + 1}'s box public key`));
}

function contentParts(content) {
  const parts = content instanceof Uint8Array ? [content] : content;
  if (!Array.isArray(parts) || !parts.every((p) => p instanceof Uint8Array)) {
    invalid('content is a Uint8Array or an array of them');
  }
  return parts;
}

// Section 8.3: the framed plaintext (length, content, zeros), handed out piece by piece.
class FramedContent {
  constructor(parts, length) {
    this.parts = parts;
    this.prefix = new Uint8Array(LENGTH_PREFIX_SIZE);
    view(this.prefix).setBigUint64(0, BigInt(length));
    this.prefixAt = 0;
    this.part = 0;
    this.partAt = 0;
  }

  fill(piece) {
    piece.fill(0);
    let at = 0;
    if (this.prefixAt < LENGTH_PREFIX_SIZE) {
      const n = Math.min(LENGTH_PREFIX_SIZE - this.prefixAt, piece.length);
      piece.set(this.prefix.subarray(this.prefixAt, this.prefixAt + n));
      this.prefixAt += n;
      at = n;
    }
    while (at < piece.length && this.part < this.parts.length) {
      const part = this.parts[this.part];
      const n = Math.min(part.length - this.partAt, piece.length - at);
      piece.set(part.subarray(this.partAt, this.partAt + n), at);
      at += n;
      this.partAt += n;
      if (this.partAt === part.length) {
        this.part++;
        this.partAt = 0;
      }
    }
  }
}

// Section 8.6. content is a Uint8Array or a list of them (as encodeTipDocument returns); the
// plaintext is framed one 64 KiB chunk at a time into a buffer that is wiped afterwards.
// Stanzas follow the order of recipientBoxKeys.
export function sealEnvelope(recipientBoxKeys, content) {
  const steps = sealingSteps(recipientBoxKeys, content);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

// The same, giving way to the page between chunks: pause() is awaited whenever a chunk is done
// (the caller decides whether to wait), so that sealing megabytes without a JIT never freezes it.
export async function sealEnvelopeAsync(recipientBoxKeys, content, pause) {
  const steps = sealingSteps(recipientBoxKeys, content);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await pause();
  }
}

// Yields after each chunk; returns the envelope.
function* sealingSteps(recipientBoxKeys, content) {
  const s = lib();
  const recipients = checkRecipients(recipientBoxKeys);
  const parts = contentParts(content);
  const length = parts.reduce((n, p) => n + p.length, 0);
  const total = envelopeSize(length, recipients.length);
  const padded = paddedLength(LENGTH_PREFIX_SIZE + length);
  let out;
  try {
    out = new Uint8Array(total);
  } catch {
    invalid(`a ${total}-byte envelope does not fit in memory here`);
  }
  const v = view(out);

  const fileKey = s.crypto_secretstream_xchacha20poly1305_keygen();
  const payloadKey = keyedSubkey(fileKey, LABELS.payloadKey);
  const macKey = keyedSubkey(fileKey, LABELS.headerMacKey);
  let state;
  try {
    out.set(ascii(LABELS.envelopeMagic), 0);
    v.setUint16(8, FORMAT_VERSION);
    out[10] = recipients.length;
    v.setBigUint64(11, BigInt(padded));
    const pushed = s.crypto_secretstream_xchacha20poly1305_init_push(payloadKey);
    state = pushed.state;
    out.set(pushed.header, 19);
    recipients.forEach((key, i) => {
      let stanza;
      try {
        stanza = s.crypto_box_seal(fileKey, key);
      } catch {
        invalid(`recipient ${i + 1}'s key cannot be sealed to`);  // libsodium refuses low-order points
      }
      out.set(stanza, FIXED_HEADER_SIZE + STANZA_SIZE * i);
    });
    const macAt = FIXED_HEADER_SIZE + STANZA_SIZE * recipients.length;
    out.set(s.crypto_generichash(MAC_SIZE, out.subarray(0, macAt), macKey), macAt);
  } finally {
    wipe(fileKey, payloadKey, macKey);
  }

  const framed = new FramedContent(parts, length);
  const chunk = new Uint8Array(Math.min(padded, CHUNK_SIZE));
  let at = FIXED_HEADER_SIZE + STANZA_SIZE * recipients.length + MAC_SIZE;
  let remaining = padded;
  try {
    while (remaining > 0) {
      const piece = chunk.subarray(0, Math.min(remaining, CHUNK_SIZE));
      framed.fill(piece);
      remaining -= piece.length;
      const tag = remaining === 0 ? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                  : s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
      const cipher = s.crypto_secretstream_xchacha20poly1305_push(state, piece, null, tag);
      out.set(cipher, at);
      at += cipher.length;
      if (remaining > 0) yield;
    }
  } finally {
    wipe(chunk);
  }
  return out;
}

// A tip document (as for encodeTipDocument) sealed into one envelope; the encoded header is wiped.
export function sealTip(recipientBoxKeys, tip) {
  const parts = encodeTipDocument(tip);
  try {
    return sealEnvelope(recipientBoxKeys, parts);
  } finally {
    wipe(parts[0]);
  }
}

// sealTip, giving way to the page between chunks (sealEnvelopeAsync).
export async function sealTipAsync(recipientBoxKeys, tip, pause) {
  const parts = encodeTipDocument(tip);
  try {
    return await sealEnvelopeAsync(recipientBoxKeys, parts, pause);
  } finally {
    wipe(parts[0]);
  }
}

function checkIdentities(identities) {
  if (!Array.isArray(identities)) invalid('identities is an array of { publicKey, secretKey }');
  return identities.map((id, i) => {
    if (id === null || typeof id !== 'object') invalid(`identity ${i + 1} is not { publicKey, secretKey }`);
    return { publicKey: checkKey(id.publicKey, 'publicKey'), secretKey: checkKey(id.secretKey, 'secretKey') };
  });
}

// Section 8.7, checks in order. onContent receives each piece of content as soon as its chunk is
// authenticated (provisional until this returns) and must copy what it keeps: the piece is wiped.
function openEnvelopeInto(envelope, identities, onContent) {
  const s = lib();
  const v = view(envelope);
  const magic = ascii(LABELS.envelopeMagic);
  const head = envelope.subarray(0, Math.min(envelope.length, magic.length));
  if (!sameBytes(head, magic.subarray(0, head.length))) fail('malformed', 'not an envelope');
  if (envelope.length < 10) fail('truncated', 'the envelope ends inside its header');
  if (v.getUint16(8) !== FORMAT_VERSION) unsupported('the envelope');
  if (envelope.length < 11) fail('truncated', 'the envelope ends inside its header');
  const count = envelope[10];
  if (count < 1 || count > MAX_RECIPIENTS) fail('malformed', 'the envelope has a bad recipient count');
  if (envelope.length < 19) fail('truncated', 'the envelope ends inside its header');
  const paddedBig = v.getBigUint64(11);
  if (paddedBig > BigInt(MAX_PADDED_LENGTH) || !isPaddedLength(Number(paddedBig))) {
    fail('malformed', 'the envelope has a bad padded length');
  }
  const padded = Number(paddedBig);
  const macAt = FIXED_HEADER_SIZE + STANZA_SIZE * count;
  if (envelope.length < macAt + MAC_SIZE) fail('truncated', 'the envelope ends inside its header');

  let fileKey = null;
  for (let i = 0; i < count && fileKey === null; i++) {
    const stanza = envelope.subarray(FIXED_HEADER_SIZE + STANZA_SIZE * i, FIXED_HEADER_SIZE + STANZA_SIZE * (i + 1));
    for (const id of identities) {
      try {
        fileKey = s.crypto_box_seal_open(stanza, id.publicKey, id.secretKey);
        break;
      } catch {
        // not this identity
      }
    }
  }
  if (fileKey === null) fail('no_matching_key', 'the envelope is not sealed to this key');

  const payloadKey = keyedSubkey(fileKey, LABELS.payloadKey);
  const macKey = keyedSubkey(fileKey, LABELS.headerMacKey);
  let state;
  try {
    const mac = s.crypto_generichash(MAC_SIZE, envelope.subarray(0, macAt), macKey);
    if (!s.memcmp(mac, envelope.subarray(macAt, macAt + MAC_SIZE))) {
      fail('authentication_failed', 'the envelope header is damaged');
    }
    try {
      state = s.crypto_secretstream_xchacha20poly1305_init_pull(envelope.subarray(19, FIXED_HEADER_SIZE), payloadKey);
    } catch {
      fail('authentication_failed', 'the envelope stream header is damaged');
    }
  } finally {
    wipe(fileKey, payloadKey, macKey);
  }

  let at = macAt + MAC_SIZE;
  let remaining = padded;
  let contentLeft = 0;
  let first = true;
  while (remaining > 0) {
    const len = Math.min(remaining, CHUNK_SIZE);
    if (envelope.length < at + len + CHUNK_OVERHEAD) fail('truncated', 'the envelope ends early');
    const cipher = envelope.subarray(at, at + len + CHUNK_OVERHEAD);
    const pulled = s.crypto_secretstream_xchacha20poly1305_pull(state, cipher, null);
    if (!pulled) fail('authentication_failed', 'the envelope is damaged');
    at += len + CHUNK_OVERHEAD;
    remaining -= len;
    const plain = pulled.message;
    try {
      const expectedTag = remaining === 0 ? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                          : s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
      if (pulled.tag !== expectedTag) fail('malformed', 'the envelope has a chunk with the wrong tag');
      let offset = 0;
      if (first) {
        const declared = view(plain).getBigUint64(0);
        if (declared > BigInt(padded - LENGTH_PREFIX_SIZE) ||
            paddedLength(LENGTH_PREFIX_SIZE + Number(declared)) !== padded) {
          fail('malformed', 'the envelope declares a bad content length');
        }
        contentLeft = Number(declared);
        offset = LENGTH_PREFIX_SIZE;
        first = false;
      }
      const emit = Math.min(contentLeft, len - offset);
      if (emit > 0) onContent(plain.subarray(offset, offset + emit));
      contentLeft -= emit;
      for (let i = offset + emit; i < len; i++) {
        if (plain[i] !== 0) fail('malformed', 'the envelope padding is not zero');
      }
    } finally {
      wipe(plain);
    }
  }
  if (at !== envelope.length) fail('malformed', 'the envelope has bytes after its end');
}

// Sections 8.7 and 9.4 as one stream (9.4, last paragraph): an envelope whose content is a tip
// document. Each chunk's content goes to the document parser as soon as the envelope releases it, so
// the first failure in stream order is thrown: a document error at the byte where it shows (the
// preamble at its 14th byte, the header body at its last, a byte past the document's end as it
// arrives) wins over a later chunk's damage, and the document's end checks, the signature of a
// signed reply among them, come only once the envelope has opened. identities are
// [{ publicKey, secretKey }]. Returns what parseTipDocument returns, each attachment's bytes a copy.
export function openTip(envelope, identities) {
  if (!(envelope instanceof Uint8Array)) invalid('an envelope is a Uint8Array');
  const ids = checkIdentities(identities);
  const pieces = [];  // copies of each attachment's bytes, by attachment
  const reader = new TipDocumentReader((index, bytes) => {
    if (pieces[index] === undefined) pieces[index] = [];
    pieces[index].push(bytes.slice());
  });
  let document;
  try {
    openEnvelopeInto(envelope, ids, (piece) => reader.write(piece));
    document = reader.finish();
  } catch (e) {
    for (const list of pieces) if (list) wipe(...list);
    throw e;
  } finally {
    reader.close();
  }
  const { attachmentOffsets, ...header } = document;
  header.attachments = header.attachments.map((a, i) => {
    const list = pieces[i] ?? [];
    const bytes = list.length === 1 ? list[0] : concat(...list);
    if (list.length > 1) wipe(...list);
    return { ...a, bytes };
  });
  return header;
}

// Section 8.7 on a whole envelope; identities are [{ publicKey, secretKey }]. Returns the content.
export function openEnvelope(envelope, identities) {
  if (!(envelope instanceof Uint8Array)) invalid('an envelope is a Uint8Array');
  const ids = checkIdentities(identities);
  const pieces = [];
  try {
    openEnvelopeInto(envelope, ids, (piece) => pieces.push(piece.slice()));
    return concat(...pieces);
  } finally {
    wipe(...pieces);
  }
}

// --- Section 11: bundles --------------------------------------------------------------------------

// Section 11.2 steps 1 to 5: the manifest, checked against the bundle's length.
export function readBundle(bundle) {
  if (!(bundle instanceof Uint8Array)) invalid('a bundle is a Uint8Array');
  const magic = ascii(LABELS.bundleMagic);
  const head = bundle.subarray(0, Math.min(bundle.length, magic.length));
  if (!sameBytes(head, magic.subarray(0, head.length))) fail('malformed', 'not a bundle');
  if (bundle.length < BUNDLE_HEADER_SIZE) fail('truncated', 'the bundle ends inside its header');
  const v = view(bundle);
  if (v.getUint16(8) !== FORMAT_VERSION) unsupported('the bundle');
  const count = v.getUint32(10);
  if (count > BUNDLE_MAX_COUNT) fail('malformed', 'the bundle has too many entries');
  const entries = [];
  const seen = new Set();
  let offset = BUNDLE_HEADER_SIZE + BUNDLE_ENTRY_SIZE * count;
  for (let i = 0; i < count; i++) {
    const at = BUNDLE_HEADER_SIZE + BUNDLE_ENTRY_SIZE * i;
    if (bundle.length < at + BUNDLE_ENTRY_SIZE) fail('truncated', 'the bundle ends inside its manifest');
    const id = toHex(bundle.subarray(at, at + 16));
    const size = v.getBigUint64(at + 20);
    if (size < BigInt(BUNDLE_MIN_ENVELOPE) || size > BigInt(BUNDLE_MAX_ENVELOPE) || seen.has(id)) {
      fail('malformed', 'the bundle manifest has a bad entry');
    }
    seen.add(id);
    entries.push({ id, day: v.getUint32(at + 16), offset, size: Number(size) });
    offset += Number(size);
  }
  if (offset > bundle.length) fail('truncated', 'the bundle is shorter than its manifest says');
  if (offset < bundle.length) fail('malformed', 'the bundle is longer than its manifest says');
  return entries;
}

// Days since 1970-01-01 as YYYY-MM-DD (UTC), for any u32 (H. Hinnant's civil_from_days).
export function formatDay(days) {
  if (!Number.isInteger(days) || days < 0 || days > 0xffffffff) invalid('a day is a u32');
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const two = (n) => String(n).padStart(2, '0');
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}`;
}

function checkSigners(trustedSigners) {
  if (trustedSigners === undefined || trustedSigners === null) return [];
  if (!Array.isArray(trustedSigners)) invalid('trustedSigners is an array of { boxPublicKey, signPublicKey }');
  return trustedSigners.map((id, i) => {
    if (id === null || typeof id !== 'object') {
      invalid(`trusted signer ${i + 1} is not { boxPublicKey, signPublicKey }`);
    }
    return {
      boxPublicKey: checkKey(id.boxPublicKey, 'boxPublicKey'),
      signPublicKey: checkKey(id.signPublicKey, 'signPublicKey'),
    };
  });
}

const sameIdentity = (a, b) =>
  sameBytes(a.boxPublicKey, b.boxPublicKey) && sameBytes(a.signPublicKey, b.signPublicKey);

// A mailbox's bundle (GET /api/v1/mailbox) opened with the reply key pair
// ({ publicKey: keys.replyPublicKey, secretKey: keys.replySecretKey }), oldest first. Attachment
// bytes are not kept. A damaged bundle throws.
//
// Only a reply from the NGO is shown (FORMAT.md 9.5): a signed reply (version 2) whose signature
// verified, that answers this reply key, and whose signer is, both halves, one of trustedSigners
// ([{ boxPublicKey, signPublicKey }], the responders a tip is sealed to: keys.recipients from
// parseKeysResponse). Each gains signer: { fingerprint }. A reply that opens but fails any of these
// (unsigned, badly signed, for another reply key, or signed by someone else) is only counted, as
// unverified, and its words are not returned: whoever holds the receipt or the server can write
// one. An envelope that does not open, or is not a reply, counts as unreadable. Without
// trustedSigners (an older caller) no one is trusted, so nothing is shown.
export function openReplies(bundle, replyKeyPair, trustedSigners) {
  const ids = checkIdentities([replyKeyPair]);
  const trusted = checkSigners(trustedSigners);
  const replies = [];
  let unverified = 0;
  let unreadable = 0;
  for (const entry of readBundle(bundle)) {
    const reader = new TipDocumentReader();
    let opened;
    try {
      openEnvelopeInto(bundle.subarray(entry.offset, entry.offset + entry.size), ids, (piece) => reader.write(piece));
      opened = reader.end();
    } catch (e) {
      if (!(e instanceof TiplineError)) throw e;
      unreadable++;
      continue;
    } finally {
      reader.close();
    }
    const { document: doc, signatureValid } = opened;
    if (doc.kind !== 'reply') {
      unreadable++;
      continue;
    }
    // A signed reply always names a reply key (9.4 step 7), so doc.replyKey is set once doc.signer is.
    if (doc.signer === null || !signatureValid || !sameBytes(doc.replyKey, ids[0].publicKey) ||
        !trusted.some((t) => sameIdentity(t, doc.signer))) {
      unverified++;
      continue;
    }
    replies.push({
      id: entry.id,
      day: formatDay(entry.day),
      createdAt: doc.createdAt,
      language: doc.language,
      message: doc.message,
      attachments: doc.attachments,
      signer: { fingerprint: doc.signer.fingerprint },
    });
  }
  return { replies, unverified, unreadable };
}

// --- Section 16: proof of work on submission ----------------------------------------------------

const POW_VERSION = 1;
const POW_CHALLENGE_SIZE = 34;
const POW_MAX_BITS = 40;
const POW_PAUSE_MS = 40;  // the longest the solver runs before it lets the page draw
const POW_CLOCK_EVERY = 64;  // tries between looks at the clock

// A challenge as the server sends it: 68 lowercase hex digits, version 1, at most 40 bits.
export function parseChallenge(hex) {
  const challenge = fromHex(hex, POW_CHALLENGE_SIZE, 'the challenge');
  if (challenge[0] !== POW_VERSION) unsupported('the challenge');
  if (challenge[1] > POW_MAX_BITS) fail('malformed', 'the challenge asks for more than 40 bits');
  return challenge;
}

// GET /api/v1/challenge, or the proof_of_work member of the keys answer (PROTOCOL.md).
export function parseChallengeResponse(answer) {
  if (answer === null || typeof answer !== 'object' || typeof answer.required !== 'boolean') {
    fail('malformed', 'the proof-of-work answer has no "required"');
  }
  if (!answer.required) return { required: false, challenge: null, sizeBaseBytes: 0 };
  const base = answer.size_base_bytes ?? 0;
  if (!Number.isSafeInteger(base) || base < 0) fail('malformed', 'size_base_bytes is not a size');
  return { required: true, challenge: parseChallenge(answer.challenge), sizeBaseBytes: base };
}

// The bits a submission of length bytes (a body, or an upload's declared length) needs beyond its
// challenge's (FORMAT.md 16.4): none up to baseBytes, then one for each doubling past it;
// baseBytes 0, none ever.
export function sizeExtraBits(length, baseBytes) {
  if (!baseBytes) return 0;
  let extra = 0;
  for (let covered = baseBytes; covered < length; covered *= 2) extra++;
  return extra;
}

function leadingZeroBits(hash) {
  let bits = 0;
  for (const b of hash) {
    if (b !== 0) return bits + Math.clz32(b) - 24;
    bits += 8;
  }
  return bits;
}

// label || challenge || nonce (8 bytes, big-endian); the nonce is a safe integer.
function powInput(challenge) {
  const label = ascii(LABELS.pow);
  return concat(label, challenge, new Uint8Array(8));
}

function setNonce(view, at, nonce) {
  view.setUint32(at, Math.floor(nonce / 2 ** 32));
  view.setUint32(at + 4, nonce >>> 0);
}

// Leading zero bits of BLAKE2b-256(label || challenge || nonce).
export function powZeroBits(challenge, nonce) {
  const input = powInput(challenge);
  setNonce(new DataView(input.buffer), input.length - 8, nonce);
  return leadingZeroBits(lib().crypto_generichash(32, input));
}

// The Tipline-Proof header value: challenge hex, '.', nonce as 16 hex digits.
export function proofText(challenge, nonce) {
  const n = new Uint8Array(8);
  setNonce(new DataView(n.buffer), 0, nonce);
  return `${toHex(challenge)}.${toHex(n)}`;
}

// Tries nonces upward from a random start until one meets the challenge's bits plus extraBits (for
// the submission's size). pause() is awaited every POW_PAUSE_MS of work, however slow a try is
// (about 0.7 µs with WebAssembly, 150 µs in Tor Browser at Safer, without a JIT), so a page stays
// responsive and can show progress; it gets the tries so far.
export async function solveChallenge(challenge, pause = () => new Promise((r) => setTimeout(r, 0)), extraBits = 0) {
  const s = lib();
  const bits = challenge[1] + extraBits;
  const input = powInput(challenge);
  const view = new DataView(input.buffer);
  const at = input.length - 8;
  let nonce = s.randombytes_uniform(2 ** 30) * 2 ** 20;  // a random start, far below 2^53
  let since = Date.now();
  for (let tries = 1; ; tries++, nonce++) {
    setNonce(view, at, nonce);
    if (leadingZeroBits(s.crypto_generichash(32, input)) >= bits) return proofText(challenge, nonce);
    if (tries % POW_CLOCK_EVERY === 0 && Date.now() - since >= POW_PAUSE_MS) {
      await pause(tries);
      since = Date.now();
    }
  }
}
