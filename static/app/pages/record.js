// The secretary's page, /meetings/<id>/record: the biên bản and the thông báo kết luận of a meeting.
//
// Bound to the agenda: per item a facts panel kept live from the server (the presenter, the papers, every speech
// with its site and duration, every vote with its counts and result; the attendance line and the sites at the
// top), and the secretary's two texts, diễn biến and kết luận, in rich-text editors that save themselves through
// a dropped connection (autosave.js). The document's status and version, "Gửi chủ tọa duyệt", the PDF preview
// (a draft prints DỰ THẢO) and the .docx. In review the chair reads, edits and comments per item ("Góp ý"),
// returns it to the secretary with a comment or approves it ("Duyệt và ban hành": the register gives the number,
// the content freezes); then the number, the files and each signature slot's state; the signing buttons are
// record-sign.js's, in `record-sign-actions`. A person who only signs (a slot names them, docs/api.md "The named
// signer") gets record-signer.js's page instead.
import { get, post, put, withLang } from '../api.js';
import { Autosaver, revisionOf, statusText } from '../autosave.js';
import { h, replaceChildren } from '../dom.js';
import { formatDateTime, formatTime } from '../format.js';
import { t, tMaybe } from '../i18n.js';
import { MeetingChannel } from '../live.js';
import { may, meetingPath } from '../meeting-common.js';
import { signPanel, slotList } from '../record-sign.js';
import { renderSigner } from '../record-signer.js';
import { RichText } from '../richtext.js';
import { getUser } from '../session.js';
import { busy, confirmDialog, dialog, emptyState, loading, showError } from '../ui.js';
import { guardUnsaved } from '../unsaved.js';

const FIELDS = ['discussion', 'conclusion'];
const KINDS = ['bien_ban', 'thong_bao'];
const EDITABLE = { draft: 'record.write', in_review: 'record.review' };
const enc = encodeURIComponent;
export const docPath = (doc, rest = '') => `/api/record/${enc(doc)}${rest}`;
export const recordPagePath = (meetingId) => `/meetings/${enc(meetingId)}/record`;

/** Whether the person may open the record page of this meeting (the meeting page's and the console's link). */
export const mayOpenRecord = (snap) => ['record.write', 'record.review', 'record.read'].some((p) => may(snap, p));

/** The document from `GET /api/record/{doc}` (bare) or an action's answer (`{document: {…}}`). */
const docOf = (resp) => (resp && (resp.document || resp)) || null;
/** The server's default for a part never saved (an opening/closing part: the same the PDF prints), or ''. */
const defaultOf = (doc, part, field) => (((doc && doc.defaults && doc.defaults.texts) || []).find((x) => x.part === part && x.field === field) || {}).html || '';
/** One text of the document (`texts`: [{part, field, html, revision, saved_by_name, saved_at}]); revision 0: none yet. */
const textOf = (doc, part, field) => ((doc && doc.texts) || []).find((x) => x.part === part && x.field === field)
  || { part, field, html: defaultOf(doc, part, field), revision: 0 };
/** The document's opening and closing parts as the item cards' shape; the field each kind prints them in. */
const PARTS = ['opening', 'closing'];
const partField = (doc) => (doc && doc.kind === 'thong_bao' ? 'conclusion' : 'discussion');
/** "Số: 01/BB-UBND" once the register gave the number (the server's `number_text`, built once). */
export const numberText = (doc) => (doc && doc.number_text ? `Số: ${doc.number_text}` : '');
const seconds = (s) => {
  const n = Math.max(0, Math.round(Number(s) || 0));
  return n >= 60 ? t('record.minSec', { m: Math.floor(n / 60), s: n % 60 }) : t('record.sec', { s: n });
};

