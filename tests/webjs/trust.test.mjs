// What a witness's page trusts: typed fingerprints (FORMAT.md 6.4), the organisation key (17), the
// signed recipient list (18) in the keys answer, and signed replies (9.5) in openReplies. Lists and
// replies are signed here with libsodium, as the format describes them.
import assert from 'node:assert/strict';
import test from 'node:test';

import {
  bundleOf, makeIdentity, organisationKeyText, outcome, publicKeyText, randomBytes, recipientListBytes, seal,
  signedReplyDocument, sodium,
} from './support.mjs';

const codeOf = (fn) => outcome(fn).got;

function assertInvalid(fn, pattern) {
  assert.throws(fn, (e) => e instanceof seal.TiplineError && e.code === 'invalid_argument' && pattern.test(e.message));
}

const keyPair = () => {
  const k = sodium.crypto_box_keypair();
  return { publicKey: k.publicKey, secretKey: k.privateKey };
};

test('a typed fingerprint: every grouping and separator of 6.4 reads as one, anything else is refused', () => {
  const want = '12345 67890 12345 67890 12345';
  const fullWidth = (text) => text.replace(/[0-9]/g, (d) => String.fromCodePoint(0xff10 + Number(d)));
  const accepted = [
    want,
    '1234567890123456789012345',
    '12345-67890-12345-67890-12345',
    '12345\u201367890\u201312345\u201367890\u201312345',  // en dash
    '12345\u2014678\u221290 1234\u00a05 67890\t12345',  // em dash, minus sign, no-break space, tab
    '  12345  67890 12345 67890 12345 ',
    '12345\u300067890\u3000123456789012345',  // ideographic space
    '12345\u202f67890\u205f12345\u200a67890\u200012345',  // narrow, medium, hair and en quad spaces
    '12345\uff0d67890\ufe6312345\ufe5867890\u30fc12345',  // full-width, small and katakana-prolonged dashes
    fullWidth(want),
    fullWidth('12345-67890-12345-67890-12345'),
    new TextEncoder().encode('12345-67890-12345-67890-12345'),
  ];
  for (const typed of accepted) assert.equal(seal.parseFingerprint(typed), want, JSON.stringify(typed));
  assert.equal(seal.parseFingerprint('00000 00000 00000 00000 00009'), '00000 00000 00000 00000 00009');

  const refused = [
    '12345 67890 12345 67890 1234',  // 24 digits
    '12345 67890 12345 67890 123456',  // 26 digits
    '12345 67890 12345 67890 1234O',  // a letter O
    'I2345 67890 12345 67890 12345',
    '12345_67890_12345_67890_12345',
    '12345.67890.12345.67890.12345',
    '12345 67890 12345 67890 12345\n',  // a line break
    '12345 67890 12345 67890 ١٢٣٤٥',  // other Unicode digits
    '12345\u200b67890 12345 67890 12345',  // zero-width space is not a separator
    '\ud80012345 67890 12345 67890 12345',  // a lone surrogate
    Uint8Array.of(0x31, 0xff),
    '',
    publicKeyText(makeIdentity()),  // a public key text is not a fingerprint
    organisationKeyText(sodium.crypto_sign_keypair().publicKey),
  ];
  for (const typed of refused) {
    assert.equal(codeOf(() => seal.parseFingerprint(typed)), 'malformed', JSON.stringify(typed));
  }
  assertInvalid(() => seal.parseFingerprint(1234567890123456789012345n), /string or its UTF-8 bytes/);

  const id = makeIdentity();
  const printed = seal.fingerprint(id);
  assert.equal(seal.parseFingerprint(printed.replaceAll(' ', '')), printed, 'a computed fingerprint compares as typed');
});

