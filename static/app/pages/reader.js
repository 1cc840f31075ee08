// The paper reader (`/meetings/<id>/papers/<paper_id>`), tablet first.
//
// - Pages one at a time (reader/viewer.js): swipe or tap to turn, pinch to zoom, thumbnails, search inside the
//   paper (the server's `…/search` online; offline the cached text layer, tones ignored: "bien ban" finds "Biên bản").
// - Follow the presenter: the snapshot's `presentation` moves every reader in follow mode; browsing away leaves
//   follow mode, and "Theo người trình bày" snaps back. The chair, the secretary or the item's presenter present:
//   each page turn (and, a few times a second, zoom and pan) is `POST …/present`.
// - Private ink, highlights that snap to the text, sticky notes; the presenter's shared layer. Every change goes
//   through the outbox (reader/outbox.js) with a client-made id, so a tablet without Wi-Fi keeps its ink and sends
//   it later; `annotation.saved` / `annotation.deleted` bring the same changes to the person's other devices.
// - Comments on drafts pinned to a place; the organisers' list with status, answer and export.
// - The pages download in the background (reader/prefetch.js): "Đã tải 37/100 trang". Restricted papers (tài liệu
//   mật) are shown online only, never stored, and without the original file.
import { get, post, patch, withLang } from '../api.js';
import { h, replaceChildren, clear, asList } from '../dom.js';
import { t } from '../i18n.js';
import { live, MeetingChannel } from '../live.js';
import { getUser } from '../session.js';
import { busy, showError, showNotice, loading } from '../ui.js';
import { isOrganiser, meetingPath } from '../meeting-common.js';
import { searchText } from '../reader/fold.js';
import { snapHighlight } from '../reader/highlight.js';
import { hits as touches, HIGHLIGHT_COLORS, PEN_COLORS, hasPen } from '../reader/ink.js';
import { clientId, outboxFor } from '../reader/outbox.js';
import {
  chooseWidth, keepForOffline, largerWidth, pageUrl, prefetcher, registerServiceWorker, textUrl, thumbUrl, versionPath,
} from '../reader/prefetch.js';
import { PaperViewer } from '../reader/viewer.js';
import { forgetGone, loadPapers, papersPath, prefetchAll, progressBadge, readerPath } from './papers.js';

const enc = encodeURIComponent;
const PRESENT_THROTTLE_MS = 250;
const MANAGER_ROLES = ['organizer', 'chair', 'secretary', 'admin'];

function sessionFlag(key, fallback) {
  try {
    const v = sessionStorage.getItem(key);
    return v === null ? fallback : v === 'true';
  } catch { return fallback; }
}
function setSessionFlag(key, value) {
  try { sessionStorage.setItem(key, value ? 'true' : 'false'); } catch { /* ignore */ }
}

/** A small modal with a text area (notes, comments): resolves with {action, text} or null. */
function textDialog({ title, text = '', value = '', confirmLabel, testid, readOnly = false, extra = null, deleteLabel = null }) {
  return new Promise((resolve) => {
    const area = h('textarea', { class: 'input', rows: 4, testid: `${testid}-text`, maxlength: 5000, readOnly, 'aria-label': title });
    area.value = value;
    let result = null;
    const dlg = h('dialog', { class: 'dialog', testid });
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', { class: 'dialog-title' }, title),
      text ? h('p', { class: 'dialog-text' }, text) : null,
      extra,
      readOnly && !value ? null : area,
      h('div', { class: 'dialog-actions' },
        deleteLabel ? h('button', { type: 'button', class: 'btn btn-danger-outline', testid: `${testid}-delete`, onclick: () => { result = { action: 'delete' }; dlg.close(); } }, deleteLabel) : null,
        h('button', { type: 'button', class: 'btn', testid: 'dialog-cancel', onclick: () => dlg.close() }, readOnly ? t('common.close') : t('common.cancel')),
        readOnly ? null : h('button', { type: 'submit', class: 'btn btn-primary', testid: 'dialog-confirm' }, confirmLabel || t('common.save'))));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!area.value.trim()) { area.focus(); return; }
      result = { action: 'save', text: area.value.trim() };
      dlg.close();
    });
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    dlg.append(form);
    document.body.append(dlg);
    dlg.showModal();
    (readOnly ? form.querySelector('[data-testid="dialog-cancel"]') : area).focus();
  });
}

