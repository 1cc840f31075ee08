// The search panel: the server's `…/search` when online; offline (or when the server cannot answer) the cached
// text layer with the same rules (fold.js), tones ignored: "bien ban" finds "Biên bản". Hits are marked on the
// pages and listed; a tap on one goes to its page.
import { get } from '../api.js';
import { h, replaceChildren, clear } from '../dom.js';
import { t } from '../i18n.js';
import { showError } from '../ui.js';
import { searchText } from './fold.js';

export class SearchPanel {
  /** searchUrl() → the shown version's `…/search`; words() → its text layer (a promise); viewer: setMarks, page, show. */
  constructor({ searchUrl, words, viewer }) {
    this.searchUrl = searchUrl;
    this.words = words;
    this.viewer = viewer;
    this.hits = [];
    this.input = h('input', { type: 'search', class: 'input', testid: 'reader-search-input', placeholder: t('reader.searchPlaceholder'), 'aria-label': t('reader.search'), enterkeyhint: 'search' });
    this.status = h('p', { class: 'search-status', testid: 'search-count', role: 'status' });
    this.list = h('ol', { class: 'search-hits', testid: 'search-hits' });
    this.form = h('form', { class: 'search-form', role: 'search' }, this.input,
      h('button', { type: 'submit', class: 'btn btn-primary', testid: 'reader-search-submit' }, t('reader.searchGo')));
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.run(this.input.value).catch(showError); });
  }

  fill(box) {
    replaceChildren(box, h('h2', { class: 'panel-title' }, t('reader.search')), this.form, this.status, this.list);
    this.input.focus({ preventScroll: true });
  }

  /** Another version is shown: its pages carry no marks of the old one. */
  reset() {
    this.hits = [];
    this.viewer.setMarks([]);
  }

  async run(q) {
    const text = q.trim();
    const { viewer, status } = this;
    this.hits = [];
    clear(this.list);
    if (!text) { status.textContent = ''; viewer.setMarks([]); return; }
    status.textContent = t('reader.searching');
    let source = 'server';
    let found = null;
    if (navigator.onLine) {
      try {
        const resp = await get(this.searchUrl(), { q: text });
        found = Array.isArray(resp && resp.hits) ? resp.hits : null;
      } catch { found = null; }
    }
    if (!found) {
      source = 'local';
      try {
        found = searchText(await this.words(), text);
      } catch {
        status.textContent = t('reader.searchOffline');
        status.dataset.count = '0';
        return;
      }
    }
    this.hits = found;
    status.dataset.count = String(found.length);
    status.dataset.source = source;
    status.textContent = found.length ? t('reader.searchFound', { n: found.length }) : t('reader.searchNone', { q: text });
    viewer.setMarks(found);
    for (const hit of found) {
      const b = h('button', { type: 'button', class: 'search-hit', testid: 'search-hit', dataset: { page: hit.page } },
        h('span', { class: 'search-hit-page' }, t('reader.pageN', { n: hit.page })),
        h('span', { class: 'search-hit-snippet' }, hit.snippet || ''));
      b.addEventListener('click', () => viewer.show(hit.page, { zoom: 1, x: 0, y: 0 }, 'user'));
      this.list.append(h('li', {}, b));
    }
    if (found.length && !found.some((x) => x.page === viewer.page)) viewer.show(found[0].page, { zoom: 1, x: 0, y: 0 }, 'user');
  }
}