test('organisation keys: the text of 17.1 both ways, its own fingerprint, and every refusal', () => {
  const org = sodium.crypto_sign_keypair();
  const text = organisationKeyText(org.publicKey);
  assert.equal(text.length, 61);
  assert.deepEqual(seal.decodeOrganisationKey(text), { signPublicKey: org.publicKey });
  assert.equal(seal.encodeOrganisationKey({ signPublicKey: org.publicKey }), text);
  const printed = seal.organisationFingerprint({ signPublicKey: org.publicKey });
  assert.match(printed, /^[0-9]{5}( [0-9]{5}){4}$/);
  // The same 32 bytes as a responder's sign half give another fingerprint: the labels differ.
  assert.notEqual(printed, seal.fingerprint({ boxPublicKey: org.publicKey, signPublicKey: org.publicKey }));

  const changed = text.slice(0, 30) + (text[30] === 'A' ? 'B' : 'A') + text.slice(31);
  for (const [typed, code] of [
    [changed, 'malformed'],
    [text.slice(0, -1), 'malformed'],
    [`${text}A`, 'malformed'],
    [`${text} `, 'malformed'],
    [text.replace('tipline-org1-', 'tipline-org2-'), 'unsupported_version'],
    [text.replace('tipline-org1-', 'tipline-org12-'), 'unsupported_version'],
    [text.replace('tipline-org1-', 'tipline-org-'), 'malformed'],
    [text.replace('tipline-org1-', 'Tipline-org1-'), 'malformed'],
    [publicKeyText(makeIdentity()), 'malformed'],
  ]) {
    assert.equal(codeOf(() => seal.decodeOrganisationKey(typed)), code, typed);
  }
  assertInvalid(() => seal.decodeOrganisationKey(org.publicKey), /organisation key is a string/);
  assertInvalid(() => seal.encodeOrganisationKey({ signPublicKey: org.publicKey.subarray(1) }), /signPublicKey/);
});

const LAST_DAY = 20818;  // 2026-12-31

function makeList({ organisation = sodium.crypto_sign_keypair(), serial = 7, expiresDay = LAST_DAY,
  recipients = [makeIdentity(), makeIdentity()] } = {}, options = {}) {
  return {
    organisation,
    recipients,
    bytes: recipientListBytes(organisation, { serial, expiresDay, recipients }, options),
  };
}

test('a recipient list: read in the order of 18.2, trusted in the order of 18.3', () => {
  const made = makeList({ recipients: [makeIdentity(), makeIdentity(), makeIdentity()] });
  const list = seal.decodeRecipientList(made.bytes);
  assert.equal(made.bytes.length, 119 + 64 * 3);
  assert.deepEqual(list.organisation, {
    signPublicKey: made.organisation.publicKey,
    text: organisationKeyText(made.organisation.publicKey),
    fingerprint: seal.organisationFingerprint({ signPublicKey: made.organisation.publicKey }),
  });
  assert.equal(list.serial, 7n);
  assert.equal(list.expiresDay, LAST_DAY);
  assert.equal(list.expires, '2026-12-31');
  assert.deepEqual(list.recipients, made.recipients.map((r) => ({
    boxPublicKey: r.boxPublicKey,
    signPublicKey: r.signPublicKey,
    text: publicKeyText(r),
    fingerprint: seal.fingerprint(r),
  })));

  const check = (options) => codeOf(() => seal.checkRecipientList(list, options));
  assert.equal(check({ today: LAST_DAY }), 'success', 'valid through its last day');
  assert.equal(check({ today: LAST_DAY + 1 }), 'expired');
  const today = seal.currentDay();
  assert.equal(today, Math.floor(Date.now() / 86400000), 'days since 1970-01-01 in UTC');
  const current = seal.decodeRecipientList(makeList({ expiresDay: today }).bytes);
  const lapsed = seal.decodeRecipientList(makeList({ expiresDay: today - 1 }).bytes);
  assert.equal(codeOf(() => seal.checkRecipientList(current)), 'success', 'today defaults to the current day');
  assert.equal(codeOf(() => seal.checkRecipientList(lapsed)), 'expired', 'today defaults to the current day');
  assert.equal(check({ today: 0, pinned: list.organisation.text }), 'success');
  assert.equal(check({ today: 0, pinned: { signPublicKey: made.organisation.publicKey } }), 'success');
  const other = organisationKeyText(sodium.crypto_sign_keypair().publicKey);
  assert.equal(check({ today: 0, pinned: other }), 'untrusted_key');
  assert.equal(check({ today: LAST_DAY + 1, pinned: other, remembered: 8 }), 'untrusted_key', 'the signer first');
  assert.equal(check({ today: LAST_DAY + 1, remembered: 8 }), 'expired', 'then the day');
  assert.equal(check({ today: 0, remembered: 8 }), 'rolled_back');
  assert.equal(check({ today: 0, remembered: 8n }), 'rolled_back');
  assert.equal(check({ today: 0, remembered: 7 }), 'success', 'the same serial again is no rollback');
  assert.equal(check({ today: 0, remembered: 6n }), 'success');
  assertInvalid(() => seal.checkRecipientList(list, { today: 1.5 }), /today is a day number/);
  assertInvalid(() => seal.checkRecipientList(list, { today: 0, remembered: -1 }), /remembered is a serial/);
  assertInvalid(() => seal.checkRecipientList(list, { today: 0, pinned: 'tipline-org1-x' }), /pinned is not/);
  assertInvalid(() => seal.checkRecipientList({}, { today: 0 }), /a list from decodeRecipientList/);

  // Serials are u64: above 2^53 they still compare exactly.
  const big = seal.decodeRecipientList(makeList({ serial: 2n ** 64n - 2n }).bytes);
  assert.equal(big.serial, 18446744073709551614n);
  assert.equal(codeOf(() => seal.checkRecipientList(big, { today: 0, remembered: 2n ** 64n - 1n })), 'rolled_back');
  assert.equal(codeOf(() => seal.checkRecipientList(big, { today: 0, remembered: 2n ** 64n - 2n })), 'success');
  assert.equal(codeOf(() => seal.checkRecipientList(big, { today: 0, remembered: 2 ** 53 - 1 })), 'success');
});

