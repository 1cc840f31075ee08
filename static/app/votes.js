// Votes (biểu quyết) in the pages: the delegate's tablet vote screen (the question large, one big button per choice,
// a clear confirmation, the server's sentence when a ballot is refused, the result after the close).
//
// The meeting snapshot carries `votes` (docs/protocol.md); vote events carry no snapshot patch: vote.prepared,
// .edited, .opened, .closed and .cancelled carry the vote itself, which replaces the block's copy; after any other
// vote.* or proxy.* event the block reads `GET /api/meetings/{id}/votes` again.
import { get, patch, post } from './api.js';
import { field, h, replaceChildren } from './dom.js';
import { getLang, t } from './i18n.js';
import { loadParticipantNames } from './meeting-common.js';
import { getUser } from './session.js';
import { selectBox } from './ui.js';

const enc = encodeURIComponent;

/** The vote to show on the tablet: the open one, else the latest closed one. */
export function currentVote(votes) {
  const list = Array.isArray(votes) ? votes : [];
  // Else the vote closed last (by its closing time; the list is in the order the votes were prepared).
  const closed = list.filter((v) => v.status === 'closed');
  return list.find((v) => v.status === 'open')
    || closed.reduce((last, v) => (!last || String(v.closed_at || '') >= String(last.closed_at || '') ? v : last), null);
}

/** The turnout line of a result in the reader's language ("Đã biểu quyết 96/118"). */
export function turnoutText(result) {
  if (!result) return '';
  return String((getLang() === 'en' ? result.turnout_en : result.turnout_vi) || '');
}

function resultView(vote) {
  const result = vote.result || {};
  const counts = Array.isArray(result.counts) ? result.counts : [];
  return h('div', { class: 'vote-result', testid: 'vote-result' },
    h('p', { class: 'vote-turnout', testid: 'vote-result-turnout' }, turnoutText(result)),
    h('ul', { class: 'vote-counts' }, ...counts.map((c) => h('li', { testid: `vote-count-${c.choice}` },
      h('span', { class: 'vote-count-label' }, c.label),
      h('span', { class: 'vote-count-value' }, t('vote.count', { count: c.count, percent: c.percent }))))),
    result.passed === true || result.passed === false
      ? h('p', { class: `vote-passed vote-passed-${result.passed}`, testid: 'vote-passed' },
        t(result.passed ? 'vote.passed' : 'vote.notPassed'))
      : null);
}

/**
 * What the three blocks share: the votes list (each vote replaced by the one a vote.* event carries), the latest
 * turnout line per vote from vote.ballot_cast / vote.turnout, and a reload of `GET …/votes` after other events.
 */
function follower(meetingId, render, restOptions = () => ({})) {
  const state = { votes: [], proxies: [], lines: new Map(), snap: null, wantsMembers: () => false };
  let loading = null;
  state.reload = () => {
    if (loading) return loading;
    loading = (async () => {
      try {
        const body = await get(`/api/meetings/${enc(meetingId)}/votes`, null, restOptions());
        state.votes = Array.isArray(body && body.votes) ? body.votes : [];
        state.proxies = Array.isArray(body && body.proxies) ? body.proxies : [];
        render();
      } catch { /* the next event or snapshot tries again */ } finally { loading = null; }
    })();
    return loading;
  };
  state.update = (snap, info) => {
    const events = (info && info.events) || [];
    if (snap) state.snap = snap;
    if (info && info.source !== 'event' && snap && Array.isArray(snap.votes)) {
      state.votes = snap.votes;
      render();
      if (!state.read) { state.read = true; state.reload(); } // the proxies are not in the snapshot: read once
    }
    let again = false;
    for (const ev of events) {
      const type = String(ev.type || '');
      const vote = ev.data && ev.data.vote;
      if (type === 'vote.ballot_cast' || type === 'vote.turnout') state.lines.set(ev.data.vote_id, eventLine(ev.data));
      else if (type.startsWith('vote.') && vote && vote.id) {
        // The event carries the vote as the list shows it (with its result at the close): no read, so 500
        // tablets do not all ask the server for the list the moment the chair opens or closes a vote.
        const at = state.votes.findIndex((v) => v.id === vote.id);
        const before = at < 0 ? null : state.votes[at];
        // Events leave the members list out (members_count): keep the one already known, and a tablet that casts
        // for someone else (a proxy, a stand-in) reads the list once to learn whom it may represent.
        const known = vote.members || !before || !before.members ? vote : { ...vote, members: before.members };
        state.votes = at < 0 ? [...state.votes, known] : state.votes.map((v, i) => (i === at ? known : v));
        if (!known.members && state.wantsMembers()) again = true;
      } else if (type.startsWith('vote.') || type.startsWith('proxy.')) again = true;
    }
    if (again) state.reload(); else if (events.length) render();
  };
  /** The open vote's turnout line: the latest event's, else the list's count. */
  state.turnout = (vote) => state.lines.get(vote.id) || t('vote.turnout', { voted: vote.voted || 0, of: vote.members_count ?? (vote.members || []).length });
  return state;
}

