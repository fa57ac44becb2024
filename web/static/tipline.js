// The submit and check pages with JavaScript on: tips and follow-ups are sealed on this device, to
// the responders' keys, replies are opened here with the receipt, and the receipt never leaves the
// device. If anything fails the page says so and sends nothing: it never falls back to posting a
// form, which would hand the server the plaintext.
import { cleanImage, UncleanImage } from './tipline-clean.mjs';

const tipForm = document.getElementById('tip-form');
const checkForm = document.getElementById('check-form');
// The views the script shows, taken out of the page before it replaces the form with any of them.
const templates = Object.fromEntries(
  [...document.querySelectorAll('main template')].map((t) => [t.id, t.content]),
);

function show(id, visible, root = document) {
  const element = root.getElementById ? root.getElementById(id) : root.querySelector(`#${id}`);
  if (element) element.hidden = !visible;
}

// The cryptography (libsodium and tipline-seal.mjs) runs in a worker, tipline-worker.js: stretching
// a receipt is one Argon2id call of seconds without a JIT (Tor Browser at "Safer"), and the page
// must go on drawing its progress meanwhile. libsodium (1.3 MB, 400 KB compressed) loads there in
// the background, so the form is taken over at once, not only after that download over a slow
// circuit. An engine is { call(name, args, handOver), receiptVersions }: call runs the worker's
// function name and hands over the ArrayBuffers in handOver instead of copying them.
function startWorker() {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/static/tipline-worker.js');
    const waiting = new Map();
    let next = 0;
    let stopped = null;  // the error that stopped the worker: every later call fails with it
    const call = (name, args, handOver = []) => new Promise((done, failed) => {
      if (stopped) {
        failed(stopped);
        return;
      }
      const id = next++;
      waiting.set(id, { done, failed });
      worker.postMessage({ id, call: name, args }, handOver);
    });
    worker.onmessage = ({ data }) => {
      if (data.ready) {
        resolve({ call, receiptVersions: data.receiptVersions });
        return;
      }
      if (data.failed !== undefined) {
        worker.terminate();
        reject(new Error(data.failed));
        return;
      }
      const { done, failed } = waiting.get(data.id);
      waiting.delete(data.id);
      if (!data.error) done(data.result);
      else failed(Object.assign(new Error(data.error.message), { name: data.error.name, code: data.error.code }));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      stopped = new Error(`the worker stopped: ${event.message}`);
      for (const { failed } of waiting.values()) failed(stopped);
      waiting.clear();
      reject(stopped);
    };
  });
}

// Where no worker starts, the page loads libsodium and the module itself, and gives way every 40 ms
// of sealing, as the solver does.
function loadSodium() {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/static/sodium.js';
    script.onload = () => (globalThis.sodium ? resolve(globalThis.sodium) : reject(new Error('no libsodium')));
    script.onerror = () => reject(new Error('libsodium did not load'));
    document.head.append(script);
  });
}

async function onThisPage() {
  const sodium = await loadSodium();
  await sodium.ready;
  const seal = await import('./tipline-seal.mjs');
  seal.useSodium(sodium);
  const pause = () => {
    let since = performance.now();
    return () => {
      if (performance.now() - since < 40) return Promise.resolve();
      return new Promise((resolve) => setTimeout(() => {
        since = performance.now();
        resolve();
      }, 0));
    };
  };
  return {
    call: async (name, args) => (name === 'sealTipAsync' ? seal.sealTipAsync(...args, pause()) : seal[name](...args)),
    receiptVersions: seal.RECEIPT_VERSIONS,
  };
}

const engine = tipForm || checkForm ? startWorker().catch(() => onThisPage()) : Promise.reject(new Error('no form'));
engine.catch(() => {});  // reported when the witness sends

async function run(name, ...args) {
  return (await engine).call(name, args);
}

const request = { credentials: 'omit', cache: 'no-store' };

async function json(response, what) {
  if (!response.ok) throw new Error(`${what}: the server answered ${response.status}`);
  return response.json();
}

