// Meeting papers (tài liệu họp): the list of a meeting's papers grouped by agenda item (`/meetings/<id>/papers`),
// the "Tài liệu họp" card of the meeting page, and the organisers' upload form.
//
// The list follows the meeting's event log: a paper published, withdrawn or given a new version shows on every
// reader's list within a moment, and tablets start downloading its pages at once (reader/prefetch.js), so the
// papers can be read when the hall's link fails. Organisers also see drafts, publish and withdraw, upload new
// versions, and see who has opened which paper (read receipts, live on `paper.opened`).
import { get, patch, post } from '../api.js';
import { h, replaceChildren, asList } from '../dom.js';
import { t } from '../i18n.js';
import { MeetingChannel } from '../live.js';
import { loadUnits } from '../session.js';
import { busy, checkList, emptyState, loading, selectBox, showError, showNotice } from '../ui.js';
import { isOrganiser, meetingPath, papersOpen } from '../meeting-common.js';
import { keepForOffline, prefetcher, registerServiceWorker, rememberLinks } from '../reader/prefetch.js';
import { upload } from '../reader/upload.js';

const enc = encodeURIComponent;
export const papersPath = (meetingId) => `/meetings/${enc(meetingId)}/papers`;
export const readerPath = (meetingId, paperId, page) => `/meetings/${enc(meetingId)}/papers/${enc(paperId)}${page ? `?page=${page}` : ''}`;

const PAPER_EVENTS = new Set(['paper.added', 'paper.version_added', 'paper.updated', 'paper.published', 'paper.withdrawn']);

/** Whether a channel update may have changed the list of papers (then refetch it). */
export function papersChanged(info) {
  if (!info) return false;
  if (info.source === 'snapshot' || info.source === 'rest') return true;
  return (info.events || []).some((ev) => PAPER_EVENTS.has(ev.type));
}

export async function loadPapers(meetingId) {
  const resp = await get(meetingPath(meetingId, '/papers'));
  const papers = asList(resp, 'papers');
  rememberLinks(meetingId, papers);
  return { papers, presentation: resp && resp.presentation };
}

export function pageCountOf(paper) {
  const v = (paper.versions || []).find((x) => x.version === paper.current_version);
  return v ? v.page_count : 0;
}

/** Papers that were in `before` and are not in `after` (withdrawn, or no longer this person's): their pages go
 * from this device's cache. */
export function forgetGone(meetingId, before, after) {
  const keep = new Set(after.filter((p) => p.status === 'published' && !p.restricted).map((p) => p.id));
  for (const p of before) if (!keep.has(p.id)) prefetcher.forget(meetingId, p.id);
}

/** Starts the background download of every published paper this person may read (not restricted ones). */
export function prefetchAll(meetingId, papers, firstId = null) {
  registerServiceWorker().then(() => {
    for (const p of papers) if (p.status === 'published' && !p.restricted) prefetcher.ensure(meetingId, p, { first: p.id === firstId });
  });
}

/** "Đã tải 37/100 trang" for one paper, kept up to date; `data-done`, `data-total`, `data-state` for tests. */
export function progressBadge(meetingId, paper, { short = false } = {}) {
  const el = h('span', { class: 'prefetch-progress', testid: 'prefetch-progress', dataset: { paperId: paper.id } });
  const bar = h('span', { class: 'prefetch-bar', 'aria-hidden': 'true' }, h('span', { class: 'prefetch-fill' }));
  const text = h('span', { class: 'prefetch-text' });
  el.append(bar, text);
  const show = (p) => {
    if (p.paperId !== paper.id || p.version !== paper.current_version || p.meetingId !== meetingId) return;
    const total = p.total || pageCountOf(paper);
    el.dataset.done = String(p.done);
    el.dataset.total = String(total);
    el.dataset.state = paper.restricted ? 'restricted' : p.state;
    bar.firstChild.style.width = `${total ? Math.round((100 * p.done) / total) : 0}%`;
    if (paper.restricted) text.textContent = t('papers.restrictedOnline');
    else if (p.state === 'done' || (total && p.done >= total)) {
      text.textContent = t(short ? 'papers.offlineReadyShort' : 'papers.offlineReady', { total });
      el.title = t('papers.offlineReady', { total });
    }
    else if (p.state === 'paused') text.textContent = t('papers.downloadPaused', { done: p.done, total });
    else text.textContent = t('papers.downloaded', { done: p.done, total });
    el.classList.toggle('is-done', !paper.restricted && total > 0 && p.done >= total);
  };
  show(prefetcher.progress(meetingId, paper.id, paper.current_version));
  el._off = prefetcher.on(show);
  return el;
}