/** The turnout line a vote.ballot_cast / vote.turnout event carries, in the reader's language. */
function eventLine(data) {
  return String((getLang() === 'en' ? data.line_en : data.line) || t('vote.turnout', { voted: data.voted, of: data.of }));
}

/**
 * The tablet's vote block; `update(snap, info)` after every snapshot change. Besides one's own ballot (a member's),
 * one ballot for each member one represents in this vote: a standing proxy held, or the member one stands in for
 * (answers to the invitation: the stand-in casts that ballot, and has none of their own unless a member).
 */
export function voteBlock({ meetingId }) {
  const el = h('section', { class: 'vote-me card', testid: 'vote-me', hidden: true });
  const cast = new Map(); // "vote id|voter" -> the choices this tablet sent and the server accepted
  const picked = new Map(); // "vote id|voter" -> the options ticked but not sent yet (kept across re-renders)
  const follow = follower(meetingId, () => render());
  let standingFor = null; // the member I stand in for, from the snapshot's answers
  let names = null; // id -> name, read once someone is represented
  const me = () => (getUser() || {}).id || '';
  follow.wantsMembers = () => Boolean(standingFor) || follow.proxies.some((p) => p.proxy === me() && !p.withdrawn_at);

  /** The members whose ballot I cast in this vote (not myself). */
  function represented(vote, me) {
    const out = new Set(standingFor ? [standingFor] : []);
    for (const p of follow.proxies) {
      if (p.proxy === me && !p.withdrawn_at && (!p.vote_id || p.vote_id === vote.id)) out.add(p.delegator);
    }
    return [...out].filter((id) => id !== me && (vote.members || []).includes(id));
  }

  function ballot(vote, me, voter, label) {
    const key = `${vote.id}|${voter}`;
    const max = Number(vote.max_choices) || 1;
    if (!picked.has(key)) picked.set(key, new Set(cast.get(key) || []));
    const chosen = picked.get(key);
    const done = h('p', { class: 'vote-done', testid: 'vote-done', role: 'status' }, t('vote.recorded'));
    done.hidden = !cast.has(key);
    const error = h('p', { class: 'vote-error', testid: 'vote-error', role: 'alert', hidden: true });
    const send = async (choices) => {
      error.hidden = true;
      try {
        const body = voter === me ? { choices } : { choices, voter };
        await post(`/api/meetings/${enc(meetingId)}/votes/${enc(vote.id)}/ballots`, body);
        cast.set(key, choices);
        render();
      } catch (err) {
        error.textContent = err && err.message ? err.message : t('error.network');
        error.hidden = false;
      }
    };
    const buttons = (vote.choices || []).map((c) => {
      const b = h('button', { type: 'button', class: 'btn btn-huge vote-choice', testid: `vote-choice-${c.id}`,
        'aria-pressed': String(chosen.has(c.id)) }, c.label);
      b.addEventListener('click', () => {
        if (max === 1) { send([c.id]); return; }
        if (chosen.has(c.id)) chosen.delete(c.id); else if (chosen.size < max) chosen.add(c.id);
        b.setAttribute('aria-pressed', String(chosen.has(c.id)));
      });
      return b;
    });
    const submit = max > 1 ? h('button', { type: 'button', class: 'btn btn-primary btn-huge', testid: 'vote-submit' }, t('vote.submit')) : null;
    if (submit) submit.addEventListener('click', () => send([...chosen]));
    return h('div', { class: 'vote-ballot', dataset: { voter } }, label,
      max > 1 ? h('p', { class: 'vote-max', testid: 'vote-max' }, t('vote.chooseUpTo', { n: max })) : null,
      h('div', { class: 'vote-choices' }, ...buttons), submit, done, error);
  }

  function render() {
    const vote = currentVote(follow.votes);
    el.hidden = !vote;
    if (!vote) { replaceChildren(el); return; }
    el.dataset.status = vote.status;
    const title = h('h2', {}, t('vote.title'));
    const question = h('p', { class: 'vote-question', testid: 'vote-question' }, vote.question);
    const secret = vote.secret ? h('p', { class: 'badge vote-secret', testid: 'vote-secret' }, t('vote.secret')) : null;
    if (vote.status !== 'open') { replaceChildren(el, title, question, secret, resultView(vote)); return; }
    const me = (getUser() || {}).id || '';
    const others = represented(vote, me);
    if (others.length && !names) {
      names = new Map();
      loadParticipantNames(meetingId).then((found) => { names = found; render(); });
    }
    const own = (vote.members || []).includes(me) || !others.length; // else the server's refusal says why
    const given = follow.proxies.find((p) => p.delegator === me && !p.withdrawn_at && (!p.vote_id || p.vote_id === vote.id));
    if (given && !names) {
      names = new Map();
      loadParticipantNames(meetingId).then((found) => { names = found; render(); });
    }
    const ballots = [
      given ? h('p', { class: 'vote-delegated', testid: 'vote-delegated', role: 'status' }, t('vote.delegated', { name: names.get(given.proxy) || given.proxy })) : null,
      own && !given ? ballot(vote, me, me, others.length ? h('h3', { class: 'vote-for' }, t('vote.yourBallot')) : null) : null,
      ...others.map((id) => ballot(vote, me, id,
        h('h3', { class: 'vote-for badge', testid: 'vote-for-member' }, t('vote.forMember', { name: names.get(id) || id })))),
    ];
    replaceChildren(el, title, question, secret, ...ballots);
  }

  const update = (snap, info) => {
    const me = getUser();
    const mine = me && snap && snap.answers
      ? Object.values(snap.answers).find((a) => a.kind === 'stand_in' && a.stand_in_id === me.id) : null;
    standingFor = mine ? mine.person_id : null;
    follow.update(snap, info);
  };

  return { el, update, reload: follow.reload };
}

