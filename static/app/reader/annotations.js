// One person's annotations on the open paper: what the server has (this paper, every version seen), kept on the
// device too (`localStorage['ms.ann.<user>.<paper>.<version>']`, not for restricted papers) so that the reader
// opens offline with the ink as it was, plus what waits in the outbox. Ink, text-snapping highlights and sticky
// notes are made here; the eraser, undo and the note dialog too. Every change goes through the outbox.
import { get } from '../api.js';
import { h, asList } from '../dom.js';
import { t } from '../i18n.js';
import { showError, showNotice } from '../ui.js';
import { textDialog } from './dialog.js';
import { snapHighlight } from './highlight.js';
import { hits as touches } from './ink.js';
import { clientId } from './outbox.js';

export class Annotations {
  /**
   * ids: {meetingId, paperId, me}; outbox: the user's outbox; viewer: the page display (setAnnotations, page,
   * aspect, show); annotationsUrl: `…/papers/{id}/annotations`; version() → the version shown; restricted();
   * words(page) → the words of a page of the shown version when loaded, else null; tools: {layer(), penColor,
   * markColor}.
   */
  constructor({ ids, outbox, viewer, annotationsUrl, version, restricted, words, tools }) {
    Object.assign(this, { ...ids, outbox, viewer, annotationsUrl, version, restricted, words, tools });
    this.server = new Map(); // id -> annotation (this paper, every version)
    this.undoStack = [];
    this.closed = false;
    this.statusEl = h('span', { class: 'outbox-status', testid: 'outbox-status', dataset: { pending: '0' }, role: 'status', hidden: true });
    this.offOutbox = outbox.on((ev) => {
      if (this.closed) return;
      if (ev.type === 'saved' && ev.result && ev.result.annotation) this.server.set(ev.result.annotation.id, ev.result.annotation);
      if (ev.type === 'deleted') this.server.delete(ev.item.id);
      if (ev.type === 'saved' || ev.type === 'deleted') this.store();
      if (ev.type === 'error') showError(t('reader.annotationRefused', { message: ev.error.message || ev.error.code }));
      this.render();
    });
  }

  destroy() {
    this.closed = true;
    this.offOutbox();
  }

  key(v) { return `ms.ann.${this.me}.${this.paperId}.${v}`; }

  store() {
    if (this.restricted()) return;
    const v = this.version();
    try {
      localStorage.setItem(this.key(v), JSON.stringify([...this.server.values()].filter((a) => a.version === v)));
    } catch { /* storage full: the server has them */ }
  }

  restore() {
    if (this.restricted()) return;
    try {
      const list = JSON.parse(localStorage.getItem(this.key(this.version())) || '[]');
      if (Array.isArray(list)) for (const a of list) if (a && a.id && !this.server.has(a.id)) this.server.set(a.id, a);
    } catch { /* ignore */ }
  }

  /** The server's copy of the shown version's annotations replaces what was kept. */
  async load() {
    const v = this.version();
    try {
      const resp = await get(this.annotationsUrl, { version: v });
      if (this.closed) return;
      for (const [id, a] of this.server) if (a.version === v) this.server.delete(id);
      for (const a of asList(resp, 'annotations')) this.server.set(a.id, a);
      this.store();
      this.render();
    } catch (err) {
      if (err.code !== 'network') console.warn(err);
    }
  }

  /** `annotation.saved` / `annotation.deleted` from the channel; true when something changed. */
  applyEvent(type, data) {
    if (type === 'annotation.saved' && data.annotation && data.annotation.paper_id === this.paperId) {
      this.server.set(data.annotation.id, data.annotation);
      return true;
    }
    if (type === 'annotation.deleted' && (data.paper_id === this.paperId || this.server.has(data.annotation_id))) {
      this.server.delete(data.annotation_id);
      return true;
    }
    return false;
  }

  /** The server's, minus the deletions waiting in the outbox, plus its saves (drawn as pending). */
  visible() {
    const { saves, deletes } = this.outbox.pendingFor(this.paperId);
    const out = new Map();
    for (const a of this.server.values()) if (!deletes.has(a.id)) out.set(a.id, a);
    for (const [id, a] of saves) out.set(id, { ...a, owner_id: this.me, pending: true });
    const v = this.version();
    return [...out.values()].filter((a) => a.version === v);
  }

  render() {
    this.viewer.setAnnotations(this.visible());
    const pending = this.outbox.pendingCount(this.paperId);
    this.statusEl.dataset.pending = String(pending);
    this.statusEl.hidden = pending === 0;
    this.statusEl.textContent = t('reader.outboxPending', { n: pending });
  }

  create(kind, data) {
    return {
      id: clientId(kind === 'ink' ? 'ink' : kind === 'highlight' ? 'hl' : 'note'), paper_id: this.paperId,
      version: this.version(), page: this.viewer.page, kind, layer: this.tools.layer(), data,
    };
  }

  keep(a) {
    this.outbox.save(this.meetingId, a);
    this.undoStack.push(a.id);
    this.render();
  }

  addInk(points) {
    this.keep(this.create('ink', { color: this.tools.penColor, width: 0.004, opacity: 1, strokes: [points] }));
  }

  addHighlight(from, to, points) {
    const words = this.words(this.viewer.page);
    const snapped = words ? snapHighlight(words, from, to) : null;
    const color = this.tools.markColor;
    if (snapped) this.keep(this.create('highlight', { color, rects: snapped.rects, text: snapped.text }));
    else if (points.length > 1) this.keep(this.create('ink', { color, width: 0.02, opacity: 0.4, strokes: [points] }));
  }

  async addNote(x, y) {
    const r = await textDialog({ title: t('reader.noteTitle'), text: t('reader.noteHint'), testid: 'note-dialog' });
    if (!r || r.action !== 'save') return;
    this.keep(this.create('note', { color: '#ffd54f', x, y, text: r.text }));
  }

  /** A tap on a note's pin: its text (editable and deletable by its owner). */
  async openNote(a) {
    const own = this.mine(a);
    const r = await textDialog({
      title: t('reader.note'), value: a.data.text, testid: 'note-dialog', readOnly: !own,
      deleteLabel: own ? t('common.delete') : null,
    });
    if (!r) return;
    if (r.action === 'delete') this.remove(a);
    else if (r.text !== a.data.text) {
      this.keep({ id: a.id, paper_id: a.paper_id, version: a.version, page: a.page, kind: 'note', layer: a.layer || 'private', data: { ...a.data, text: r.text } });
    }
  }

  mine(a) { return a.owner_id === this.me || a.pending; }

  remove(a) {
    this.outbox.remove(this.meetingId, a.id, this.paperId);
    this.render();
  }

  erase(x, y) {
    const { aspect, page } = this.viewer;
    for (const a of this.visible()) {
      if (a.page === page && this.mine(a) && touches(a, x, y, aspect)) this.remove(a);
    }
  }

  undo() {
    const visible = new Map(this.visible().map((a) => [a.id, a]));
    while (this.undoStack.length) {
      const a = visible.get(this.undoStack.pop());
      if (a) {
        if (a.page !== this.viewer.page) this.viewer.show(a.page, { zoom: 1, x: 0, y: 0 }, 'user');
        this.remove(a);
        return;
      }
    }
    showNotice(t('reader.nothingToUndo'));
  }
}
