// Kiểm tra chữ ký số (/verify): anyone signed in drops a signed PDF (or picks it with the big button) and sees each
// signature: who signed, when, valid or not, and whether the document changed after it. The server checks the file
// (POST /api/verify, in a worker); nothing is kept.
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import { upload } from '../reader/upload.js';
import { loading } from '../ui.js';

function when(iso) {
  if (!iso) return t('verify.noTime');
  return `${iso.slice(0, 10).split('-').reverse().join('/')} ${iso.slice(11, 19)} (${iso.slice(19) || '+07:00'})`;
}

function later(sig) {
  if (sig.later_changes === 'none') return t('verify.laterNone');
  if (sig.later_changes === 'signatures') return t('verify.laterSignatures');
  return t('verify.laterOther');
}

function fact(label, value, testid) {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', testid ? { testid } : {}, value));
}

function signatureCard(sig, index) {
  const status = sig.ok ? t('verify.valid') : t('verify.invalid');
  return h('li', { class: `verify-signature ${sig.ok ? 'ok' : 'bad'}`, testid: 'verify-signature', 'data-ok': String(sig.ok) },
    h('h2', {}, t('verify.signatureN', { n: index + 1 }), ' — ',
      h('span', { class: 'verify-status', testid: 'verify-status' }, status)),
    h('dl', { class: 'facts' },
      fact(t('verify.signer'), sig.signer || '—', 'verify-signer'),
      fact(t('verify.organisation'), sig.organisation || '—'),
      fact(t('verify.time'), when(sig.signing_time), 'verify-time'),
      fact(t('verify.timestamp'), sig.timestamp_present
        ? `${when(sig.timestamp_time)}${sig.timestamp_valid ? '' : ` — ${t('verify.invalid')}`}` : t('verify.noTimestamp')),
      fact(t('verify.intact'), sig.intact && sig.valid ? t('verify.yes') : t('verify.no')),
      fact(t('verify.trusted'), sig.trusted ? t('verify.yes') : t('verify.no')),
      fact(t('verify.later'), later(sig), 'verify-later'),
      fact(t('verify.issuer'), sig.issuer || '—')),
    h('p', { class: 'verify-summary' }, sig.summary));
}

export async function render({ root, setTitle }) {
  setTitle(t('verify.title'));
  const result = h('div', { class: 'verify-result', testid: 'verify-result', 'aria-live': 'polite' });
  const input = h('input', { type: 'file', accept: 'application/pdf,.pdf', testid: 'verify-file', class: 'visually-hidden', id: 'verify-file' });
  const zone = h('label', { class: 'verify-drop btn-large', testid: 'verify-drop', for: 'verify-file' },
    h('strong', {}, t('verify.drop')), h('span', {}, t('verify.dropHint')));

  const check = async (file) => {
    if (!file) return;
    replaceChildren(result, loading());
    try {
      const answer = await upload('/api/verify', { file });
      const all = answer.all_valid;
      replaceChildren(result,
        h('p', { class: `verify-overall ${all ? 'ok' : 'bad'}`, testid: 'verify-overall', role: 'status' },
          all ? t('verify.allValid', { n: answer.signatures.length }) : t('verify.notAllValid'),
          answer.changed_after_last_signature ? ` ${t('verify.changedAfterLast')}` : ''),
        h('ol', { class: 'verify-signatures' }, ...answer.signatures.map(signatureCard)));
    } catch (err) {
      replaceChildren(result, h('p', { class: 'verify-error', testid: 'verify-error', role: 'alert' },
        err && err.message ? err.message : t('error.network')));
    }
  };
  input.addEventListener('change', () => check(input.files && input.files[0]));
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    check(e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0]);
  });
  root.append(h('div', { class: 'verify-page', testid: 'verify-page' },
    h('h1', { class: 'page-title' }, t('verify.title')),
    h('p', {}, t('verify.intro')),
    input, zone, result));
}
