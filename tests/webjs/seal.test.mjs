// web/js/tipline-seal.mjs on its own: sealing and opening at every chunk boundary, damage, input
// checks, receipts, the keys answer and mailbox bundles.
import assert from 'node:assert/strict';
import test from 'node:test';

import { bundleOf, makeIdentity, outcome, randomBytes, seal, signedReplyDocument, sodium } from './support.mjs';

const keyPair = () => {
  const k = sodium.crypto_box_keypair();
  return { publicKey: k.publicKey, secretKey: k.privateKey };
};

const codeOf = (fn) => outcome(fn).got;

function assertInvalid(fn, pattern) {
  assert.throws(fn, (e) => e instanceof seal.TiplineError && e.code === 'invalid_argument' && pattern.test(e.message));
}

// Splits bytes into pieces of random sizes, some empty, as encodeTipDocument's parts may be.
function randomParts(bytes) {
  const parts = [];
  let at = 0;
  while (at < bytes.length) {
    const n = Math.min(bytes.length - at, sodium.randombytes_uniform(70000));
    parts.push(bytes.subarray(at, at + n));
    at += n;
  }
  parts.push(new Uint8Array(0));
  return parts;
}

test('sealed content opens to the same bytes at every chunk boundary, whole or in parts', () => {
  const me = keyPair();
  // 8 + L: below and above 4096, one byte short of, at and past one and two full chunks.
  for (const length of [0, 1, 4088, 4089, 65527, 65528, 65529, 131064, 131065, 200000, 1048576]) {
    const content = randomBytes(length);
    for (const input of [content, randomParts(content)]) {
      const envelope = seal.sealEnvelope([me.publicKey], input);
      assert.equal(envelope.length, seal.envelopeSize(length, 1), `size for ${length} bytes`);
      assert.equal(Number(Buffer.from(envelope).readBigUInt64BE(11)), seal.paddedLength(8 + length), `P for ${length}`);
      assert.deepEqual(seal.openEnvelope(envelope, [me]), content, `content of ${length} bytes`);
    }
  }
});

test('every recipient opens the envelope, a stranger does not', () => {
  const recipients = Array.from({ length: 16 }, keyPair);
  const content = randomBytes(5000);
  const envelope = seal.sealEnvelope(recipients.map((r) => r.publicKey), content);
  assert.equal(envelope[10], 16);
  for (const r of recipients) assert.deepEqual(seal.openEnvelope(envelope, [r]), content);
  assert.equal(codeOf(() => seal.openEnvelope(envelope, [keyPair()])), 'no_matching_key');
  assert.deepEqual(seal.openEnvelope(envelope, [keyPair(), recipients[15]]), content, 'every identity is tried');
  const again = seal.sealEnvelope(recipients.map((r) => r.publicKey), content);
  assert.deepEqual(again.subarray(0, 19), envelope.subarray(0, 19));
  assert.notDeepEqual(again.subarray(19, 123), envelope.subarray(19, 123), 'a fresh file key and stanzas each time');
});

test('sealing that gives way between chunks makes an envelope of the same shape that opens the same', async () => {
  const me = keyPair();
  const content = randomBytes(300000);  // five chunks of 64 KiB: four pauses
  let pauses = 0;
  const envelope = await seal.sealEnvelopeAsync([me.publicKey], content, async () => { pauses++; });
  assert.equal(pauses, 4, 'one pause between each two chunks');
  assert.equal(envelope.length, seal.sealEnvelope([me.publicKey], content).length);
  assert.deepEqual(seal.openEnvelope(envelope, [me]), content);
  const tip = { kind: 'tip', createdAt: 1, language: 'ko', message: '제보', attachments: [] };
  const sealedTip = await seal.sealTipAsync([me.publicKey], tip, async () => {});
  assert.equal(seal.parseTipDocument(seal.openEnvelope(sealedTip, [me])).message, '제보');
  await assert.rejects(seal.sealEnvelopeAsync([], content, async () => {}), /1 to 16 recipients/);
});