// The organisation's list of responders did not verify, or does not match the fingerprint the page
// shows: the page says so and seals nothing (SECURITY.md: a page from a hostile server is trusted
// code, so this guards against a damaged or swapped list, not against the server itself).
class ListRefused extends Error {}

async function ready() {
  await engine;
  const answer = await json(await fetch('/api/v1/keys', request), 'reading the keys');
  let keys;
  try {
    // The list's expiry is checked against the page's day (UTC days since 1970, as currentDay()).
    keys = await run('parseKeysResponse', answer, { today: Math.floor(Date.now() / 86_400_000) });
  } catch (error) {
    if (answer?.recipient_list !== undefined) throw new ListRefused(error.message);
    throw error;
  }
  const shown = document.querySelector('[data-organisation]');
  if (shown && shown.textContent !== keys.list?.organisation.fingerprint) {
    throw new ListRefused('the signed list is not the organisation\'s this page names');
  }
  return keys;
}

// The chosen files, photos cleaned of their metadata here, before sealing (tipline-clean.mjs); what
// was cleaned goes in attachments.cleaned for the page to tell the witness. A photo that cannot be
// cleaned throws UncleanImage, and nothing is sent.
async function readFiles(input) {
  const attachments = [];
  attachments.cleaned = { names: [], place: false };
  for (const file of input.files) {
    const original = new Uint8Array(await file.arrayBuffer());
    const cleaned = cleanImage(original);
    if (cleaned.removed) {
      attachments.cleaned.names.push(file.name);
      attachments.cleaned.place ||= cleaned.place;
      original.fill(0);
    }
    attachments.push({ name: file.name, mediaType: file.type || 'application/octet-stream', bytes: cleaned.bytes });
  }
  return attachments;
}

// The status line while the witness waits: what is happening now (the texts come from the page,
// in its language). The page is given a moment to draw it before heavy work starts.
// The line that shows it: the tip form's, or the follow-up form's once the replies are shown.
let statusLine = 'sending';
function progress(step, fill = {}) {
  const line = document.getElementById(statusLine);
  if (!line) return Promise.resolve();
  let text = line.dataset[`progress${step[0].toUpperCase()}${step.slice(1)}`] ?? line.textContent;
  for (const [name, value] of Object.entries(fill)) text = text.replace(`[${name}]`, value);
  line.textContent = text;
  line.hidden = false;
  return new Promise((resolve) => setTimeout(resolve, 20));
}

