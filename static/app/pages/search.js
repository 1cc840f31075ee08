// Search across everything one may read, /search?q=…&kind=…&meeting=…&unit=…&from=…&to=…&page=… (docs/search.md
// "In the app"; the header's box opens it). The query and its filters live in the address, so Back, reloading
// and a shared link give the same results. Each hit opens where it is: the reader at its page, the record page or
// the meeting. The server escapes the snippet and marks the matched words; only its <mark>s become elements here.
import { get } from '../api.js';
import { asList, h, replaceChildren } from '../dom.js';
import { formatDateTime, formatNumber } from '../format.js';
import { t, tMaybe } from '../i18n.js';
import { emptyState, loading, pageHeader, selectBox } from '../ui.js';

const KINDS = ['page', 'agenda', 'record', 'comment']; // vocabulary.SEARCH_KINDS
const FILTERS = ['kind', 'meeting', 'unit', 'from', 'to'];
const QUERY_MAX = 200; // vocabulary.SEARCH_QUERY_MAX
const LAST_PAGE = 500; // GET /api/search pages 1-500

/** The server's snippet (escaped text with <mark>s) as nodes: text stays text, a <mark> stays a mark, nothing else. */
function marked(snippet) {
  const body = new DOMParser().parseFromString(String(snippet || ''), 'text/html').body;
  return Array.from(body.childNodes, (node) => (node.nodeName === 'MARK' ? h('mark', null, node.textContent) : node.textContent));
}

/** The address of this page with these parameters (empty ones left out). */
function addressOf(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) q.set(key, String(value));
  return `/search?${q}`;
}

/** A record document's title is "<kind> v<version>" (search/indexer.py): said in words. */
function titleOf(hit) {
  const record = hit.kind === 'record' ? /^(\w+) v(\d+)$/.exec(hit.title || '') : null;
  if (record) return `${tMaybe('record.kind', record[1])} (${t('search.version', { n: record[2] })})`;
  return hit.title || hit.meeting_title || '';
}

function hitView(hit) {
  const where = [
    hit.meeting_title,
    hit.at ? formatDateTime(hit.at) : null,
    hit.kind === 'page' || hit.kind === 'comment' ? t('search.pageNo', { n: hit.page }) : null,
  ].filter(Boolean).join(' · ');
  return h('li', { class: 'find-hit', testid: 'find-hit', dataset: { kind: hit.kind, meetingId: hit.meeting_id, paperId: hit.paper_id, page: hit.page } },
    h('a', { href: hit.link, class: 'find-hit-link', testid: 'find-hit-link' },
      h('span', { class: 'find-hit-head' },
        h('span', { class: ['badge', 'find-kind', `find-kind-${hit.kind}`], testid: 'find-hit-kind' }, tMaybe('search.kind', hit.kind)),
        h('span', { class: 'find-hit-title', testid: 'find-hit-title' }, titleOf(hit))),
      h('span', { class: 'find-hit-snippet', testid: 'find-snippet' }, marked(hit.snippet)),
      h('span', { class: 'find-hit-where', testid: 'find-hit-where' }, where)));
}

function countText(found) {
  if (found.more) return t('search.countMore', { n: formatNumber(found.total) });
  return found.total === 1 ? t('search.countOne') : t('search.count', { n: formatNumber(found.total) });
}

function pager(found, params) {
  const pages = Math.min(LAST_PAGE, Math.max(1, Math.ceil(found.total / found.page_size)));
  const page = found.page;
  const hasNext = page < LAST_PAGE && (page < pages || Boolean(found.more));
  if (page <= 1 && !hasNext) return null;
  const link = (n, label, testid) => h('a', { href: addressOf({ ...params, page: n }), class: 'btn', testid, rel: n < page ? 'prev' : 'next' }, label);
  return h('nav', { class: 'find-pager', 'aria-label': t('search.pages'), testid: 'find-pager' },
    page > 1 ? link(page - 1, t('search.prev'), 'find-prev') : null,
    h('span', { class: 'find-page-no', testid: 'find-page-no', dataset: { page } },
      found.more ? t('search.pageOnly', { n: page }) : t('search.pageOf', { n: page, total: pages })),
    hasNext ? link(page + 1, t('search.next'), 'find-next') : null);
}

/** Options for the meeting and unit filters; a list that cannot be read leaves its filter with "all" only. */
async function choices() {
  const [meetings, units] = await Promise.all([
    get('/api/meetings', { scope: 'all' }).then((r) => asList(r, 'meetings')).catch(() => []),
    get('/api/units').then((r) => asList(r, 'units')).catch(() => []),
  ]);
  return {
    meetings: meetings.map((m) => ({ value: m.id, label: m.starts_at ? `${m.title} (${formatDateTime(m.starts_at)})` : m.title })),
    units: units.map((u) => ({ value: u.id, label: u.name })).sort((a, b) => a.label.localeCompare(b.label, 'vi')),
  };
}