export async function render({ root, params, setTitle, isCurrent }) {
  const meetingId = params.id;
  const user = getUser();
  const view = h('div', { class: 'record-page', testid: 'record-page' }, loading());
  root.append(view);
  // a person whom a document's signature slot names, without the record's workspace: the signer's page instead
  let first;
  try {
    first = await get(meetingPath(meetingId, '/record'));
  } catch (err) {
    if (isCurrent()) replaceChildren(view, emptyState(err.message, 'record-error'));
    return () => {};
  }
  if (first && first.view === 'signer') {
    return renderSigner({ view, meetingId, first, userId: user && user.id, setTitle, isCurrent });
  }
  let snap = null;
  let docs = []; // the meeting's record documents: [{id, kind, status, version, …}]
  let doc = null; // the one shown, in full
  let kind = 'bien_ban';
  let facts = { items: [] }; // what the log knows for the minutes (`GET …/record`'s `facts`)
  const editors = new Map(); // "item/field" → RichText
  const statusLine = h('p', { class: 'autosave-status', testid: 'autosave-status', role: 'status', dataset: { state: 'saved', pending: '0' } });
  const head = h('div', { class: 'record-head' });
  const summary = h('section', { class: 'card record-summary', testid: 'record-summary' });
  const itemsBox = h('div', { class: 'record-items', testid: 'record-items' });
  const signBox = h('section', { class: 'card record-signatures', testid: 'record-signatures', hidden: true });
  const signing = signPanel(); // record-sign.js: the signing buttons, the agent's command, the seal

  const saver = new Autosaver({
    userId: user ? user.id : 'anon',
    onStatus: (s) => {
      statusLine.textContent = statusText(s);
      statusLine.dataset.state = s.state;
      statusLine.dataset.pending = String(s.pending);
    },
    onSaved: (change, resp) => {
      if (!doc || doc.id !== change.doc || !resp || !resp.text) return;
      doc.texts = [...(doc.texts || []).filter((x) => x.part !== change.item || x.field !== change.field), resp.text];
    },
    onConflict: (change) => resolveConflict(change),
    // another tab of this person typed into a text: show its newest text here too (its save comes as record.changed)
    onAdopt: (text, html) => {
      const editor = doc && doc.id === text.doc ? editors.get(`${text.item}/${text.field}`) : null;
      if (editor && html !== null && editor.html() !== html) editor.setHtml(html);
    },
    onRejected: (change, err) => { if (isCurrent()) showError(err); },
  });
  window.__record = { saver }; // for the devtools console and tests: the outbox and its state
  const offGuard = guardUnsaved(() => saver.pendingCount() > 0 && !navigator.onLine);

  const editable = () => Boolean(doc && EDITABLE[doc.status] && may(snap, EDITABLE[doc.status]));
  const agenda = () => (snap && Array.isArray(snap.agenda) ? snap.agenda : []);

  // ------------------------------------------------------------ loading

  /** The meeting's documents and the log's facts. A corrected document's newer version replaces it on screen. */
  async function loadRecord() {
    const resp = await get(meetingPath(meetingId, '/record'));
    docs = ((resp && resp.documents) || []).filter((d) => !d.replaced_by_id);
    facts = (resp && resp.facts) || { items: [] };
  }


  /** A newer state of the document from the server: texts with no change waiting take the server's revision. */
  function adoptTexts() {
    if (!doc) return;
    for (const [key, editor] of editors) {
      const [item, field] = key.split('/');
      const text = textOf(doc, item, field);
      if (saver.pendingHtml(doc.id, item, field) !== null) continue;
      saver.setRevision(doc.id, item, field, text.revision);
      if (document.activeElement !== editor.area && editor.html() !== text.html) editor.setHtml(text.html);
    }
  }

  // ------------------------------------------------------------ the conflict

  /** Both texts side by side; the person keeps theirs, takes the other or merges by hand. Never silent. */
  async function resolveConflict(change) {
    let current;
    try { current = docOf(await get(docPath(change.doc))); } catch (err) { showError(err); return { html: change.html }; }
    const theirs = textOf(current, change.item, change.field);
    const other = revisionOf({ text: theirs });
    const mine = new RichText({ label: t('record.conflictMine'), testid: 'conflict-mine', html: change.html, readOnly: true });
    const saved = new RichText({ label: t('record.conflictTheirs', { name: other.by, time: formatTime(other.at) }), testid: 'conflict-theirs', html: theirs.html, readOnly: true });
    const merged = new RichText({ label: t('record.conflictMerged'), testid: 'conflict-merged', html: `${change.html}${theirs.html}` });
    const mergeBox = h('div', { class: 'conflict-merge', hidden: true }, h('h3', null, t('record.conflictMerged')), merged.el);
    return new Promise((resolve) => {
      const dlg = h('dialog', { class: 'dialog dialog-wide', testid: 'conflict-dialog' });
      let answer = null;
      const choose = (html) => { answer = { html, base: theirs.revision }; dlg.close(); };
      const keepMine = h('button', { type: 'button', class: 'btn btn-primary', testid: 'conflict-keep-mine', onclick: () => choose(change.html) }, t('record.conflictKeepMine'));
      const takeTheirs = h('button', { type: 'button', class: 'btn', testid: 'conflict-take-theirs', onclick: () => { answer = null; dlg.close(); } }, t('record.conflictTakeTheirs'));
      const mergeSave = h('button', { type: 'button', class: 'btn btn-primary', testid: 'conflict-merge-save', hidden: true, onclick: () => choose(merged.html()) }, t('record.conflictMergeSave'));
      const mergeBtn = h('button', { type: 'button', class: 'btn', testid: 'conflict-merge', onclick: () => { mergeBox.hidden = false; mergeSave.hidden = false; mergeBtn.hidden = true; merged.focus(); } }, t('record.conflictMergeStart'));
      dlg.append(h('div', { class: 'dialog-form' },
        h('h2', { class: 'dialog-title' }, t('record.conflictTitle')),
        h('p', { class: 'dialog-text' }, t('record.conflictText')),
        h('div', { class: 'conflict-sides' },
          h('div', { class: 'conflict-side' }, h('h3', null, t('record.conflictMine')), mine.el),
          h('div', { class: 'conflict-side' }, h('h3', { testid: 'conflict-theirs-title' }, t('record.conflictTheirs', { name: other.by || '—', time: formatTime(other.at) })), saved.el)),
        mergeBox,
        h('div', { class: 'dialog-actions' }, takeTheirs, mergeBtn, mergeSave, keepMine)));
      dlg.addEventListener('cancel', (e) => e.preventDefault()); // Esc must not decide for them
      dlg.addEventListener('close', () => {
        dlg.remove();
        const editor = editors.get(`${change.item}/${change.field}`);
        saver.setRevision(change.doc, change.item, change.field, theirs.revision);
        if (editor && doc && doc.id === change.doc) editor.setHtml(answer ? answer.html : theirs.html);
        resolve(answer);
      });
      document.body.append(dlg);
      dlg.showModal();
      keepMine.focus();
    });
  }

  // ------------------------------------------------------------ rendering

  function renderHead() {
    const tabs = h('div', { class: 'record-tabs', role: 'tablist' },
      KINDS.map((k) => {
        const exists = docs.some((d) => d.kind === k);
        return h('button', {
          type: 'button', role: 'tab', class: ['btn', k === kind ? 'btn-primary' : ''], testid: `record-tab-${k}`,
          'aria-selected': k === kind ? 'true' : 'false', disabled: !exists && k !== kind,
          onclick: () => { if (k !== kind) { kind = k; reload(); } },
        }, t(`record.kind.${k}`));
      }));
    const actions = [];
    if (doc) {
      actions.push(h('a', { class: 'btn', href: withLang(docPath(doc.id, '/pdf')), target: '_blank', rel: 'noopener', testid: 'record-pdf' },
        doc.status === 'draft' || doc.status === 'in_review' ? t('record.pdfDraft') : t('record.pdf')));
      actions.push(h('a', { class: 'btn', href: withLang(docPath(doc.id, '/docx')), testid: 'record-docx' }, t('record.docx')));
      if (doc.status === 'draft' && may(snap, 'record.write')) actions.push(actionButton('record-submit', t('record.submit'), () => submit()));
      if (doc.status === 'in_review' && may(snap, 'record.review')) {
        actions.push(actionButton('record-return', t('record.return'), () => giveBack()));
        actions.push(actionButton('record-approve', t('record.approve'), () => approve(), 'btn btn-primary'));
      }
      if (doc.status === 'issued' && may(snap, 'record.write')) actions.push(actionButton('record-correct', t('record.correct'), () => correct()));
    }
    if (doc && doc.kind === 'bien_ban' && !docs.some((d) => d.kind === 'thong_bao') && may(snap, 'record.write')) {
      actions.push(actionButton('record-create-conclusion', t('record.createConclusion'), () => create('thong_bao')));
    }
    replaceChildren(head,
      h('div', { class: 'page-header' },
        h('h1', { class: 'page-title', testid: 'page-title' }, t('record.title', { title: snap.title })),
        h('div', { class: 'page-actions' }, actions)),
      tabs,
      doc ? h('p', { class: 'record-state' },
        h('span', { class: ['badge', `badge-${doc.status}`], testid: 'record-status', dataset: { status: doc.status } }, tMaybe('record.status', doc.status)),
        ' ', h('span', { testid: 'record-version' }, t('record.version', { n: doc.version || 1 })),
        numberText(doc) ? h('strong', { class: 'record-number', testid: 'record-number' }, numberText(doc)) : null,
        doc.replaces_id ? h('span', { testid: 'record-replaces' }, t('record.replaces', { reason: doc.correction_reason || '' })) : null,
        doc.status === 'draft' && doc.return_comment ? h('p', { class: 'record-returned', testid: 'record-return-comment' }, t('record.returned', { comment: doc.return_comment })) : null) : null,
      doc && editable() ? statusLine : null);
  }

  function actionButton(testid, label, fn, cls = 'btn') {
    const b = h('button', { type: 'button', class: cls, testid }, label);
    b.addEventListener('click', () => busy(b, fn));
    return b;
  }

  function renderSummary() {
    const people = (list) => (list || []).map((x) => (x.note ? `${x.name} (${x.note})` : x.name)).join('; ');
    const quorum = snap.quorum;
    const line = quorum ? (quorum.line || t('attendance.quorumMet', { present: quorum.present, base: quorum.base, needed: quorum.needed })) : '';
    replaceChildren(summary,
      h('h2', { class: 'section-title' }, t('record.summary')),
      h('p', { testid: 'record-when' }, formatDateTime(facts.started_at || snap.starts_at),
        facts.ended_at ? ` – ${formatTime(facts.ended_at)}` : '', snap.location ? ` · ${snap.location}` : ''),
      facts.host_site ? h('p', { testid: 'record-host-site' }, t('record.hostSite', { name: facts.host_site })) : null,
      (facts.sites_connected || []).length ? h('p', { testid: 'record-sites' }, t('record.sites', { n: facts.sites_connected.length, names: facts.sites_connected.join(', ') })) : null,
      line ? h('p', { testid: 'record-attendance' }, line) : null,
      h('p', { testid: 'record-present' }, t('record.present', { n: (facts.present || []).length })),
      (facts.late || []).length ? h('p', { testid: 'record-late' }, t('record.late', { names: people(facts.late) })) : null,
      (facts.absent || []).length ? h('p', { testid: 'record-absent' }, t('record.absent', { names: people(facts.absent) })) : null);
  }

  function voteLine(v) {
    const counts = Object.entries(v.counts || {}).map(([choice, n]) => `${tMaybe('record.choice', choice)} ${n}`).join(', ');
    return `${v.question}${v.secret ? ` (${t('record.secret')})` : ''}: ${counts} — ${v.outcome}`;
  }

  function factsPanel(item) {
    const f = (facts.items || []).find((x) => x.item_id === item.id) || {};
    const speeches = f.speeches || [];
    const votes = f.votes || [];
    const papers = f.papers || [];
    const presenter = f.presenter || item.presenter_name;
    return h('div', { class: 'record-facts', testid: 'record-facts', dataset: { itemId: item.id } },
      f.started_at ? h('p', { testid: 'facts-times' }, t('record.itemTimes', { from: formatTime(f.started_at), to: f.ended_at ? formatTime(f.ended_at) : '…' })) : null,
      presenter ? h('p', { testid: 'facts-presenter' }, t('meeting.presenter', { name: presenter })) : null,
      papers.length ? h('p', { testid: 'facts-papers' }, t('record.papers', { names: papers.join('; ') })) : null,
      h('h4', null, t('record.speeches', { n: speeches.length })),
      speeches.length ? h('ul', { class: 'facts-list' }, speeches.map((x) => h('li', { testid: 'facts-speech' },
        `${x.speaker}${x.site ? ` (${x.site})` : ''} · ${formatTime(x.started_at)} · ${x.seconds ? seconds(x.seconds) : t('record.speaking')}`))) : null,
      votes.length ? h('h4', null, t('record.votes', { n: votes.length })) : null,
      votes.length ? h('ul', { class: 'facts-list' }, votes.map((v) => h('li', { testid: 'facts-vote' }, voteLine(v)))) : null);
  }

  function editorFor(item, field) {
    const key = `${item.id}/${field}`;
    const text = textOf(doc, item.id, field);
    const pending = saver.pendingHtml(doc.id, item.id, field);
    // with a change waiting (after a reload), its own base revision stands; else the editor shows the server's
    if (pending === null) saver.setRevision(doc.id, item.id, field, text.revision);
    const editor = new RichText({
      label: `${t(`record.field.${field}`)} — ${item.title}`, testid: `editor-${field}`,
      html: pending !== null ? pending : text.html, readOnly: !editable(),
      onChange: (html) => saver.change({ doc: doc.id, item: item.id, field, html }),
      onBlur: () => saver.flush(),
    });
    editor.el.dataset.itemId = item.id;
    editors.set(key, editor);
    return h('div', { class: 'record-field' }, h('h4', null, t(`record.field.${field}`)), editor.el);
  }

  function commentsFor(item) {
    const list = ((doc && doc.comments) || []).filter((c) => c.part === item.id);
    const mayComment = doc && ['draft', 'in_review'].includes(doc.status) && (may(snap, 'record.review') || may(snap, 'record.write'));
    const add = mayComment ? actionButton('record-comment', t('record.comment'), async () => {
      const answer = await dialog({ title: t('record.commentTitle', { title: item.title }), testid: 'comment-dialog', confirmLabel: t('record.commentSend'),
        fields: [{ name: 'text', label: t('record.commentLabel'), required: true }] });
      if (!answer) return;
      await post(docPath(doc.id, '/comments'), { part: item.id, text: answer.text });
      await reload();
    }, 'btn btn-small') : null;
    return h('div', { class: 'record-comments', testid: 'record-comments' },
      list.map((c) => h('p', { class: 'record-comment', testid: 'record-comment-text' },
        h('strong', null, `${c.author_name || c.author_id || ''} · ${formatTime(c.created_at)}: `), c.text)),
      add);
  }

  /** The opening or closing part: one editor, starting from the server's default until someone saves it. */
  function partCard(part) {
    const field = partField(doc);
    const pseudo = { id: part, title: t(`record.part.${part}`) };
    const text = textOf(doc, part, field);
    return h('section', { class: 'card record-item record-part', testid: `record-part-${part}`, dataset: { itemId: part } },
      h('h3', { class: 'record-item-title' }, t(`record.part.${part}`)),
      text.revision === 0 && text.html ? h('p', { class: 'field-hint', testid: 'record-part-default' }, t('record.part.defaultHint')) : null,
      editorFor(pseudo, field));
  }

  /** "Nơi nhận": one line each, the secretary's while a draft; until saved the server's defaults. */
  function recipientsCard() {
    const shown = doc.recipients ?? ((doc.defaults && doc.defaults.recipients) || []);
    const mayEdit = doc.status === 'draft' && may(snap, 'record.write');
    const area = h('textarea', { class: 'input record-recipients-input', testid: 'record-recipients-input', rows: Math.max(3, shown.length + 1), readOnly: !mayEdit, 'aria-label': t('record.recipients') });
    area.value = shown.join('\n');
    const saveList = async (recipients) => {
      await put(docPath(doc.id, '/recipients'), { recipients });
      await reload();
    };
    return h('section', { class: 'card record-recipients', testid: 'record-recipients' },
      h('h3', { class: 'record-item-title' }, t('record.recipients')),
      mayEdit ? h('p', { class: 'field-hint' }, t('record.recipientsHint')) : null,
      area,
      mayEdit ? h('div', { class: 'page-actions' },
        actionButton('record-recipients-save', t('record.recipientsSave'), () => saveList(area.value.split('\n').map((x) => x.trim()).filter(Boolean)), 'btn btn-primary'),
        doc.recipients !== null && doc.recipients !== undefined ? actionButton('record-recipients-default', t('record.recipientsDefault'), () => saveList(null)) : null) : null);
  }

  /** The "Nơi nhận" card again from the document, unless someone is editing it (their lines stay). */
  function refreshRecipients() {
    const card = itemsBox.querySelector('[data-testid="record-recipients"]');
    if (card && doc && !card.contains(document.activeElement)) card.replaceWith(recipientsCard());
  }

  function renderItems() {
    editors.clear();
    if (!doc) {
      const start = may(snap, 'record.write') ? actionButton('record-create', t('record.create'), () => create('bien_ban'), 'btn btn-primary') : null;
      replaceChildren(itemsBox, emptyState(t('record.none'), 'record-none'), start);
      return;
    }
    const items = agenda();
    // The thông báo prints only each item's conclusion; the biên bản both texts.
    const fields = doc.kind === 'thong_bao' ? ['conclusion'] : FIELDS;
    replaceChildren(itemsBox, partCard(PARTS[0]), items.map((item, i) => h('section', { class: 'card record-item', testid: 'record-item', dataset: { itemId: item.id } },
      h('h3', { class: 'record-item-title' }, `${i + 1}. ${item.title}`),
      h('div', { class: 'record-item-body' },
        factsPanel(item),
        h('div', { class: 'record-texts' }, fields.map((f) => editorFor(item, f)), commentsFor(item))))),
    partCard(PARTS[1]), recipientsCard());
  }

  function renderFacts() {
    for (const panel of itemsBox.querySelectorAll('[data-testid="record-facts"]')) {
      const item = agenda().find((x) => x.id === panel.dataset.itemId);
      if (item) panel.replaceWith(factsPanel(item));
    }
    renderSummary();
  }

  function renderSignatures() {
    signBox.hidden = !doc || !['signing', 'issued'].includes(doc.status);
    if (signBox.hidden) return;
    replaceChildren(signBox, h('h2', { class: 'section-title' }, t('record.signatures')), slotList(doc), signing.el);
    signing.update(doc, { userId: user && user.id, mayWrite: may(snap, 'record.write'), onDone: reload });
  }

  /**
   * The item cards are built again only when the document, its status or the agenda changed: otherwise the
   * editors stay (with the focus and the caret of whoever is typing) and take the server's newer texts, comments
   * and facts in place.
   */
  let itemsKey = null;
  function syncItems() {
    const key = doc ? `${doc.id}:${doc.status}:${agenda().map((i) => i.id).join(',')}` : 'none';
    if (key !== itemsKey) { itemsKey = key; renderItems(); return; }
    adoptTexts();
    refreshRecipients();
    for (const box of itemsBox.querySelectorAll('[data-testid="record-comments"]')) {
      const item = agenda().find((x) => x.id === box.closest('[data-testid="record-item"]').dataset.itemId);
      if (item) box.replaceWith(commentsFor(item));
    }
    renderFacts();
  }

  function renderAll() {
    setTitle(t('record.title', { title: snap.title }));
    renderHead();
    renderSummary();
    syncItems();
    renderSignatures();
    if (!view.contains(itemsBox)) replaceChildren(view, head, summary, signBox, itemsBox);
  }

  // ------------------------------------------------------------ actions

  /** The review's steps act on what the server holds: every change goes first, or the step waits. */
  async function flushFirst() {
    if (!await saver.settle(doc.id)) throw new Error(t('record.unsavedFirst'));
  }

  async function create(which) {
    const resp = await post(meetingPath(meetingId, '/record'), { kind: which });
    kind = which;
    if (resp) { const d = docOf(resp); if (d && d.id) kind = d.kind || which; }
    await reload();
  }

  async function submit() {
    await flushFirst();
    await post(docPath(doc.id, '/submit'), {});
    await reload();
  }

  async function giveBack() {
    await flushFirst();
    const answer = await dialog({ title: t('record.return'), testid: 'return-dialog', confirmLabel: t('record.return'),
      fields: [{ name: 'comment', label: t('record.returnComment'), required: true }] });
    if (!answer) return;
    await post(docPath(doc.id, '/return'), { comment: answer.comment });
    await reload();
  }

  async function approve() {
    await flushFirst();
    if (!await confirmDialog(t('record.approveConfirm'), { title: t('record.approve'), confirmLabel: t('record.approve') })) return;
    await post(docPath(doc.id, '/approve'), {});
    await reload();
  }

  async function correct() {
    const answer = await dialog({ title: t('record.correct'), testid: 'correct-dialog', confirmLabel: t('record.correct'),
      fields: [{ name: 'reason', label: t('record.correctReason'), required: true }] });
    if (!answer) return;
    const resp = await post(docPath(doc.id, '/correct'), { reason: answer.reason });
    const d = docOf(resp);
    if (d && d.id) doc = d;
    await reload();
  }

  /**
   * The documents' list and the one shown (texts, comments, slots), after an action, a `record.changed` or a
   * resync. Loads may overlap (an action's answer and its own event): only the latest one started is shown.
   */
  let generation = 0;
  async function reload() {
    const mine = ++generation;
    try {
      await loadRecord();
      // the newest version of a kind: a correction in the making stands before the issued one it will replace
      const latest = (k) => docs.filter((d) => d.kind === k).sort((x, y) => (y.version || 0) - (x.version || 0))[0];
      const shown = latest(kind) || latest('bien_ban') || null;
      const next = shown ? docOf(await get(docPath(shown.id))) : null;
      if (mine !== generation || !isCurrent() || !snap) return;
      doc = next;
      if (doc) kind = doc.kind;
      renderAll();
    } catch (err) {
      if (mine === generation && isCurrent() && !view.contains(itemsBox)) replaceChildren(view, emptyState(err.message, 'record-error'));
    }
  }

  // ------------------------------------------------------------ live

  let factsTimer = null;
  const FACT_EVENTS = /^(meeting\.|floor\.|vote\.|attendance\.|paper\.|agenda\.)/;
  const channel = new MeetingChannel(meetingId, {
    onUpdate: (s, info) => {
      const first = !snap;
      snap = s;
      if (first) { reload(); return; }
      const events = (info && info.events) || [];
      const resync = Boolean(info && ['rest', 'snapshot'].includes(info.source)); // back after a hole or a restart
      if (resync || events.some((e) => /^record\./.test(e.type))) reload();
      if (resync || events.some((e) => FACT_EVENTS.test(e.type))) {
        clearTimeout(factsTimer); // a burst of events (a vote's ballots) refetches once
        factsTimer = setTimeout(() => loadRecord().then(() => { if (isCurrent() && view.contains(itemsBox)) syncItems(); }).catch(() => {}), 300);
      }
    },
    // only a meeting one may no longer see ends the page; a refused sync while the server restarts is retried
    onError: (err) => { if (err.fatal && isCurrent()) replaceChildren(view, emptyState(err.message, 'record-error')); },
  });
  channel.open().catch((err) => { if (isCurrent()) replaceChildren(view, emptyState(err.message, 'record-error')); });
  const onHide = () => saver.flush();
  window.addEventListener('pagehide', onHide);

  return () => {
    saver.flush();
    saver.close();
    offGuard();
    clearTimeout(factsTimer);
    window.removeEventListener('pagehide', onHide);
    channel.close();
  };
}
