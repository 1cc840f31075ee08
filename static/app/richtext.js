// A small rich-text editor (contenteditable) for the secretary's texts: diễn biến and kết luận of each agenda item.
//
// Only p, br, strong, em, u, ul, ol, li are kept, with no attributes (domain/record_content.RICH_TEXT_TAGS; the
// server sanitises again). Pasted HTML and the server's HTML are rebuilt node by node from an inert document
// (DOMParser), never through innerHTML. Vietnamese input methods (Telex, VNI, through the OS IME) compose a
// syllable in several steps: nothing is reported while a composition runs, only at compositionend.
import { h } from './dom.js';
import { t } from './i18n.js';

export const RICH_TEXT_TAGS = new Set(['p', 'br', 'strong', 'em', 'u', 'ul', 'ol', 'li']);
// What browsers and word processors write, mapped onto the allowed tags; anything else keeps only its text.
const RENAMED = { b: 'strong', i: 'em', div: 'p', h1: 'p', h2: 'p', h3: 'p', h4: 'p', h5: 'p', h6: 'p', blockquote: 'p' };
const DROPPED = new Set(['script', 'style', 'head', 'title', 'meta', 'link', 'template', 'iframe', 'object', 'svg', 'math']);
const BLOCKS = new Set(['p', 'ul', 'ol', 'li']);

function cleanChildren(from, into, doc) {
  for (const node of [...from.childNodes]) {
    if (node.nodeType === Node.TEXT_NODE) {
      into.append(doc.createTextNode(node.nodeValue));
      continue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) continue;
    const name = node.localName;
    if (DROPPED.has(name)) continue;
    const tag = RENAMED[name] || name;
    if (!RICH_TEXT_TAGS.has(tag)) { cleanChildren(node, into, doc); continue; }
    const el = doc.createElement(tag);
    cleanChildren(node, el, doc);
    // A paragraph inside a paragraph (a pasted div in a p) flattens; an empty inline element goes away.
    if (tag === 'p' && into.localName === 'p') { into.append(...el.childNodes); continue; }
    if (['strong', 'em', 'u'].includes(tag) && !el.firstChild) continue;
    if (tag === 'li' && !['ul', 'ol'].includes(into.localName)) {
      const p = doc.createElement('p');
      p.append(...el.childNodes);
      into.append(p);
      continue;
    }
    into.append(el);
  }
  return into;
}

/** HTML (from the server or the clipboard) → a fragment of this document holding only the allowed tags. */
export function cleanFragment(html) {
  const parsed = new DOMParser().parseFromString(`<!doctype html><body>${html || ''}`, 'text/html');
  return cleanChildren(parsed.body, document.createDocumentFragment(), document);
}

/** Reduces HTML to the allowed tags and no attributes; bare text at the top goes into paragraphs. */
export function cleanHtml(html) {
  const box = document.createElement('div');
  let para = null;
  for (const node of [...cleanFragment(html).childNodes]) {
    const block = node.nodeType === Node.ELEMENT_NODE && BLOCKS.has(node.localName);
    if (block) { para = null; box.append(node); continue; }
    if (node.nodeType === Node.TEXT_NODE && !node.nodeValue.trim() && !para) continue;
    if (!para) { para = document.createElement('p'); box.append(para); }
    para.append(node);
  }
  // A trailing <br> the browser keeps in an empty paragraph is not content.
  for (const p of box.querySelectorAll('p')) if (!p.textContent.trim() && !p.querySelector('br ~ *')) p.remove();
  return box.innerHTML; // reading the serialisation of our own clean nodes
}

const TOOLS = [
  { cmd: 'bold', label: 'richtext.bold', key: 'b', glyph: 'Đ' },
  { cmd: 'italic', label: 'richtext.italic', key: 'i', glyph: 'N' },
  { cmd: 'underline', label: 'richtext.underline', key: 'u', glyph: 'G' },
  { cmd: 'insertUnorderedList', label: 'richtext.bullets', key: '8', shift: true, glyph: '•' },
  { cmd: 'insertOrderedList', label: 'richtext.numbers', key: '7', shift: true, glyph: '1.' },
];

