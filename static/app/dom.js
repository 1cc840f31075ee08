// Tiny DOM helpers. Text always goes in through text nodes (never innerHTML), so data is escaped.

const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'multiple', 'required', 'hidden', 'open', 'indeterminate', 'readOnly']);

/**
 * h('button', {class: 'btn', testid: 'save', onclick: fn}, 'Lưu')
 * - `testid` sets data-testid, `dataset` sets data-* attributes,
 * - `on<event>` functions become listeners,
 * - value/checked/selected/disabled/... are set as properties,
 * - children: strings/numbers become text nodes, arrays are flattened, null/false are skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, val] of Object.entries(props)) {
      if (val === undefined || val === null || val === false) continue;
      if (key === 'class') el.className = Array.isArray(val) ? val.filter(Boolean).join(' ') : val;
      else if (key === 'testid') el.setAttribute('data-testid', val);
      else if (key === 'dataset') {
        for (const [dk, dv] of Object.entries(val)) if (dv !== undefined && dv !== null) el.dataset[dk] = String(dv);
      } else if (key.startsWith('on') && typeof val === 'function') el.addEventListener(key.slice(2), val);
      else if (PROPS.has(key)) el[key] = val;
      else el.setAttribute(key, val === true ? '' : String(val));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replaceChildren(el, ...children) {
  clear(el);
  return append(el, children);
}

let idCounter = 0;
export function uid(prefix = 'f') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled form field: label above the control. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = uid('fld');
  return h('div', { class: 'field' },
    h('label', { for: control.id }, labelText),
    control,
    hint ? h('p', { class: 'hint' }, hint) : null);
}

/** A list from an API answer that may be a bare array or `{key: [...]}`. */
export function asList(resp, ...keys) {
  if (Array.isArray(resp)) return resp;
  if (!resp || typeof resp !== 'object') return [];
  for (const k of [...keys, 'items', 'results', 'data']) if (Array.isArray(resp[k])) return resp[k];
  const firstArray = Object.values(resp).find(Array.isArray);
  return firstArray || [];
}

/** The object itself from an answer that may be `{user: {...}}` or the bare object. */
export function asObject(resp, key) {
  if (resp && typeof resp === 'object' && key in resp && resp[key] && typeof resp[key] === 'object') return resp[key];
  return resp;
}

export function byId(list) {
  const map = new Map();
  for (const x of list || []) if (x && x.id) map.set(x.id, x);
  return map;
}
