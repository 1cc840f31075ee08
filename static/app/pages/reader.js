// The paper reader (`/meetings/<id>/papers/<paper_id>`), tablet first: this page puts together the parts in
// static/app/reader/, each owning its state and its piece of the screen.
//
// - Pages one at a time (viewer.js): swipe or tap to turn, pinch to zoom; page navigation (nav.js); the side
//   panel (panel.js) with thumbnails (thumbs.js), search (search.js: the server's `…/search` online; offline the
//   cached text layer, words.js, tones ignored: "bien ban" finds "Biên bản") and comments (comments.js).
// - Follow the presenter and present (follow.js): the snapshot's `presentation` moves every reader in follow
//   mode; browsing away leaves it, "Theo người trình bày" snaps back. The chair, the secretary or the item's
//   presenter present: each page turn (and, a few times a second, zoom and pan) is `POST …/present`.
// - Private ink, highlights that snap to the text, sticky notes, the presenter's shared layer (tools.js,
//   annotations.js). Every change goes through the outbox (outbox.js) with a client-made id, so a tablet without
//   Wi-Fi keeps its ink and sends it later; `annotation.saved` / `annotation.deleted` bring the same changes to
//   the person's other devices.
// - The pages download in the background (prefetch.js; files.js shows "Đã tải 37/100 trang" with the versions and
//   downloads). Restricted papers (tài liệu mật) are shown online only, never stored, and without the original.
import { get, post } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import { getUser } from '../session.js';
import { showError, showNotice, loading } from '../ui.js';
import { isOrganiser, meetingPath, papersOpen } from '../meeting-common.js';
import { Annotations } from '../reader/annotations.js';
import { PaperLive } from '../reader/channel.js';
import { Comments } from '../reader/comments.js';
import { PaperFiles } from '../reader/files.js';
import { FollowController } from '../reader/follow.js';
import { snapHighlight } from '../reader/highlight.js';
import { PageNav } from '../reader/nav.js';
import { outboxFor } from '../reader/outbox.js';
import { SidePanel } from '../reader/panel.js';
import {
  chooseWidth, keepForOffline, largerWidth, pageUrl, registerServiceWorker, rememberLinks, textUrl, thumbUrl, versionPath,
} from '../reader/prefetch.js';
import { SearchPanel } from '../reader/search.js';
import { Thumbnails } from '../reader/thumbs.js';
import { ToolBar } from '../reader/tools.js';
import { PaperViewer } from '../reader/viewer.js';
import { TextLayer } from '../reader/words.js';
import { papersPath, progressBadge, readerPath } from './papers.js';

const enc = encodeURIComponent;

/**
 * Who may do what in the reader. The only place the reader looks at roles (`my_role` through isOrganiser, the
 * agenda item's presenter): a change to server-sent capabilities touches these lines only.
 */
function permissions(snapshot, paper, me) {
  const manages = () => isOrganiser(snapshot());
  const canPresent = () => {
    const snap = snapshot();
    if (!snap || snap.status !== 'in_progress' || !me || paper().status !== 'published') return false;
    if (manages()) return true;
    const item = (snap.agenda || []).find((i) => i.id === paper().item_id);
    return Boolean(item && item.presenter_id === me);
  };
  return { manages, canPresent };
}

/** The read receipt (once per opening; sent later when the tablet is offline now); returns its cleanup. */
function sendReceipt(url, version) {
  const receipt = () => post(url, { version }).then(() => true).catch((err) => {
    if (err.code === 'network') window.addEventListener('online', receipt, { once: true });
    return false;
  });
  receipt();
  return () => window.removeEventListener('online', receipt);
}

/** The paper (`GET …/papers/{id}`); on failure the reader shows only the way back. */
async function loadPaper(view, paperUrl, meetingId) {
  try {
    const resp = await get(paperUrl);
    const paper = resp && resp.paper ? resp.paper : resp;
    rememberLinks(meetingId, [paper]);
    return paper;
  } catch (err) {
    document.body.classList.remove('is-reading');
    replaceChildren(view, h('a', { href: papersPath(meetingId), class: 'back-link', testid: 'reader-back' }, t('reader.back')));
    throw err;
  }
}

/** The reader fills the screen below the app's header; returns the cleanup. */
function fillScreen(view) {
  const fit = () => {
    const top = view.getBoundingClientRect().top + window.scrollY;
    view.style.height = `${Math.max(360, window.innerHeight - top)}px`;
  };
  window.addEventListener('resize', fit);
  fit();
  return () => window.removeEventListener('resize', fit);
}