test('a recipient list that breaks 18.2 is refused with its class', () => {
  const made = makeList();
  const bytes = made.bytes;
  const changed = (at, value) => {
    const copy = bytes.slice();
    copy[at] = value ?? copy[at] ^ 1;
    return copy;
  };
  const resigned = (edit) => {
    const copy = Buffer.from(bytes.subarray(0, bytes.length - 64));
    edit(copy);
    const message = Buffer.concat([Buffer.from('tipline recipient list v1'), copy.subarray(0, 55 + 64 * copy[54])]);
    return new Uint8Array(Buffer.concat([copy, sodium.crypto_sign_detached(message, made.organisation.privateKey)]));
  };
  const code = (b) => codeOf(() => seal.decodeRecipientList(b));
  assert.equal(code(bytes), 'success');
  assert.equal(code(bytes.subarray(0, 0)), 'truncated', 'empty');
  assert.equal(code(bytes.subarray(0, 6)), 'truncated', 'a prefix of the magic');
  assert.equal(code(changed(0)), 'malformed', 'magic');
  assert.equal(code(new TextEncoder().encode('TIPLNBDL\x00\x01')), 'malformed', "a bundle's magic");
  assert.equal(code(changed(9, 2)), 'unsupported_version');
  assert.equal(code(bytes.subarray(0, 54)), 'truncated', 'inside the fixed fields');
  assert.equal(code(resigned((b) => b.writeBigUInt64BE(0n, 42))), 'malformed', 'serial 0');
  assert.equal(code(resigned((b) => b.writeUInt8(0, 54))), 'malformed', 'count 0');
  assert.equal(code(changed(54, 17)), 'malformed', 'count 17');
  assert.equal(code(bytes.subarray(0, bytes.length - 1)), 'truncated', 'the signature cut');
  assert.equal(code(Uint8Array.from([...bytes, 0])), 'malformed', 'a trailing byte');
  assert.equal(code(resigned((b) => b.copy(b, 55 + 64, 55, 55 + 64))), 'malformed', 'a responder named twice');
  assert.equal(code(changed(60)), 'authentication_failed', "a responder's key changed");
  assert.equal(code(changed(45)), 'authentication_failed', 'the serial changed');
  assert.equal(code(changed(53)), 'authentication_failed', 'the expiry changed');
  assert.equal(code(changed(bytes.length - 1)), 'authentication_failed', 'the signature changed');
  const forged = makeList({ organisation: made.organisation, recipients: made.recipients },
    { signWith: sodium.crypto_sign_keypair().privateKey });
  assert.equal(code(forged.bytes), 'authentication_failed', 'signed by another key than the one it names');
  assertInvalid(() => seal.decodeRecipientList(seal.toHex(bytes)), /a Uint8Array/);
});