/** The vote fields a form sends (docs/api.md, POST …/votes): from the form's controls. */
function formBody(c) {
  const options = c.kind.value === 'options'
    ? c.options.value.split('\n').map((x) => x.trim()).filter(Boolean) : undefined;
  const body = {
    item_id: c.item.value,
    question: c.question.value.trim(),
    kind: c.kind.value,
    secret: c.secret.checked,
    changeable: !c.secret.checked && c.changeable.checked,
    rule: c.rule.value,
    base: c.base.value,
  };
  if (c.paper.value) body.paper_id = c.paper.value;
  if (options) { body.options = options; body.max_choices = Math.max(1, Number(c.max.value) || 1); }
  if (c.timing.value === 'duration') body.duration_s = Math.max(10, Math.round((Number(c.minutes.value) || 1) * 60));
  else body.chair_closes = true;
  return body;
}

/**
 * Preparing a vote (the chair's console, the secretary's meeting page): the question, the agenda item and its
 * paper, the choices (Đồng ý / Không đồng ý / Không biểu quyết, or a list with "chọn tối đa N"), open or secret,
 * changeable until the close, a duration or closed by the chair, the pass rule and its base. `vote` given: edits
 * that draft (PATCH). `done()` after a save or a dismissal.
 */
function voteForm({ meetingId, snap, vote, done }) {
  const base = `/api/meetings/${enc(meetingId)}`;
  const agenda = (snap && snap.agenda) || [];
  const v = vote || {};
  const options = v.kind === 'options' ? (v.choices || []).map((c) => c.label).join('\n') : '';
  const minutes = v.duration_s ? String(Math.round(v.duration_s / 6) / 10) : '2';
  const c = {
    question: h('textarea', { class: 'input', testid: 'vote-form-question', rows: 2, maxlength: 500, value: v.question || '' }),
    item: selectBox({ options: agenda.map((x) => ({ value: x.id, label: x.title })), value: v.item_id || (snap && snap.current_item_id) || (agenda[0] && agenda[0].id) || '', testid: 'vote-form-item' }),
    paper: selectBox({ options: [], testid: 'vote-form-paper', noneLabel: t('voteForm.noPaper') }),
    kind: selectBox({ options: [{ value: 'yes_no_abstain', label: t('voteForm.kindYesNo') }, { value: 'options', label: t('voteForm.kindOptions') }], value: v.kind || 'yes_no_abstain', testid: 'vote-form-kind' }),
    options: h('textarea', { class: 'input', testid: 'vote-form-options', rows: 4, value: options, placeholder: t('voteForm.optionsHint') }),
    max: h('input', { class: 'input', type: 'number', min: 1, max: 200, testid: 'vote-form-max', value: String(v.max_choices || 1) }),
    secret: h('input', { type: 'checkbox', testid: 'vote-form-secret', checked: Boolean(v.secret), disabled: Boolean(vote) }),
    changeable: h('input', { type: 'checkbox', testid: 'vote-form-changeable', checked: Boolean(v.changeable) }),
    timing: selectBox({ options: [{ value: 'chair', label: t('voteForm.chairCloses') }, { value: 'duration', label: t('voteForm.duration') }], value: v.duration_s ? 'duration' : 'chair', testid: 'vote-form-timing' }),
    minutes: h('input', { class: 'input', type: 'number', min: 0.5, max: 1440, step: 'any', testid: 'vote-form-minutes', value: minutes }),
    rule: selectBox({ options: [{ value: 'more_than_half', label: t('voteForm.moreThanHalf') }, { value: 'at_least_two_thirds', label: t('voteForm.twoThirds') }], value: v.rule || 'more_than_half', testid: 'vote-form-rule' }),
    base: selectBox({ options: [{ value: 'members', label: t('voteForm.baseMembers') }, { value: 'members_present', label: t('voteForm.basePresent') }], value: v.base || 'members', testid: 'vote-form-base' }),
  };
  const error = h('p', { class: 'vote-error', testid: 'vote-form-error', role: 'alert', hidden: true });
  const optionsBox = h('div', { class: 'vote-form-options' }, field(t('voteForm.options'), c.options),
    field(t('voteForm.maxChoices'), c.max));
  const minutesBox = field(t('voteForm.minutes'), c.minutes);
  const changeableBox = h('label', { class: 'check' }, c.changeable, ' ', t('voteForm.changeable'));
  const papersAll = [];
  const fillPapers = () => {
    const keep = c.paper.value || v.paper_id || '';
    replaceChildren(c.paper, h('option', { value: '' }, t('voteForm.noPaper')),
      ...papersAll.filter((p) => p.item_id === c.item.value).map((p) => h('option', { value: p.id }, p.title)));
    c.paper.value = papersAll.some((p) => p.id === keep && p.item_id === c.item.value) ? keep : '';
  };
  const sync = () => {
    optionsBox.hidden = c.kind.value !== 'options';
    minutesBox.hidden = c.timing.value !== 'duration';
    changeableBox.hidden = c.secret.checked; // a secret ballot cannot be changed: nothing links it to its voter
  };
  c.item.disabled = Boolean(vote);
  c.kind.addEventListener('change', sync);
  c.timing.addEventListener('change', sync);
  c.secret.addEventListener('change', sync);
  c.item.addEventListener('change', fillPapers);
  sync();
  get(`${base}/papers`).then((body) => {
    papersAll.push(...((body && body.papers) || []));
    fillPapers();
  }).catch(() => { /* no papers to offer: the vote is prepared without one */ });

  const save = h('button', { type: 'submit', class: 'btn btn-primary btn-large', testid: 'vote-form-save' }, t(vote ? 'voteForm.saveEdit' : 'voteForm.save'));
  const dismiss = h('button', { type: 'button', class: 'btn btn-large', testid: 'vote-form-dismiss' }, t('common.cancel'));
  dismiss.addEventListener('click', () => done());
  const form = h('form', { class: 'vote-form', testid: 'vote-form' },
    h('h3', {}, t(vote ? 'voteForm.editTitle' : 'voteForm.title')),
    field(t('voteForm.question'), c.question),
    field(t('voteForm.item'), c.item),
    field(t('voteForm.paper'), c.paper),
    field(t('voteForm.kind'), c.kind), optionsBox,
    h('label', { class: 'check' }, c.secret, ' ', t('vote.secret')), changeableBox,
    field(t('voteForm.timing'), c.timing), minutesBox,
    field(t('voteForm.rule'), c.rule),
    field(t('voteForm.base'), c.base),
    error, h('p', { class: 'button-row' }, save, dismiss));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    save.disabled = true;
    try {
      const body = formBody(c);
      if (vote) {
        delete body.secret; // fixed once prepared (named ⇄ secret is refused), as its agenda item is
        delete body.item_id;
        await patch(`${base}/votes/${enc(vote.id)}`, body);
      } else {
        await post(`${base}/votes`, body);
      }
      await done(true);
    } catch (err) {
      error.textContent = err && err.message ? err.message : t('error.network');
      error.hidden = false;
    } finally { save.disabled = false; }
  });
  return form;
}

