// The reader's page navigation: previous / "Trang 3/12" / next, zoom out / in and fit to width.
import { h } from '../dom.js';
import { t } from '../i18n.js';

export const iconBtn = (testid, label, text, onclick) => h('button', { type: 'button', class: 'btn btn-icon', testid, title: label, 'aria-label': label, onclick }, text);

export class PageNav {
  /** viewer: the PaperViewer the buttons drive (prev, next, zoomBy, fitWidth, pageCount). */
  constructor(viewer) {
    this.viewer = viewer;
    this.pageNo = h('span', { class: 'reader-page-no', testid: 'reader-page-number', 'aria-live': 'polite' });
    this.prevBtn = iconBtn('reader-prev', t('reader.prev'), '‹', () => viewer.prev('user'));
    this.nextBtn = iconBtn('reader-next', t('reader.next'), '›', () => viewer.next('user'));
    this.el = h('div', { class: 'reader-nav', role: 'group', 'aria-label': t('reader.pages') },
      this.prevBtn, this.pageNo, this.nextBtn,
      iconBtn('reader-zoom-out', t('reader.zoomOut'), '−', () => viewer.zoomBy(0.8)),
      iconBtn('reader-zoom-in', t('reader.zoomIn'), '+', () => viewer.zoomBy(1.25)),
      h('button', { type: 'button', class: 'btn btn-small', testid: 'reader-fit-width', onclick: () => viewer.fitWidth() }, t('reader.fitWidth')));
  }

  /** After every view change: the page number and which buttons can turn. */
  update(view) {
    const total = this.viewer.pageCount;
    this.pageNo.textContent = t('reader.pageOf', { n: view.page, total });
    this.pageNo.dataset.page = String(view.page);
    this.pageNo.dataset.total = String(total);
    this.prevBtn.disabled = view.page <= 1;
    this.nextBtn.disabled = view.page >= total;
  }
}