export async function render({ root, params, query, setTitle, isCurrent, navigate }) {
  const meetingId = params.id;
  const paperId = params.paperId;
  const user = getUser();
  const me = user ? user.id : null;
  const outbox = outboxFor(me);
  registerServiceWorker();
  document.body.classList.add('is-reading');

  const view = h('div', { class: 'reader', testid: 'reader', dataset: { paperId, follow: 'true', presenting: 'false' } }, loading());
  root.append(view);

  // ---------------------------------------------------------------- state
  let paper = null;
  let version = null;
  let snap = null;
  let papers = [];
  let papersLoaded = false;
  const serverAnns = new Map(); // id -> annotation (this paper, every version)
  const wordsByVersion = new Map(); // version -> pages of words, or a promise
  let comments = [];
  let searchHits = [];
  let tool = 'browse';
  let penColor = PEN_COLORS[0];
  let markColor = HIGHLIGHT_COLORS[0];
  let sharedLayer = false;
  let panel = window.innerWidth >= 1100 ? 'thumbs' : null;
  const undoStack = [];
  let follow = sessionFlag(`ms.follow.${meetingId}`, true);
  let presentingHere = sessionFlag(`ms.presenting.${meetingId}`, false);
  let lastApplied = null;
  let presentTimer = null;
  let presentPending = null;
  let presentSentAt = 0;
  let closed = false;
  let channel = null;
  let wasOnline = live.state === 'online';
  const cleanups = [];

  // ---------------------------------------------------------------- load the paper
  try {
    paper = asPaper(await get(meetingPath(meetingId, `/papers/${enc(paperId)}`)));
  } catch (err) {
    document.body.classList.remove('is-reading');
    replaceChildren(view, h('a', { href: papersPath(meetingId), class: 'back-link', testid: 'reader-back' }, t('reader.back')));
    throw err;
  }
  if (!isCurrent()) { document.body.classList.remove('is-reading'); return undefined; }
  const askedVersion = Number(query.get('v'));
  version = (paper.versions || []).some((v) => v.version === askedVersion) ? askedVersion : paper.current_version;

  function asPaper(resp) { return resp && resp.paper ? resp.paper : resp; }
  const versionInfo = () => (paper.versions || []).find((v) => v.version === version) || paper.versions[paper.versions.length - 1];
  const restricted = () => Boolean(paper.restricted || paper.access === 'restricted');
  const baseWidth = () => chooseWidth(paper.widths);
  const manages = () => Boolean(snap && MANAGER_ROLES.includes(snap.my_role));

  // ---------------------------------------------------------------- DOM
  const viewer = new PaperViewer({
    onView: (v, source) => viewChanged(v, source),
    onStroke: (points) => addInk(points),
    onHighlight: (from, to, points) => addHighlight(from, to, points),
    onPlace: (kind, x, y) => (kind === 'note' ? addNote(x, y) : addComment(x, y)),
    onErase: (x, y) => erase(x, y),
    onPin: (pin) => openPin(pin),
    snap: (from, to) => {
      const words = wordsOf(viewer.page);
      const s = words ? snapHighlight(words, from, to) : null;
      return s ? s.rects : null;
    },
  });
  cleanups.push(() => viewer.destroy());

  const titleEl = h('h1', { class: 'reader-title', testid: 'reader-title' });
  const pageNo = h('span', { class: 'reader-page-no', testid: 'reader-page-number', 'aria-live': 'polite' });
  const versionBox = h('span', { class: 'reader-version-box' });
  const progressBox = h('span', { class: 'reader-progress-box' });
  const restrictedNote = h('p', { class: 'reader-restricted', testid: 'restricted-note', hidden: true }, t('reader.restrictedNote'));
  const outboxStatus = h('span', { class: 'outbox-status', testid: 'outbox-status', dataset: { pending: '0' }, role: 'status', hidden: true });
  const followBtn = h('button', { type: 'button', class: 'btn btn-primary follow-btn', testid: 'follow-presenter', hidden: true }, t('reader.follow'));
  const presenterBanner = h('span', { class: 'presenter-banner', testid: 'presenter-banner', hidden: true });
  const presentBtn = h('button', { type: 'button', class: 'btn present-btn', testid: 'present-toggle', hidden: true, 'aria-pressed': 'false' }, t('reader.present'));
  const newVersionBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'reader-new-version', hidden: true });
  const exportLink = h('a', { class: 'btn btn-small', testid: 'export-annotated', download: true }, t('reader.exportMine'));
  const originalLink = h('a', { class: 'btn btn-small', testid: 'download-original', download: true }, t('reader.original'));
  const panelBox = h('aside', { class: 'reader-panel', testid: 'reader-panel', hidden: true });

  const iconBtn = (testid, label, text, onclick) => h('button', { type: 'button', class: 'btn btn-icon', testid, title: label, 'aria-label': label, onclick }, text);
  const prevBtn = iconBtn('reader-prev', t('reader.prev'), '‹', () => viewer.prev('user'));
  const nextBtn = iconBtn('reader-next', t('reader.next'), '›', () => viewer.next('user'));
  const panelBtn = (mode, testid, label, text) => {
    const b = h('button', { type: 'button', class: 'btn btn-small panel-toggle', testid, 'aria-pressed': 'false', dataset: { mode } }, text || label);
    b.addEventListener('click', () => { panel = panel === mode ? null : mode; renderPanel(); });
    return b;
  };
  const thumbsBtn = panelBtn('thumbs', 'reader-thumbs-toggle', t('reader.thumbs'));
  const searchBtn = panelBtn('search', 'reader-search-toggle', t('reader.search'));
  const commentsBtn = panelBtn('comments', 'reader-comments-toggle', t('reader.comments'));

  const toolBtn = (name, label, icon) => {
    const b = h('button', { type: 'button', class: 'btn btn-small tool-btn', testid: `tool-${name}`, 'aria-pressed': 'false', dataset: { tool: name }, title: label, 'aria-label': label },
      h('span', { 'aria-hidden': 'true' }, icon), h('span', { class: 'tool-label' }, label));
    b.addEventListener('click', () => setTool(tool === name && name !== 'browse' ? 'browse' : name));
    return b;
  };
  const tools = [
    toolBtn('browse', t('reader.tool.browse'), '✋'),
    toolBtn('pen', t('reader.tool.pen'), '✒'),
    toolBtn('highlight', t('reader.tool.highlight'), '▮'),
    toolBtn('note', t('reader.tool.note'), '✎'),
    toolBtn('comment', t('reader.tool.comment'), '❞'),
    toolBtn('eraser', t('reader.tool.eraser'), '⌫'),
  ];
  const undoBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'tool-undo', title: t('reader.undo'), 'aria-label': t('reader.undo') }, '↶ ', h('span', { class: 'tool-label' }, t('reader.undo')));
  undoBtn.addEventListener('click', () => undo());
  const colorBox = h('span', { class: 'tool-colors', role: 'group', 'aria-label': t('reader.colors') });
  const sharedBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'tool-shared', 'aria-pressed': 'false', hidden: true }, t('reader.sharedLayer'));
  sharedBtn.addEventListener('click', () => { sharedLayer = !sharedLayer; renderTools(); });

  const toolbar = h('div', { class: 'reader-bar', testid: 'reader-toolbar' },
    h('a', { href: papersPath(meetingId), class: 'btn btn-small reader-back', testid: 'reader-back' }, t('reader.back')),
    h('div', { class: 'reader-heading' }, titleEl, versionBox),
    h('div', { class: 'reader-nav', role: 'group', 'aria-label': t('reader.pages') },
      prevBtn, pageNo, nextBtn,
      iconBtn('reader-zoom-out', t('reader.zoomOut'), '−', () => viewer.zoomBy(0.8)),
      iconBtn('reader-zoom-in', t('reader.zoomIn'), '+', () => viewer.zoomBy(1.25)),
      h('button', { type: 'button', class: 'btn btn-small', testid: 'reader-fit-width', onclick: () => viewer.fitWidth() }, t('reader.fitWidth'))),
    h('div', { class: 'reader-panels', role: 'group' }, thumbsBtn, searchBtn, commentsBtn));
  const toolbar2 = h('div', { class: 'reader-bar reader-tools', testid: 'reader-tools' },
    h('div', { class: 'tool-group', role: 'group', 'aria-label': t('reader.tools') }, tools, undoBtn, colorBox, sharedBtn),
    h('div', { class: 'reader-live-group' }, presenterBanner, followBtn, presentBtn),
    h('div', { class: 'reader-files' }, progressBox, outboxStatus, newVersionBtn,
      h('details', { class: 'reader-menu', testid: 'reader-downloads' },
        h('summary', { class: 'btn btn-small' }, t('reader.downloads')),
        h('div', { class: 'reader-menu-list' }, exportLink, originalLink))));
  const body = h('div', { class: 'reader-body' }, viewer.el, panelBox);
  replaceChildren(view, toolbar, toolbar2, restrictedNote, body);

  // The reader fills the screen below the app's header.
  const fit = () => {
    const top = view.getBoundingClientRect().top + window.scrollY;
    view.style.height = `${Math.max(360, window.innerHeight - top)}px`;
  };
  window.addEventListener('resize', fit);
  cleanups.push(() => window.removeEventListener('resize', fit));
  fit();

  // ---------------------------------------------------------------- rendering
  function imageUrl(page, zoom) {
    const base = baseWidth();
    const w = zoom >= 1.6 ? largerWidth(paper.widths, base) || base : base;
    return pageUrl(meetingId, paperId, version, page, w);
  }

  function setPaperView() {
    const info = versionInfo();
    setTitle(paper.title);
    titleEl.textContent = paper.title;
    view.dataset.version = String(version);
    view.dataset.restricted = restricted() ? 'true' : 'false';
    restrictedNote.hidden = !restricted();
    const vPath = versionPath(meetingId, paperId, version);
    exportLink.href = withLang(`${vPath}/export`);
    originalLink.href = `${vPath}/file`;
    originalLink.hidden = restricted();
    viewer.setPaper({ pages: (info.pages || []).map((p) => ({ width: p.width, height: p.height })), imageUrl });
    renderPageNo(viewer.view);
    if ((paper.versions || []).length > 1) {
      const sel = h('select', { class: 'input input-small', testid: 'reader-version', 'aria-label': t('reader.versionLabel') },
        paper.versions.map((v) => h('option', { value: v.version, selected: v.version === version },
          v.version === paper.current_version ? t('reader.versionCurrent', { n: v.version }) : t('reader.versionN', { n: v.version }))));
      sel.addEventListener('change', () => switchVersion(Number(sel.value), 'user'));
      replaceChildren(versionBox, sel);
    } else clear(versionBox);
    newVersionBtn.hidden = version === paper.current_version;
    newVersionBtn.textContent = t('reader.newVersion', { n: paper.current_version });
    for (const el of progressBox.querySelectorAll('[data-testid="prefetch-progress"]')) if (el._off) el._off();
    replaceChildren(progressBox, version === paper.current_version && !restricted() ? progressBadge(meetingId, paper, { short: true }) : null);
    renderAnnotations();
    renderPins();
  }
  newVersionBtn.addEventListener('click', () => switchVersion(paper.current_version, 'user'));

  function switchVersion(v, source) {
    if (v === version) return;
    version = v;
    restoreAnnotations();
    setPaperView();
    loadAnnotations();
    if (panel === 'thumbs') renderPanel();
    searchHits = [];
    viewer.setMarks([]);
    if (source === 'user') leaveFollow();
  }

  function renderPageNo(v) {
    pageNo.textContent = t('reader.pageOf', { n: v.page, total: viewer.pageCount });
    pageNo.dataset.page = String(v.page);
    pageNo.dataset.total = String(viewer.pageCount);
    prevBtn.disabled = v.page <= 1;
    nextBtn.disabled = v.page >= viewer.pageCount;
    for (const b of panelBox.querySelectorAll('[data-testid="reader-thumb"]')) {
      const current = Number(b.dataset.page) === v.page;
      b.classList.toggle('is-current', current);
      if (current) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
    }
  }

  // A copy of this paper's annotations on the device (not for restricted papers), so that the reader opens
  // offline with the ink as it was; the server's answer replaces it as soon as there is one.
  const annKey = (v) => `ms.ann.${me}.${paperId}.${v}`;
  function storeAnnotations() {
    if (restricted()) return;
    try {
      localStorage.setItem(annKey(version), JSON.stringify([...serverAnns.values()].filter((a) => a.version === version)));
    } catch { /* storage full: the server has them */ }
  }
  function restoreAnnotations() {
    if (restricted()) return;
    try {
      const list = JSON.parse(localStorage.getItem(annKey(version)) || '[]');
      if (Array.isArray(list)) for (const a of list) if (a && a.id && !serverAnns.has(a.id)) serverAnns.set(a.id, a);
    } catch { /* ignore */ }
  }

  function visibleAnnotations() {
    const { saves, deletes } = outbox.pendingFor(paperId);
    const out = new Map();
    for (const a of serverAnns.values()) if (!deletes.has(a.id)) out.set(a.id, a);
    for (const [id, a] of saves) out.set(id, { ...a, owner_id: me, pending: true });
    return [...out.values()].filter((a) => a.version === version);
  }

  function renderAnnotations() {
    viewer.setAnnotations(visibleAnnotations());
    const pending = outbox.pendingCount(paperId);
    outboxStatus.dataset.pending = String(pending);
    outboxStatus.hidden = pending === 0;
    outboxStatus.textContent = t('reader.outboxPending', { n: pending });
  }

  function renderPins() {
    viewer.setPins(comments.filter((c) => c.version === version).map((c) => ({
      kind: 'comment', id: c.id, page: c.page, x: c.x, y: c.y, label: c.text, status: c.status, comment: c,
    })));
  }

  function renderTools() {
    for (const b of tools) {
      const on = b.dataset.tool === tool;
      b.classList.toggle('is-on', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    const colors = tool === 'highlight' ? HIGHLIGHT_COLORS : PEN_COLORS;
    const chosen = tool === 'highlight' ? markColor : penColor;
    replaceChildren(colorBox, (tool === 'pen' || tool === 'highlight') ? colors.map((c) => {
      const b = h('button', {
        type: 'button', class: ['color-btn', c === chosen ? 'is-on' : ''], testid: 'tool-color', dataset: { color: c },
        'aria-label': t('reader.color', { color: c }), 'aria-pressed': c === chosen ? 'true' : 'false',
      });
      b.style.backgroundColor = c;
      b.addEventListener('click', () => {
        if (tool === 'highlight') markColor = c; else penColor = c;
        setTool(tool);
      });
      return b;
    }) : null);
    sharedBtn.hidden = !canPresent() || !(tool === 'pen' || tool === 'highlight' || tool === 'note');
    sharedBtn.setAttribute('aria-pressed', sharedLayer ? 'true' : 'false');
    sharedBtn.classList.toggle('is-on', sharedLayer);
    view.dataset.tool = tool;
    view.dataset.pen = hasPen() ? 'seen' : 'none';
  }

  function setTool(name) {
    tool = name;
    const color = tool === 'highlight' ? markColor : penColor;
    viewer.setTool(tool, { color });
    renderTools();
    if (tool === 'highlight' || tool === 'comment') ensureWords(version).catch(() => {});
  }

  // ---------------------------------------------------------------- side panel: thumbnails, search, comments
  function renderPanel() {
    for (const b of [thumbsBtn, searchBtn, commentsBtn]) {
      const on = b.dataset.mode === panel;
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
      b.classList.toggle('is-on', on);
    }
    panelBox.hidden = !panel;
    panelBox.dataset.mode = panel || '';
    if (!panel) { clear(panelBox); viewer.layout(); return; }
    if (panel === 'thumbs') renderThumbs();
    else if (panel === 'search') renderSearch();
    else renderComments();
    viewer.layout();
  }

  function renderThumbs() {
    const list = h('ol', { class: 'thumb-list', testid: 'reader-thumbs' });
    for (let n = 1; n <= viewer.pageCount; n += 1) {
      const b = h('button', { type: 'button', class: ['thumb', n === viewer.page ? 'is-current' : ''], testid: 'reader-thumb', dataset: { page: n }, 'aria-label': t('reader.goToPage', { n }) },
        h('img', { src: thumbUrl(meetingId, paperId, version, n), alt: '', loading: 'lazy', draggable: 'false' }),
        h('span', { class: 'thumb-no' }, String(n)));
      b.addEventListener('click', () => viewer.show(n, { zoom: 1, x: 0, y: 0 }, 'user'));
      list.append(h('li', {}, b));
    }
    replaceChildren(panelBox, h('h2', { class: 'panel-title' }, t('reader.thumbs')), list);
    const current = list.querySelector('.is-current');
    if (current) current.scrollIntoView({ block: 'nearest' });
  }

  const searchInput = h('input', { type: 'search', class: 'input', testid: 'reader-search-input', placeholder: t('reader.searchPlaceholder'), 'aria-label': t('reader.search'), enterkeyhint: 'search' });
  const searchStatus = h('p', { class: 'search-status', testid: 'search-count', role: 'status' });
  const searchList = h('ol', { class: 'search-hits', testid: 'search-hits' });
  const searchForm = h('form', { class: 'search-form', role: 'search' }, searchInput,
    h('button', { type: 'submit', class: 'btn btn-primary', testid: 'reader-search-submit' }, t('reader.searchGo')));
  searchForm.addEventListener('submit', (e) => { e.preventDefault(); runSearch(searchInput.value).catch(showError); });

  function renderSearch() {
    replaceChildren(panelBox, h('h2', { class: 'panel-title' }, t('reader.search')), searchForm, searchStatus, searchList);
    searchInput.focus({ preventScroll: true });
  }

  async function runSearch(q) {
    const text = q.trim();
    searchHits = [];
    clear(searchList);
    if (!text) { searchStatus.textContent = ''; viewer.setMarks([]); return; }
    searchStatus.textContent = t('reader.searching');
    let source = 'server';
    let found = null;
    if (navigator.onLine) {
      try {
        const resp = await get(`${versionPath(meetingId, paperId, version)}/search`, { q: text });
        found = Array.isArray(resp && resp.hits) ? resp.hits : null;
      } catch { found = null; }
    }
    if (!found) {
      source = 'local';
      try {
        found = searchText(await ensureWords(version), text);
      } catch {
        searchStatus.textContent = t('reader.searchOffline');
        searchStatus.dataset.count = '0';
        return;
      }
    }
    searchHits = found;
    searchStatus.dataset.count = String(found.length);
    searchStatus.dataset.source = source;
    searchStatus.textContent = found.length ? t('reader.searchFound', { n: found.length }) : t('reader.searchNone', { q: text });
    viewer.setMarks(found);
    for (const hit of found) {
      const b = h('button', { type: 'button', class: 'search-hit', testid: 'search-hit', dataset: { page: hit.page } },
        h('span', { class: 'search-hit-page' }, t('reader.pageN', { n: hit.page })),
        h('span', { class: 'search-hit-snippet' }, hit.snippet || ''));
      b.addEventListener('click', () => viewer.show(hit.page, { zoom: 1, x: 0, y: 0 }, 'user'));
      searchList.append(h('li', {}, b));
    }
    if (found.length && !found.some((x) => x.page === viewer.page)) viewer.show(found[0].page, { zoom: 1, x: 0, y: 0 }, 'user');
  }

  function renderComments() {
    const mine = comments.filter((c) => c.version === version).sort((a, b) => a.page - b.page || String(a.created_at).localeCompare(String(b.created_at)));
    const organiser = manages();
    const items = mine.map((c) => {
      const li = h('li', { class: ['comment-item', `is-${c.status}`], testid: 'comment-item', dataset: { id: c.id, status: c.status, page: c.page } },
        h('div', { class: 'comment-head' },
          h('button', { type: 'button', class: 'btn-link', testid: 'comment-goto', onclick: () => viewer.show(c.page, { zoom: 1, x: 0, y: 0 }, 'user') }, t('reader.pageN', { n: c.page })),
          h('span', { class: 'comment-author' }, c.author_name),
          h('span', { class: ['badge', `badge-comment-${c.status}`], testid: 'comment-status-badge' }, t(`reader.commentStatus.${c.status}`))),
        h('p', { class: 'comment-text', testid: 'comment-text' }, c.text),
        c.answer ? h('p', { class: 'comment-answer-text', testid: 'comment-answer-text' }, t('reader.answer', { text: c.answer })) : null);
      if (organiser) {
        const status = h('select', { class: 'input input-small', testid: 'comment-status', 'aria-label': t('reader.commentStatusLabel') },
          ['new', 'accepted', 'answered'].map((s) => h('option', { value: s, selected: s === c.status }, t(`reader.commentStatus.${s}`))));
        const answer = h('textarea', { class: 'input', rows: 2, testid: 'comment-answer', placeholder: t('reader.answerPlaceholder'), 'aria-label': t('reader.answerPlaceholder') });
        answer.value = c.answer || '';
        const save = h('button', { type: 'button', class: 'btn btn-small btn-primary', testid: 'comment-save' }, t('common.save'));
        save.addEventListener('click', () => busy(save, async () => {
          const resp = await patch(meetingPath(meetingId, `/comments/${enc(c.id)}`), { status: status.value, answer: answer.value.trim() });
          if (resp && resp.comment) upsertComment(resp.comment);
        }));
        li.append(h('div', { class: 'comment-manage' }, status, answer, save));
      }
      return li;
    });
    const cPath = meetingPath(meetingId, `/papers/${enc(paperId)}/comments/export`);
    replaceChildren(panelBox,
      h('h2', { class: 'panel-title' }, t('reader.comments')),
      h('p', { class: 'hint' }, organiser ? t('reader.commentsHintOrganiser') : t('reader.commentsHint')),
      organiser ? h('div', { class: 'button-row comment-exports' },
        h('a', { class: 'btn btn-small', href: withLang(`${cPath}?format=pdf`), download: true, testid: 'comments-export-pdf' }, t('reader.exportPdf')),
        h('a', { class: 'btn btn-small', href: withLang(`${cPath}?format=csv`), download: true, testid: 'comments-export-csv' }, t('reader.exportCsv'))) : null,
      items.length ? h('ol', { class: 'comment-list', testid: 'comment-list' }, items) : h('p', { class: 'empty', testid: 'comments-empty' }, t('reader.commentsEmpty')));
  }

  function upsertComment(c) {
    if (c.paper_id !== paperId) return;
    comments = [...comments.filter((x) => x.id !== c.id), c];
    renderPins();
    if (panel === 'comments') renderComments();
  }

  // ---------------------------------------------------------------- text layer
  async function ensureWords(v) {
    const have = wordsByVersion.get(v);
    if (have) return have instanceof Promise ? have : have;
    const p = get(textUrl(meetingId, paperId, v)).then((resp) => {
      const pages = Array.isArray(resp && resp.pages) ? resp.pages : [];
      wordsByVersion.set(v, pages);
      return pages;
    }).catch((err) => { wordsByVersion.delete(v); throw err; });
    wordsByVersion.set(v, p);
    return p;
  }
  function wordsOf(page) {
    const w = wordsByVersion.get(version);
    return Array.isArray(w) ? w[page - 1] || [] : null;
  }

  // ---------------------------------------------------------------- annotations
  function newAnnotation(kind, data) {
    return {
      id: clientId(kind === 'ink' ? 'ink' : kind === 'highlight' ? 'hl' : 'note'), paper_id: paperId, version,
      page: viewer.page, kind, layer: sharedLayer && canPresent() ? 'shared' : 'private', data,
    };
  }

  function keep(a) {
    outbox.save(meetingId, a);
    undoStack.push(a.id);
    renderAnnotations();
  }

  function addInk(points) {
    keep(newAnnotation('ink', { color: penColor, width: 0.004, opacity: 1, strokes: [points] }));
  }

  function addHighlight(from, to, points) {
    const words = wordsOf(viewer.page);
    const snapped = words ? snapHighlight(words, from, to) : null;
    if (snapped) keep(newAnnotation('highlight', { color: markColor, rects: snapped.rects, text: snapped.text }));
    else if (points.length > 1) keep(newAnnotation('ink', { color: markColor, width: 0.02, opacity: 0.4, strokes: [points] }));
  }

  async function addNote(x, y) {
    const r = await textDialog({ title: t('reader.noteTitle'), text: t('reader.noteHint'), testid: 'note-dialog' });
    if (!r || r.action !== 'save') return;
    keep(newAnnotation('note', { color: '#ffd54f', x, y, text: r.text }));
  }

  function mine(a) { return a.owner_id === me || a.pending; }

  function remove(a) {
    outbox.remove(meetingId, a.id, paperId);
    renderAnnotations();
  }

  function erase(x, y) {
    const aspect = viewer.aspect;
    for (const a of visibleAnnotations()) {
      if (a.page === viewer.page && mine(a) && touches(a, x, y, aspect)) remove(a);
    }
  }

  function undo() {
    const visible = new Map(visibleAnnotations().map((a) => [a.id, a]));
    while (undoStack.length) {
      const id = undoStack.pop();
      const a = visible.get(id);
      if (a) {
        if (a.page !== viewer.page) viewer.show(a.page, { zoom: 1, x: 0, y: 0 }, 'user');
        remove(a);
        return;
      }
    }
    showNotice(t('reader.nothingToUndo'));
  }

  async function openPin(pin) {
    if (pin.kind === 'note') {
      const a = pin.annotation;
      const own = mine(a);
      const r = await textDialog({
        title: t('reader.note'), value: a.data.text, testid: 'note-dialog', readOnly: !own,
        deleteLabel: own ? t('common.delete') : null,
      });
      if (!r) return;
      if (r.action === 'delete') remove(a);
      else if (r.text !== a.data.text) {
        keep({ id: a.id, paper_id: a.paper_id, version: a.version, page: a.page, kind: 'note', layer: a.layer || 'private', data: { ...a.data, text: r.text } });
      }
      return;
    }
    const c = pin.comment;
    await textDialog({
      title: t('reader.comment'), value: c.text, testid: 'comment-dialog', readOnly: true,
      text: `${c.author_name} · ${t(`reader.commentStatus.${c.status}`)}${c.answer ? ` — ${t('reader.answer', { text: c.answer })}` : ''}`,
    });
  }

  async function addComment(x, y) {
    const r = await textDialog({ title: t('reader.commentTitle'), text: t('reader.commentHint'), testid: 'comment-dialog', confirmLabel: t('reader.commentSend') });
    if (!r || r.action !== 'save') return;
    try {
      const resp = await post(meetingPath(meetingId, `/papers/${enc(paperId)}/comments`), {
        id: clientId('c'), version, page: viewer.page, x, y, text: r.text,
      });
      if (resp && resp.comment) upsertComment(resp.comment);
      showNotice(t('reader.commentSent'));
    } catch (err) {
      showError(err);
    }
  }

  async function loadAnnotations() {
    try {
      const resp = await get(meetingPath(meetingId, `/papers/${enc(paperId)}/annotations`), { version });
      if (closed) return;
      for (const [id, a] of serverAnns) if (a.version === version) serverAnns.delete(id);
      for (const a of asList(resp, 'annotations')) serverAnns.set(a.id, a);
      storeAnnotations();
      renderAnnotations();
    } catch (err) {
      if (err.code !== 'network') console.warn(err);
    }
  }

  async function loadComments() {
    try {
      const resp = await get(meetingPath(meetingId, `/papers/${enc(paperId)}/comments`));
      if (closed) return;
      comments = asList(resp, 'comments');
      renderPins();
      if (panel === 'comments') renderComments();
    } catch (err) {
      if (err.code !== 'network') console.warn(err);
    }
  }

  const offOutbox = outbox.on((ev) => {
    if (closed) return;
    if (ev.type === 'saved' && ev.result && ev.result.annotation) serverAnns.set(ev.result.annotation.id, ev.result.annotation);
    if (ev.type === 'deleted') serverAnns.delete(ev.item.id);
    if (ev.type === 'saved' || ev.type === 'deleted') storeAnnotations();
    if (ev.type === 'error') showError(t('reader.annotationRefused', { message: ev.error.message || ev.error.code }));
    renderAnnotations();
  });
  cleanups.push(offOutbox);

  // ---------------------------------------------------------------- presenting and following
  function presentation() { return snap && snap.presentation ? snap.presentation : null; }
  function presenting() {
    const p = presentation();
    return Boolean(presentingHere && p && p.by === me);
  }
  function canPresent() {
    if (!snap || snap.status !== 'in_progress' || !me || paper.status !== 'published') return false;
    if (manages()) return true;
    const item = (snap.agenda || []).find((i) => i.id === paper.item_id);
    return Boolean(item && item.presenter_id === me);
  }

  function renderLive() {
    const p = presentation();
    const mePresenting = presenting();
    // Someone else took over: this tablet no longer presents.
    if (presentingHere && p && p.by !== me) { presentingHere = false; setSessionFlag(`ms.presenting.${meetingId}`, false); }
    const readable = p && (p.paper_id === paperId || papers.some((x) => x.id === p.paper_id));
    presenterBanner.hidden = !p || mePresenting;
    if (p && !mePresenting) {
      const other = papers.find((x) => x.id === p.paper_id);
      presenterBanner.textContent = p.paper_id === paperId
        ? t('reader.presenterHere', { name: p.by_name || '', page: p.page })
        : t('reader.presenterElsewhere', { name: p.by_name || '', title: other ? other.title : '' });
    }
    followBtn.hidden = !p || mePresenting || !readable || (follow && p.paper_id === paperId);
    followBtn.textContent = p ? t('reader.followName', { name: p.by_name || '' }) : t('reader.follow');
    presentBtn.hidden = !canPresent() && !mePresenting;
    presentBtn.textContent = mePresenting ? t('reader.stopPresenting') : t('reader.present');
    presentBtn.setAttribute('aria-pressed', mePresenting ? 'true' : 'false');
    presentBtn.classList.toggle('is-on', mePresenting);
    const following = Boolean(p && follow && !mePresenting);
    view.dataset.follow = following ? 'true' : 'false';
    view.dataset.presenting = mePresenting ? 'true' : 'false';
    view.dataset.presentation = p ? p.paper_id : '';
    viewer.sheet.dataset.follow = view.dataset.follow;
    renderTools();
  }

  let firstLook = true;
  function applyPresentation(force = false) {
    const p = presentation();
    if (firstLook && snap) {
      firstLook = false;
      // Opening another paper than the one presented is browsing away (unless following brought us here).
      if (p && p.paper_id !== paperId && !presenting() && follow && query.get('follow') !== '1') {
        follow = false;
        setSessionFlag(`ms.follow.${meetingId}`, false);
      }
    }
    renderLive();
    if (p && presenting() && p.paper_id !== paperId && !presentTimer) {
      // The presenter opened another paper: it is now the one presented.
      queuePresent(viewer.view, true);
      return;
    }
    if (!p || presenting() || !follow) return;
    const key = JSON.stringify([p.paper_id, p.version, p.page, p.zoom, p.x, p.y, p.at]);
    if (!force && key === lastApplied) return;
    if (p.paper_id !== paperId) {
      // Another paper: open it, if it is one this person may read (the list says).
      if (papers.some((x) => x.id === p.paper_id)) {
        lastApplied = key;
        navigate(`${readerPath(meetingId, p.paper_id)}?follow=1`);
      }
      return;
    }
    lastApplied = key;
    if (p.version && p.version !== version && (paper.versions || []).some((v) => v.version === p.version)) switchVersion(p.version, 'follow');
    viewer.show(p.page, { zoom: p.zoom || 1, x: p.x || 0, y: p.y || 0 }, 'follow');
  }

  function leaveFollow() {
    if (!presentation() || presenting() || !follow) return;
    follow = false;
    setSessionFlag(`ms.follow.${meetingId}`, false);
    renderLive();
  }

  followBtn.addEventListener('click', () => {
    follow = true;
    setSessionFlag(`ms.follow.${meetingId}`, true);
    applyPresentation(true);
  });

  function presentBody(v) {
    return {
      version, page: v.page, zoom: Math.min(8, Math.max(1, Math.round(v.zoom * 1000) / 1000)),
      x: Math.min(1, Math.max(0, Math.round(v.x * 10000) / 10000)), y: Math.min(1, Math.max(0, Math.round(v.y * 10000) / 10000)),
    };
  }

  async function sendPresent(body) {
    presentSentAt = Date.now();
    try {
      const resp = await post(meetingPath(meetingId, `/papers/${enc(paperId)}/present`), body);
      if (resp && resp.presentation && snap) {
        // The event follows on the socket; meanwhile the button shows the right state.
        snap = { ...snap, presentation: resp.presentation };
        renderLive();
      }
    } catch (err) {
      showError(err);
    }
  }

  /** Page turns go at once; zoom and pan at most every 250 ms (the last position always goes). */
  function queuePresent(v, pageTurn) {
    presentPending = presentBody(v);
    clearTimeout(presentTimer);
    const wait = pageTurn ? 0 : Math.max(0, PRESENT_THROTTLE_MS - (Date.now() - presentSentAt));
    presentTimer = setTimeout(() => {
      presentTimer = null;
      const body = presentPending;
      presentPending = null;
      if (body && presenting()) sendPresent(body);
    }, wait);
  }

  let lastPage = null;
  function viewChanged(v, source) {
    renderPageNo(v);
    const pageTurn = v.page !== lastPage;
    lastPage = v.page;
    if (source !== 'user') return;
    if (presenting()) queuePresent(v, pageTurn);
    else leaveFollow();
  }

  presentBtn.addEventListener('click', () => busy(presentBtn, async () => {
    if (presenting()) {
      presentingHere = false;
      setSessionFlag(`ms.presenting.${meetingId}`, false);
      await post(meetingPath(meetingId, '/presentation/stop'), {});
      if (snap) snap = { ...snap, presentation: null };
      renderLive();
      return;
    }
    presentingHere = true;
    setSessionFlag(`ms.presenting.${meetingId}`, true);
    const resp = await post(meetingPath(meetingId, `/papers/${enc(paperId)}/present`), presentBody(viewer.view));
    if (resp && resp.presentation && snap) snap = { ...snap, presentation: resp.presentation };
    renderLive();
  }));

  // ---------------------------------------------------------------- live events
  function handleEvents(events) {
    let anns = false;
    for (const ev of events || []) {
      const data = ev.data || {};
      switch (ev.type) {
        case 'annotation.saved':
          if (data.annotation && data.annotation.paper_id === paperId) { serverAnns.set(data.annotation.id, data.annotation); anns = true; }
          break;
        case 'annotation.deleted':
          if (data.paper_id === paperId || serverAnns.has(data.annotation_id)) { serverAnns.delete(data.annotation_id); anns = true; }
          break;
        case 'paper.presentation_stopped':
          if (presentingHere) { presentingHere = false; setSessionFlag(`ms.presenting.${meetingId}`, false); }
          break;
        case 'comment.added':
        case 'comment.updated':
          if (data.comment) upsertComment(data.comment);
          break;
        case 'paper.withdrawn':
          if (data.paper_id === paperId) {
            if (data.reason === 'access') stillReadable();
            else {
              prefetcher.forget(meetingId, paperId);
              leave();
              return;
            }
          }
          refreshPapers();
          break;
        case 'paper.added':
        case 'paper.updated':
        case 'paper.published':
        case 'paper.version_added':
          if (data.paper && data.paper.access === 'restricted') prefetcher.forget(meetingId, data.paper_id);
          if (data.paper_id === paperId && data.paper) {
            const before = paper.current_version;
            paper = { ...paper, ...data.paper, widths: paper.widths, restricted: data.paper.access === 'restricted' };
            if (paper.current_version !== before) {
              showNotice(t('reader.newVersionNotice', { n: paper.current_version }));
              setPaperView();
            } else {
              titleEl.textContent = paper.title;
            }
          }
          refreshPapers();
          break;
        default:
          break;
      }
    }
    if (anns) {
      storeAnnotations();
      renderAnnotations();
    }
  }

  function leave() {
    showError(t('reader.withdrawn'));
    navigate(papersPath(meetingId), { replace: true, keepMessage: true });
  }

  /** Who may read the paper changed: leave if it is no longer ours (a network failure keeps it open). */
  async function stillReadable() {
    try {
      await get(meetingPath(meetingId, `/papers/${enc(paperId)}`));
    } catch (err) {
      if (!closed && (err.status === 404 || err.status === 403)) {
        prefetcher.forget(meetingId, paperId);
        leave();
      }
    }
  }

  async function refreshPapers() {
    try {
      const resp = await loadPapers(meetingId);
      if (closed) return;
      if (papersLoaded) forgetGone(meetingId, papers, resp.papers);
      papersLoaded = true;
      papers = resp.papers;
      prefetchAll(meetingId, papers, paperId);
      applyPresentation();
    } catch { /* offline: keep what we have */ }
  }

  function openChannel() {
    channel = new MeetingChannel(meetingId, {
      onUpdate: (s, info) => {
        if (closed) return;
        snap = s;
        view.dataset.meetingStatus = s.status;
        if (info && (info.source === 'snapshot')) {
          loadAnnotations();
          loadComments();
          refreshPapers();
        }
        handleEvents(info && info.events);
        if (!closed) applyPresentation();
      },
      onError: (err) => { if (!closed && isCurrent()) showError(err); },
    });
    channel.open().catch(() => {
      // Offline with nothing stored: read on, and try again when the network is back.
      channel.close();
      channel = null;
      setTimeout(() => { if (!closed && !channel) openChannel(); }, 5000);
    });
  }

  const offState = live.onState((state) => {
    if (state === 'online' && !wasOnline && !closed) {
      // Back online: what changed meanwhile comes over the channel's catch-up; make sure ink is current too.
      outbox.flush();
      loadAnnotations();
    }
    wasOnline = state === 'online';
  });
  cleanups.push(offState);

  // ---------------------------------------------------------------- start
  restoreAnnotations();
  setPaperView();
  const askedPage = Number(query.get('page')) || 1;
  viewer.show(askedPage, { zoom: 1, x: 0, y: 0 }, 'init');
  setTool('browse');
  renderPanel();
  renderLive();
  openChannel();
  loadAnnotations();
  loadComments();
  refreshPapers();
  if (!restricted()) ensureWords(version).catch(() => {});
  outbox.flush();

  // Read receipt (once per opening; sent later when the tablet is offline now).
  const receipt = () => post(meetingPath(meetingId, `/papers/${enc(paperId)}/open`), { version }).then(() => true).catch((err) => {
    if (err.code === 'network') window.addEventListener('online', receipt, { once: true });
    return false;
  });
  receipt();
  cleanups.push(() => window.removeEventListener('online', receipt));

  keepForOffline([
    '/api/auth/session', meetingPath(meetingId), meetingPath(meetingId, '/papers'),
    meetingPath(meetingId, `/papers/${enc(paperId)}`), meetingPath(meetingId, `/papers/${enc(paperId)}/comments`),
  ]);

  // For tests and the devtools console.
  window.__reader = {
    viewer, outbox, get snapshot() { return snap; }, get paper() { return paper; }, annotations: visibleAnnotations,
    setTool, version: () => version,
  };

  return () => {
    closed = true;
    clearTimeout(presentTimer);
    for (const fn of cleanups) { try { fn(); } catch (err) { console.warn(err); } }
    for (const el of view.querySelectorAll('[data-testid="prefetch-progress"]')) if (el._off) el._off();
    if (channel) channel.close();
    document.body.classList.remove('is-reading');
    if (window.__reader && window.__reader.viewer === viewer) delete window.__reader;
  };
}
