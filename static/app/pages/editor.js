// Meeting editor: /meetings/new and /meetings/<id>/edit.
// The details form saves on "Lưu"; every agenda change is saved at once through the API, and the agenda
// shown here comes from the live channel, so all screens (this one included) follow the same event log.
import { post, patch, put, del } from '../api.js';
import { answersPanel } from '../answers.js';
import { h, replaceChildren, uid } from '../dom.js';
import { toVnLocalInput, fromVnLocalInput, vnParts, formatDateTime } from '../format.js';
import { t } from '../i18n.js';
import { MeetingChannel } from '../live.js';
import { loadSites, loadUnits, loadUsers, unitTree, compareVi } from '../session.js';
import {
  busy, checkList, selectBox, statusBadge, pageHeader, loading, showError, showNotice, confirmDialog, autoGrowText,
  charCounter, formError,
} from '../ui.js';
import { guardUnsaved } from '../unsaved.js';
import { mailCard } from '../mail.js';
import { afterWrite, bookingWarnings, lifecycleButtons, meetingPath, CLOSED_STATUSES } from '../meeting-common.js';

const pad = (n) => String(n).padStart(2, '0');
const TITLE_MAX = 300; // the server's limit (actions/schemas.py TITLE_MAX)

function defaultTimes() {
  const p = vnParts(new Date(Date.now() + 24 * 3600 * 1000));
  const day = `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  return { start: `${day}T08:00`, end: `${day}T11:00` };
}

function userLabel(u) {
  return u.full_name || u.username;
}

function userHint(u, unitsById) {
  const unit = u.unit_id && unitsById.get(u.unit_id);
  return [u.title, unit && unit.name].filter(Boolean).join(' · ');
}

export async function render({ root, params, setTitle, navigate, isCurrent }) {
  const meetingId = params.id || null;
  const creating = !meetingId;
  setTitle(creating ? t('editor.newTitle') : t('editor.editTitle'));
  const view = h('div', { class: 'editor-page', testid: 'editor-page' }, loading());
  root.append(view);

  const [users, sites, units] = await Promise.all([
    loadUsers().catch((err) => { showError(err); return []; }),
    loadSites().catch((err) => { showError(err); return []; }),
    loadUnits().catch((err) => { showError(err); return []; }),
  ]);
  if (!isCurrent()) return undefined;
  const unitsById = new Map(units.map((u) => [u.id, u]));
  const activeUsers = users.filter((u) => u.active !== false).sort((a, b) => compareVi(userLabel(a), userLabel(b)));
  // The server accepts as chair / secretary only someone who holds that role.
  const withRole = (role) => activeUsers.filter((u) => (u.roles || []).includes(role));
  const activeSites = sites.filter((s) => s.active !== false).sort((a, b) => compareVi(a.name, b.name));

  // ------------------------------------------------------------ live snapshot (edit mode)
  let snap = null;
  let channel = null;
  let agendaView = null;
  let headView = null;
  const answers = answersPanel(meetingId); // "Trả lời giấy mời": every invitee's answer, the counts, the reminder
  if (!creating) {
    channel = new MeetingChannel(meetingId, {
      onUpdate: (s, info) => {
        snap = s;
        if (!isCurrent()) return;
        if (headView) headView.update();
        if (agendaView) agendaView.update();
        answers.update(s, info); // the invitees' answers follow live (invitation.answered)
      },
      onError: (err) => { if (isCurrent()) showError(err.fatal ? err : t('error.liveFailed', { message: err.message })); },
    });
    try {
      await channel.open();
    } catch (err) {
      channel.close();
      replaceChildren(view);
      throw err;
    }
    if (!isCurrent()) { channel.close(); return undefined; }
  }
  const closed = () => Boolean(snap && CLOSED_STATUSES.includes(snap.status));

  // ------------------------------------------------------------ details form
  const times = defaultTimes();
  const initial = snap || {};
  const title = autoGrowText({ required: true, testid: 'editor-title' });
  const titleCount = charCounter(title, TITLE_MAX, 'editor-title-count');
  title.setValue(initial.title || '');
  const description = h('textarea', { class: 'input', rows: 3, testid: 'editor-description' });
  description.value = initial.description || '';
  const startsAt = h('input', { class: 'input', type: 'datetime-local', required: true, testid: 'editor-starts-at', value: initial.starts_at ? toVnLocalInput(initial.starts_at) : times.start });
  const endsAt = h('input', { class: 'input', type: 'datetime-local', testid: 'editor-ends-at', value: initial.ends_at ? toVnLocalInput(initial.ends_at) : (creating ? times.end : '') });
  // The browser shows datetime-local in its own locale; repeat the choice the way the invitation prints it.
  const preview = (input, testid) => {
    const out = h('p', { class: 'hint time-preview', testid, 'aria-live': 'polite' });
    const update = () => { out.textContent = input.value ? formatDateTime(fromVnLocalInput(input.value)) : ''; };
    input.addEventListener('input', update);
    input.addEventListener('change', update);
    update();
    return out;
  };
  const startsPreview = preview(startsAt, 'editor-starts-preview');
  const endsPreview = preview(endsAt, 'editor-ends-preview');
  const location = h('input', { class: 'input', type: 'text', maxlength: 300, testid: 'editor-location', value: initial.location || '' });
  const initialSiteIds = (initial.sites || []).map((s) => s.id).concat(initial.site_ids || []);
  const sitesList = checkList({
    options: activeSites.map((s) => ({ value: s.id, label: s.name, hint: unitsById.get(s.unit_id)?.name })),
    values: initialSiteIds, testid: 'editor-sites', label: t('editor.sites'),
  });
  const mainSite = selectBox({
    options: activeSites.map((s) => ({ value: s.id, label: s.name })), value: initial.main_site_id || '',
    testid: 'editor-main-site', noneLabel: t('common.none'),
  });
  mainSite.addEventListener('change', () => {
    if (mainSite.value && !sitesList.getValues().includes(mainSite.value)) sitesList.setValues([...sitesList.getValues(), mainSite.value]);
  });
  const invitees = checkList({
    options: activeUsers.map((u) => ({ value: u.id, label: userLabel(u), hint: userHint(u, unitsById) })),
    values: initial.invitee_ids || [], testid: 'editor-invitees', label: t('editor.invitees'),
  });
  const communes = units.filter((u) => u.kind === 'commune');
  const unitOptions = (communes.length ? unitTree(units).filter((x) => x.unit.kind === 'commune') : unitTree(units))
    .map(({ unit }) => ({ value: unit.id, label: unit.name, hint: unitsById.get(unit.parent_id)?.name }));
  const invitedUnits = checkList({
    options: unitOptions, values: initial.invited_unit_ids || [], testid: 'editor-units', label: t('editor.units'), hint: t('editor.unitsHint'),
  });
  const chair = selectBox({
    options: withRole('chair').map((u) => ({ value: u.id, label: userLabel(u) })), value: initial.chair_id || '',
    testid: 'editor-chair', noneLabel: t('common.none'),
  });
  const secretary = selectBox({
    options: withRole('secretary').map((u) => ({ value: u.id, label: userLabel(u) })), value: initial.secretary_id || '',
    testid: 'editor-secretary', noneLabel: t('common.none'),
  });
  const ensureOption = (sel, value) => {
    if (value && ![...sel.options].some((o) => o.value === value)) {
      const u = users.find((x) => x.id === value);
      sel.append(h('option', { value }, u ? userLabel(u) : value));
      sel.value = value;
    }
  };
  ensureOption(chair, initial.chair_id);
  ensureOption(secretary, initial.secretary_id);

  const saveBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'editor-save' }, creating ? t('editor.create') : t('editor.save'));
  const saveErr = formError('editor-error');
  const saveBar = h('div', { class: 'form-actions sticky-actions' }, saveErr, saveBtn);
  const labelled = (label, control, after = null) => {
    control.id = control.id || uid('ed');
    return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, after);
  };
  const form = h('form', { class: 'editor-form', testid: 'editor-form', novalidate: true },
    h('section', { class: 'card' },
      h('h2', { class: 'section-title' }, t('editor.details')),
      labelled(t('editor.title'), title, titleCount),
      h('div', { class: 'field-row' }, labelled(t('editor.startsAt'), startsAt, startsPreview), labelled(t('editor.endsAt'), endsAt, endsPreview)),
      h('div', { class: 'field-row' }, labelled(t('editor.location'), location), labelled(t('editor.mainSite'), mainSite)),
      labelled(t('editor.description'), description),
      h('div', { class: 'field-row' }, labelled(t('editor.chair'), chair), labelled(t('editor.secretary'), secretary))),
    h('section', { class: 'card' },
      h('h2', { class: 'section-title' }, t('editor.participants')),
      h('div', { class: 'checklist-grid' }, sitesList.el, invitedUnits.el),
      invitees.el),
    saveBar);

  /** What the form holds now, unchecked. */
  function readForm() {
    return {
      title: title.value.trim(),
      starts_at: fromVnLocalInput(startsAt.value),
      ends_at: fromVnLocalInput(endsAt.value),
      description: description.value.trim(),
      location: location.value.trim(),
      main_site_id: mainSite.value || null,
      site_ids: sitesList.getValues(),
      invitee_ids: invitees.getValues(),
      invited_unit_ids: invitedUnits.getValues(),
      chair_id: chair.value || null,
      secretary_id: secretary.value || null,
    };
  }

  function collect() {
    const body = readForm();
    if (!body.title) { title.focus(); throw new Error(t('error.titleRequired')); }
    if (!body.starts_at) { startsAt.focus(); throw new Error(t('error.startRequired')); }
    if (body.ends_at && Date.parse(body.ends_at) <= Date.parse(body.starts_at)) { endsAt.focus(); throw new Error(t('error.endBeforeStart')); }
    return body;
  }

  /** For PATCH: only the fields that differ from the snapshot (null clears an optional field). */
  function changedFields(body) {
    const cur = snap || {};
    const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    const sameSet = (a, b) => same([...(a || [])].sort(), [...(b || [])].sort());
    const sameTime = (a, b) => (a && b ? Date.parse(a) === Date.parse(b) : !a && !b);
    const out = {};
    if (!same(body.title, cur.title)) out.title = body.title;
    if (!sameTime(body.starts_at, cur.starts_at)) out.starts_at = body.starts_at;
    if (!sameTime(body.ends_at, cur.ends_at)) out.ends_at = body.ends_at;
    for (const k of ['description', 'location']) if (!same(body[k] || '', cur[k] || '')) out[k] = body[k];
    for (const k of ['main_site_id', 'chair_id', 'secretary_id']) if (!same(body[k], cur[k])) out[k] = body[k];
    if (!sameSet(body.site_ids, (cur.sites || []).map((s) => s.id))) out.site_ids = body.site_ids;
    if (!sameSet(body.invitee_ids, cur.invitee_ids)) out.invitee_ids = body.invitee_ids;
    if (!sameSet(body.invited_unit_ids, cur.invited_unit_ids)) out.invited_unit_ids = body.invited_unit_ids;
    return out;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(saveBtn, async () => {
      const body = collect();
      if (creating) {
        const createBody = {};
        for (const [k, v] of Object.entries(body)) {
          if (v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
          createBody[k] = v;
        }
        const resp = await post('/api/meetings', createBody);
        const created = resp && (resp.meeting || resp);
        createdAs = JSON.stringify(readForm()); // saved: nothing is lost by moving on to its edit page
        navigate(`/meetings/${encodeURIComponent(created.id)}/edit`, { replace: true });
        showNotice(bookingWarnings(resp) || t('editor.created'));
        return;
      }
      const changes = changedFields(body);
      let resp = null;
      if (Object.keys(changes).length) {
        resp = await patch(meetingPath(meetingId), changes);
        await afterWrite(channel, resp);
      }
      showNotice(bookingWarnings(resp) || t('editor.saved'));
    }, saveErr);
  });
  // Reloading or leaving with edits not saved asks first (the agenda rows save themselves on change).
  let createdAs = JSON.stringify(readForm());
  let agendaDirty = () => false;
  guardUnsaved(() => {
    if (closed()) return false;
    const now = readForm();
    const detailsDirty = creating ? JSON.stringify(now) !== createdAs : Object.keys(changedFields(now)).length > 0;
    return detailsDirty || agendaDirty();
  });

  // ------------------------------------------------------------ head: status + lifecycle
  const headBox = h('div', { class: 'editor-head' });
  headView = {
    update() {
      if (!snap) return;
      const closedNow = closed();
      for (const el of form.elements) el.disabled = closedNow;
      saveBar.hidden = closedNow;
      replaceChildren(headBox,
        h('div', { class: 'meeting-title-row' },
          h('span', { class: 'muted', testid: 'editor-meeting-title' }, snap.title),
          statusBadge(snap.status, 'editor-status')),
        h('div', { class: 'button-row', testid: 'lifecycle-actions' },
          lifecycleButtons(snap, channel),
          h('a', { href: `/meetings/${encodeURIComponent(meetingId)}`, class: 'btn', testid: 'editor-view-meeting' }, t('editor.viewMeeting'))),
        closedNow ? h('p', { class: 'hint' }, t('editor.closed')) : null);
    },
  };

  // ------------------------------------------------------------ agenda editor
  const agendaSection = h('section', { class: 'card agenda-editor', testid: 'agenda-editor', 'aria-labelledby': 'agenda-ed-h' });
  const presenterOptions = activeUsers.map((u) => ({ value: u.id, label: userLabel(u) }));
  const presenterSelect = (value, testid, fallbackName) => {
    const sel = selectBox({ options: presenterOptions, value: value || '', testid, noneLabel: t('editor.noPresenter') });
    if (value && ![...sel.options].some((o) => o.value === value)) sel.append(h('option', { value }, fallbackName || value));
    if (!value && fallbackName) {
      sel.append(h('option', { value: '__name__', disabled: true }, fallbackName));
      sel.value = '__name__';
    }
    sel.value = value || (fallbackName ? '__name__' : '');
    return sel;
  };

  if (!creating) {
    const list = h('ol', { class: 'agenda-edit-list', testid: 'agenda-edit-list' });
    const rows = new Map(); // item id -> row parts
    const itemPath = (itemId) => meetingPath(meetingId, `/agenda/${encodeURIComponent(itemId)}`);

    const saveItem = async (itemId, changes, control) => {
      control.classList.add('is-saving');
      try {
        const resp = await patch(itemPath(itemId), changes);
        await afterWrite(channel, resp);
      } catch (err) {
        showError(err);
        agendaView.update(true);
      } finally {
        control.classList.remove('is-saving');
      }
    };

    const move = (itemId, delta, btn) => busy(btn, async () => {
      const ids = (snap.agenda || []).map((a) => a.id);
      const i = ids.indexOf(itemId);
      const j = i + delta;
      if (i < 0 || j < 0 || j >= ids.length) return;
      [ids[i], ids[j]] = [ids[j], ids[i]];
      const resp = await put(meetingPath(meetingId, '/agenda/order'), { item_ids: ids });
      await afterWrite(channel, resp);
      const row = rows.get(itemId);
      if (row) (delta < 0 ? row.up : row.down).focus();
    });

    const makeRow = (item) => {
      const titleIn = autoGrowText({ maxlength: 300, testid: 'agenda-edit-title', 'aria-label': t('editor.itemTitle') });
      const presenterWrap = h('span', { class: 'presenter-wrap' });
      const minutesIn = h('input', { class: 'input input-minutes', type: 'number', min: 0, max: 600, step: 1, inputmode: 'numeric', testid: 'agenda-edit-minutes', 'aria-label': t('editor.itemMinutes') });
      const no = h('span', { class: 'agenda-no', 'aria-hidden': 'true' });
      const up = h('button', { type: 'button', class: 'btn btn-icon', testid: 'agenda-move-up', 'aria-label': t('editor.moveUp'), title: t('editor.moveUp') }, '▲');
      const down = h('button', { type: 'button', class: 'btn btn-icon', testid: 'agenda-move-down', 'aria-label': t('editor.moveDown'), title: t('editor.moveDown') }, '▼');
      const remove = h('button', { type: 'button', class: 'btn btn-icon btn-danger-outline', testid: 'agenda-remove', 'aria-label': t('editor.removeItem'), title: t('editor.removeItem') }, '✕');
      const el = h('li', { class: 'agenda-edit-item', testid: 'agenda-edit-item', dataset: { itemId: item.id } },
        no,
        h('div', { class: 'agenda-edit-fields' },
          h('div', { class: 'agenda-edit-title' }, titleIn),
          h('div', { class: 'agenda-edit-row' },
            h('label', { class: 'field grow' }, h('span', { class: 'field-label' }, t('editor.itemPresenter')), presenterWrap),
            h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('editor.itemMinutes')), minutesIn),
            h('div', { class: 'agenda-edit-buttons' }, up, down, remove))));
      const row = { el, titleIn, presenterWrap, presenter: null, minutesIn, no, up, down, remove, item };
      titleIn.addEventListener('change', () => {
        const v = titleIn.value.trim();
        if (!v) { titleIn.value = row.item.title; return; }
        if (v !== row.item.title) saveItem(row.item.id, { title: v }, titleIn);
      });
      minutesIn.addEventListener('change', () => {
        const n = minutesIn.value === '' ? null : Math.max(0, Math.round(Number(minutesIn.value)));
        if (n !== (row.item.planned_minutes ?? null)) saveItem(row.item.id, { planned_minutes: n }, minutesIn);
      });
      up.addEventListener('click', () => move(row.item.id, -1, up));
      down.addEventListener('click', () => move(row.item.id, +1, down));
      remove.addEventListener('click', () => busy(remove, async () => {
        if (!(await confirmDialog(t('confirm.deleteItem', { title: row.item.title }), { danger: true, confirmLabel: t('common.delete'), title: t('editor.removeItem') }))) return;
        const resp = await del(itemPath(row.item.id));
        await afterWrite(channel, resp);
      }));
      return row;
    };

    const setPresenter = (row, item) => {
      const key = `${item.presenter_id || ''}|${item.presenter_name || ''}`;
      if (row.presenter && row.presenterKey === key) return;
      if (row.presenter && document.activeElement === row.presenter) return;
      const sel = presenterSelect(item.presenter_id, 'agenda-edit-presenter', item.presenter_name);
      sel.setAttribute('aria-label', t('editor.itemPresenter'));
      sel.addEventListener('change', () => {
        if (sel.value === '__name__') return;
        saveItem(row.item.id, { presenter_id: sel.value || null }, sel);
      });
      replaceChildren(row.presenterWrap, sel);
      row.presenter = sel;
      row.presenterKey = key;
    };

    const newTitle = h('input', { class: 'input', type: 'text', testid: 'agenda-new-title', placeholder: t('editor.newItem') });
    const newTitleCount = charCounter(newTitle, TITLE_MAX, 'agenda-new-title-count');
    agendaDirty = () => newTitle.value.trim() !== ''
      || [...rows.values()].some((row) => row.titleIn.value.trim() && row.titleIn.value.trim() !== row.item.title);
    const newPresenterWrap = h('span', { class: 'presenter-wrap' }, presenterSelect('', 'agenda-new-presenter'));
    const newMinutes = h('input', { class: 'input input-minutes', type: 'number', min: 0, max: 600, step: 1, inputmode: 'numeric', testid: 'agenda-new-minutes' });
    const addBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'agenda-add' }, t('editor.addItem'));
    const addForm = h('form', { class: 'agenda-add-form', testid: 'agenda-add-form', novalidate: true },
      h('label', { class: 'field grow' }, h('span', { class: 'field-label' }, t('editor.newItem')), newTitle, newTitleCount),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('editor.itemPresenter')), newPresenterWrap),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('editor.itemMinutes')), newMinutes),
      h('div', { class: 'field field-button' }, addBtn));
    addForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const value = newTitle.value.trim();
      if (!value) { newTitle.focus(); return; }
      busy(addBtn, async () => {
        const body = { title: value };
        const presenterSel = newPresenterWrap.querySelector('select');
        if (presenterSel.value && presenterSel.value !== '__name__') body.presenter_id = presenterSel.value;
        if (newMinutes.value !== '') body.planned_minutes = Math.max(0, Math.round(Number(newMinutes.value)));
        const resp = await post(meetingPath(meetingId, '/agenda'), body);
        await afterWrite(channel, resp);
        newTitle.value = '';
        newTitle.updateCounter();
        newMinutes.value = '';
        presenterSel.value = '';
        newTitle.focus();
      });
    });

    agendaView = {
      update(force = false) {
        const items = (snap && snap.agenda) || [];
        const seen = new Set();
        const closedNow = closed();
        items.forEach((item, i) => {
          let row = rows.get(item.id);
          if (!row) { row = makeRow(item); rows.set(item.id, row); }
          row.item = item;
          seen.add(item.id);
          if (force || document.activeElement !== row.titleIn) row.titleIn.setValue(item.title || '');
          if (force || document.activeElement !== row.minutesIn) row.minutesIn.value = item.planned_minutes ?? '';
          setPresenter(row, item);
          row.no.textContent = String(i + 1);
          row.el.classList.toggle('is-current', item.id === snap.current_item_id);
          row.up.disabled = closedNow || i === 0;
          row.down.disabled = closedNow || i === items.length - 1;
          for (const c of [row.titleIn, row.minutesIn, row.presenter, row.remove]) if (c) c.disabled = closedNow;
          if (list.children[i] !== row.el) list.insertBefore(row.el, list.children[i] || null);
        });
        for (const [itemId, row] of rows) {
          if (!seen.has(itemId)) { row.el.remove(); rows.delete(itemId); }
        }
        addForm.hidden = closedNow;
        emptyNote.hidden = items.length > 0;
      },
    };
    const emptyNote = h('p', { class: 'empty', testid: 'agenda-empty' }, t('meeting.agendaEmpty'));
    replaceChildren(agendaSection,
      h('h2', { id: 'agenda-ed-h', class: 'section-title' }, t('editor.agenda')),
      h('p', { class: 'hint' }, t('editor.agendaHint')),
      emptyNote, list, addForm);
  } else {
    replaceChildren(agendaSection,
      h('h2', { id: 'agenda-ed-h', class: 'section-title' }, t('editor.agenda')),
      h('p', { class: 'hint', testid: 'agenda-after-create' }, t('editor.agendaAfterCreate')));
  }

  const mail = creating ? null : mailCard(meetingId); // the invitations' mail per invitee, "Gửi lại"
  replaceChildren(view,
    pageHeader(creating ? t('editor.newTitle') : t('editor.editTitle')),
    creating ? null : headBox,
    h('div', { class: ['editor-layout', creating ? '' : 'has-agenda'] }, form, agendaSection),
    creating ? null : answers.el,
    mail ? mail.el : null);
  if (headView && snap) headView.update();
  if (snap) answers.update(snap, { source: 'stored' });
  if (agendaView) agendaView.update();
  title.grow();
  if (creating) title.focus();

  return channel || mail ? () => { if (channel) channel.close(); if (mail) mail.stop(); } : undefined;
}
