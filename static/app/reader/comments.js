// Comments on a paper (góp ý dự thảo): pinned to a place on a page, drawn as pins, listed in the side panel; the
// organisers set each one's status and answer it and export the list (PDF, CSV).
import { get, post, patch, withLang } from '../api.js';
import { h, replaceChildren, asList } from '../dom.js';
import { t } from '../i18n.js';
import { busy, showError, showNotice } from '../ui.js';
import { textDialog } from './dialog.js';
import { clientId } from './outbox.js';

export class Comments {
  /**
   * paperId; paperUrl: `…/papers/{id}` (its `/comments` and `/comments/export`); commentUrl(id) → `…/comments/{id}`;
   * viewer: setPins, page, show; version() → the version shown; manages() → may this person handle comments;
   * onChange(): the list changed (the panel redraws itself when open).
   */
  constructor({ paperId, paperUrl, commentUrl, viewer, version, manages, onChange }) {
    Object.assign(this, { paperId, paperUrl, commentUrl, viewer, version, manages, onChange });
    this.list = [];
    this.closed = false;
  }

  destroy() { this.closed = true; }

  async load() {
    try {
      const resp = await get(`${this.paperUrl}/comments`);
      if (this.closed) return;
      this.list = asList(resp, 'comments');
      this.changed();
    } catch (err) {
      if (err.code !== 'network') console.warn(err);
    }
  }

  /** A comment added or changed (ours, or from the channel). */
  upsert(c) {
    if (c.paper_id !== this.paperId) return;
    this.list = [...this.list.filter((x) => x.id !== c.id), c];
    this.changed();
  }

  changed() {
    this.renderPins();
    this.onChange();
  }

  renderPins() {
    const v = this.version();
    this.viewer.setPins(this.list.filter((c) => c.version === v).map((c) => ({
      kind: 'comment', id: c.id, page: c.page, x: c.x, y: c.y, label: c.text, status: c.status, comment: c,
    })));
  }

  /** The comment tool placed a pin at (x, y) on the page shown. */
  async add(x, y) {
    const r = await textDialog({ title: t('reader.commentTitle'), text: t('reader.commentHint'), testid: 'comment-dialog', confirmLabel: t('reader.commentSend') });
    if (!r || r.action !== 'save') return;
    try {
      const resp = await post(`${this.paperUrl}/comments`, {
        id: clientId('c'), version: this.version(), page: this.viewer.page, x, y, text: r.text,
      });
      if (resp && resp.comment) this.upsert(resp.comment);
      showNotice(t('reader.commentSent'));
    } catch (err) {
      showError(err);
    }
  }

  /** A tap on a comment's pin: the comment, its author, status and answer. */
  async open(c) {
    await textDialog({
      title: t('reader.comment'), value: c.text, testid: 'comment-dialog', readOnly: true,
      text: `${c.author_name} · ${t(`reader.commentStatus.${c.status}`)}${c.answer ? ` — ${t('reader.answer', { text: c.answer })}` : ''}`,
    });
  }

  /** The side panel's list. */
  fill(box) {
    const v = this.version();
    const shown = this.list.filter((c) => c.version === v).sort((a, b) => a.page - b.page || String(a.created_at).localeCompare(String(b.created_at)));
    const organiser = this.manages();
    const items = shown.map((c) => {
      const li = h('li', { class: ['comment-item', `is-${c.status}`], testid: 'comment-item', dataset: { id: c.id, status: c.status, page: c.page } },
        h('div', { class: 'comment-head' },
          h('button', { type: 'button', class: 'btn-link', testid: 'comment-goto', onclick: () => this.viewer.show(c.page, { zoom: 1, x: 0, y: 0 }, 'user') }, t('reader.pageN', { n: c.page })),
          h('span', { class: 'comment-author' }, c.author_name),
          h('span', { class: ['badge', `badge-comment-${c.status}`], testid: 'comment-status-badge' }, t(`reader.commentStatus.${c.status}`))),
        h('p', { class: 'comment-text', testid: 'comment-text' }, c.text),
        c.answer ? h('p', { class: 'comment-answer-text', testid: 'comment-answer-text' }, t('reader.answer', { text: c.answer })) : null);
      if (organiser) li.append(this.manageBox(c));
      return li;
    });
    const cPath = `${this.paperUrl}/comments/export`;
    replaceChildren(box,
      h('h2', { class: 'panel-title' }, t('reader.comments')),
      h('p', { class: 'hint' }, organiser ? t('reader.commentsHintOrganiser') : t('reader.commentsHint')),
      organiser ? h('div', { class: 'button-row comment-exports' },
        h('a', { class: 'btn btn-small', href: withLang(`${cPath}?format=pdf`), download: true, testid: 'comments-export-pdf' }, t('reader.exportPdf')),
        h('a', { class: 'btn btn-small', href: withLang(`${cPath}?format=csv`), download: true, testid: 'comments-export-csv' }, t('reader.exportCsv'))) : null,
      items.length ? h('ol', { class: 'comment-list', testid: 'comment-list' }, items) : h('p', { class: 'empty', testid: 'comments-empty' }, t('reader.commentsEmpty')));
  }

  /** An organiser's status, answer and save for one comment. */
  manageBox(c) {
    const status = h('select', { class: 'input input-small', testid: 'comment-status', 'aria-label': t('reader.commentStatusLabel') },
      ['new', 'accepted', 'answered'].map((s) => h('option', { value: s, selected: s === c.status }, t(`reader.commentStatus.${s}`))));
    const answer = h('textarea', { class: 'input', rows: 2, testid: 'comment-answer', placeholder: t('reader.answerPlaceholder'), 'aria-label': t('reader.answerPlaceholder') });
    answer.value = c.answer || '';
    const save = h('button', { type: 'button', class: 'btn btn-small btn-primary', testid: 'comment-save' }, t('common.save'));
    save.addEventListener('click', () => busy(save, async () => {
      const resp = await patch(this.commentUrl(c.id), { status: status.value, answer: answer.value.trim() });
      if (resp && resp.comment) this.upsert(resp.comment);
    }));
    return h('div', { class: 'comment-manage' }, status, answer, save);
  }
}