test('the keys answer with a recipient list: the recipients are the list\'s, once it is verified and current', () => {
  const jsonKey = makeIdentity();  // what the JSON recipients array names
  const made = makeList();
  const hex = seal.toHex(made.bytes);
  const answer = (over = {}) => ({
    version: 1,
    recipients: [{ key: publicKeyText(jsonKey), fingerprint: seal.fingerprint(jsonKey) }],
    salt: '28dc71fa9f758fb4381627fadd7a783a',
    limits: { inline_bytes: 4194304, envelope_bytes: 536870912, upload_chunk_bytes: 1048576 },
    ...over,
  });

  const keys = seal.parseKeysResponse(answer({ recipient_list: hex }), { today: 20790 });
  assert.deepEqual(keys.recipients.map((r) => r.text), made.recipients.map(publicKeyText),
    'the list, not the JSON array');
  assert.deepEqual(keys.recipients.map((r) => r.fingerprint), made.recipients.map((r) => seal.fingerprint(r)));
  assert.deepEqual(keys.recipients[1].boxPublicKey, made.recipients[1].boxPublicKey);
  assert.ok(!keys.recipients.some((r) => r.text === publicKeyText(jsonKey)), 'the JSON key is not sealed to');
  assert.equal(keys.list.organisation.text, organisationKeyText(made.organisation.publicKey));
  assert.equal(keys.list.organisation.fingerprint,
    seal.organisationFingerprint({ signPublicKey: made.organisation.publicKey }));
  assert.equal(keys.list.serial, 7n);
  assert.equal(keys.list.expires, '2026-12-31');
  assert.equal(seal.toHex(keys.salt), '28dc71fa9f758fb4381627fadd7a783a', 'the rest as before');
  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ recipient_list: hex }), { today: LAST_DAY })), 'success');
  const today = seal.currentDay();
  const current = seal.toHex(makeList({ expiresDay: today }).bytes);
  const lapsed = seal.toHex(makeList({ expiresDay: today - 1 }).bytes);
  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ recipient_list: current }))), 'success',
    'today defaults to the current day');
  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ recipient_list: lapsed }))), 'expired',
    'today defaults to the current day');

  const without = seal.parseKeysResponse(answer());
  assert.equal(without.list, null);
  assert.deepEqual(without.recipients.map((r) => r.text), [publicKeyText(jsonKey)], 'without a list, the JSON keys');
  assert.equal(seal.parseKeysResponse(answer({ recipient_list: null })).list, null);

  const tampered = made.bytes.slice();
  tampered[60] ^= 1;
  const refused = (list, today = 20790) =>
    codeOf(() => seal.parseKeysResponse(answer({ recipient_list: list }), { today }));
  assert.equal(refused(seal.toHex(tampered)), 'authentication_failed', 'a tampered list');
  assert.equal(refused(hex, LAST_DAY + 1), 'expired', 'an expired list');
  assert.equal(refused(hex.slice(0, -2)), 'truncated');
  assert.equal(refused(`${hex}00`), 'malformed');
  assert.equal(refused(hex.replace(/^(.{16})0001/, '$10002')), 'unsupported_version');
  assert.equal(refused(hex.toUpperCase()), 'malformed', 'hex is lowercase');
  assert.equal(refused(hex.slice(0, -1)), 'malformed', 'an odd number of digits');
  assert.equal(refused(''), 'truncated', 'no bytes at all');
  assert.equal(refused(Array.from(made.bytes)), 'malformed', 'not a string');
  // The JSON array is still checked even though the list replaces it.
  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ recipient_list: hex, recipients: [] }), { today: 0 })),
    'malformed');
  assert.equal(codeOf(() => seal.parseKeysResponse(answer({ recipient_list: hex,
    recipients: [{ key: publicKeyText(jsonKey), fingerprint: '00000 00000 00000 00000 00000' }] }), { today: 0 })),
  'malformed');
  assertInvalid(() => seal.parseKeysResponse(answer({ recipient_list: hex }), { today: -1 }), /today is a day number/);
});

