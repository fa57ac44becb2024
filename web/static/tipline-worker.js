// The page's cryptography, off the page: libsodium and tipline-seal.mjs run here, so that stretching
// a receipt (one Argon2id call of seconds where Tor Browser's "Safer" level turns the JIT and
// WebAssembly off), sealing megabytes and solving a proof of work never stop the page from drawing
// its progress. libsodium is loaded here only, so it crosses the circuit once.
//
// Messages in: { id, call, args }, call one of CALLS. Out: { id, result } or { id, error: { name,
// message, code } }; first of all { ready: true, receiptVersions }, or { failed: message } when the libraries do not
// load, after which the page does the work itself.
'use strict';

const CALLS = new Set([
  'parseKeysResponse', 'parseChallengeResponse', 'sizeExtraBits', 'solveChallenge', 'generateReceipt',
  'formatReceipt', 'parseReceipt', 'deriveReceiptKeys', 'newMailboxHeaders', 'mailboxAccessHeaders',
  'sealTipAsync', 'openReplies',
]);

// Every ArrayBuffer under value, once each: what a result hands over instead of copying.
function buffersOf(value, found = new Set()) {
  if (ArrayBuffer.isView(value)) found.add(value.buffer);
  else if (Array.isArray(value)) for (const v of value) buffersOf(v, found);
  return found;
}

const loaded = (async () => {
  importScripts('/static/sodium.js');
  await self.sodium.ready;
  const seal = await import('/static/tipline-seal.mjs');
  seal.useSodium(self.sodium);
  return seal;
})();

loaded.then((seal) => self.postMessage({ ready: true, receiptVersions: seal.RECEIPT_VERSIONS }), (error) => self.postMessage({ failed: String(error?.message ?? error) }));

self.onmessage = async ({ data: { id, call, args } }) => {
  try {
    if (!CALLS.has(call)) throw new Error(`the worker does not do ${call}`);
    const seal = await loaded;
    if (call === 'sealTipAsync') {
      // Nothing here needs drawing: sealing runs straight through, then the witness's files are wiped.
      const [keys, tip] = args;
      const envelope = await seal.sealTipAsync(keys, tip, () => Promise.resolve());
      for (const a of tip.attachments) a.bytes.fill(0);
      self.postMessage({ id, result: envelope }, [...buffersOf(envelope)]);
      return;
    }
    // The solver has no page to give way to either.
    if (call === 'solveChallenge') args[1] = () => Promise.resolve();
    const result = await seal[call](...args);
    self.postMessage({ id, result });
    // The page has its copy of the receipt's keys; this one is wiped.
    if (call === 'deriveReceiptKeys') for (const value of Object.values(result)) value.fill(0);
  } catch (error) {
    self.postMessage({ id, error: { name: error?.name ?? 'Error', message: String(error?.message ?? error), code: error?.code } });
  }
};