/**
 * The chair's console block (also the secretary's, on the meeting page, `managersOnly`: shown only to those who
 * hold vote.manage): "Chuẩn bị biểu quyết" opens the vote
 * form; each prepared vote with "Sửa", "Hủy biểu quyết" and "Mở biểu quyết", the open one with its live turnout
 * ("Đã biểu quyết 96/118") and "Kết thúc biểu quyết", a closed one's result with links to its PDF/CSV sheet.
 */
export function voteConsole({ meetingId, managersOnly = false }) {
  const el = h('section', { class: 'vote-console card', testid: 'vote-console', hidden: true });
  const error = h('p', { class: 'vote-error', testid: 'vote-console-error', role: 'alert', hidden: true });
  const follow = follower(meetingId, () => render());
  const base = `/api/meetings/${enc(meetingId)}/votes`;
  let form = null; // the open vote form (kept across re-renders, so live events never wipe what is typed)

  const act = async (vote, what) => {
    error.hidden = true;
    try {
      await post(`${base}/${enc(vote.id)}/${what}`, {});
      await follow.reload();
    } catch (err) {
      error.textContent = err && err.message ? err.message : t('error.network');
      error.hidden = false;
    }
  };
  const edit = (vote) => {
    form = voteForm({ meetingId, snap: follow.snap, vote,
      done: async (saved) => { form = null; if (saved) await follow.reload(); render(); } });
    render();
    form.querySelector('textarea').focus();
  };

  function row(vote) {
    const parts = [h('p', { class: 'vote-question-small', testid: 'vote-row-question' }, vote.question),
      vote.secret ? h('span', { class: 'badge vote-secret' }, t('vote.secret')) : null];
    const cancel = h('button', { type: 'button', class: 'btn btn-large', testid: 'vote-cancel' }, t('vote.cancel'));
    cancel.addEventListener('click', () => act(vote, 'cancel'));
    if (vote.status === 'draft') {
      const open = h('button', { type: 'button', class: 'btn btn-primary btn-large', testid: 'vote-open' }, t('vote.open'));
      open.addEventListener('click', () => act(vote, 'open'));
      const change = h('button', { type: 'button', class: 'btn btn-large', testid: 'vote-edit' }, t('vote.edit'));
      change.addEventListener('click', () => edit(vote));
      parts.push(h('p', { class: 'vote-draft', testid: 'vote-draft-label' }, t('vote.draft')),
        h('p', { class: 'button-row' }, open, change, cancel));
    } else if (vote.status === 'open') {
      const line = follow.turnout(vote);
      const close = h('button', { type: 'button', class: 'btn btn-danger btn-large', testid: 'vote-close' }, t('vote.close'));
      close.addEventListener('click', () => act(vote, 'close'));
      parts.push(h('p', { class: 'vote-turnout', testid: 'vote-turnout', role: 'status' }, line),
        h('p', { class: 'button-row' }, close, cancel));
    } else if (vote.status === 'closed') {
      parts.push(resultView(vote), h('p', { class: 'button-row' },
        h('a', { class: 'btn', href: `${base}/${enc(vote.id)}/result?format=pdf`, target: '_blank', testid: 'vote-sheet-pdf' }, t('vote.sheetPdf')),
        h('a', { class: 'btn', href: `${base}/${enc(vote.id)}/result?format=csv`, testid: 'vote-sheet-csv' }, t('vote.sheetCsv'))));
    }
    return h('li', { class: 'vote-row', testid: `vote-row-${vote.id}`, dataset: { status: vote.status } }, ...parts);
  }

  function render() {
    const snap = follow.snap;
    const manage = Boolean(snap && (snap.capabilities || []).includes('vote.manage'));
    const shown = follow.votes.filter((v) => v.status !== 'cancelled');
    el.hidden = managersOnly ? !manage : !shown.length && !manage;
    if (el.hidden) { replaceChildren(el); return; }
    const prepare = manage && !form
      ? h('button', { type: 'button', class: 'btn btn-primary btn-large', testid: 'vote-new' }, t('vote.prepare')) : null;
    if (prepare) prepare.addEventListener('click', () => edit(null));
    replaceChildren(el, h('h2', {}, t('vote.title')), prepare, manage ? form : null,
      h('ul', { class: 'vote-list' }, ...shown.map(row)), error);
  }

  return { el, update: follow.update, reload: follow.reload };
}

/**
 * The wall display's vote panel: the open vote's question and turnout, the result at the close. `restOptions()`
 * gives the display's device-token options for the reads.
 */
export function voteDisplay({ meetingId, restOptions = () => ({}) }) {
  const el = h('section', { class: 'display-vote', testid: 'display-vote', hidden: true });
  const follow = follower(meetingId, () => render(), restOptions);

  function render() {
    const vote = currentVote(follow.votes);
    el.hidden = !vote;
    if (!vote) { replaceChildren(el); return; }
    el.dataset.status = vote.status;
    const question = h('p', { class: 'display-vote-question', testid: 'display-vote-question' }, vote.question);
    const secret = vote.secret ? h('span', { class: 'badge vote-secret' }, t('vote.secret')) : null;
    if (vote.status === 'open') {
      const line = follow.turnout(vote);
      replaceChildren(el, h('p', { class: 'display-vote-label' }, t('vote.title')), question, secret,
        h('p', { class: 'vote-turnout', testid: 'display-vote-turnout' }, line));
    } else {
      replaceChildren(el, h('p', { class: 'display-vote-label' }, t('vote.title')), question, secret, resultView(vote));
    }
  }

  return { el, update: follow.update };
}
