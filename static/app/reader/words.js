// The text layer of a paper's versions (`GET …/versions/{v}/text`), fetched once per version and kept: the
// highlight snaps to its words and the offline search reads it (the service worker keeps the answer).
import { get } from '../api.js';

export class TextLayer {
  /** url(version) → the address of that version's text layer. */
  constructor(url) {
    this.url = url;
    this.byVersion = new Map(); // version -> pages of words, or the promise of them
  }

  /** The pages of words of a version ([[{text, box}]…]), fetched if need be. */
  ensure(version) {
    const have = this.byVersion.get(version);
    if (have) return Promise.resolve(have);
    const p = get(this.url(version)).then((resp) => {
      const pages = Array.isArray(resp && resp.pages) ? resp.pages : [];
      this.byVersion.set(version, pages);
      return pages;
    }).catch((err) => { this.byVersion.delete(version); throw err; });
    this.byVersion.set(version, p);
    return p;
  }

  /** The words of one page when they are already here, else null. */
  wordsOf(version, page) {
    const w = this.byVersion.get(version);
    return Array.isArray(w) ? w[page - 1] || [] : null;
  }
}
