// web/js/tipline-seal.mjs against the committed vectors in tests/vectors/ and the examples of FORMAT.md.
import assert from 'node:assert/strict';
import test from 'node:test';

import { hexBytes, outcome, publicKeyText, seal, sha256Hex, sodium, vectorsOf } from './support.mjs';

const EXPECTS = new Set(['success', 'malformed', 'unsupported_version', 'no_matching_key', 'authentication_failed',
  'truncated', 'untrusted_key', 'expired', 'rolled_back']);

// Every vector of the area reaches its expect class, and on success the values check() returns
// match the vector's success headers.
async function walk(area, check) {
  const vectors = await vectorsOf(area);
  assert.ok(vectors.length > 0, `tests/vectors holds ${area}_* vectors`);
  for (const v of vectors) {
    const expect = v.one('expect');
    v.one('comment');
    assert.ok(EXPECTS.has(expect), `${v.name}: unknown expect "${expect}"`);
    const result = outcome(() => check(v));
    assert.equal(result.got, expect, `${v.name}: ${result.error?.message ?? 'no error'}`);
    if (expect !== 'success') continue;
    for (const [key, value] of Object.entries(result.value)) assert.equal(value, v.one(key), `${v.name}: ${key}`);
  }
  return vectors.length;
}

test('public key vectors: decoding in the order of 6.2, and the fingerprint', async () => {
  await walk('pubkey', (v) => {
    const key = seal.decodePublicKey(Buffer.from(v.body).toString('latin1'));  // one character per byte
    return { fingerprint: seal.fingerprint(key) };
  });
});

test('receipt vectors: normalisation, the derived keys and the mailbox name', async () => {
  await walk('receipt', (v) => {
    const digits = seal.parseReceipt(v.body);
    const text = Buffer.from(v.body).toString('utf8');  // the body is well-formed, or parseReceipt threw
    assert.equal(seal.parseReceipt(text), digits, `${v.name}: typed as a string, the same digits`);
    const version = Number(v.one('receipt-kdf'));
    const keys = seal.deriveReceiptKeys(digits, v.one('salt'), version);
    assert.deepEqual(seal.deriveReceiptKeys(digits, hexBytes(v.one('salt')), version), keys, 'the salt as bytes or hex');
    return {
      'mailbox-token': seal.toHex(keys.mailboxToken),
      'mailbox-token-hash': seal.toHex(keys.tokenHash),
      'reply-public-key': seal.toHex(keys.replyPublicKey),
      'mailbox-name': seal.toHex(keys.mailboxId),
    };
  });
});

test('the mailbox name example of 10.4', () => {
  const replyKey = Uint8Array.from({ length: 32 }, (_, i) => 0x20 + i);
  const expected = '00f447072fdb9d318ee409e675c42874487ae52c82961436fbff4f8300daa38e';
  assert.equal(seal.toHex(seal.mailboxIdOf(replyKey)), expected);
});

