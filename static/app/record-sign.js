// The record page's signing actions (docs/signing.md "On the record page"): what the signed-in person may do with
// the document being signed, in the `record-sign-actions` area of pages/record.js.
//
// The person of the waiting slot: "Ký số bằng USB token" asks for a one-time link (`POST …/sign-request`) and
// shows the `meeting-sign '…'` command to paste in a terminal, with a copy button and plain steps; or "Ký bằng tệp
// chữ ký số (.p12)" signs in one request (`POST …/sign-pkcs12`, the password field emptied after). An organiser,
// on a notice whose signer has signed: "Đóng dấu" (`POST …/seal`). The state (who signed, when, whose turn) is
// re-rendered by the page on each `record.changed`, so the agent finishing in the terminal shows here live; the
// shown command stays until its slot is signed. The signed PDF and a link to /verify once anyone signed.
import { post, withLang } from './api.js';
import { h, replaceChildren } from './dom.js';
import { formatDateTime } from './format.js';
import { t, tMaybe } from './i18n.js';
import { busy, formError } from './ui.js';

const enc = encodeURIComponent;
const path = (doc, rest) => `/api/record/${enc(doc.id)}${rest}`;

/** The first slot not signed yet (the signing order is the slots' order), or null when every slot is. */
export const waitingSlot = (doc) => ((doc && doc.slots) || []).find((s) => !s.signed_at) || null;

/** Each signature slot: who signs it, and when they signed (or that it waits). The record page's and the signer's. */
export const slotList = (doc) => h('ul', { class: 'signature-slots' }, ((doc && doc.slots) || []).map((s) => h('li', { testid: 'signature-slot', dataset: { slot: s.slot, signed: s.signed_at ? 'true' : 'false' } },
  h('strong', null, tMaybe('record.slot', s.slot)), ` — ${[s.authority, s.title, s.name].filter(Boolean).join(' · ')} · `,
  s.signed_at ? t('record.signedAt', { time: formatDateTime(s.signed_at) }) : t('record.waiting'))));

/**
 * The persistent signing panel: `el` goes in the page's `record-sign-actions`; `update(doc, {userId, mayWrite})`
 * after every load of the document.
 */
export function signPanel() {
  const el = h('div', { class: 'record-sign-actions', testid: 'record-sign-actions' });
  const errors = formError('record-sign-error');
  let command = null; // {docId, slot, command} the link shown, until its slot is signed
  let pkcs12Open = false;
  let last = null; // the last update's arguments, to show the form or the command without a reload

  function update(doc, who) {
    last = [doc, who];
    const { userId, mayWrite, onDone } = who;
    const waiting = waitingSlot(doc);
    if (command && (!waiting || command.docId !== doc.id || command.slot !== waiting.slot)) command = null;
    const parts = [errors];
    if (doc.status === 'signing' && waiting) {
      parts.push(h('p', { class: 'record-turn', testid: 'record-turn' },
        t('record.sign.turn', { slot: tMaybe('record.slot', waiting.slot), name: waiting.name || '' })));
      if (waiting.slot !== 'seal' && waiting.user_id === userId) parts.push(...mine(doc, waiting, onDone));
      if (waiting.slot === 'seal' && mayWrite) parts.push(sealButton(doc, onDone));
    }
    if ((doc.slots || []).some((s) => s.signed_at)) {
      parts.push(h('p', { class: 'record-signed-links' },
        h('a', { class: 'btn', href: withLang(path(doc, '/pdf')), download: '', testid: 'record-signed-pdf' }, t('record.sign.download')),
        ' ',
        h('a', { class: 'btn', href: withLang('/verify'), testid: 'record-verify-link' }, t('record.sign.verify'))));
    }
    if (doc.status === 'issued') parts.push(h('p', { class: 'record-issued', testid: 'record-issued' }, t('record.sign.issued')));
    replaceChildren(el, ...parts);
  }

  function mine(doc, waiting, onDone) {
    const tokenButton = h('button', { type: 'button', class: 'btn primary big', testid: 'record-sign-token' }, t('record.sign.token'));
    tokenButton.onclick = () => busy(tokenButton, async () => {
      const made = await post(path(doc, '/sign-request'), {});
      command = { docId: doc.id, slot: made.slot, command: made.command };
      update(...last);
    }, errors);
    const fileButton = h('button', { type: 'button', class: 'btn big', testid: 'record-sign-p12-open' }, t('record.sign.p12'));
    fileButton.onclick = () => { pkcs12Open = !pkcs12Open; update(...last); };
    const out = [h('div', { class: 'record-sign-buttons' }, tokenButton, ' ', fileButton)];
    if (command) out.push(commandBox(command.command));
    if (pkcs12Open) out.push(pkcs12Form(doc, onDone));
    return out;
  }

  function commandBox(text) {
    const code = h('code', { class: 'sign-command', testid: 'record-sign-command' }, text);
    const copied = h('span', { class: 'hint', role: 'status', testid: 'record-sign-copied' });
    const copy = h('button', { type: 'button', class: 'btn big', testid: 'record-sign-copy' }, t('record.sign.copy'));
    copy.onclick = async () => {
      try {
        await navigator.clipboard.writeText(text);
        copied.textContent = t('record.sign.copied');
      } catch {
        copied.textContent = t('record.sign.copyFailed');
      }
    };
    return h('div', { class: 'sign-command-box', testid: 'record-sign-command-box' },
      h('p', null, t('record.sign.steps')),
      h('pre', null, code), copy, ' ', copied,
      h('p', { class: 'hint' }, t('record.sign.waitingAgent')));
  }

  function pkcs12Form(doc, onDone) {
    const file = h('input', { type: 'file', accept: '.p12,.pfx,application/x-pkcs12', testid: 'record-p12-file', required: true });
    const password = h('input', { type: 'password', autocomplete: 'off', testid: 'record-p12-password' });
    const submit = h('button', { type: 'submit', class: 'btn primary big', testid: 'record-p12-submit' }, t('record.sign.p12Submit'));
    const form = h('form', { class: 'record-p12-form', testid: 'record-p12-form' },
      h('label', null, t('record.sign.p12File'), ' ', file),
      h('label', null, t('record.sign.p12Password'), ' ', password),
      submit);
    form.onsubmit = (event) => {
      event.preventDefault();
      const body = new FormData();
      if (file.files[0]) body.append('file', file.files[0]);
      body.append('password', password.value);
      password.value = ''; // held for this one request only
      busy(submit, async () => {
        await post(path(doc, '/sign-pkcs12'), body);
        pkcs12Open = false;
        onDone();
      }, errors);
    };
    return form;
  }

  function sealButton(doc, onDone) {
    const button = h('button', { type: 'button', class: 'btn primary big', testid: 'record-seal' }, t('record.sign.seal'));
    button.onclick = () => busy(button, async () => { await post(path(doc, '/seal'), {}); onDone(); }, errors);
    return button;
  }

  return { el, update };
}
