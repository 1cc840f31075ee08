// The reader's side panel and its toggles: one of thumbnails, search or comments at a time (or none). Each mode
// is a part with `fill(box)`, which draws it into the panel.
import { h, clear } from '../dom.js';

export class SidePanel {
  /**
   * modes: [{mode, testid, label, part}]; initial: the mode open at first (or null);
   * onLayout(): the panel opened, closed or changed (the page display refits).
   */
  constructor(modes, { initial = null, onLayout = () => {} } = {}) {
    this.parts = new Map(modes.map((m) => [m.mode, m.part]));
    this.mode = initial;
    this.onLayout = onLayout;
    this.box = h('aside', { class: 'reader-panel', testid: 'reader-panel', hidden: true });
    this.buttons = modes.map(({ mode, testid, label }) => {
      const b = h('button', { type: 'button', class: 'btn btn-small panel-toggle', testid, 'aria-pressed': 'false', dataset: { mode } }, label);
      b.addEventListener('click', () => { this.mode = this.mode === mode ? null : mode; this.render(); });
      return b;
    });
    this.toggles = h('div', { class: 'reader-panels', role: 'group' }, this.buttons);
  }

  isOpen(mode) { return this.mode === mode; }

  render() {
    for (const b of this.buttons) {
      const on = b.dataset.mode === this.mode;
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
      b.classList.toggle('is-on', on);
    }
    this.box.hidden = !this.mode;
    this.box.dataset.mode = this.mode || '';
    if (!this.mode) clear(this.box);
    else this.parts.get(this.mode).fill(this.box);
    this.onLayout();
  }

  /** Draws `mode` again if it is the one open (its data changed). */
  refresh(mode) {
    if (this.mode === mode) this.parts.get(mode).fill(this.box);
  }
}
