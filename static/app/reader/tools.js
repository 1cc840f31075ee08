// The annotation toolbar: browse, pen, highlight, sticky note, comment, eraser; undo; the colours of the pen and
// of the highlighter; and, for someone who may present, "Lớp chung" (draw on the layer every reader sees).
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import { HIGHLIGHT_COLORS, PEN_COLORS, hasPen } from './ink.js';

const TOOLS = [
  ['browse', '✋'], ['pen', '✒'], ['highlight', '▮'], ['note', '✎'], ['comment', '❞'], ['eraser', '⌫'],
];

export class ToolBar {
  /**
   * host: the reader element (gets `data-tool` and `data-pen`); canShare() → may this person draw on the shared
   * layer; onTool(tool, color) after every choice; onUndo().
   */
  constructor(host, { canShare, onTool, onUndo }) {
    this.host = host;
    this.canShare = canShare;
    this.onTool = onTool;
    this.tool = 'browse';
    this.penColor = PEN_COLORS[0];
    this.markColor = HIGHLIGHT_COLORS[0];
    this.shared = false;
    this.buttons = TOOLS.map(([name, icon]) => {
      const label = t(`reader.tool.${name}`);
      const b = h('button', { type: 'button', class: 'btn btn-small tool-btn', testid: `tool-${name}`, 'aria-pressed': 'false', dataset: { tool: name }, title: label, 'aria-label': label },
        h('span', { 'aria-hidden': 'true' }, icon), h('span', { class: 'tool-label' }, label));
      b.addEventListener('click', () => this.set(this.tool === name && name !== 'browse' ? 'browse' : name));
      return b;
    });
    const undoBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'tool-undo', title: t('reader.undo'), 'aria-label': t('reader.undo') }, '↶ ', h('span', { class: 'tool-label' }, t('reader.undo')));
    undoBtn.addEventListener('click', () => onUndo());
    this.colorBox = h('span', { class: 'tool-colors', role: 'group', 'aria-label': t('reader.colors') });
    this.sharedBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'tool-shared', 'aria-pressed': 'false', hidden: true }, t('reader.sharedLayer'));
    this.sharedBtn.addEventListener('click', () => { this.shared = !this.shared; this.render(); });
    this.el = h('div', { class: 'tool-group', role: 'group', 'aria-label': t('reader.tools') }, this.buttons, undoBtn, this.colorBox, this.sharedBtn);
  }

  /** The colour the chosen tool draws with. */
  get color() { return this.tool === 'highlight' ? this.markColor : this.penColor; }

  /** The layer a new annotation goes on. */
  layer() { return this.shared && this.canShare() ? 'shared' : 'private'; }

  set(name) {
    this.tool = name;
    this.onTool(name, this.color);
    this.render();
  }

  render() {
    const { tool } = this;
    for (const b of this.buttons) {
      const on = b.dataset.tool === tool;
      b.classList.toggle('is-on', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    const colors = tool === 'highlight' ? HIGHLIGHT_COLORS : PEN_COLORS;
    const chosen = this.color;
    replaceChildren(this.colorBox, (tool === 'pen' || tool === 'highlight') ? colors.map((c) => {
      const b = h('button', {
        type: 'button', class: ['color-btn', c === chosen ? 'is-on' : ''], testid: 'tool-color', dataset: { color: c },
        'aria-label': t('reader.color', { color: c }), 'aria-pressed': c === chosen ? 'true' : 'false',
      });
      b.style.backgroundColor = c;
      b.addEventListener('click', () => {
        if (this.tool === 'highlight') this.markColor = c; else this.penColor = c;
        this.set(this.tool);
      });
      return b;
    }) : null);
    this.sharedBtn.hidden = !this.canShare() || !(tool === 'pen' || tool === 'highlight' || tool === 'note');
    this.sharedBtn.setAttribute('aria-pressed', this.shared ? 'true' : 'false');
    this.sharedBtn.classList.toggle('is-on', this.shared);
    this.host.dataset.tool = tool;
    this.host.dataset.pen = hasPen() ? 'seen' : 'none';
  }
}