// ---------------------------------------------------------------- how a paper reads (organisers)

const QUALITY_PAGES = 20; // pages named; more are counted

/** The sentence telling the secretary what to check in a paper (`repaired`, `page_warnings` of its current
 * version), or '' when it reads right. */
export function qualityText(paper) {
  if (!paper) return '';
  const parts = [];
  if (paper.repaired) parts.push(t('papers.quality.repaired'));
  const pages = (paper.page_warnings || []).map((w) => w.page);
  if (pages.length) {
    let named = pages.slice(0, QUALITY_PAGES).join(', ');
    if (pages.length > QUALITY_PAGES) named = t('papers.quality.more', { pages: named, n: pages.length - QUALITY_PAGES });
    parts.push(t(pages.length > 1 ? 'papers.quality.pages' : 'papers.quality.page', { pages: named }));
  }
  return parts.join(' ');
}

function qualityNote(paper) {
  const text = qualityText(paper);
  if (!text) return null;
  return h('p', {
    class: 'paper-quality', testid: 'paper-quality', role: 'note',
    dataset: { repaired: paper.repaired ? '1' : '0', pages: (paper.page_warnings || []).map((w) => w.page).join(',') },
  }, h('strong', {}, t('papers.quality.title')), ' ', text);
}

function accessBadge(paper) {
  if (paper.access === 'restricted') return h('span', { class: 'badge badge-restricted', testid: 'paper-restricted' }, t('papers.restricted'));
  if (paper.access === 'listed') return h('span', { class: 'badge badge-muted', testid: 'paper-listed' }, t('papers.listed'));
  return null;
}

function statusBadgeOf(paper) {
  if (paper.status === 'published') return null;
  return h('span', { class: ['badge', `badge-paper-${paper.status}`], testid: 'paper-status', dataset: { status: paper.status } }, t(`papers.status.${paper.status}`));
}

/** Groups papers by agenda item, in agenda order; papers of no (or a removed) item come last. */
export function groupByItem(papers, agenda) {
  const items = Array.isArray(agenda) ? agenda : [];
  const known = new Set(items.map((i) => i.id));
  const sorted = [...papers].sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || String(a.created_at).localeCompare(String(b.created_at)));
  const groups = items.map((item, i) => ({ item, index: i + 1, papers: sorted.filter((p) => p.item_id === item.id) }))
    .filter((g) => g.papers.length);
  const rest = sorted.filter((p) => !p.item_id || !known.has(p.item_id));
  if (rest.length) groups.push({ item: null, index: 0, papers: rest });
  return groups;
}

// ---------------------------------------------------------------- who may read a paper (organisers)

/**
 * The access select (all / listed / restricted) and, for the last two, check-lists of the meeting's people and
 * units. `prefix` names the test ids (`<prefix>-access`, `<prefix>-people`, `<prefix>-units`).
 */
function accessPicker(meetingId, getSnap, prefix, { access = 'all', userIds = [], unitIds = [] } = {}) {
  const id = `${prefix}-access-select`;
  const select = selectBox({
    testid: `${prefix}-access`, id, value: access,
    options: [
      { value: 'all', label: t('papers.access.all') },
      { value: 'listed', label: t('papers.access.listed') },
      { value: 'restricted', label: t('papers.access.restricted') },
    ],
  });
  const whoBox = h('div', { class: 'paper-who', hidden: true });
  let people = null;
  let units = null;
  const renderWho = async () => {
    const listed = select.value !== 'all';
    whoBox.hidden = !listed;
    if (!listed || people) return;
    replaceChildren(whoBox, loading());
    const [parts, allUnits] = await Promise.all([
      get(meetingPath(meetingId, '/participants')).catch(() => ({ people: [] })),
      loadUnits().catch(() => []),
    ]);
    const snap = getSnap();
    const invited = new Set([...((snap && snap.invited_unit_ids) || []), ...unitIds]);
    const unitSet = new Set([...invited, ...((parts.people || []).map((x) => x.unit_id).filter(Boolean))]);
    people = checkList({
      testid: `${prefix}-people`, label: t('papers.people'), values: userIds,
      options: (parts.people || []).map((x) => ({ value: x.id, label: x.full_name, hint: [x.title, x.unit_name].filter(Boolean).join(' · ') })),
    });
    units = checkList({
      testid: `${prefix}-units`, label: t('papers.units'), hint: t('papers.unitsHint'), values: unitIds,
      options: allUnits.filter((u) => unitSet.has(u.id)).map((u) => ({ value: u.id, label: u.name })),
    });
    replaceChildren(whoBox, h('p', { class: 'hint', testid: `${prefix}-who-hint` }, t('papers.whoHint')), people.el, units.el);
  };
  select.addEventListener('change', () => { renderWho().catch(showError); });
  if (access !== 'all') renderWho().catch(showError);
  return {
    field: h('div', { class: 'field' }, h('label', { for: id }, t('papers.access')), select),
    whoBox,
    value: () => select.value,
    userIds: () => (people ? people.getValues() : userIds),
    unitIds: () => (units ? units.getValues() : unitIds),
    reset: () => { select.value = 'all'; whoBox.hidden = true; },
  };
}