const replyTo = (witness, message, extra = {}) =>
  ({ createdAt: 1800000000, language: 'zh-Hans', replyKey: witness.publicKey, message, ...extra });

test('a signed reply (9.5) parses with its signer, whole or out of an envelope, and any change is caught', () => {
  const witness = keyPair();
  const responder = makeIdentity();
  const attachment = randomBytes(70000);
  const document = signedReplyDocument(responder, replyTo(witness, '谢谢你的消息。你安全吗？', {
    attachments: [{ name: 'a.bin', mediaType: 'application/octet-stream', bytes: attachment }] }));
  const doc = seal.parseTipDocument(document);
  assert.equal(doc.kind, 'reply');
  assert.equal(doc.message, '谢谢你的消息。你安全吗？');
  assert.deepEqual(doc.replyKey, witness.publicKey);
  assert.deepEqual(doc.signer, { boxPublicKey: responder.boxPublicKey, signPublicKey: responder.signPublicKey,
    fingerprint: seal.fingerprint(responder) });
  assert.deepEqual(doc.attachments[0].bytes, attachment, 'the attachment, not the signature');
  const opened = seal.parseTipDocument(seal.openEnvelope(seal.sealEnvelope([witness.publicKey], document), [witness]));
  assert.deepEqual(opened.signer, doc.signer, 'the same out of an envelope');

  const changed = (at) => {
    const copy = document.slice();
    copy[at] ^= 1;
    return copy;
  };
  const code = (d) => codeOf(() => seal.parseTipDocument(d));
  assert.equal(code(changed(40)), 'authentication_failed', 'the message');
  assert.equal(code(changed(document.length - 100)), 'authentication_failed', 'the attachment');
  assert.equal(code(changed(document.length - 1)), 'authentication_failed', 'the signature');
  assert.equal(code(changed(9)), 'unsupported_version', 'version 3');
  assert.equal(code(document.subarray(0, document.length - 64)), 'malformed', 'no signature');
  assert.equal(code(document.subarray(0, document.length - 1)), 'malformed', 'a short signature');
  assert.equal(code(Uint8Array.from([...document, 0])), 'malformed', 'a byte after the signature');
  const forged = signedReplyDocument(responder, replyTo(witness, 'forged'), { signWith: makeIdentity().signSecretKey });
  assert.equal(code(forged), 'authentication_failed', 'signed by another key than the signer named');
  assert.equal(code(signedReplyDocument(responder, replyTo(witness, 'no reply key', { replyKey: null }))), 'malformed',
    'a signed reply names the reply key it answers');
  // Version 2 with kind tip, validly signed: only replies are signed.
  const [head] = seal.encodeTipDocument({ kind: 'tip', ...replyTo(witness, 'a tip') });
  const body = Buffer.concat([Buffer.from(head), responder.boxPublicKey, responder.signPublicKey]);
  body.writeUInt16BE(2, 8);
  body.writeUInt32BE(body.readUInt32BE(10) + 64, 10);
  const signature = sodium.crypto_sign_detached(Buffer.concat([Buffer.from('tipline signed reply v1'),
    sodium.crypto_generichash(32, body)]), responder.signSecretKey);
  assert.equal(code(new Uint8Array(Buffer.concat([body, signature]))), 'malformed', 'a signed tip');

  assertInvalid(() => seal.encodeTipDocument({ ...doc, attachments: [] }), /does not sign/);
  assertInvalid(() => seal.sealTip([witness.publicKey], { ...doc, attachments: [] }), /does not sign/);
  assert.equal(seal.parseTipDocument(Buffer.concat(seal.encodeTipDocument({ ...doc, signer: null,
    attachments: [] }))).signer, null, 'without a signer, an unsigned version 1 document');
});

