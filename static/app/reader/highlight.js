// A highlight that snaps to the text: a drag over the page picks whole words from the text layer (`…/text`), in
// reading order from the word nearest the start to the word nearest the end, merged into one rectangle per line.
import { mergeLines } from './fold.js';

function distance(box, x, y) {
  const dx = x < box[0] ? box[0] - x : x > box[2] ? x - box[2] : 0;
  const dy = y < box[1] ? box[1] - y : y > box[3] ? y - box[3] : 0;
  // A point beside a line belongs to that line before the one above or below it.
  return Math.hypot(dx, dy * 3);
}

/** Index of the word nearest to (x, y), or -1 when none is within `reach` (page fractions). */
export function nearestWord(words, x, y, reach = 0.04) {
  let best = -1;
  let bestD = Infinity;
  words.forEach((w, i) => {
    if (!Array.isArray(w.box)) return;
    const d = distance(w.box, x, y);
    if (d < bestD) { bestD = d; best = i; }
  });
  return bestD <= reach ? best : -1;
}

/**
 * The words between two points of a drag: `{rects, text}` for `kind: "highlight"` annotations, or null when the
 * drag touches no text (the reader then keeps it as a free marker stroke).
 */
export function snapHighlight(words, from, to) {
  if (!Array.isArray(words) || !words.length) return null;
  let a = nearestWord(words, from[0], from[1]);
  let b = nearestWord(words, to[0], to[1]);
  if (a < 0 && b < 0) return null;
  if (a < 0) a = b;
  if (b < 0) b = a;
  if (a > b) [a, b] = [b, a];
  const picked = words.slice(a, b + 1).filter((w) => Array.isArray(w.box) && w.box[2] > w.box[0] && w.box[3] > w.box[1]);
  if (!picked.length) return null;
  return { rects: mergeLines(picked.map((w) => w.box)), text: picked.map((w) => w.text).join(' ').slice(0, 5000) };
}