function itemSelectFor(getSnap, prefix, value = '') {
  const snap = getSnap();
  return selectBox({
    testid: `${prefix}-item`, id: `${prefix}-item-select`, value: value || '', noneLabel: t('papers.noItem'),
    options: ((snap && snap.agenda) || []).map((it, i) => ({ value: it.id, label: `${i + 1}. ${it.title}` })),
  });
}

// ---------------------------------------------------------------- the upload form (organisers)

/** What the file pickers offer: PDF and the office types the server converts to PDF (docs/papers.md). */
export const PAPER_ACCEPT = [
  '.pdf', '.docx', '.doc', '.odt', '.rtf', '.xlsx', '.xls', '.ods', '.pptx', '.ppt', '.odp', 'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/msword',
  'application/vnd.oasis.opendocument.text', 'application/rtf',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/vnd.ms-excel',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation', 'application/vnd.ms-powerpoint',
  'application/vnd.oasis.opendocument.presentation',
].join(',');
const PAPER_EXTENSION = /\.(pdf|docx?|odt|rtf|xlsx?|ods|pptx?|odp)$/i;

/**
 * The secretary's form: a PDF, its title, the agenda item, who may read it (all participants, listed people and
 * units, or restricted: tài liệu mật), published at once or kept as a draft.
 */