export async function render({ root, query, navigate, setTitle, isCurrent }) {
  const params = { q: (query.get('q') || '').trim() };
  for (const key of FILTERS) params[key] = query.get(key) || '';
  const page = Math.min(LAST_PAGE, Math.max(1, Number.parseInt(query.get('page'), 10) || 1));
  setTitle(params.q ? t('search.titleFor', { q: params.q }) : t('search.title'));

  const qBox = h('input', { type: 'search', class: 'input', name: 'q', testid: 'find-query', value: params.q, maxlength: QUERY_MAX, enterkeyhint: 'search', placeholder: t('search.placeholder') });
  const kindBox = selectBox({ options: KINDS.map((k) => ({ value: k, label: t(`search.kind.${k}`) })), value: params.kind, noneLabel: t('search.allKinds'), testid: 'find-kind' });
  const meetingBox = selectBox({ options: [], value: '', noneLabel: t('search.allMeetings'), testid: 'find-meeting' });
  const unitBox = selectBox({ options: [], value: '', noneLabel: t('search.allUnits'), testid: 'find-unit' });
  const fromBox = h('input', { type: 'date', class: 'input', testid: 'find-from', value: params.from });
  const toBox = h('input', { type: 'date', class: 'input', testid: 'find-to', value: params.to });
  let filled = false; // the meeting and unit lists arrive after the page: until then the address's choice stands
  const wanted = () => ({
    q: qBox.value.trim(), kind: kindBox.value, from: fromBox.value, to: toBox.value,
    meeting: filled ? meetingBox.value : params.meeting, unit: filled ? unitBox.value : params.unit,
  });
  const go = (next) => { if (next.q) navigate(addressOf(next)); else qBox.focus(); };
  for (const box of [kindBox, meetingBox, unitBox, fromBox, toBox]) box.addEventListener('change', () => go(wanted()));
  const anyFilter = FILTERS.some((key) => params[key]);
  const form = h('form', {
    class: 'find-form card', role: 'search', testid: 'find-form',
    onsubmit: (e) => { e.preventDefault(); go(wanted()); },
  },
    h('div', { class: 'find-query-row' },
      h('label', { class: 'field find-query-field' }, h('span', { class: 'visually-hidden' }, t('search.label')), qBox),
      h('button', { type: 'submit', class: 'btn btn-primary', testid: 'find-submit' }, t('search.go'))),
    h('div', { class: 'find-filters register-filters', testid: 'find-filters' },
      h('label', { class: 'field' }, t('search.kind'), kindBox),
      h('label', { class: 'field' }, t('search.meeting'), meetingBox),
      h('label', { class: 'field' }, t('search.unit'), unitBox),
      h('label', { class: 'field find-day' }, t('search.from'), fromBox),
      h('label', { class: 'field find-day' }, t('search.to'), toBox),
      anyFilter ? h('a', { href: addressOf({ q: params.q }), class: 'btn btn-ghost find-clear', testid: 'find-clear' }, t('search.clearFilters')) : null));
  const count = h('p', { class: 'find-count', testid: 'find-count', role: 'status' });
  const results = h('div', { class: 'find-results', testid: 'find-results' }, params.q ? loading() : null);
  root.append(h('div', { class: 'find-page', testid: 'find-page' }, pageHeader(t('search.title')), form, count, results));

  const filling = choices().then(({ meetings, units }) => {
    if (!isCurrent()) return;
    for (const [box, options, value] of [[meetingBox, meetings, params.meeting], [unitBox, units, params.unit]]) {
      if (value && !options.some((o) => o.value === value)) options.unshift({ value, label: value });
      box.append(...options.map((o) => h('option', { value: o.value }, o.label)));
      box.value = value;
    }
    filled = true;
  });
  if (!params.q) {
    replaceChildren(results, emptyState(t('search.prompt'), 'find-prompt'));
    qBox.focus();
    await filling;
    return;
  }
  let found;
  try {
    found = await get('/api/search', { ...params, page });
  } catch (err) {
    if (isCurrent()) replaceChildren(results, h('p', { class: 'empty find-error', role: 'alert', testid: 'find-error' }, t('search.failed', { reason: err.message || '' })));
    await filling;
    return;
  }
  if (!isCurrent()) return;
  count.textContent = countText(found);
  count.dataset.total = String(found.total);
  count.dataset.more = String(Boolean(found.more));
  const hits = asList(found, 'hits');
  if (!hits.length) {
    replaceChildren(results, emptyState(found.total ? t('search.emptyPage') : t('search.empty', { q: params.q }), 'find-empty'));
  } else {
    replaceChildren(results, h('ol', { class: 'find-hits', testid: 'find-hits', start: (found.page - 1) * found.page_size + 1 }, hits.map(hitView)), pager(found, params));
  }
  await filling;
}
