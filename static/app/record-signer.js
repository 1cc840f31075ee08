// The named signer's record page (docs/api.md "The named signer"): /meetings/<id>/record for a person who does not
// write the record but whom a document's signature slot names (a thông báo's signer, maybe outside the meeting).
// It shows only the documents naming them (`GET …/record` answers them as signer views): kind, number, state, the
// PDF, each slot's signing state and record-sign.js's signing panel — not the secretary's editor. It reads them
// again after their own signing, on `record.changed` when they have a part in the meeting (a socket there), and
// whenever the window comes back to the front (after the agent in the terminal).
//
// Also `awaitingPanel()`: "Văn bản chờ bạn ký", the signed-in person's documents whose turn is theirs
// (`GET /api/signatures/awaiting`), on "Cuộc họp của tôi" and the meeting page.
import { get, withLang } from './api.js';
import { h, replaceChildren } from './dom.js';
import { formatDateTime } from './format.js';
import { t, tMaybe } from './i18n.js';
import { MeetingChannel } from './live.js';
import { signPanel, slotList } from './record-sign.js';
import { emptyState } from './ui.js';

const enc = encodeURIComponent;
export const AWAITING_PATH = '/api/signatures/awaiting';

/** The document's heading: "Thông báo kết luận — Số: 01/TB-VPUT" (the number once approved). */
const heading = (doc) => [tMaybe('record.kind', doc.kind), doc.number_text ? ` — Số: ${doc.number_text}` : ''].join('');

/**
 * Fills `view` with the signer's page from `first` (the `GET …/record` answer with `view: "signer"`); answers the
 * page's cleanup.
 */
export function renderSigner({ view, meetingId, first, userId, setTitle, isCurrent }) {
  const panels = new Map(); // document id → its signPanel (kept across loads: an open .p12 form stays open)
  let generation = 0;

  function card(doc) {
    let panel = panels.get(doc.id);
    if (!panel) { panel = signPanel(); panels.set(doc.id, panel); }
    panel.update(doc, { userId, mayWrite: false, onDone: reload });
    const mine = (doc.slots || []).find((s) => s.user_id === userId);
    return h('section', { class: 'card record-signer-doc', testid: 'record-signer-doc', dataset: { documentId: doc.id, status: doc.status } },
      h('h2', { class: 'section-title', testid: 'record-signer-heading' }, heading(doc)),
      h('p', { class: 'record-state' },
        h('span', { class: ['badge', `badge-${doc.status}`], testid: 'record-status', dataset: { status: doc.status } }, tMaybe('record.status', doc.status)),
        ' ', h('span', { testid: 'record-version' }, t('record.version', { n: doc.version || 1 }))),
      mine && mine.signed_at
        ? h('p', { class: 'record-signer-done', testid: 'record-signer-done', role: 'status' }, t('record.signer.done', { time: formatDateTime(mine.signed_at) }))
        : null,
      h('p', null, h('a', { class: 'btn big', href: withLang(doc.pdf_url), target: '_blank', rel: 'noopener', testid: 'record-signer-pdf' }, t('record.signer.pdf'))),
      h('h3', { class: 'record-item-title' }, t('record.signatures')),
      slotList(doc),
      panel.el);
  }

  function draw(resp) {
    setTitle(t('record.signer.title'));
    const docs = (resp && resp.documents) || [];
    replaceChildren(view,
      h('div', { class: 'page-header' }, h('h1', { class: 'page-title', testid: 'page-title' }, t('record.signer.title'))),
      h('p', { class: 'record-signer-meeting', testid: 'record-signer-meeting' }, resp.title || ''),
      h('p', { class: 'field-hint' }, t('record.signer.hint')),
      docs.length ? docs.map(card) : emptyState(t('record.signer.none'), 'record-signer-none'));
  }

  /** Loads may overlap (a signature's answer and its own event): only the latest one started is shown. */
  async function reload() {
    const mine = ++generation;
    try {
      const resp = await get(`/api/meetings/${enc(meetingId)}/record`);
      if (mine === generation && isCurrent()) draw(resp);
    } catch (err) {
      if (mine === generation && isCurrent()) replaceChildren(view, emptyState(err.message, 'record-error'));
    }
  }

  draw(first);
  let channel = null;
  if (first.in_meeting) { // a part in the meeting: its socket tells them record.changed (docs/protocol.md)
    let seen = false;
    channel = new MeetingChannel(meetingId, {
      onUpdate: (s, info) => {
        const events = (info && info.events) || [];
        const resync = Boolean(info && ['rest', 'snapshot'].includes(info.source));
        if (seen && (resync || events.some((e) => /^record\./.test(e.type)))) reload();
        seen = true;
      },
      onError: () => {}, // the page works without it: it reads again on focus and after signing
    });
    channel.open().catch(() => {});
  }
  const onVisible = () => { if (!document.hidden) reload(); };
  document.addEventListener('visibilitychange', onVisible);
  window.addEventListener('focus', onVisible);
  return () => {
    document.removeEventListener('visibilitychange', onVisible);
    window.removeEventListener('focus', onVisible);
    if (channel) channel.close();
  };
}

/**
 * "Văn bản chờ bạn ký": a card listing the documents awaiting the person's signature, each a link to the record
 * page that signs it; hidden while there are none. `meetingId` limits it to one meeting (the meeting page).
 * Answers `{el, refresh}`.
 */
export function awaitingPanel(meetingId = null) {
  const el = h('section', { class: 'card record-awaiting', testid: 'record-awaiting', hidden: true, 'aria-labelledby': 'record-awaiting-h' });
  async function refresh() {
    let docs = [];
    try {
      docs = ((await get(AWAITING_PATH)) || {}).documents || [];
    } catch { return; } // a list of one's own: nothing shown when it cannot be read
    if (meetingId) docs = docs.filter((d) => d.meeting_id === meetingId);
    el.hidden = !docs.length;
    replaceChildren(el,
      h('h2', { id: 'record-awaiting-h', class: 'section-title' }, t('record.signer.awaiting')),
      h('ul', { class: 'record-awaiting-list' }, docs.map((d) => h('li', { testid: 'record-awaiting-item', dataset: { documentId: d.id } },
        h('a', { class: 'btn big', href: d.page, testid: 'record-awaiting-link' },
          `${heading(d)} · ${d.meeting_title}`, ' — ', tMaybe('record.slot', d.slot))))));
  }
  refresh();
  return { el, refresh };
}