export function uploadForm(meetingId, getSnap, onDone) {
  const fileInput = h('input', { type: 'file', accept: PAPER_ACCEPT, class: 'input', testid: 'paper-upload-file', required: true, id: 'paper-file', 'aria-describedby': 'paper-file-types' });
  const title = h('input', { type: 'text', class: 'input', testid: 'paper-upload-title', id: 'paper-title', maxlength: 300, placeholder: t('papers.titlePlaceholder') });
  const itemBox = h('div', { class: 'field grow' });
  const access = accessPicker(meetingId, getSnap, 'paper-upload');
  const publish = h('input', { type: 'checkbox', checked: true, testid: 'paper-upload-publish', id: 'paper-publish' });
  const progress = h('p', { class: 'upload-progress', testid: 'paper-upload-progress', role: 'status', hidden: true });
  const error = h('p', { class: 'form-error', testid: 'paper-upload-error', role: 'alert', hidden: true });
  const quality = h('p', { class: 'paper-quality', testid: 'paper-upload-quality', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'paper-upload-submit' }, t('papers.upload'));
  let itemSelect = null;

  const renderItems = () => {
    itemSelect = itemSelectFor(getSnap, 'paper-upload', itemSelect ? itemSelect.value : '');
    replaceChildren(itemBox, h('label', { for: itemSelect.id }, t('papers.item')), itemSelect);
  };

  fileInput.addEventListener('change', () => {
    const f = fileInput.files && fileInput.files[0];
    if (f && !title.value.trim()) title.value = f.name.replace(PAPER_EXTENSION, '');
  });

  const form = h('form', { class: 'paper-upload-form', testid: 'paper-upload-form', novalidate: true },
    h('h3', { class: 'subsection-title' }, t('papers.uploadTitle')),
    h('div', { class: 'field-row' },
      h('div', { class: 'field grow' }, h('label', { for: 'paper-file' }, t('papers.file')), fileInput,
        h('p', { class: 'hint', id: 'paper-file-types', testid: 'paper-upload-types' }, t('papers.fileTypes'))),
      h('div', { class: 'field grow' }, h('label', { for: 'paper-title' }, t('papers.title')), title)),
    h('div', { class: 'field-row' },
      itemBox,
      access.field,
      h('label', { class: 'check paper-publish-check', for: 'paper-publish' }, publish, h('span', {}, t('papers.publishNow')))),
    access.whoBox,
    progress, error, quality,
    h('div', { class: 'form-actions' }, submit));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    error.hidden = true;
    quality.hidden = true;
    const file = fileInput.files && fileInput.files[0];
    if (!file) { error.textContent = t('papers.fileRequired'); error.hidden = false; return; }
    const fields = {
      title: title.value.trim() || file.name.replace(PAPER_EXTENSION, ''),
      access: access.value(),
      publish: publish.checked ? '1' : '0',
    };
    if (itemSelect && itemSelect.value) fields.item_id = itemSelect.value;
    if (fields.access !== 'all') {
      fields.user_ids = access.userIds().join(',');
      fields.unit_ids = access.unitIds().join(',');
    }
    progress.hidden = false;
    progress.textContent = t('papers.uploading', { n: 0 });
    busy(submit, async () => {
      try {
        const resp = await upload(meetingPath(meetingId, '/papers'), { file, fields }, (f) => {
          progress.textContent = f === null ? t('papers.processing') : t('papers.uploading', { n: Math.round(f * 100) });
        });
        progress.hidden = true;
        form.reset();
        publish.checked = true;
        access.reset();
        const uploadedTitle = (resp && resp.paper && resp.paper.title) || fields.title;
        showNotice(t('papers.uploaded', { title: uploadedTitle }));
        const check = qualityText(resp && resp.paper);
        if (check) { // told at upload, and it stays until the next one: which pages to look at
          quality.textContent = t('papers.quality.uploaded', { title: uploadedTitle, text: check });
          quality.hidden = false;
        }
        if (onDone) onDone(resp && resp.paper);
      } catch (err) {
        progress.hidden = true;
        error.textContent = err.message || t('error.network');
        error.hidden = false;
      }
    });
  });

  renderItems();
  return { el: form, refresh: renderItems };
}

/** Rename a paper, move it to another agenda item, change who may read it (PATCH …/papers/{id}). */
function settingsDialog(meetingId, paper, getSnap, onDone) {
  const title = h('input', { type: 'text', class: 'input', testid: 'paper-settings-title', id: 'paper-settings-title', maxlength: 300 });
  title.value = paper.title;
  const item = itemSelectFor(getSnap, 'paper-settings', paper.item_id || '');
  const access = accessPicker(meetingId, getSnap, 'paper-settings', {
    access: paper.access, userIds: paper.user_ids || [], unitIds: paper.unit_ids || [],
  });
  const error = h('p', { class: 'form-error', testid: 'paper-settings-error', role: 'alert', hidden: true });
  const dlg = h('dialog', { class: 'dialog dialog-wide', testid: 'paper-settings' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'dialog-confirm' }, t('common.save'));
  const form = h('form', { method: 'dialog', class: 'dialog-form' },
    h('h2', { class: 'dialog-title' }, t('papers.settingsTitle')),
    h('div', { class: 'field' }, h('label', { for: 'paper-settings-title' }, t('papers.title')), title),
    h('div', { class: 'field' }, h('label', { for: item.id }, t('papers.item')), item),
    access.field, access.whoBox, error,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', testid: 'dialog-cancel', onclick: () => dlg.close() }, t('common.cancel')), save));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { title: title.value.trim() || paper.title, access: access.value() };
    if (item.value) body.item_id = item.value; else body.clear_item = true;
    body.user_ids = body.access === 'all' ? [] : access.userIds();
    body.unit_ids = body.access === 'all' ? [] : access.unitIds();
    busy(save, async () => {
      try {
        await patch(meetingPath(meetingId, `/papers/${enc(paper.id)}`), body);
        dlg.close();
        if (onDone) onDone();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
      }
    });
  });
  dlg.addEventListener('close', () => dlg.remove());
  dlg.append(form);
  document.body.append(dlg);
  dlg.showModal();
  title.focus();
}

// ---------------------------------------------------------------- organisers' actions on one paper