test('a damaged envelope is refused with the class of 8.7', () => {
  const me = keyPair();
  const envelope = seal.sealEnvelope([me.publicKey], randomBytes(70000));
  const changed = (at) => {
    const copy = envelope.slice();
    copy[at] ^= 1;
    return copy;
  };
  assert.equal(codeOf(() => seal.openEnvelope(envelope, [me])), 'success');
  assert.equal(codeOf(() => seal.openEnvelope(changed(0), [me])), 'malformed', 'magic');
  assert.equal(codeOf(() => seal.openEnvelope(changed(9), [me])), 'unsupported_version', 'version');
  assert.equal(codeOf(() => seal.openEnvelope(changed(18), [me])), 'malformed', 'P no longer a Padmé length');
  assert.equal(codeOf(() => seal.openEnvelope(changed(20), [me])), 'authentication_failed', 'stream header');
  assert.equal(codeOf(() => seal.openEnvelope(changed(60), [me])), 'no_matching_key', 'stanza');
  assert.equal(codeOf(() => seal.openEnvelope(changed(130), [me])), 'authentication_failed', 'header mac');
  assert.equal(codeOf(() => seal.openEnvelope(changed(200), [me])), 'authentication_failed', 'first chunk');
  assert.equal(codeOf(() => seal.openEnvelope(changed(envelope.length - 1), [me])), 'authentication_failed', 'last');
  assert.equal(codeOf(() => seal.openEnvelope(envelope.subarray(0, 100), [me])), 'truncated', 'cut in the header');
  assert.equal(codeOf(() => seal.openEnvelope(envelope.subarray(0, 70000), [me])), 'truncated', 'cut in the payload');
  const longer = new Uint8Array(envelope.length + 1);
  longer.set(envelope);
  assert.equal(codeOf(() => seal.openEnvelope(longer, [me])), 'malformed', 'a trailing byte');
});