test('openReplies shows a reply only when signed, for this reply key, by a trusted responder', () => {
  const witness = keyPair();
  const responder = makeIdentity();
  const colleague = makeIdentity();
  const stranger = makeIdentity();
  const sealed = (document) => seal.sealEnvelope([witness.publicKey, responder.boxPublicKey], document);
  const secret = (label) => `${label} ${seal.toHex(randomBytes(6))}`;
  const words = {
    trusted: secret('from the responder'),
    colleague: secret('from the colleague'),
    unsigned: secret('unsigned'),
    stranger: secret('signed by a stranger'),
    otherWitness: secret('signed for another witness'),
    badSignature: secret('badly signed'),
    mixedHalves: secret('the box half of someone else'),
  };
  const badlySigned = signedReplyDocument(responder, replyTo(witness, words.badSignature));
  badlySigned[badlySigned.length - 1] ^= 1;
  const mixed = { ...stranger, signPublicKey: responder.signPublicKey, signSecretKey: responder.signSecretKey };
  const bundle = bundleOf([
    sealed(signedReplyDocument(responder, replyTo(witness, words.trusted))),
    seal.sealTip([witness.publicKey], { kind: 'reply', ...replyTo(witness, words.unsigned) }),
    sealed(signedReplyDocument(stranger, replyTo(witness, words.stranger))),
    sealed(signedReplyDocument(responder, replyTo(keyPair(), words.otherWitness))),
    sealed(badlySigned),
    sealed(signedReplyDocument(mixed, replyTo(witness, words.mixedHalves))),
    seal.sealTip([witness.publicKey], { kind: 'tip', createdAt: 0, language: 'en', message: 'not a reply' }),
    seal.sealTip([stranger.boxPublicKey], { kind: 'reply', createdAt: 0, language: 'en', message: 'not for me' }),
    sealed(signedReplyDocument(colleague, replyTo(witness, words.colleague,
      { attachments: [{ name: 'x', mediaType: 'a/b', bytes: randomBytes(140000) }] }))),
  ]);

  const trusted = [responder, colleague].map((r) => ({ boxPublicKey: r.boxPublicKey, signPublicKey: r.signPublicKey }));
  const result = seal.openReplies(bundle, witness, trusted);
  assert.deepEqual(result.replies.map((r) => [r.id, r.message, r.signer]), [
    ['01'.repeat(16), words.trusted, { fingerprint: seal.fingerprint(responder) }],
    ['09'.repeat(16), words.colleague, { fingerprint: seal.fingerprint(colleague) }],
  ]);
  assert.equal(result.unverified, 5, 'unsigned, a stranger, another witness, a bad signature, mixed halves');
  assert.equal(result.unreadable, 2, 'a tip and an envelope for someone else');
  const shown = JSON.stringify(result, (_, v) => (typeof v === 'bigint' ? String(v) : v));
  for (const [label, text] of Object.entries(words)) {
    if (label !== 'trusted' && label !== 'colleague') assert.ok(!shown.includes(text), `${label}: not shown`);
  }

  // keys.recipients from parseKeysResponse are trusted signers as they are.
  const keys = seal.parseKeysResponse({
    version: 1, recipients: [{ key: publicKeyText(responder) }], salt: '00'.repeat(16),
    limits: { inline_bytes: 1, envelope_bytes: 1, upload_chunk_bytes: 1 },
  });
  const fromKeys = seal.openReplies(bundle, witness, keys.recipients);
  assert.deepEqual(fromKeys.replies.map((r) => r.message), [words.trusted]);
  assert.equal(fromKeys.unverified, 6, 'the colleague is not in these keys');

  // The old two-argument call: no one is trusted, nothing is shown, nothing crashes.
  assert.deepEqual(seal.openReplies(bundle, witness), { replies: [], unverified: 7, unreadable: 2 });
  assert.deepEqual(seal.openReplies(bundle, witness, []), { replies: [], unverified: 7, unreadable: 2 });
});