function paperActions(meetingId, paper, refresh, getSnap) {
  const buttons = [];
  if (paper.status !== 'published') {
    const b = h('button', { type: 'button', class: 'btn btn-small btn-primary', testid: 'paper-publish' }, t('papers.publish'));
    b.addEventListener('click', () => busy(b, async () => { await post(meetingPath(meetingId, `/papers/${enc(paper.id)}/publish`)); refresh(); }));
    buttons.push(b);
  }
  if (paper.status === 'published') {
    const b = h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', testid: 'paper-withdraw' }, t('papers.withdraw'));
    b.addEventListener('click', () => busy(b, async () => { await post(meetingPath(meetingId, `/papers/${enc(paper.id)}/withdraw`)); refresh(); }));
    buttons.push(b);
  }
  if (paper.status !== 'withdrawn') {
    const input = h('input', { type: 'file', accept: PAPER_ACCEPT, class: 'visually-hidden', testid: 'paper-new-version-file' });
    const label = h('label', { class: 'btn btn-small', testid: 'paper-new-version' }, input, t('papers.newVersion'));
    input.addEventListener('change', () => {
      const file = input.files && input.files[0];
      if (!file) return;
      label.setAttribute('aria-busy', 'true');
      upload(meetingPath(meetingId, `/papers/${enc(paper.id)}/versions`), { file })
        .then((resp) => {
          const check = qualityText(resp && resp.paper);
          showNotice([t('papers.versionUploaded', { title: paper.title }), check].filter(Boolean).join(' '));
          refresh();
        })
        .catch(showError)
        .finally(() => { label.removeAttribute('aria-busy'); input.value = ''; });
    });
    buttons.push(label);
  }
  const settings = h('button', { type: 'button', class: 'btn btn-small', testid: 'paper-settings-open' }, t('papers.settings'));
  settings.addEventListener('click', () => settingsDialog(meetingId, paper, getSnap, refresh));
  buttons.push(settings);
  return h('div', { class: 'paper-actions' }, buttons);
}

function paperRow(meetingId, paper, { organiser, editable, refresh, compact = false, getSnap }) {
  const pages = pageCountOf(paper);
  const readable = paper.status === 'published' || organiser;
  const link = readable
    ? h('a', { href: readerPath(meetingId, paper.id), class: 'paper-link', testid: 'paper-link' },
      h('span', { class: 'paper-icon', 'aria-hidden': 'true' }),
      h('span', { class: 'paper-title', testid: 'paper-title' }, paper.title))
    : h('span', { class: 'paper-link' }, h('span', { class: 'paper-title', testid: 'paper-title' }, paper.title));
  return h('li', {
    class: ['paper-item', `is-${paper.status}`], testid: 'paper-item',
    dataset: { paperId: paper.id, status: paper.status, access: paper.access, version: paper.current_version },
  },
  h('div', { class: 'paper-main' },
    link,
    h('div', { class: 'paper-meta' },
      h('span', { testid: 'paper-pages' }, t('papers.pages', { n: pages })),
      paper.current_version > 1 ? h('span', { testid: 'paper-version' }, t('papers.version', { n: paper.current_version })) : null,
      statusBadgeOf(paper), accessBadge(paper),
      paper.status === 'published' ? progressBadge(meetingId, paper) : null),
    organiser ? qualityNote(paper) : null),
  editable && !compact ? paperActions(meetingId, paper, refresh, getSnap) : null);
}

function papersList(meetingId, papers, agenda, opts) {
  const groups = groupByItem(papers, agenda);
  if (!groups.length) return emptyState(t('papers.empty'), 'papers-empty');
  return h('div', { class: 'paper-groups', testid: 'paper-groups' }, groups.map((g) => h('section', {
    class: 'paper-group', testid: 'paper-group', dataset: { itemId: g.item ? g.item.id : '' },
  },
  h('h3', { class: 'paper-group-title', testid: 'paper-group-title' },
    g.item ? h('span', { class: 'agenda-no small-no', 'aria-hidden': 'true' }, String(g.index)) : null,
    g.item ? g.item.title : t('papers.otherGroup')),
  h('ul', { class: 'paper-list' }, g.papers.map((p) => paperRow(meetingId, p, opts))))));
}

function offProgress(root) {
  for (const el of root.querySelectorAll('[data-testid="prefetch-progress"]')) if (el._off) el._off();
}

