// Ink: which pointer draws, and how annotations are drawn on a page.
//
// Palm rejection: a stylus (`pointerType === 'pen'`) always draws. Once a pen has been seen on this device, a
// finger never draws (the hand resting on the glass) and pans or zooms instead. On a tablet with no pen, a finger
// draws while the pen tool is chosen. A mouse draws.
//
// Everything is in the displayed page's coordinates, 0..1 from the top left (docs/api.md, "annotation"). The
// annotation layer is an SVG whose viewBox is 1000 wide and 1000 × height/width tall, so a stroke width given as a
// fraction of the page width is `width × 1000` user units at any zoom.

const SVG = 'http://www.w3.org/2000/svg';
const PEN_KEY = 'ms.reader.penSeen';
export const VIEW_W = 1000;

let penSeen = (() => { try { return localStorage.getItem(PEN_KEY) === '1'; } catch { return false; } })();

export function notePointer(pointerType) {
  if (pointerType === 'pen' && !penSeen) {
    penSeen = true;
    try { localStorage.setItem(PEN_KEY, '1'); } catch { /* ignore */ }
  }
}

export function hasPen() { return penSeen; }

/** Whether this pointer draws with a drawing tool chosen (else it pans, zooms and turns pages). */
export function drawsWith(pointerType) {
  if (pointerType === 'pen') return true;
  if (pointerType === 'touch') return !penSeen;
  return true; // mouse
}

export function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  return el;
}

const num = (v) => (Math.round(v * 10) / 10).toString();

/** The SVG path of one stroke ([[x, y]…] in 0..1) in a layer `height` units tall. */
export function strokePath(points, height) {
  if (!points.length) return '';
  const [x0, y0] = points[0];
  let d = `M${num(x0 * VIEW_W)} ${num(y0 * height)}`;
  if (points.length === 1) return `${d} l0.01 0`; // a dot
  for (let i = 1; i < points.length; i += 1) d += ` L${num(points[i][0] * VIEW_W)} ${num(points[i][1] * height)}`;
  return d;
}

/** Drops points that add nothing (closer than `eps` of the page width to the last one kept). */
export function simplify(points, eps = 0.0015) {
  const out = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (!last || Math.hypot(p[0] - last[0], p[1] - last[1]) >= eps) out.push([Math.round(p[0] * 1e5) / 1e5, Math.round(p[1] * 1e5) / 1e5]);
  }
  const end = points[points.length - 1];
  if (end && out.length && out[out.length - 1] !== end && out.length < points.length) out.push(end);
  return out;
}

/** An SVG group for an annotation (ink or highlight; notes are pins in the HTML layer), or null. */
export function annotationNode(a, height) {
  const data = a.data || {};
  const g = svg('g', {
    'data-testid': 'annotation', 'data-id': a.id, 'data-kind': a.kind, 'data-layer': a.layer || 'private',
    'data-pending': a.pending ? 'true' : null, class: `ann ann-${a.kind}`,
  });
  if (a.kind === 'ink') {
    const width = Math.max(0.5, (Number(data.width) || 0.004) * VIEW_W);
    for (const stroke of data.strokes || []) {
      g.append(svg('path', {
        d: strokePath(stroke, height), fill: 'none', stroke: data.color || '#d32f2f', 'stroke-width': width,
        'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'stroke-opacity': data.opacity ?? 1,
      }));
    }
  } else if (a.kind === 'highlight') {
    for (const r of data.rects || []) {
      g.append(svg('rect', {
        x: r[0] * VIEW_W, y: r[1] * height, width: (r[2] - r[0]) * VIEW_W, height: (r[3] - r[1]) * height,
        fill: data.color || '#ffd54f', 'fill-opacity': 0.4, rx: 2,
      }));
    }
  } else {
    return null;
  }
  return g;
}

function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/**
 * Does (x, y) touch the annotation? `aspect` = page height / width, so that distances are measured in page
 * widths both ways. `reach` is in page widths.
 */
export function hits(a, x, y, aspect, reach = 0.012) {
  const data = a.data || {};
  if (a.kind === 'ink') {
    const r = reach + (Number(data.width) || 0.004) / 2;
    for (const s of data.strokes || []) {
      for (let i = 0; i < s.length; i += 1) {
        const [ax, ay] = s[i];
        const [bx, by] = s[Math.min(i + 1, s.length - 1)];
        if (segmentDistance(x, y * aspect, ax, ay * aspect, bx, by * aspect) <= r) return true;
      }
    }
    return false;
  }
  if (a.kind === 'highlight') {
    return (data.rects || []).some((rc) => x >= rc[0] - reach && x <= rc[2] + reach && y >= rc[1] - reach / aspect && y <= rc[3] + reach / aspect);
  }
  if (a.kind === 'note') {
    return Math.hypot(x - data.x, (y - data.y) * aspect) <= reach * 3;
  }
  return false;
}

export const PEN_COLORS = ['#d32f2f', '#1565c0', '#2e7d32', '#212121'];
export const HIGHLIGHT_COLORS = ['#ffd54f', '#81c784', '#64b5f6', '#f48fb1'];
