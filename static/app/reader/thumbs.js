// The thumbnails panel: every page of the version shown, the current one marked; a tap goes to that page.
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';

export class Thumbnails {
  /** thumbUrl(n) → the image of page n (of the version shown); viewer: pageCount, page, show(). */
  constructor({ thumbUrl, viewer }) {
    this.thumbUrl = thumbUrl;
    this.viewer = viewer;
    this.box = null;
  }

  fill(box) {
    this.box = box;
    const { viewer } = this;
    const list = h('ol', { class: 'thumb-list', testid: 'reader-thumbs' });
    for (let n = 1; n <= viewer.pageCount; n += 1) {
      const b = h('button', { type: 'button', class: ['thumb', n === viewer.page ? 'is-current' : ''], testid: 'reader-thumb', dataset: { page: n }, 'aria-label': t('reader.goToPage', { n }) },
        h('img', { src: this.thumbUrl(n), alt: '', loading: 'lazy', draggable: 'false' }),
        h('span', { class: 'thumb-no' }, String(n)));
      b.addEventListener('click', () => viewer.show(n, { zoom: 1, x: 0, y: 0 }, 'user'));
      list.append(h('li', {}, b));
    }
    replaceChildren(box, h('h2', { class: 'panel-title' }, t('reader.thumbs')), list);
    const current = list.querySelector('.is-current');
    if (current) current.scrollIntoView({ block: 'nearest' });
  }

  /** The page shown changed: mark its thumbnail (when the panel shows them). */
  mark(page) {
    if (!this.box) return;
    for (const b of this.box.querySelectorAll('[data-testid="reader-thumb"]')) {
      const current = Number(b.dataset.page) === page;
      b.classList.toggle('is-current', current);
      if (current) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
    }
  }
}