/**
 * new RichText({label, testid, html, readOnly, onChange(html), onBlur()})
 * `.el` is the whole editor (toolbar + text); `.html()` the clean text; `.setHtml(html)` replaces it (not while
 * the person is typing into it: the caller decides); `.composing` is true during an IME composition.
 */
export class RichText {
  constructor({ label, testid = 'richtext', html = '', readOnly = false, onChange = () => {}, onBlur = () => {} }) {
    this.onChange = onChange;
    this.composing = false;
    this.area = h('div', {
      class: 'richtext-area', contenteditable: readOnly ? 'false' : 'true', role: 'textbox', 'aria-multiline': 'true',
      'aria-label': label, spellcheck: 'true', lang: 'vi', testid: `${testid}-area`,
    });
    this.toolbar = h('div', { class: 'richtext-toolbar', role: 'toolbar', 'aria-label': t('richtext.toolbar'), hidden: readOnly },
      TOOLS.map((tool) => h('button', {
        type: 'button', class: `btn btn-small richtext-tool richtext-${tool.cmd}`, testid: `${testid}-${tool.cmd}`,
        title: `${t(tool.label)} (Ctrl+${tool.shift ? 'Shift+' : ''}${tool.key.toUpperCase()})`, 'aria-label': t(tool.label),
        // mousedown would take the focus (and the selection) away from the text
        onmousedown: (e) => e.preventDefault(),
        onclick: () => this.exec(tool.cmd),
      }, tool.glyph)));
    this.el = h('div', { class: 'richtext', testid }, this.toolbar, this.area);
    this.setHtml(html);
    this.area.addEventListener('compositionstart', () => { this.composing = true; });
    this.area.addEventListener('compositionend', () => { this.composing = false; this.changed(); });
    this.area.addEventListener('input', (e) => { if (!e.isComposing && !this.composing) this.changed(); });
    this.area.addEventListener('paste', (e) => this.paste(e));
    this.area.addEventListener('drop', (e) => e.preventDefault()); // dropped markup would bypass the cleaning
    this.area.addEventListener('keydown', (e) => this.key(e));
    this.area.addEventListener('focus', () => {
      try { document.execCommand('defaultParagraphSeparator', false, 'p'); } catch { /* older engines */ }
    });
    this.area.addEventListener('blur', () => onBlur());
  }

  html() { return cleanHtml(this.area.innerHTML); }

  setHtml(html) {
    this.area.replaceChildren(cleanFragment(cleanHtml(html)));
  }

  setReadOnly(readOnly) {
    this.area.contentEditable = readOnly ? 'false' : 'true';
    this.toolbar.hidden = readOnly;
  }

  focus() { this.area.focus(); }

  changed() { this.onChange(this.html()); }

  exec(cmd) {
    this.area.focus();
    document.execCommand(cmd, false, null);
    this.changed();
  }

  key(e) {
    if (e.isComposing || this.composing || !(e.ctrlKey || e.metaKey) || e.altKey) return;
    const key = e.key.toLowerCase();
    const tool = TOOLS.find((x) => (x.key === key || (x.shift && e.code === `Digit${x.key}`)) && Boolean(x.shift) === e.shiftKey);
    if (!tool) return;
    e.preventDefault();
    this.exec(tool.cmd);
  }

  paste(e) {
    e.preventDefault();
    const data = e.clipboardData;
    const html = data.getData('text/html');
    let frag;
    if (html) frag = cleanFragment(html);
    else {
      frag = document.createDocumentFragment();
      (data.getData('text/plain') || '').split(/\r?\n/).forEach((line, i) => {
        if (i) frag.append(document.createElement('br'));
        frag.append(document.createTextNode(line));
      });
    }
    const sel = window.getSelection();
    if (!sel.rangeCount || !this.area.contains(sel.anchorNode)) return;
    const range = sel.getRangeAt(0);
    range.deleteContents();
    const last = frag.lastChild;
    range.insertNode(frag);
    if (last) { range.setStartAfter(last); range.collapse(true); sel.removeAllRanges(); sel.addRange(range); }
    this.changed();
  }
}