test('tip document vectors: parsing in the order of 9.4, and encoding gives back the same bytes', async () => {
  let encoded = 0;
  let signed = 0;
  await walk('tipdoc', (v) => {
    const doc = seal.parseTipDocument(v.body);
    const values = {
      'message-sha256': sha256Hex(new TextEncoder().encode(doc.message)),
      attachments: String(doc.attachments.length),
      language: doc.language,
    };
    const version = Buffer.from(v.body).readUInt16BE(8);
    if (version === 1) {
      assert.equal(doc.signer, null, `${v.name}: an unsigned document has no signer`);
      const parts = seal.encodeTipDocument(doc);
      assert.deepEqual(Buffer.concat(parts), Buffer.from(v.body), `${v.name}: encoded again, byte for byte`);
      encoded++;
      return values;
    }
    // Version 2: the module never signs, so it refuses to encode the document as it is. Without its
    // signer it encodes to the same fields as version 1; the vector has them, then the signer,
    // the attachments and the signature (9.2, 9.3).
    assert.equal(version, 2, `${v.name}: a tip document of version 1 or 2`);
    assert.throws(() => seal.encodeTipDocument(doc), (e) => e.code === 'invalid_argument',
      `${v.name}: not signed here`);
    // The team's state (kind 4) is never written unsigned: its fields are those of a follow-up with
    // the kind byte changed.
    const teamState = doc.kind === 'team_state';
    const [head, ...attachments] =
      seal.encodeTipDocument({ ...doc, signer: null, kind: teamState ? 'follow_up' : doc.kind });
    if (teamState) head[14] = 4;
    const body = Buffer.from(v.body);
    const headerLength = body.readUInt32BE(10);
    assert.equal(headerLength, head.length - 14 + 64, `${v.name}: the header body holds the signer`);
    assert.deepEqual(body.subarray(14, head.length), Buffer.from(head.subarray(14)), `${v.name}: the same fields`);
    assert.deepEqual(body.subarray(head.length, head.length + 64),
      Buffer.concat([doc.signer.boxPublicKey, doc.signer.signPublicKey]), `${v.name}: then the signer`);
    assert.deepEqual(body.subarray(14 + headerLength, body.length - 64), Buffer.concat(attachments),
      `${v.name}: then the attachments`);
    assert.equal(doc.signer.fingerprint, seal.fingerprint(doc.signer), `${v.name}: the signer's fingerprint`);
    signed++;
    return { ...values, signer: doc.signer.fingerprint, ...(teamState ? { kind: '4' } : {}) };
  });
  assert.ok(encoded >= 3, 'every unsigned success vector was encoded again');
  assert.ok(signed >= 1, 'the signed success vector was read');
});

test('organisation key vectors: decoding in the order of 17.1, the fingerprint of 17.2', async () => {
  await walk('orgkey', (v) => {
    const text = Buffer.from(v.body).toString('latin1');  // one character per byte
    const key = seal.decodeOrganisationKey(text);
    assert.equal(seal.encodeOrganisationKey(key), text, `${v.name}: encoded again, the same text`);
    return { fingerprint: seal.organisationFingerprint(key) };
  });
});

test('recipient list vectors: reading in the order of 18.2, then trusting in the order of 18.3', async () => {
  let checked = 0;
  await walk('list', (v) => {
    const optional = (key) => (v.headers.has(key) ? v.one(key) : undefined);
    const list = seal.decodeRecipientList(v.body);
    const remembered = optional('remembered');
    seal.checkRecipientList(list, {
      today: Number(v.one('today')),
      pinned: optional('pinned'),
      remembered: remembered === undefined ? undefined : BigInt(remembered),
    });
    assert.equal(typeof list.serial, 'bigint', `${v.name}: the serial is a u64, as a BigInt`);
    assert.equal(list.organisation.text, seal.encodeOrganisationKey(list.organisation), `${v.name}: organisation text`);
    for (const r of list.recipients) {
      assert.equal(r.text, publicKeyText(r), `${v.name}: a recipient's text`);
      assert.deepEqual(seal.decodePublicKey(r.text), { boxPublicKey: r.boxPublicKey, signPublicKey: r.signPublicKey });
    }
    checked++;
    return {
      organisation: list.organisation.fingerprint,
      serial: String(list.serial),
      expires: list.expires,
      recipients: list.recipients.map((r) => r.fingerprint).join(','),
    };
  });
  assert.ok(checked >= 4, 'every success vector was checked');
});

test('envelope vectors: opening in the order of 8.7, and the sizes of 8.8', async () => {
  await walk('envelope', (v) => {
    const identities = (v.headers.get('identity') ?? []).map((hex) => {
      const secretKey = hexBytes(hex);
      return { publicKey: sodium.crypto_scalarmult_base(secretKey), secretKey };
    });
    const content = seal.openEnvelope(v.body, identities);
    const recipients = v.body[10];
    const padded = Number(Buffer.from(v.body).readBigUInt64BE(11));
    assert.equal(padded, seal.paddedLength(8 + content.length), `${v.name}: P is the padded length`);
    assert.equal(v.body.length, seal.envelopeSize(content.length, recipients), `${v.name}: the envelope's size`);
    return { 'content-sha256': sha256Hex(content), 'content-length': String(content.length) };
  });
});