function humanSize(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

// The connection dropped after the tip was sealed: it is kept, and the witness can go on sending.
class Interrupted extends Error {}

// Fills a view's notice of what was removed from the witness's files, when anything was.
function showCleaned(root, cleaned) {
  const notice = root.querySelector('[data-cleaned]');
  if (!notice || cleaned.names.length === 0) return;
  const list = notice.querySelector('[data-cleaned-names]');
  for (const name of cleaned.names) {
    const item = document.createElement('li');
    item.textContent = name;
    list.append(item);
  }
  notice.querySelector('[data-cleaned-place]').hidden = !cleaned.place;
  notice.hidden = false;
}

// The witness's files are handed over to the worker, which wipes them once sealed.
async function sealFor(keys, kind, form, language, replyKey, attachments) {
  const tip = { kind, createdAt: Math.floor(Date.now() / 1000), language, replyKey, message: form.elements.message.value };
  tip.attachments = attachments.map(({ name, mediaType, bytes }) => ({ name, mediaType, bytes }));
  const handOver = [...new Set(attachments.map((a) => a.bytes.buffer))];
  const envelope = await (await engine).call('sealTipAsync', [keys.recipients.map((r) => r.boxPublicKey), tip], handOver);
  // Still here only where no worker took them (a handed-over buffer is left empty).
  for (const a of attachments) if (a.bytes.buffer.byteLength > 0) a.bytes.fill(0);
  return envelope;
}

const PROOF_RETRY_CODES = ['proof_required', 'proof_stale', 'proof_too_weak', 'proof_spent', 'proof_too_weak_for_size'];

// Sends a submission with a solved proof of work when the server asks for one (PROTOCOL.md), extra
// bits harder for what it may store (size: the body's, or an upload's declared length). A proof
// the server finds stale, too weak or spent is solved again with a fresh challenge, a few times.
async function withProof(keys, send, size) {
  let named = null;  // the extra bits a server that refused a proof for its size asked for
  for (let solves = 1; ; solves++) {
    const headers = {};
    if (keys.proof.required) {
      if (!keys.proof.challenge) {
        keys.proof = await run('parseChallengeResponse', await json(await fetch('/api/v1/challenge', request), 'reading a challenge'));
      }
      const extra = named ?? await run('sizeExtraBits', size, keys.proof.sizeBaseBytes);
      if (keys.proof.challenge) {
        await progress('work');
        headers['Tipline-Proof'] = await run('solveChallenge', keys.proof.challenge, undefined, extra);
      }
      keys.proof.challenge = null;  // each challenge is accepted once
    }
    const response = await send(headers);
    if (response.status !== 403 || solves === 4) return response;
    const answer = await response.clone().json().catch(() => ({}));
    if (!PROOF_RETRY_CODES.includes(answer?.error?.code)) return response;
    if (answer.error.code === 'proof_too_weak_for_size') {
      if (!Number.isSafeInteger(answer.extra_bits) || answer.extra_bits < 0 || answer.extra_bits > 40) return response;
      named = answer.extra_bits;
    }
    keys.proof.required = true;
  }
}

// Resumable upload (PROTOCOL.md) for an envelope larger than one request may carry. state.key is
// kept once the server has started the upload, so that a later call goes on from the offset the
// server has stored instead of starting again. A connection that keeps failing throws Interrupted.
async function upload(envelope, headers, keys, state) {
  const { limits } = keys;
  const chunk = limits.uploadChunkBytes;
  let offset = 0;
  try {
    if (state.key) {
      const stored = await fetch(`/api/v1/uploads/${state.key}`, request);
      if (stored.status === 404) state.expired = true;  // idle too long: the server deleted it
      offset = (await json(stored, 'resuming the upload')).offset;
    } else {
      const started = await json(
        await withProof(keys, (proof) => fetch('/api/v1/uploads', {
          ...request, method: 'POST', headers: { ...headers, ...proof, 'Upload-Length': String(envelope.length) },
        }), envelope.length),
        'starting the upload',
      );
      state.key = started.upload;
      offset = started.offset ?? 0;
    }
  } catch (error) {
    if (error instanceof TypeError) throw new Interrupted(error.message);  // no answer at all
    throw error;
  }
  let failures = 0;
  while (offset < envelope.length) {
    await progress('sending', { percent: Math.floor((offset * 100) / envelope.length), size: humanSize(envelope.length) });
    const body = envelope.subarray(offset, Math.min(envelope.length, offset + chunk));
    let response;
    try {
      response = await fetch(`/api/v1/uploads/${state.key}`, {
        ...request,
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream', 'Upload-Offset': String(offset) },
        body,
      });
    } catch (error) {
      // A dropped connection on a slow circuit: ask where the server is and go on from there.
      if (++failures > 5) throw new Interrupted(error.message);
      try {
        const stored = await fetch(`/api/v1/uploads/${state.key}`, request);
        if (stored.ok) offset = (await stored.json()).offset;
      } catch {
        // still no connection: the next try says so
      }
      continue;
    }
    failures = 0;
    if (response.status === 409) {
      offset = (await response.json()).offset;
      continue;
    }
    offset = (await json(response, 'uploading')).offset;
  }
  await progress('sending', { percent: 100, size: humanSize(envelope.length) });
  try {
    return await json(
      await fetch(`/api/v1/uploads/${state.key}/finish`, { ...request, method: 'POST' }),
      'finishing the upload',
    );
  } catch (error) {
    if (error instanceof TypeError) throw new Interrupted(error.message);
    throw error;
  }
}

function postEnvelope(keys, path, envelope, headers) {
  return withProof(keys, (proof) => fetch(path, {
    ...request,
    method: 'POST',
    headers: { ...headers, ...proof, 'Content-Type': 'application/octet-stream' },
    body: envelope,
  }), envelope.length);
}

// Replaces the page's main content with a template of the page, and moves the focus to its heading.
function showView(templateId) {
  const view = templates[templateId].cloneNode(true);
  const main = document.querySelector('main');
  main.replaceChildren(view);
  const heading = main.querySelector('h1');
  heading?.setAttribute('tabindex', '-1');
  heading?.focus();
  return main;
}

// A tip sealed and not yet stored: kept while the page is open, so that after a dropped connection
// the witness goes on sending the same tip, under the same receipt, without sealing it again.
let pendingTip = null;

// The form's fields are locked while a sealed tip waits to be sent: what is on the page is what was
// sealed.
function lockForm(form, locked) {
  for (const field of form.querySelectorAll('textarea, input, select')) field.readOnly = locked;
  form.elements.files.disabled = locked;
  form.elements.language.disabled = locked;
}

async function sealTip() {
  const files = tipForm.elements.files;
  await progress('receipt');
  const keys = await ready();
  const attachments = await readFiles(files);
  const digits = await run('generateReceipt');
  const receiptKeys = await run('deriveReceiptKeys', digits, keys.salt);
  await progress('encrypting');
  const envelope = await sealFor(keys, 'tip', tipForm, tipForm.elements.language.value, receiptKeys.replyPublicKey, attachments);
  return { keys, envelope, digits, headers: await run('newMailboxHeaders', receiptKeys), cleaned: attachments.cleaned, upload: {}, tries: 0 };
}

// Sends the sealed tip; true once the server has stored it. A tip whose mailbox exists already was
// stored by an earlier try whose answer was lost.
async function deliver(tip) {
  tip.tries++;
  if (tip.envelope.length > tip.keys.limits.inlineBytes) {
    await upload(tip.envelope, tip.headers, tip.keys, tip.upload);
    return;
  }
  await progress('sending', { percent: 0, size: humanSize(tip.envelope.length) });
  let response;
  try {
    response = await postEnvelope(tip.keys, '/api/v1/tips', tip.envelope, tip.headers);
  } catch (error) {
    if (error instanceof TypeError) throw new Interrupted(error.message);
    throw error;
  }
  if (response.status === 409 && tip.tries > 1) {
    const answer = await response.clone().json().catch(() => ({}));
    if (answer?.error?.code === 'mailbox_taken') return;
  }
  await json(response, 'sending the tip');
}

async function sendTip() {
  const button = tipForm.querySelector('button[type="submit"]');
  const files = tipForm.elements.files;
  show('interrupted', false);
  if (!pendingTip) {
    if (tipForm.elements.message.value.length === 0 && files.files.length === 0) {
      show('empty', true);
      return;
    }
    show('empty', false);
    show('unclean', false);
    button.disabled = true;
    pendingTip = await sealTip();
    lockForm(tipForm, true);
  }
  button.disabled = true;
  try {
    await deliver(pendingTip);
  } catch (error) {
    if (pendingTip.upload.expired) {
      // Left too long: the server deleted what it had. Seal again, under a new receipt.
      pendingTip = null;
      lockForm(tipForm, false);
      return sendTip();
    }
    if (error instanceof Interrupted) {
      show('sending', false);
      show('interrupted', true);
      button.textContent = button.dataset.continue;
      button.disabled = false;
      return undefined;
    }
    throw error;
  }
  const { digits, cleaned } = pendingTip;
  pendingTip = null;
  // Stored: show the receipt, once, in place of the form.
  const main = showView('receipt-view');
  main.querySelector('[data-receipt]').textContent = await run('formatReceipt', digits);
  showCleaned(main, cleaned);
  return undefined;
}

function showError(form, key) {
  for (const p of form.querySelectorAll('[data-error]')) p.hidden = p.dataset.error !== key;
}

async function sendFollowUp(form, keys, receiptKeys, lang) {
  showError(form, null);
  if (form.elements.message.value.length === 0 && form.elements.files.files.length === 0) {
    showError(form, 'error.empty');
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  statusLine = 'follow-up-sending';
  await progress('encrypting');
  const attachments = await readFiles(form.elements.files);
  const envelope = await sealFor(keys, 'follow_up', form, lang, receiptKeys.replyPublicKey, attachments);
  if (envelope.length > keys.limits.inlineBytes) {
    form.querySelector('#follow-up-sending').hidden = true;
    button.disabled = false;
    showError(form, 'error.too_large');
    return;
  }
  await json(
    await postEnvelope(keys, '/api/v1/mailbox/messages', envelope, await run('mailboxAccessHeaders', receiptKeys)),
    'sending the follow-up',
  );
  showCleaned(showView('follow-up-sent'), attachments.cleaned);
}

async function checkReplies() {
  const button = checkForm.querySelector('button[type="submit"]');
  showError(checkForm, null);
  const keys = await ready();
  let digits;
  try {
    digits = await run('parseReceipt', checkForm.elements.receipt.value.trim());
  } catch {
    showError(checkForm, 'check.bad_receipt');
    return;
  }
  button.disabled = true;
  show('sending', true);
  // A receipt made before version 2 opens with version 1's slower stretching.
  let receiptKeys;
  let answer;
  for (const version of (await engine).receiptVersions) {
    await progress('receipt');
    receiptKeys = await run('deriveReceiptKeys', digits, keys.salt, version);
    answer = await fetch('/api/v1/mailbox', { ...request, headers: await run('mailboxAccessHeaders', receiptKeys) });
    if (answer.status !== 404) break;
  }
  if (answer.status === 404 || answer.status === 429) {
    show('sending', false);
    button.disabled = false;
    showError(checkForm, answer.status === 404 ? 'check.not_found' : 'check.throttled');
    return;
  }
  if (!answer.ok) throw new Error(`reading the replies: the server answered ${answer.status}`);
  // Shown only when a responder the tip would be sealed to signed it for this receipt.
  const { replies, unverified, unreadable } = await run(
    'openReplies',
    new Uint8Array(await answer.arrayBuffer()),
    { publicKey: receiptKeys.replyPublicKey, secretKey: receiptKeys.replySecretKey },
    keys.recipients,
  );
  const lang = document.documentElement.lang;
  const main = showView('replies-view');
  main.querySelector('[data-none]').hidden = replies.length > 0;
  main.querySelector('[data-unverified]').hidden = unverified === 0;
  main.querySelector('[data-unreadable]').hidden = unreadable === 0;
  const list = main.querySelector('[data-replies]');
  for (const reply of replies) {
    const article = templates['reply-item'].cloneNode(true);
    const day = article.querySelector('time');
    if (day) day.textContent = reply.day;
    article.querySelector('.message').textContent = String(reply.message);
    list.append(article);
  }
  const followUp = main.querySelector('#follow-up-form');
  followUp.addEventListener('submit', (event) => {
    event.preventDefault();
    sendFollowUp(followUp, keys, receiptKeys, lang).catch((error) => {
      followUp.querySelector('#follow-up-sending').hidden = true;
      if (error instanceof UncleanImage) {
        // Nothing was sent: the witness can take the photo out and send again.
        showError(followUp, 'error.unclean_photo_js');
        followUp.querySelector('button[type="submit"]').disabled = false;
        return;
      }
      showError(followUp, 'mode.js_failed');  // the button stays disabled: nothing more is sent
    });
  });
}

// Both pages announce which mode they are in, and say so when it fails.
function takeOver(form, handler) {
  show('mode-server', false);
  show('mode-browser', true);
  // The page sends large files as uploads: its limit is the server's largest tip.
  const hint = document.getElementById('files-hint-js');
  if (hint) {
    show('files-hint', false);
    hint.hidden = false;
    form.elements.files?.setAttribute('aria-describedby', 'files-hint-js');
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    handler().catch((error) => {
      show('sending', false);
      if (error instanceof UncleanImage) {
        // Nothing was sent: the witness can take the photo out and send again.
        show('unclean', true);
        form.querySelector('button[type="submit"]').disabled = false;
        return;
      }
      show('mode-browser', false);
      show(error instanceof ListRefused ? 'mode-list-failed' : 'mode-failed', true);
    });
  });
}

if (tipForm) takeOver(tipForm, sendTip);
if (checkForm) takeOver(checkForm, checkReplies);