test('sealing refuses what the envelope cannot express', () => {
  const key = keyPair().publicKey;
  assertInvalid(() => seal.sealEnvelope([], new Uint8Array(1)), /1 to 16 recipients/);
  assertInvalid(() => seal.sealEnvelope(Array(17).fill(key), new Uint8Array(1)), /1 to 16 recipients/);
  assertInvalid(() => seal.sealEnvelope([key.subarray(0, 31)], new Uint8Array(1)), /recipient 1's box public key/);
  assertInvalid(() => seal.sealEnvelope([new Uint8Array(32)], new Uint8Array(1)), /recipient 1's key cannot be sealed/);
  assertInvalid(() => seal.sealEnvelope([key], 'text'), /content is a Uint8Array/);
  assertInvalid(() => seal.sealEnvelope([key], [new Uint8Array(1), [2]]), /content is a Uint8Array/);
  assertInvalid(() => seal.envelopeSize(seal.MAX_CONTENT_LENGTH + 1, 1), /content must be 0 to/);
});

const tip = (overrides = {}) => ({
  kind: 'tip',
  createdAt: 1800000000,
  language: 'ko',
  replyKey: keyPair().publicKey,
  message: '제보합니다: 영수증 사진을 보냅니다 📎\n',
  attachments: [
    { name: '영수증.jpg', mediaType: 'image/jpeg', bytes: randomBytes(3000) },
    { name: 'empty', mediaType: 'application/octet-stream', bytes: new Uint8Array(0) },
    { name: 'notes.txt', mediaType: 'text/plain', bytes: new TextEncoder().encode('line\r\n') },
  ],
  ...overrides,
});

test('a tip sealed with sealTip opens to the same document', () => {
  const me = keyPair();
  const input = tip({ createdAt: -5n });
  const copies = input.attachments.map((a) => a.bytes.slice());
  const envelope = seal.sealTip([me.publicKey], input);
  assert.deepEqual(input.attachments.map((a) => a.bytes), copies, "the caller's attachment bytes are left alone");
  const doc = seal.parseTipDocument(seal.openEnvelope(envelope, [me]));
  assert.equal(doc.kind, 'tip');
  assert.equal(doc.createdAt, -5n);
  assert.equal(doc.language, 'ko');
  assert.deepEqual(doc.replyKey, input.replyKey);
  assert.equal(doc.message, input.message);
  assert.deepEqual(doc.attachments.map((a) => [a.name, a.mediaType, a.size]),
    input.attachments.map((a) => [a.name, a.mediaType, a.bytes.length]));
  doc.attachments.forEach((a, i) => assert.deepEqual(a.bytes, input.attachments[i].bytes, `attachment ${i + 1}`));

  const bare = seal.parseTipDocument(Buffer.concat(seal.encodeTipDocument(
    { kind: 'follow_up', createdAt: 0, language: 'und', message: new Uint8Array(0) })));
  assert.deepEqual([bare.kind, bare.replyKey, bare.message, bare.attachments], ['follow_up', null, '', []]);
});

test('a tip document refuses fields the format cannot carry, naming the field', () => {
  const me = keyPair().publicKey;
  const one = (a) => ({ attachments: [{ name: 'a', mediaType: 'text/plain', bytes: new Uint8Array(1), ...a }] });
  const cases = [
    [{ kind: 'answer' }, /kind is one of tip, follow_up, reply/],
    [{ kind: 1 }, /kind is one of/],
    [{ createdAt: 1.5 }, /createdAt/],
    [{ createdAt: 2n ** 63n }, /createdAt/],
    [{ createdAt: undefined }, /createdAt/],
    [{ language: '' }, /language is 1 to 35/],
    [{ language: 'x'.repeat(36) }, /language is 1 to 35/],
    [{ language: 'zh_Hans' }, /language is 1 to 35/],
    [{ replyKey: new Uint8Array(31) }, /replyKey must be a 32-byte/],
    [{ message: 'broken \ud800 surrogate' }, /message is not valid UTF-8/],
    [{ message: Uint8Array.of(0xc0, 0x80) }, /message is not valid UTF-8/],
    [{ message: 'x'.repeat(seal.MAX_MESSAGE_BYTES + 1) }, /message is at most 1048576 bytes/],
    [{ message: 7 }, /message is a string/],
    [{ attachments: Array(257).fill({ name: 'a', mediaType: 'a/b', bytes: new Uint8Array(0) }) }, /at most 256/],
    [one({ name: '' }), /attachment 1: name is 1 to 255 bytes/],
    [one({ name: 'a\0b' }), /attachment 1: name is 1 to 255 bytes of UTF-8 without NUL/],
    [one({ name: 'a'.repeat(256) }), /attachment 1: name is 1 to 255 bytes/],
    [one({ name: '가'.repeat(86) }), /attachment 1: name is 1 to 255 bytes/],
    [one({ name: '\udc00' }), /attachment 1: name/],
    [one({ mediaType: 'text/plain; charset=utf-8' }), /attachment 1: mediaType is 1 to 127 visible ASCII/],
    [one({ mediaType: '' }), /attachment 1: mediaType/],
    [one({ bytes: [1, 2] }), /attachment 1: bytes is a Uint8Array/],
  ];
  for (const [overrides, pattern] of cases) {
    assertInvalid(() => seal.encodeTipDocument(tip(overrides)), pattern);
    assertInvalid(() => seal.sealTip([me], tip(overrides)), pattern);
  }
  assert.equal(codeOf(() => seal.encodeTipDocument(tip({ message: 'x'.repeat(seal.MAX_MESSAGE_BYTES) }))), 'success');
  assert.equal(codeOf(() => seal.encodeTipDocument(tip(one({ name: '가'.repeat(85) })))), 'success');
  assertInvalid(() => seal.encodeTipDocument(null), /a tip document is an object/);
});

test('receipts: 20 uniform digits, shown in groups, typed back in the ways of 10.2', () => {
  const seen = new Set();
  for (let i = 0; i < 50; i++) {
    const digits = seal.generateReceipt();
    assert.match(digits, /^[0-9]{20}$/);
    for (const d of digits) seen.add(d);
    assert.equal(seal.parseReceipt(seal.formatReceipt(digits)), digits);
  }
  assert.equal(seen.size, 10, 'every digit turns up');
  assert.equal(seal.formatReceipt('01234567890123456789'), '0123 4567 8901 2345 6789');
  assertInvalid(() => seal.formatReceipt('0123'), /20 ASCII digits/);

  const want = '01234567890123456789';
  for (const typed of ['0123 4567 8901 2345 6789', '0123-4567-8901-2345-6789', '\t01234567890123456789 ',
    '０１２３\u3000４５６７ 8901 2345 6789', new TextEncoder().encode('0123 4567 8901 2345 6789')]) {
    assert.equal(seal.parseReceipt(typed), want, JSON.stringify(typed));
  }
  for (const typed of ['0123 4567 8901 2345 678', '0123 4567 8901 2345 67890', 'O123 4567 8901 2345 6789',
    '0123\u00a04567 8901 2345 6789', '0123 4567 8901 2345 6789\n', '0123\uff0d4567 8901 2345 6789',
    '٠١٢٣ 4567 8901 2345 6789', '\ud8000123 4567 8901 2345 6789', Uint8Array.of(0x30, 0xff), '']) {
    assert.equal(codeOf(() => seal.parseReceipt(typed)), 'malformed', JSON.stringify(typed));
  }
  assertInvalid(() => seal.parseReceipt(12345), /string or its UTF-8 bytes/);
});

test('receipt keys: the same receipt and salt give the same keys, anything else differs', () => {
  const salt = randomBytes(16);
  const digits = seal.generateReceipt();
  const keys = seal.deriveReceiptKeys(digits, salt);
  assert.deepEqual(seal.deriveReceiptKeys(digits, seal.toHex(salt)), keys);
  assert.deepEqual(sodium.crypto_scalarmult_base(keys.replySecretKey), keys.replyPublicKey, 'one key pair');
  assert.deepEqual(keys.mailboxId, seal.mailboxIdOf(keys.replyPublicKey));
  const other = seal.deriveReceiptKeys(digits.replace(/.$/, (d) => String((Number(d) + 1) % 10)), salt);
  assert.notDeepEqual(other.mailboxToken, keys.mailboxToken);
  assert.notDeepEqual(seal.deriveReceiptKeys(digits, randomBytes(16)).mailboxId, keys.mailboxId);
  assert.deepEqual(seal.newMailboxHeaders(keys), {
    'Tipline-Mailbox': seal.toHex(keys.mailboxId), 'Tipline-Mailbox-Token-Hash': seal.toHex(keys.tokenHash),
  });
  assert.deepEqual(seal.mailboxAccessHeaders(keys), {
    'Tipline-Mailbox': seal.toHex(keys.mailboxId), 'Tipline-Mailbox-Token': seal.toHex(keys.mailboxToken),
  });
  assertInvalid(() => seal.deriveReceiptKeys('0123 4567 8901 2345 6789', salt), /20 ASCII digits/);
  assertInvalid(() => seal.deriveReceiptKeys(digits, salt.subarray(1)), /salt is 16 bytes/);
  assertInvalid(() => seal.deriveReceiptKeys(digits, 'A'.repeat(32)), /32 lowercase hex digits/);
});

test('the keys answer: every key decoded and its fingerprint computed here', () => {
  const text = 'tipline-pk1-' + Buffer.from(randomBytes(68)).toString('base64url');
  assert.equal(codeOf(() => seal.decodePublicKey(text)), 'malformed', 'a random body fails its checksum');

  const box = keyPair().publicKey;
  const sign = sodium.crypto_sign_keypair().publicKey;
  const label = Buffer.from('tipline public key v1 checksum');
  const checksum = sodium.crypto_generichash(32, Buffer.concat([label, box, sign]));
  const good = 'tipline-pk1-' + Buffer.concat([box, sign, checksum.subarray(0, 4)]).toString('base64url');
  const printed = seal.fingerprint({ boxPublicKey: box, signPublicKey: sign });
  const answer = (over = {}) => ({
    version: 1, recipients: [{ key: good, fingerprint: printed }], salt: '28dc71fa9f758fb4381627fadd7a783a',
    limits: { inline_bytes: 4194304, envelope_bytes: 536870912, upload_chunk_bytes: 1048576 }, ...over,
  });
  const parsed = seal.parseKeysResponse(answer());
  assert.deepEqual(parsed.recipients[0].boxPublicKey, box);
  assert.deepEqual(parsed.recipients[0].signPublicKey, sign);
  assert.equal(parsed.recipients[0].fingerprint, printed);
  assert.equal(seal.toHex(parsed.salt), '28dc71fa9f758fb4381627fadd7a783a');
  assert.deepEqual(parsed.limits, { inlineBytes: 4194304, envelopeBytes: 536870912, uploadChunkBytes: 1048576 });

  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ version: 2 }))), 'unsupported_version');
  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ recipients: [] }))), 'malformed');
  const wrongPrint = { key: good, fingerprint: '00000 00000 00000 00000 00000' };
  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ recipients: [wrongPrint] }))), 'malformed',
    'a fingerprint that does not match its key');
  const damaged = good.slice(0, 20) + (good[20] === 'A' ? 'B' : 'A') + good.slice(21);
  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ recipients: [{ key: damaged }] }))), 'malformed');
  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ salt: '28DC71FA9F758FB4381627FADD7A783A' }))), 'malformed');
  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ limits: { inline_bytes: 1 } }))), 'malformed');
});