function presentationBanner(meetingId, presentation, papers) {
  if (!presentation || !presentation.paper_id) return null;
  const paper = papers.find((p) => p.id === presentation.paper_id);
  if (!paper) return null;
  return h('div', { class: 'presentation-banner', testid: 'presentation-banner', role: 'status' },
    h('span', {}, t('papers.presenting', { name: presentation.by_name || '', title: paper.title, page: presentation.page })),
    h('a', {
      href: `${readerPath(meetingId, paper.id)}?follow=1`, class: 'btn btn-small btn-primary', testid: 'presentation-join',
      onclick: () => { try { sessionStorage.setItem(`ms.follow.${meetingId}`, 'true'); } catch { /* ignore */ } },
    }, t('papers.followPresenter')));
}

// ---------------------------------------------------------------- read receipts (organisers)

function receiptsView(data) {
  const list = asList(data, 'papers');
  if (!list.length) return emptyState(t('papers.receiptsEmpty'), 'receipts-empty');
  return h('ul', { class: 'receipt-list' }, list.map((p) => h('li', {
    class: 'receipt-paper', testid: 'receipt-paper', dataset: { paperId: p.paper_id, opened: p.opened, expected: p.expected },
  },
  h('details', {},
    h('summary', {}, h('span', { class: 'receipt-title' }, p.title),
      h('span', { class: 'receipt-count', testid: 'receipt-count' }, t('papers.receiptCount', { n: p.opened, total: p.expected }))),
    h('ul', { class: 'receipt-readers' }, (p.readers || []).map((r) => h('li', {
      class: ['receipt-reader', r.opened ? 'is-opened' : ''], testid: 'receipt-reader', dataset: { userId: r.user_id, opened: r.opened ? 'true' : 'false' },
    }, h('span', { class: 'receipt-mark', 'aria-hidden': 'true' }, r.opened ? '✓' : '○'),
    h('span', {}, r.name), r.unit_name ? h('span', { class: 'muted small' }, r.unit_name) : null,
    h('span', { class: 'muted small' }, r.opened ? t('papers.opened') : t('papers.notOpened')))))))));
}

// ---------------------------------------------------------------- the page: /meetings/<id>/papers

export async function render({ root, params, setTitle, isCurrent }) {
  const id = params.id;
  registerServiceWorker();
  const view = h('div', { class: 'papers-page', testid: 'papers-page', dataset: { meetingId: id } }, loading());
  root.append(view);
  let snap = null;
  let papers = [];
  let presentation = null;
  let loaded = false;
  const head = h('div', { class: 'papers-head' });
  const banner = h('div', { class: 'papers-banner' });
  const listBox = h('section', { class: 'card papers-card', 'aria-labelledby': 'papers-h' });
  const uploadBox = h('section', { class: 'card upload-card' });
  const receiptsBox = h('section', { class: 'card receipts-card', testid: 'receipts', 'aria-labelledby': 'receipts-h' });
  let form = null;
  let refetchTimer = null;
  let receiptsTimer = null;

  const renderHead = () => {
    setTitle(t('papers.pageTitle', { title: snap.title }));
    replaceChildren(head,
      h('a', { href: `/meetings/${enc(id)}`, class: 'back-link', testid: 'back-to-meeting' }, t('papers.backToMeeting')),
      h('h1', { class: 'page-title', testid: 'papers-title' }, t('papers.heading')),
      h('p', { class: 'papers-meeting muted' }, snap.title));
  };

  const renderList = () => {
    offProgress(listBox);
    const organiser = isOrganiser(snap);
    replaceChildren(listBox,
      h('h2', { id: 'papers-h', class: 'section-title' }, t('papers.listTitle', { n: papers.length })),
      loaded ? papersList(id, papers, snap.agenda, { organiser, editable: organiser && papersOpen(snap), refresh: () => refetch(), getSnap: () => snap }) : loading());
    replaceChildren(banner, presentationBanner(id, snap && 'presentation' in snap ? snap.presentation : presentation, papers));
  };

  const renderOrganiser = () => {
    const organiser = isOrganiser(snap);
    const uploads = organiser && papersOpen(snap);
    uploadBox.hidden = !uploads;
    receiptsBox.hidden = !organiser;
    if (uploads && !form) {
      form = uploadForm(id, () => snap, () => refetch());
      replaceChildren(uploadBox, form.el);
    } else if (form) form.refresh();
  };

  const refetch = async () => {
    try {
      const resp = await loadPapers(id);
      if (!isCurrent()) return;
      if (loaded) forgetGone(id, papers, resp.papers);
      papers = resp.papers;
      presentation = resp.presentation;
      loaded = true;
      renderList();
      prefetchAll(id, papers);
      if (isOrganiser(snap)) refetchReceipts();
    } catch (err) {
      if (isCurrent()) showError(err);
    }
  };
  const refetchSoon = () => { clearTimeout(refetchTimer); refetchTimer = setTimeout(refetch, 80); };

  const refetchReceipts = async () => {
    try {
      const data = await get(meetingPath(id, '/paper-receipts'));
      if (!isCurrent()) return;
      replaceChildren(receiptsBox, h('h2', { id: 'receipts-h', class: 'section-title' }, t('papers.receipts')), receiptsView(data));
    } catch (err) {
      if (err.status !== 403) console.warn(err);
    }
  };
  const receiptsSoon = () => { clearTimeout(receiptsTimer); receiptsTimer = setTimeout(refetchReceipts, 150); };

  const channel = new MeetingChannel(id, {
    onUpdate: (s, info) => {
      snap = s;
      if (!isCurrent()) return;
      if (!view.contains(head)) replaceChildren(view, head, banner, listBox, uploadBox, receiptsBox);
      renderHead();
      renderOrganiser();
      renderList();
      if (papersChanged(info)) refetchSoon();
      for (const ev of (info && info.events) || []) {
        if (ev.type === 'paper.opened' && isOrganiser(snap)) receiptsSoon();
      }
    },
    onError: (err) => { if (isCurrent()) showError(err); },
  });
  try {
    await channel.open();
  } catch (err) {
    channel.close();
    replaceChildren(view, h('a', { href: '/meetings', class: 'back-link' }, t('meeting.back')));
    throw err;
  }
  await refetch();
  keepForOffline(['/api/auth/session', meetingPath(id), meetingPath(id, '/papers')]);
  return () => {
    clearTimeout(refetchTimer);
    clearTimeout(receiptsTimer);
    offProgress(view);
    channel.close();
  };
}

