// The paper's title, versions and files in the reader's bars: the title, the restricted note (tài liệu mật), the
// version picker (with several versions), "a newer
// version" button, my annotated copy (`…/export`), the original file (not for restricted papers), and how much of
// the paper is on the tablet ("Đã tải 37/100 trang", the current version only).
import { withLang } from '../api.js';
import { h, replaceChildren, clear } from '../dom.js';
import { t } from '../i18n.js';

export class PaperFiles {
  /** progressBadge(paper) → the download progress element (with `_off()`); onVersion(v): the reader picked one. */
  constructor({ progressBadge, onVersion }) {
    this.progressBadge = progressBadge;
    this.titleEl = h('h1', { class: 'reader-title', testid: 'reader-title' });
    this.restrictedNote = h('p', { class: 'reader-restricted', testid: 'restricted-note', hidden: true }, t('reader.restrictedNote'));
    this.versionBox = h('span', { class: 'reader-version-box' });
    this.progressBox = h('span', { class: 'reader-progress-box' });
    this.newVersionBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'reader-new-version', hidden: true });
    this.exportLink = h('a', { class: 'btn btn-small', testid: 'export-annotated', download: true }, t('reader.exportMine'));
    this.originalLink = h('a', { class: 'btn btn-small', testid: 'download-original', download: true }, t('reader.original'));
    this.menu = h('details', { class: 'reader-menu', testid: 'reader-downloads' },
      h('summary', { class: 'btn btn-small' }, t('reader.downloads')),
      h('div', { class: 'reader-menu-list' }, this.exportLink, this.originalLink));
    this.onVersion = onVersion;
    this.paper = null;
    this.newVersionBtn.addEventListener('click', () => onVersion(this.paper.current_version));
  }

  /** paper; version shown; vPath: that version's address; restricted. */
  show({ paper, version, vPath, restricted }) {
    this.paper = paper;
    this.showTitle(paper.title);
    this.restrictedNote.hidden = !restricted;
    this.exportLink.href = withLang(`${vPath}/export`);
    this.originalLink.href = `${vPath}/file`;
    this.originalLink.hidden = restricted;
    if ((paper.versions || []).length > 1) {
      const sel = h('select', { class: 'input input-small', testid: 'reader-version', 'aria-label': t('reader.versionLabel') },
        paper.versions.map((v) => h('option', { value: v.version, selected: v.version === version },
          v.version === paper.current_version ? t('reader.versionCurrent', { n: v.version }) : t('reader.versionN', { n: v.version }))));
      sel.addEventListener('change', () => this.onVersion(Number(sel.value)));
      replaceChildren(this.versionBox, sel);
    } else clear(this.versionBox);
    this.newVersionBtn.hidden = version === paper.current_version;
    this.newVersionBtn.textContent = t('reader.newVersion', { n: paper.current_version });
    this.stopProgress();
    replaceChildren(this.progressBox, version === paper.current_version && !restricted ? this.progressBadge(paper) : null);
  }

  showTitle(title) { this.titleEl.textContent = title; }

  stopProgress() {
    for (const el of this.progressBox.querySelectorAll('[data-testid="prefetch-progress"]')) if (el._off) el._off();
  }

  destroy() { this.stopProgress(); }
}