test('openReplies reads the signed replies of a mailbox bundle, and only those', () => {
  const witness = keyPair();
  const responder = makeIdentity();
  const reply = (message, extra = {}) => seal.sealEnvelope([witness.publicKey, responder.boxPublicKey],
    signedReplyDocument(responder, { createdAt: 1800000000, language: 'en', replyKey: witness.publicKey, message,
      ...extra }));
  const bundle = bundleOf([
    reply('Thank you. Are you safe?'),
    seal.sealTip([witness.publicKey], { kind: 'tip', createdAt: 0, language: 'en', message: 'not a reply' }),
    seal.sealTip([responder.boxPublicKey],
      { kind: 'reply', createdAt: 0, language: 'en', message: 'for someone else' }),
    reply('다시 연락 주세요', { language: 'ko', attachments: [{ name: 'form.pdf', mediaType: 'application/pdf',
      bytes: randomBytes(70000) }] }),
  ]);
  const { replies, unverified, unreadable } = seal.openReplies(bundle, witness, [responder]);
  assert.equal(unreadable, 2, 'the tip and the envelope for someone else');
  assert.equal(unverified, 0);
  assert.deepEqual(replies.map((r) => [r.day, r.message, r.language]), [
    ['2024-10-04', 'Thank you. Are you safe?', 'en'],
    ['2024-10-07', '다시 연락 주세요', 'ko'],
  ]);
  assert.equal(replies[0].id, '01'.repeat(16));
  assert.deepEqual(replies[1].attachments, [{ name: 'form.pdf', mediaType: 'application/pdf', size: 70000 }]);
  assert.equal(replies[0].createdAt, 1800000000n);
  assert.deepEqual(replies[0].signer, { fingerprint: seal.fingerprint(responder) });

  assert.deepEqual(seal.openReplies(bundleOf([]), witness, [responder]), { replies: [], unverified: 0, unreadable: 0 },
    'an empty mailbox');
  const damaged = bundle.slice();
  damaged[damaged.length - 1] ^= 1;
  const fromDamaged = seal.openReplies(damaged, witness, [responder]);
  assert.equal(fromDamaged.unreadable, 3, 'a damaged envelope is unreadable, not shown');
  assert.equal(fromDamaged.replies.length, 1);
  const cut = bundle.subarray(0, bundle.length - 1);
  assert.equal(codeOf(() => seal.openReplies(cut, witness, [responder])), 'truncated');
  const longer = new Uint8Array(bundle.length + 1);
  longer.set(bundle);
  assert.equal(codeOf(() => seal.openReplies(longer, witness, [responder])), 'malformed',
    'a byte no entry accounts for');
  assert.equal(codeOf(() => seal.openReplies(bundle.subarray(0, 20), witness, [responder])), 'truncated');
  assertInvalid(() => seal.openReplies(bundle, { publicKey: witness.publicKey }, [responder]),
    /secretKey must be a 32-byte/);
  assertInvalid(() => seal.openReplies(bundle, witness, responder), /trustedSigners is an array/);
  assertInvalid(() => seal.openReplies(bundle, witness, [{ boxPublicKey: responder.boxPublicKey }]),
    /signPublicKey must be a 32-byte/);
});

test('days print as UTC dates for every u32', () => {
  assert.equal(seal.formatDay(0), '1970-01-01');
  assert.equal(seal.formatDay(19782), '2024-02-29');
  assert.equal(seal.formatDay(20000), '2024-10-04');
  assert.equal(seal.formatDay(0xffffffff), '11761191-01-20');
});

test('useSodium refuses a libsodium without what receipts need', () => {
  const standard = { ...sodium };
  delete standard.crypto_pwhash;
  assertInvalid(() => seal.useSodium(standard), /no crypto_pwhash: load libsodium-wrappers-sumo/);
  assertInvalid(() => seal.useSodium(undefined), /needs the libsodium object/);
  seal.useSodium(sodium);
});
