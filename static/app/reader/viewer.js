// The page display of the reader: one page at a time, fitted to the screen, with swipe or tap to turn pages,
// pinch (or ctrl + wheel) to zoom, drag to pan, and the layers drawn over the page image: annotations (SVG), search
// hits, note and comment pins, and the stroke being drawn.
//
// The view is {page, zoom, x, y}: zoom 1 shows the whole page; x and y are the top-left corner of what is visible,
// as fractions of the page's width and height (0..1), the same numbers the presenter sends to followers.
import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { annotationNode, drawsWith, notePointer, simplify, strokePath, svg, VIEW_W } from './ink.js';

const MAX_ZOOM = 8;
const SWIPE_PX = 60;
const TAP_PX = 10;
const TAP_MS = 350;

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export class PaperViewer {
  /**
   * handlers: onView(view, source) after every change (source 'user' for the reader's own gestures),
   * onStroke(points), onHighlight(from, to, points), onPlace(tool, x, y), onErase(x, y), onPin(pin),
   * snap(from, to) → rects to preview a highlight.
   */
  constructor(handlers = {}) {
    this.handlers = handlers;
    this.pages = []; // [{width, height}] in points, as displayed
    this.imageUrl = () => '';
    this.page = 1;
    this.zoom = 1;
    this.x = 0;
    this.y = 0;
    this.tool = 'browse';
    this.penColor = '#d32f2f';
    this.penWidth = 0.004;
    this.annotations = [];
    this.marks = [];
    this.pins = [];
    this.pointers = new Map();
    this.gesture = null;
    this.stroke = null;
    this.wheelAt = 0;
    this.wheelSum = 0;

    this.img = h('img', { class: 'reader-img', alt: '', draggable: 'false', testid: 'reader-image' });
    this.img.addEventListener('load', () => {
      this.sheet.dataset.loaded = 'true';
      this.missing.hidden = true;
      this.preloadNeighbours();
    });
    this.img.addEventListener('error', () => {
      if (this.fallbackSrc && this.img.src !== new URL(this.fallbackSrc, location.href).href) {
        this.img.src = this.fallbackSrc; // a sharper image could not load: keep the one we have
        return;
      }
      this.sheet.dataset.loaded = 'error';
      this.missing.hidden = false;
    });
    this.layer = svg('svg', { class: 'reader-ink', 'data-testid': 'ink-layer', 'data-count': '0', preserveAspectRatio: 'none' });
    this.live = svg('svg', { class: 'reader-live', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
    this.marksBox = h('div', { class: 'reader-marks', 'aria-hidden': 'true' });
    this.pinsBox = h('div', { class: 'reader-pins' });
    this.missing = h('p', { class: 'reader-missing', testid: 'page-missing', hidden: true }, t('reader.pageMissing'));
    this.sheet = h('div', { class: 'reader-sheet', testid: 'reader-page', dataset: { page: 1, zoom: 1, loaded: 'false' } },
      this.img, this.marksBox, this.layer, this.live, this.pinsBox, this.missing);
    this.el = h('div', { class: 'reader-stage', testid: 'reader-stage', tabindex: '0', 'aria-label': t('reader.stage') }, this.sheet);

    this.el.addEventListener('pointerdown', (e) => this.down(e));
    this.el.addEventListener('pointermove', (e) => this.move(e));
    this.el.addEventListener('pointerup', (e) => this.up(e, false));
    this.el.addEventListener('pointercancel', (e) => this.up(e, true));
    this.el.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    this.el.addEventListener('keydown', (e) => this.key(e));
    this.el.addEventListener('contextmenu', (e) => { if (this.tool !== 'browse') e.preventDefault(); });
    this.resizeObserver = new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(this.el);
  }

  destroy() {
    this.resizeObserver.disconnect();
    this.pointers.clear();
  }

  // ---------------------------------------------------------------- content

  /** pages: [{width, height}]; imageUrl(page, zoom) → the image address for that page at that zoom. */
  setPaper({ pages, imageUrl }) {
    this.pages = pages && pages.length ? pages : [{ width: 595, height: 842 }];
    this.imageUrl = imageUrl;
    this.page = clamp(this.page, 1, this.pages.length);
    this.loadImage(true);
    this.layout();
    this.renderAnnotations();
  }

  get pageCount() { return this.pages.length; }
  get aspect() {
    const p = this.pages[this.page - 1] || this.pages[0];
    return p.height / p.width;
  }

  get view() { return { page: this.page, zoom: this.zoom, x: this.x, y: this.y }; }

  /** Shows a page at a zoom and position; `source` is passed to onView ('user' when the reader did it). */
  show(page, { zoom = this.zoom, x = this.x, y = this.y } = {}, source = 'program') {
    const next = clamp(Math.round(Number(page) || 1), 1, this.pageCount);
    const changed = next !== this.page;
    this.page = next;
    this.zoom = clamp(Number(zoom) || 1, 1, MAX_ZOOM);
    this.x = Number(x) || 0;
    this.y = Number(y) || 0;
    if (changed) {
      this.cancelStroke();
      this.loadImage(true);
      this.renderAnnotations();
      this.renderMarks();
      this.renderPins();
    }
    this.layout();
    this.emit(source);
  }

  next(source = 'user') { if (this.page < this.pageCount) this.show(this.page + 1, { zoom: 1, x: 0, y: 0 }, source); }
  prev(source = 'user') { if (this.page > 1) this.show(this.page - 1, { zoom: 1, x: 0, y: 0 }, source); }

  zoomBy(factor, source = 'user') {
    const r = this.el.getBoundingClientRect();
    this.zoomAt(this.zoom * factor, r.left + r.width / 2, r.top + r.height / 2);
    this.emit(source);
  }

  /** Zoom so that the page's width fills the screen (reading a portrait page on a landscape tablet). */
  fitWidth(source = 'user') {
    const { bw } = this.base();
    const z = clamp(this.el.clientWidth / bw, 1, MAX_ZOOM);
    this.zoom = z;
    this.x = 0;
    this.y = 0;
    this.layout();
    this.emit(source);
  }

  emit(source) {
    this.sheet.dataset.page = String(this.page);
    this.sheet.dataset.zoom = String(Math.round(this.zoom * 100) / 100);
    if (this.handlers.onView) this.handlers.onView(this.view, source);
    this.sharpen();
  }

  loadImage(reset) {
    if (!this.pages.length) return;
    const src = this.imageUrl(this.page, 1);
    if (reset) {
      this.sheet.dataset.loaded = 'false';
      this.missing.hidden = true;
      this.fallbackSrc = null;
      this.sharpZoom = 1;
    }
    if (src && this.img.getAttribute('src') !== src) this.img.src = src;
  }

  /** When zoomed in, ask for a larger rendering of this page (if there is one and the network gives it). */
  sharpen() {
    clearTimeout(this.sharpTimer);
    if (this.zoom < 1.6 || this.sharpZoom >= 2) return;
    this.sharpTimer = setTimeout(() => {
      const src = this.imageUrl(this.page, this.zoom);
      if (!src || src === this.img.getAttribute('src') || !navigator.onLine) return;
      const probe = new Image();
      const page = this.page;
      probe.onload = () => {
        if (page !== this.page) return;
        this.fallbackSrc = this.img.getAttribute('src');
        this.sharpZoom = 2;
        this.img.src = src;
      };
      probe.src = src;
    }, 400);
  }

  preloadNeighbours() {
    for (const n of [this.page + 1, this.page - 1]) {
      if (n >= 1 && n <= this.pageCount) {
        const im = new Image();
        im.src = this.imageUrl(n, 1);
      }
    }
  }

  // ---------------------------------------------------------------- geometry

  base() {
    const sw = Math.max(1, this.el.clientWidth);
    const sh = Math.max(1, this.el.clientHeight);
    const aspect = this.aspect;
    const pad = Math.min(16, sw * 0.02); // a margin around the whole page, so its edges show
    const bw = Math.max(1, Math.min(sw - pad, (sh - pad) / aspect));
    return { sw, sh, bw, bh: bw * aspect };
  }

  clampView() {
    const { sw, sh, bw, bh } = this.base();
    const dw = bw * this.zoom;
    const dh = bh * this.zoom;
    this.x = clamp(this.x, 0, Math.max(0, 1 - sw / dw));
    this.y = clamp(this.y, 0, Math.max(0, 1 - sh / dh));
    return { sw, sh, dw, dh };
  }

  layout() {
    if (!this.el.isConnected) return;
    const { sw, sh, dw, dh } = this.clampView();
    const left = dw <= sw ? (sw - dw) / 2 : -this.x * dw;
    const top = dh <= sh ? (sh - dh) / 2 : -this.y * dh;
    this.dims = { dw, dh, left, top };
    this.sheet.style.width = `${dw}px`;
    this.sheet.style.height = `${dh}px`;
    this.sheet.style.transform = `translate(${left + (this.swipeDx || 0)}px, ${top}px)`;
    const vh = VIEW_W * this.aspect;
    for (const layer of [this.layer, this.live]) layer.setAttribute('viewBox', `0 0 ${VIEW_W} ${vh}`);
  }

  /** Client coordinates → page coordinates (0..1). */
  toPage(clientX, clientY) {
    const r = this.sheet.getBoundingClientRect();
    return [clamp((clientX - r.left) / r.width, 0, 1), clamp((clientY - r.top) / r.height, 0, 1)];
  }

  zoomAt(z, clientX, clientY) {
    const r = this.el.getBoundingClientRect();
    const [px, py] = this.toPage(clientX, clientY);
    this.zoom = clamp(z, 1, MAX_ZOOM);
    const { bw, bh } = this.base();
    const dw = bw * this.zoom;
    const dh = bh * this.zoom;
    this.x = (px * dw - (clientX - r.left)) / dw;
    this.y = (py * dh - (clientY - r.top)) / dh;
    this.layout();
  }

  // ---------------------------------------------------------------- layers

  setAnnotations(list) {
    this.annotations = Array.isArray(list) ? list : [];
    this.renderAnnotations();
  }

  renderAnnotations() {
    clear(this.layer);
    const vh = VIEW_W * this.aspect;
    let count = 0;
    for (const a of this.annotations) {
      if (a.page !== this.page) continue;
      count += 1;
      const node = annotationNode(a, vh);
      if (node) this.layer.append(node);
    }
    this.layer.setAttribute('data-count', String(count));
    this.renderPins();
  }

  /** Search hits on pages: [{page, rects}]. */
  setMarks(hits) {
    this.marks = Array.isArray(hits) ? hits : [];
    this.renderMarks();
  }

  renderMarks() {
    clear(this.marksBox);
    for (const hit of this.marks) {
      if (hit.page !== this.page) continue;
      for (const r of hit.rects || []) {
        const m = h('div', { class: 'search-mark', testid: 'search-mark' });
        m.style.left = `${r[0] * 100}%`;
        m.style.top = `${r[1] * 100}%`;
        m.style.width = `${(r[2] - r[0]) * 100}%`;
        m.style.height = `${(r[3] - r[1]) * 100}%`;
        this.marksBox.append(m);
      }
    }
  }

  /** Pins: [{kind: 'note' | 'comment', id, page, x, y, label, status}] drawn as buttons on the page. */
  setPins(pins) {
    this.pins = Array.isArray(pins) ? pins : [];
    this.renderPins();
  }

  renderPins() {
    clear(this.pinsBox);
    const notes = this.annotations.filter((a) => a.kind === 'note' && a.page === this.page).map((a) => ({
      kind: 'note', id: a.id, x: a.data.x, y: a.data.y, label: a.data.text, color: a.data.color, annotation: a,
    }));
    for (const pin of [...notes, ...this.pins.filter((p) => p.page === this.page)]) {
      const b = h('button', {
        type: 'button', class: ['pin', `pin-${pin.kind}`, pin.status ? `pin-${pin.status}` : ''],
        testid: pin.kind === 'note' ? 'note-pin' : 'comment-pin', title: pin.label,
        'aria-label': `${pin.kind === 'note' ? t('reader.note') : t('reader.comment')}: ${pin.label}`,
        dataset: { id: pin.id, status: pin.status },
      }, pin.kind === 'note' ? '✎' : '❞');
      b.style.left = `${pin.x * 100}%`;
      b.style.top = `${pin.y * 100}%`;
      if (pin.color && pin.kind === 'note') b.style.backgroundColor = pin.color;
      b.addEventListener('pointerdown', (e) => e.stopPropagation());
      b.addEventListener('click', (e) => {
        e.stopPropagation();
        if (this.tool === 'eraser' && pin.kind === 'note' && this.handlers.onErase) this.handlers.onErase(pin.x, pin.y);
        else if (this.handlers.onPin) this.handlers.onPin(pin);
      });
      this.pinsBox.append(b);
    }
  }

  // ---------------------------------------------------------------- tools

  setTool(tool, { color, width } = {}) {
    this.cancelStroke();
    this.tool = tool;
    if (color) this.penColor = color;
    if (width) this.penWidth = width;
    this.el.dataset.tool = tool;
  }

  drawing(e) {
    return this.tool !== 'browse' && drawsWith(e.pointerType);
  }

  cancelStroke() {
    this.stroke = null;
    clear(this.live);
  }

  // ---------------------------------------------------------------- pointers

  down(e) {
    notePointer(e.pointerType);
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    this.el.focus({ preventScroll: true });
    const [px, py] = this.toPage(e.clientX, e.clientY);
    this.pointers.set(e.pointerId, { id: e.pointerId, type: e.pointerType, x0: e.clientX, y0: e.clientY, x: e.clientX, y: e.clientY, t0: performance.now() });
    try { this.el.setPointerCapture(e.pointerId); } catch { /* ignore */ }
    e.preventDefault();
    // Palm rejection: while a stylus writes, the hand on the glass does nothing at all.
    if (this.stroke && this.stroke.type === 'pen' && e.pointerType !== 'pen') return;

    const touches = [...this.pointers.values()].filter((p) => p.type !== 'pen');
    if (touches.length >= 2) {
      // A second finger: whatever the first one did becomes a pinch.
      this.cancelStroke();
      this.startPinch(touches[0], touches[1]);
      return;
    }
    if (this.drawing(e)) {
      if (this.stroke) return; // one stroke at a time
      this.stroke = { id: e.pointerId, type: e.pointerType, tool: this.tool, points: [[px, py]], from: [px, py] };
      if (this.tool === 'pen') {
        this.livePath = svg('path', {
          fill: 'none', stroke: this.penColor, 'stroke-width': this.penWidth * VIEW_W, 'stroke-linecap': 'round', 'stroke-linejoin': 'round',
        });
        this.live.append(this.livePath);
      } else if (this.tool === 'eraser' && this.handlers.onErase) {
        this.handlers.onErase(px, py);
      }
      return;
    }
    this.gesture = { kind: this.zoom > 1.01 ? 'pan' : 'swipe', id: e.pointerId, x0: e.clientX, y0: e.clientY, vx: this.x, vy: this.y, t0: performance.now() };
  }

  startPinch(a, b) {
    const r = this.el.getBoundingClientRect();
    const mx = (a.x + b.x) / 2;
    const my = (a.y + b.y) / 2;
    this.swipeDx = 0;
    this.gesture = {
      kind: 'pinch', a: a.id, b: b.id, d0: Math.hypot(a.x - b.x, a.y - b.y) || 1, z0: this.zoom,
      p0: this.toPage(mx, my), r,
    };
  }

  move(e) {
    const p = this.pointers.get(e.pointerId);
    if (!p) return;
    p.x = e.clientX;
    p.y = e.clientY;
    if (this.stroke && this.stroke.id === e.pointerId) {
      const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
      for (const ce of (events.length ? events : [e])) this.stroke.points.push(this.toPage(ce.clientX, ce.clientY));
      const last = this.stroke.points[this.stroke.points.length - 1];
      if (this.stroke.tool === 'pen' && this.livePath) {
        this.livePath.setAttribute('d', strokePath(this.stroke.points, VIEW_W * this.aspect));
      } else if (this.stroke.tool === 'highlight') {
        this.previewHighlight(this.stroke.from, last);
      } else if (this.stroke.tool === 'eraser' && this.handlers.onErase) {
        this.handlers.onErase(last[0], last[1]);
      }
      return;
    }
    const g = this.gesture;
    if (!g) return;
    if (g.kind === 'pinch') {
      const a = this.pointers.get(g.a);
      const b = this.pointers.get(g.b);
      if (!a || !b) return;
      const d = Math.hypot(a.x - b.x, a.y - b.y) || 1;
      const z = clamp(g.z0 * (d / g.d0), 1, MAX_ZOOM);
      const mx = (a.x + b.x) / 2 - g.r.left;
      const my = (a.y + b.y) / 2 - g.r.top;
      const { bw, bh } = this.base();
      this.zoom = z;
      this.x = (g.p0[0] * bw * z - mx) / (bw * z);
      this.y = (g.p0[1] * bh * z - my) / (bh * z);
      this.layout();
      this.emit('user');
    } else if (g.id === e.pointerId && g.kind === 'pan') {
      const { dw, dh } = this.dims;
      this.x = g.vx - (e.clientX - g.x0) / dw;
      this.y = g.vy - (e.clientY - g.y0) / dh;
      this.layout();
      this.emit('user');
    } else if (g.id === e.pointerId && g.kind === 'swipe') {
      const dx = e.clientX - g.x0;
      this.swipeDx = Math.abs(dx) > TAP_PX ? dx * 0.6 : 0;
      this.layout();
    }
  }

  up(e, cancelled) {
    const p = this.pointers.get(e.pointerId);
    this.pointers.delete(e.pointerId);
    if (!p) return;
    if (this.stroke && this.stroke.id === e.pointerId) {
      const s = this.stroke;
      this.stroke = null;
      clear(this.live);
      this.livePath = null;
      if (cancelled) return;
      const end = this.toPage(e.clientX, e.clientY);
      if (s.tool === 'pen' && this.handlers.onStroke) {
        const pts = simplify(s.points);
        if (pts.length) this.handlers.onStroke(pts);
      } else if (s.tool === 'highlight' && this.handlers.onHighlight) {
        this.handlers.onHighlight(s.from, end, simplify(s.points));
      } else if ((s.tool === 'note' || s.tool === 'comment') && this.handlers.onPlace) {
        this.handlers.onPlace(s.tool, end[0], end[1]);
      }
      return;
    }
    const g = this.gesture;
    if (!g) return;
    if (g.kind === 'pinch') {
      // One finger lifted: the other one goes on panning from here.
      const rest = [...this.pointers.values()].filter((x) => x.type !== 'pen');
      this.gesture = rest.length === 1
        ? { kind: this.zoom > 1.01 ? 'pan' : 'none', id: rest[0].id, x0: rest[0].x, y0: rest[0].y, vx: this.x, vy: this.y }
        : null;
      return;
    }
    if (g.id !== e.pointerId) return;
    this.gesture = null;
    const dx = e.clientX - g.x0;
    const dy = e.clientY - g.y0;
    this.swipeDx = 0;
    if (cancelled) { this.layout(); return; }
    // Zoomed in and already at the page's left or right edge: a long swipe still turns the page.
    const atEdge = g.kind === 'pan' && Math.abs(dx) > SWIPE_PX * 2 && this.x === g.vx
      && ((dx > 0 && g.vx <= 0.0001) || (dx < 0 && g.vx >= Math.max(0, 1 - this.el.clientWidth / this.dims.dw) - 0.0001));
    if ((g.kind === 'swipe' || atEdge) && Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(dy) * 1.2) {
      if (dx < 0 && this.page < this.pageCount) this.next('user');
      else if (dx > 0 && this.page > 1) this.prev('user');
      else this.layout();
      return;
    }
    this.layout();
    const quick = performance.now() - g.t0 < TAP_MS * 2;
    if (Math.hypot(dx, dy) < TAP_PX && quick) {
      // A tap on the left or right third turns the page.
      const r = this.el.getBoundingClientRect();
      const fx = (e.clientX - r.left) / r.width;
      if (fx < 0.3) this.prev('user');
      else if (fx > 0.7) this.next('user');
    }
  }

  previewHighlight(from, to) {
    clear(this.live);
    const rects = this.handlers.snap ? this.handlers.snap(from, to) : null;
    const vh = VIEW_W * this.aspect;
    if (rects && rects.length) {
      for (const r of rects) {
        this.live.append(svg('rect', {
          x: r[0] * VIEW_W, y: r[1] * vh, width: (r[2] - r[0]) * VIEW_W, height: (r[3] - r[1]) * vh,
          fill: this.penColor, 'fill-opacity': 0.4,
        }));
      }
    } else {
      this.live.append(svg('path', {
        d: strokePath([from, to], vh), stroke: this.penColor, 'stroke-opacity': 0.4, 'stroke-width': 0.02 * VIEW_W,
        'stroke-linecap': 'round', fill: 'none',
      }));
    }
  }

  wheel(e) {
    e.preventDefault();
    if (e.ctrlKey || e.metaKey) {
      this.zoomAt(this.zoom * Math.exp(-e.deltaY / 300), e.clientX, e.clientY);
      this.emit('user');
      return;
    }
    if (this.zoom > 1.01) {
      const { dw, dh } = this.dims;
      this.x += e.deltaX / dw;
      this.y += e.deltaY / dh;
      this.layout();
      this.emit('user');
      return;
    }
    // A wheel or touchpad turns pages when the whole page is shown: one turn per flick.
    const now = performance.now();
    if (now - (this.wheelLast || 0) > 400) this.wheelSum = 0;
    this.wheelLast = now;
    this.wheelSum += e.deltaY + e.deltaX;
    if (Math.abs(this.wheelSum) > 80 && now - this.wheelAt > 350) {
      if (this.wheelSum > 0) this.next('user'); else this.prev('user');
      this.wheelSum = 0;
      this.wheelAt = now;
    }
  }

  key(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const k = e.key;
    if (k === 'ArrowRight' || k === 'PageDown' || k === ' ') { this.next('user'); e.preventDefault(); }
    else if (k === 'ArrowLeft' || k === 'PageUp') { this.prev('user'); e.preventDefault(); }
    else if (k === '+' || k === '=') { this.zoomBy(1.25); e.preventDefault(); }
    else if (k === '-') { this.zoomBy(0.8); e.preventDefault(); }
    else if (k === 'Home') { this.show(1, { zoom: 1, x: 0, y: 0 }, 'user'); e.preventDefault(); }
    else if (k === 'End') { this.show(this.pageCount, { zoom: 1, x: 0, y: 0 }, 'user'); e.preventDefault(); }
  }
}
