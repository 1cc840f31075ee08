// Diacritics folding and the offline search of a paper's text layer.
//
// Vietnamese readers type without tones on a tablet keyboard: "bien ban" must find "Biên bản". fold() drops the
// combining marks after NFD decomposition and maps đ/Đ to d (đ does not decompose). searchText() runs over the
// words of `GET …/versions/{v}/text` (kept in the service worker's cache), so a tablet with no network still finds
// the hits, with the same answer shape as the server's `…/search` ({page, rects, snippet}).

import { foldVietnamese } from '../format.js';

/** "Biên bản HỌP" → "bien ban hop" (format.js's foldVietnamese, which every search and filter uses). */
export const fold = foldVietnamese;

/**
 * Boxes of words on one line merged into one rectangle per line: [[x0, y0, x1, y1]…] (page coordinates 0..1).
 * Two boxes are on the same line when their vertical extents overlap by more than half the smaller height.
 */
export function mergeLines(boxes) {
  const lines = [];
  for (const b of boxes) {
    const [x0, y0, x1, y1] = b;
    const h = y1 - y0;
    const line = lines.find((l) => {
      const overlap = Math.min(l[3], y1) - Math.max(l[1], y0);
      return overlap > 0.5 * Math.min(h, l[3] - l[1]);
    });
    if (line) {
      line[0] = Math.min(line[0], x0);
      line[1] = Math.min(line[1], y0);
      line[2] = Math.max(line[2], x1);
      line[3] = Math.max(line[3], y1);
    } else {
      lines.push([x0, y0, x1, y1]);
    }
  }
  return lines.map((r) => r.map((v) => Math.round(v * 100000) / 100000));
}

const TOKEN = /[\p{L}\p{N}]+/gu;
const TONES = /[\u0300\u0301\u0303\u0309\u0323]/g; // huyền, sắc, ngã, hỏi, nặng

/** The letter-and-digit runs of a text: "30/2020/NĐ-CP" → ["30", "2020", "NĐ", "CP"]. */
export function tokens(text) {
  return String(text ?? '').normalize('NFC').match(TOKEN) || [];
}

/** [letters, tone]: the lower-case token with its tone mark lifted off ("Ủy" and "Uỷ" give the same key). */
function toneKey(token) {
  const d = token.normalize('NFC').toLowerCase().normalize('NFD');
  const tone = (d.match(TONES) || []).sort().join('');
  return [d.replace(TONES, '').normalize('NFC'), tone];
}

const hasDiacritics = (token) => fold(token) !== token.normalize('NFC').toLowerCase();

/**
 * Search the text layer `pages` ([[{text, box}]…], one list per page) for `query` the way the server does
 * (meeting_server/documents/textfold.py): tokens are runs of letters and digits, so punctuation never stops a
 * match; a query token typed without diacritics matches any ("bien ban" finds "Biên bản"), one typed with them
 * must have the same letters and tone; the last query token may be a prefix. Returns [{page (1-based), rects,
 * snippet}] in reading order, at most `limit`.
 */
export function searchText(pages, query, limit = 200) {
  const wanted = tokens(query).map((tk) => {
    const [letters, tone] = toneKey(tk);
    return { folded: fold(tk), letters, tone, exact: hasDiacritics(tk) };
  });
  const hits = [];
  if (!wanted.length || !Array.isArray(pages)) return hits;
  const last = wanted.length - 1;
  pages.forEach((words, pageIndex) => {
    if (!Array.isArray(words) || hits.length >= limit) return;
    const toks = [];
    words.forEach((w, wi) => {
      for (const tk of tokens(w.text)) toks.push({ word: wi, folded: fold(tk), key: toneKey(tk) });
    });
    const matches = (tk, q, prefix) => {
      if (!(prefix ? tk.folded.startsWith(q.folded) : tk.folded === q.folded)) return false;
      if (!q.exact) return true;
      const [letters, tone] = tk.key;
      if (prefix) return letters.startsWith(q.letters) && (!q.tone || tone === q.tone);
      return letters === q.letters && tone === q.tone;
    };
    for (let start = 0; start + last < toks.length && hits.length < limit; start += 1) {
      if (!wanted.every((q, i) => matches(toks[start + i], q, i === last))) continue;
      const first = toks[start].word;
      const end = toks[start + last].word;
      const boxes = words.slice(first, end + 1).map((w) => w.box).filter((b) => Array.isArray(b) && b.length === 4);
      const lo = Math.max(0, first - 6);
      const hi = Math.min(words.length, end + 7);
      const text = words.slice(lo, hi).map((w) => w.text).join(' ');
      hits.push({
        page: pageIndex + 1, rects: mergeLines(boxes),
        snippet: (lo > 0 ? '… ' : '') + text + (hi < words.length ? ' …' : ''),
      });
      start += last; // matches do not overlap
    }
  });
  return hits;
}