test('tip vectors: an envelope and its tip document opened as one stream, the first failure in stream order',
  async () => {
    let opened = 0;
    await walk('tip', (v) => {
      const identities = (v.headers.get('identity') ?? []).map((hex) => {
        const secretKey = hexBytes(hex);
        return { publicKey: sodium.crypto_scalarmult_base(secretKey), secretKey };
      });
      const doc = seal.openTip(v.body, identities);
      // Once it opens, the stream gives what opening, then parsing, gives, each attachment as bytes.
      for (const a of doc.attachments) {
        assert.ok(a.bytes instanceof Uint8Array && a.bytes.length === a.size, `${v.name}: an attachment's bytes`);
      }
      assert.deepEqual(doc, seal.parseTipDocument(seal.openEnvelope(v.body, identities)),
        `${v.name}: the same document as openEnvelope then parseTipDocument`);
      opened++;
      return {
        'message-sha256': sha256Hex(new TextEncoder().encode(doc.message)),
        attachments: String(doc.attachments.length),
        language: doc.language,
      };
    });
    assert.ok(opened >= 1, 'the success vector was opened');
  });

test('bundle vectors: the manifest checks of 11.2', async () => {
  await walk('bundle', (v) => {
    const entries = seal.readBundle(v.body);
    return { entries: String(entries.length), ids: entries.map((e) => e.id).join(',') };
  });
});

test('proof-of-work vectors: the text of 16.3 and the work', async () => {
  await walk('pow', (v) => {
    const text = Buffer.from(v.body).toString('latin1');
    const match = /^(.*)\.([0-9a-f]{16})$/s.exec(text);
    if (!match) throw new seal.TiplineError('malformed', 'no nonce');
    const challenge = seal.parseChallenge(match[1]);
    const nonce = Number.parseInt(match[2], 16);
    assert.ok(Number.isSafeInteger(nonce), `${v.name}: the vectors' nonces are safe integers`);
    assert.equal(seal.proofText(challenge, nonce), text, `${v.name}: the same text back`);
    const zeros = seal.powZeroBits(challenge, nonce);
    if (zeros < challenge[1]) throw new seal.TiplineError('authentication_failed', 'unsolved');
    return { 'zero-bits': String(zeros) };
  });
});

test('proof of work by size: the examples of section 16.4', () => {
  const base = 16 * 1024 * 1024;
  const table = [
    [0, 0], [1, 0], [base, 0], [base + 1, 1], [2 * base, 1], [2 * base + 1, 2], [512 * 1024 * 1024, 5],
    [512 * 1024 * 1024 + 1, 6],
  ];
  for (const [length, bits] of table) assert.equal(seal.sizeExtraBits(length, base), bits, `${length} bytes`);
  assert.equal(seal.sizeExtraBits(2 ** 40, 0), 0, 'a base of 0 asks nothing more');
  assert.equal(seal.sizeExtraBits(200000, 65536), 2);
});

test('padding: the examples of section 5', () => {
  const table = [
    [1, 4096], [8, 4096], [4096, 4096], [4097, 4352], [5000, 5120], [8193, 8704], [65536, 65536],
    [65537, 67584], [100008, 100352], [1000000, 1015808], [1048584, 1081344], [962072674312, 970662608896],
    [1099511627776, 1099511627776],
  ];
  for (const [length, padded] of table) assert.equal(seal.paddedLength(length), padded, `padded_length(${length})`);
});

test('envelope sizes: the table of 8.8', () => {
  const table = [
    [0, 4268, 4428], [4088, 4268, 4428], [4089, 4524, 4684], [100000, 100541, 100701],
    [1048576, 1081788, 1081948], [10485760, 10750847, 10751007],
  ];
  for (const [length, one, three] of table) {
    assert.equal(seal.envelopeSize(length, 1), one, `envelope_size(${length}, 1)`);
    assert.equal(seal.envelopeSize(length, 3), three, `envelope_size(${length}, 3)`);
  }
});
