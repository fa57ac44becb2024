// The submit page with JavaScript on: the tip is sealed on this device, to the responders' keys, and
// only the envelope is sent. If sealing fails the page says so and sends nothing: it never falls
// back to posting the form, which would hand the server the plaintext.
import * as seal from './tipline-seal.mjs';

const form = document.getElementById('tip-form');
const button = form?.querySelector('button[type="submit"]');

// libsodium (about 1.3 MB) loads in the background, so the form is taken over at once, not only
// after that download over a slow circuit.
function loadSodium() {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/static/sodium.js';
    script.onload = () => (globalThis.sodium ? resolve(globalThis.sodium) : reject(new Error('no libsodium')));
    script.onerror = () => reject(new Error('libsodium did not load'));
    document.head.append(script);
  });
}
const sodiumLoaded = form ? loadSodium() : Promise.reject(new Error('no form'));
sodiumLoaded.catch(() => {});  // reported when the witness sends

function show(id, visible) {
  const element = document.getElementById(id);
  if (element) element.hidden = !visible;
}

async function json(response, what) {
  if (!response.ok) throw new Error(`${what}: the server answered ${response.status}`);
  return response.json();
}

// Resumable upload (PROTOCOL.md) for an envelope larger than one request may carry.
async function upload(envelope, headers, limits) {
  const started = await json(
    await fetch('/api/v1/uploads', {
      method: 'POST',
      headers: { ...headers, 'Upload-Length': String(envelope.length) },
      credentials: 'omit',
      cache: 'no-store',
    }),
    'starting the upload',
  );
  const chunk = Math.min(started.chunk_bytes ?? limits.uploadChunkBytes, limits.uploadChunkBytes);
  let offset = started.offset ?? 0;
  let failures = 0;
  while (offset < envelope.length) {
    const body = envelope.subarray(offset, Math.min(envelope.length, offset + chunk));
    let response;
    try {
      response = await fetch(`/api/v1/uploads/${started.upload}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream', 'Upload-Offset': String(offset) },
        body,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      // A dropped connection on a slow circuit: ask where the server is and go on from there.
      if (++failures > 5) throw error;
      const state = await fetch(`/api/v1/uploads/${started.upload}`, { credentials: 'omit', cache: 'no-store' });
      if (state.ok) offset = (await state.json()).offset;
      continue;
    }
    if (response.status === 409) {
      offset = (await response.json()).offset;
      continue;
    }
    offset = (await json(response, 'uploading')).offset;
  }
  return json(
    await fetch(`/api/v1/uploads/${started.upload}/finish`, { method: 'POST', credentials: 'omit', cache: 'no-store' }),
    'finishing the upload',
  );
}

async function send() {
  const message = form.elements.message.value;
  const files = [...form.elements.files.files];
  if (message.length === 0 && files.length === 0) {
    show('empty', true);
    return;
  }
  show('empty', false);
  button.disabled = true;
  show('sending', true);
  const sodium = await sodiumLoaded;
  await sodium.ready;
  seal.useSodium(sodium);
  const keys = seal.parseKeysResponse(
    await json(await fetch('/api/v1/keys', { credentials: 'omit', cache: 'no-store' }), 'reading the keys'),
  );
  const attachments = [];
  for (const file of files) {
    attachments.push({
      name: file.name,
      mediaType: file.type || 'application/octet-stream',
      bytes: new Uint8Array(await file.arrayBuffer()),
    });
  }
  const digits = seal.generateReceipt();
  const receiptKeys = seal.deriveReceiptKeys(digits, keys.salt);
  const envelope = seal.sealTip(
    keys.recipients.map((r) => r.boxPublicKey),
    {
      kind: 'tip',
      createdAt: Math.floor(Date.now() / 1000),
      language: form.elements.language.value,
      replyKey: receiptKeys.replyPublicKey,
      message,
      attachments,
    },
  );
  for (const a of attachments) a.bytes.fill(0);
  const headers = seal.newMailboxHeaders(receiptKeys);
  if (envelope.length <= keys.limits.inlineBytes) {
    await json(
      await fetch('/api/v1/tips', {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/octet-stream' },
        body: envelope,
        credentials: 'omit',
        cache: 'no-store',
      }),
      'sending the tip',
    );
  } else {
    await upload(envelope, headers, keys.limits);
  }
  // Stored: show the receipt, once, in place of the form.
  const view = document.getElementById('receipt-view').content.cloneNode(true);
  view.querySelector('[data-receipt]').textContent = seal.formatReceipt(digits);
  const main = document.querySelector('main');
  main.replaceChildren(view);
  main.querySelector('h1')?.setAttribute('tabindex', '-1');
  main.querySelector('h1')?.focus();
}

if (form && button) {
  show('mode-server', false);
  show('mode-browser', true);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send().catch(() => {
      show('sending', false);
      show('mode-browser', false);
      show('mode-failed', true);
    });
  });
}