// ---------------------------------------------------------------- the meeting page's card

/**
 * The "Tài liệu họp" card of the meeting page: the papers by agenda item with their download state, a link to the
 * full list, and the upload form for organisers. `update(snapshot, info)` on every channel update.
 */
export function papersSection(meetingId) {
  registerServiceWorker();
  const el = h('section', { class: 'card papers-section', testid: 'papers-section', 'aria-labelledby': 'papers-section-h' });
  const listBox = h('div', { class: 'papers-section-list' });
  const uploadBox = h('div', { class: 'papers-section-upload' });
  let snap = null;
  let papers = [];
  let loaded = false;
  let form = null;
  let timer = null;
  let destroyed = false;

  const render = () => {
    if (!snap || destroyed) return;
    offProgress(listBox);
    const organiser = isOrganiser(snap);
    const uploads = organiser && papersOpen(snap);
    replaceChildren(listBox, loaded ? papersList(meetingId, papers, snap.agenda, { organiser, compact: true, refresh: () => refetch() }) : loading());
    if (uploads && !form) {
      form = uploadForm(meetingId, () => snap, () => refetch());
      replaceChildren(uploadBox, h('details', { class: 'collapsible upload-details', testid: 'paper-upload-toggle' },
        h('summary', { class: 'section-title' }, t('papers.uploadTitle')), form.el));
    } else if (form) form.refresh();
    uploadBox.hidden = !uploads;
  };

  const refetch = async () => {
    try {
      const resp = await loadPapers(meetingId);
      if (destroyed) return;
      if (loaded) forgetGone(meetingId, papers, resp.papers);
      papers = resp.papers;
      loaded = true;
      render();
      prefetchAll(meetingId, papers);
    } catch (err) {
      if (!destroyed && err.status !== 403 && err.status !== 404) console.warn(err);
    }
  };

  el.append(
    h('div', { class: 'papers-section-head' },
      h('h2', { id: 'papers-section-h', class: 'section-title' }, t('papers.heading')),
      h('a', { href: papersPath(meetingId), class: 'btn btn-small', testid: 'open-papers' }, t('papers.openList'))),
    listBox, uploadBox);

  return {
    el,
    update(s, info) {
      const first = !snap;
      snap = s;
      render();
      if (first || papersChanged(info)) {
        clearTimeout(timer);
        timer = setTimeout(refetch, first ? 0 : 80);
      }
    },
    destroy() {
      destroyed = true;
      clearTimeout(timer);
      offProgress(el);
    },
  };
}