/** imageUrl(page, zoom) for the viewer: the reader's width, the next larger one once zoomed past 1.6. */
function pageImages(meetingId, paperId, paper, version) {
  return (page, zoom) => {
    const { widths } = paper();
    const base = chooseWidth(widths);
    const w = zoom >= 1.6 ? largerWidth(widths, base) || base : base;
    return pageUrl(meetingId, paperId, version(), page, w);
  };
}

export async function render({ root, params, query, setTitle, isCurrent, navigate }) {
  const meetingId = params.id;
  const paperId = params.paperId;
  const user = getUser();
  const me = user ? user.id : null;
  const ids = { meetingId, paperId, me };
  const outbox = outboxFor(me);
  registerServiceWorker();
  document.body.classList.add('is-reading');
  const view = h('div', { class: 'reader', testid: 'reader', dataset: { paperId, follow: 'true', presenting: 'false' } }, loading());
  root.append(view);

  const paperUrl = meetingPath(meetingId, `/papers/${enc(paperId)}`);
  let paper = await loadPaper(view, paperUrl, meetingId);
  if (!isCurrent()) { document.body.classList.remove('is-reading'); return undefined; }
  const askedVersion = Number(query.get('v'));
  let version = (paper.versions || []).some((v) => v.version === askedVersion) ? askedVersion : paper.current_version;
  let snap = null;
  const restricted = () => Boolean(paper.restricted || paper.access === 'restricted');
  const may = permissions(() => snap, () => paper, me);
  const current = () => version;

  // ---------------------------------------------------------------- the parts
  const words = new TextLayer((v) => textUrl(meetingId, paperId, v));
  const viewer = new PaperViewer({
    onView: (v, source) => { nav.update(v); thumbs.mark(v.page); follow.viewChanged(v, source); },
    onStroke: (points) => anns.addInk(points),
    onHighlight: (from, to, points) => anns.addHighlight(from, to, points),
    onPlace: (kind, x, y) => (kind === 'note' ? anns.addNote(x, y) : comments.add(x, y)),
    onErase: (x, y) => anns.erase(x, y),
    onPin: (pin) => (pin.kind === 'note' ? anns.openNote(pin.annotation) : comments.open(pin.comment)),
    snap: (from, to) => {
      const w = words.wordsOf(version, viewer.page);
      const s = w ? snapHighlight(w, from, to) : null;
      return s ? s.rects : null;
    },
  });
  const nav = new PageNav(viewer);
  const tools = new ToolBar(view, {
    canShare: may.canPresent,
    onTool: (tool, color) => {
      viewer.setTool(tool, { color });
      if (tool === 'highlight' || tool === 'comment') words.ensure(version).catch(() => {});
    },
    onUndo: () => anns.undo(),
  });
  const anns = new Annotations({
    ids, outbox, viewer, annotationsUrl: `${paperUrl}/annotations`, version: current, restricted, tools,
    words: (page) => words.wordsOf(version, page),
  });
  const comments = new Comments({
    paperId, paperUrl, commentUrl: (id) => meetingPath(meetingId, `/comments/${enc(id)}`), viewer, version: current,
    manages: may.manages, onChange: () => panel.refresh('comments'),
  });
  const thumbs = new Thumbnails({ thumbUrl: (n) => thumbUrl(meetingId, paperId, version, n), viewer });
  const search = new SearchPanel({
    searchUrl: () => `${versionPath(meetingId, paperId, version)}/search`, words: () => words.ensure(version), viewer,
  });
  const panel = new SidePanel([
    { mode: 'thumbs', testid: 'reader-thumbs-toggle', label: t('reader.thumbs'), part: thumbs },
    { mode: 'search', testid: 'reader-search-toggle', label: t('reader.search'), part: search },
    { mode: 'comments', testid: 'reader-comments-toggle', label: t('reader.comments'), part: comments },
  ], { initial: window.innerWidth >= 1100 ? 'thumbs' : null, onLayout: () => viewer.layout() });
  const follow = new FollowController(view, {
    ids, viewer, presentUrl: `${paperUrl}/present`, stopUrl: meetingPath(meetingId, '/presentation/stop'),
    fromFollow: query.get('follow') === '1', snapshot: () => snap, canPresent: may.canPresent, papers: () => channel.papers,
    setPresentation: (p) => { if (snap) snap = { ...snap, presentation: p }; },
    version: current, hasVersion: (v) => (paper.versions || []).some((x) => x.version === v),
    switchVersion: (v) => switchVersion(v, 'follow'), onChange: () => tools.render(),
    openPaper: (id) => navigate(`${readerPath(meetingId, id)}?follow=1`),
  });
  const files = new PaperFiles({
    progressBadge: (p) => progressBadge(meetingId, p, { short: true }), onVersion: (v) => switchVersion(v, 'user'),
  });

  replaceChildren(view,
    h('div', { class: 'reader-bar', testid: 'reader-toolbar' },
      h('a', { href: papersPath(meetingId), class: 'btn btn-small reader-back', testid: 'reader-back' }, t('reader.back')),
      h('div', { class: 'reader-heading' }, files.titleEl, files.versionBox), nav.el, panel.toggles),
    h('div', { class: 'reader-bar reader-tools', testid: 'reader-tools' }, tools.el, follow.el,
      h('div', { class: 'reader-files' }, files.progressBox, anns.statusEl, files.newVersionBtn, files.menu)),
    files.restrictedNote, h('div', { class: 'reader-body' }, viewer.el, panel.box));
  const offFit = fillScreen(view);
  const imageUrl = pageImages(meetingId, paperId, () => paper, current);

  function setPaperView() {
    const info = (paper.versions || []).find((v) => v.version === version) || paper.versions[paper.versions.length - 1];
    setTitle(paper.title);
    view.dataset.version = String(version);
    view.dataset.restricted = restricted() ? 'true' : 'false';
    viewer.setPaper({ pages: (info.pages || []).map((p) => ({ width: p.width, height: p.height })), imageUrl });
    nav.update(viewer.view);
    thumbs.mark(viewer.page);
    files.show({ paper, version, vPath: versionPath(meetingId, paperId, version), restricted: restricted() });
    anns.render();
    comments.renderPins();
  }

  function switchVersion(v, source) {
    if (v === version) return;
    version = v;
    anns.restore();
    setPaperView();
    anns.load();
    if (panel.isOpen('thumbs')) panel.render();
    search.reset();
    if (source === 'user') follow.leave();
  }

  // ---------------------------------------------------------------- live
  const channel = new PaperLive({
    meetingId, paperId, paperUrl, isCurrent,
    onSnapshot: (s, fresh) => {
      snap = s;
      view.dataset.meetingStatus = s.status;
      // An archived meeting keeps its ink for reading; the server refuses new ink, so no drawing tools are offered.
      tools.el.hidden = !papersOpen(s);
      if (tools.el.hidden && tools.tool !== 'browse') tools.set('browse');
      if (fresh) { anns.load(); comments.load(); }
    },
    onEvent: (type, data) => {
      if (type === 'paper.presentation_stopped') follow.stopped();
      else if ((type === 'comment.added' || type === 'comment.updated') && data.comment) comments.upsert(data.comment);
      return anns.applyEvent(type, data);
    },
    onAnnotations: () => { anns.store(); anns.render(); },
    onPaper: (changed) => {
      const before = paper.current_version;
      paper = { ...paper, ...changed, widths: paper.widths, restricted: changed.access === 'restricted' };
      if (paper.current_version === before) { files.showTitle(paper.title); return; }
      showNotice(t('reader.newVersionNotice', { n: paper.current_version }));
      setPaperView();
    },
    onGone: () => {
      showError(t('reader.withdrawn'));
      navigate(papersPath(meetingId), { replace: true, keepMessage: true });
    },
    onUpdated: () => follow.apply(),
    // Back online: what changed meanwhile comes over the channel's catch-up; make sure ink is current too.
    onBackOnline: () => { outbox.flush(); anns.load(); },
  });

  // ---------------------------------------------------------------- start
  anns.restore();
  setPaperView();
  viewer.show(Number(query.get('page')) || 1, { zoom: 1, x: 0, y: 0 }, 'init');
  tools.set('browse');
  panel.render();
  follow.render();
  channel.open();
  anns.load();
  comments.load();
  channel.refreshPapers();
  if (!restricted()) words.ensure(version).catch(() => {});
  outbox.flush();
  const offReceipt = sendReceipt(`${paperUrl}/open`, version);
  keepForOffline(['/api/auth/session', meetingPath(meetingId), meetingPath(meetingId, '/papers'), paperUrl, `${paperUrl}/comments`]);

  // For tests and the devtools console.
  window.__reader = {
    viewer, outbox, get snapshot() { return snap; }, get paper() { return paper; }, annotations: () => anns.visible(),
    setTool: (name) => tools.set(name), version: current,
  };

  const cleanups = [viewer, offFit, anns, offReceipt, follow, comments, files, channel];
  return () => {
    for (const part of cleanups) {
      try { if (typeof part === 'function') part(); else part.destroy(); } catch (err) { console.warn(err); }
    }
    document.body.classList.remove('is-reading');
    if (window.__reader && window.__reader.viewer === viewer) delete window.__reader;
  };
}
