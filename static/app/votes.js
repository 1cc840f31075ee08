// Votes (biểu quyết) in the pages: the delegate's tablet vote screen (the question large, one big button per choice,
// a clear confirmation, the server's sentence when a ballot is refused, the result after the close).
//
// The meeting snapshot carries `votes` (docs/protocol.md); vote events carry no snapshot patch, so the block reads
// `GET /api/meetings/{id}/votes` again after any vote.* event or a fresh snapshot.
import { get, post } from './api.js';
import { h, replaceChildren } from './dom.js';
import { getLang, t } from './i18n.js';
import { loadParticipantNames } from './meeting-common.js';
import { getUser } from './session.js';

const enc = encodeURIComponent;

/** The vote to show on the tablet: the open one, else the latest closed one. */
export function currentVote(votes) {
  const list = Array.isArray(votes) ? votes : [];
  return list.find((v) => v.status === 'open') || [...list].reverse().find((v) => v.status === 'closed') || null;
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
 * What the three blocks share: the votes list, the latest turnout line per vote from vote.ballot_cast /
 * vote.turnout, and a reload of `GET …/votes` after any other vote.* event (they carry no snapshot patch).
 */
function follower(meetingId, render, restOptions = () => ({})) {
  const state = { votes: [], proxies: [], lines: new Map() };
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
    if (info && info.source !== 'event' && snap && Array.isArray(snap.votes)) {
      state.votes = snap.votes;
      render();
      if (!state.read) { state.read = true; state.reload(); } // the proxies are not in the snapshot
    }
    let again = false;
    for (const ev of events) {
      const type = String(ev.type || '');
      if (type === 'vote.ballot_cast' || type === 'vote.turnout') state.lines.set(ev.data.vote_id, eventLine(ev.data));
      else if (type.startsWith('vote.') || type.startsWith('proxy.')) again = true;
    }
    if (again) state.reload(); else if (events.length) render();
  };
  /** The open vote's turnout line: the latest event's, else the list's count. */
  state.turnout = (vote) => state.lines.get(vote.id) || t('vote.turnout', { voted: vote.voted || 0, of: (vote.members || []).length });
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

/**
 * The chair's console block: each prepared vote with "Mở biểu quyết", the open one with its live turnout
 * ("Đã biểu quyết 96/118") and "Kết thúc biểu quyết", a closed one's result with links to its PDF/CSV result sheet.
 */
export function voteConsole({ meetingId }) {
  const el = h('section', { class: 'vote-console card', testid: 'vote-console', hidden: true });
  const error = h('p', { class: 'vote-error', testid: 'vote-console-error', role: 'alert', hidden: true });
  const follow = follower(meetingId, () => render());
  const base = `/api/meetings/${enc(meetingId)}/votes`;

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

  function row(vote) {
    const parts = [h('p', { class: 'vote-question-small' }, vote.question),
      vote.secret ? h('span', { class: 'badge vote-secret' }, t('vote.secret')) : null];
    if (vote.status === 'draft') {
      const open = h('button', { type: 'button', class: 'btn btn-primary', testid: 'vote-open' }, t('vote.open'));
      open.addEventListener('click', () => act(vote, 'open'));
      parts.push(open);
    } else if (vote.status === 'open') {
      const line = follow.turnout(vote);
      const close = h('button', { type: 'button', class: 'btn btn-danger', testid: 'vote-close' }, t('vote.close'));
      close.addEventListener('click', () => act(vote, 'close'));
      parts.push(h('p', { class: 'vote-turnout', testid: 'vote-turnout', role: 'status' }, line), close);
    } else if (vote.status === 'closed') {
      parts.push(resultView(vote), h('p', { class: 'button-row' },
        h('a', { class: 'btn', href: `${base}/${enc(vote.id)}/result?format=pdf`, target: '_blank', testid: 'vote-sheet-pdf' }, t('vote.sheetPdf')),
        h('a', { class: 'btn', href: `${base}/${enc(vote.id)}/result?format=csv`, testid: 'vote-sheet-csv' }, t('vote.sheetCsv'))));
    }
    return h('li', { class: 'vote-row', testid: `vote-row-${vote.id}`, dataset: { status: vote.status } }, ...parts);
  }

  function render() {
    const shown = follow.votes.filter((v) => v.status !== 'cancelled');
    el.hidden = !shown.length;
    replaceChildren(el, h('h2', {}, t('vote.title')), h('ul', { class: 'vote-list' }, ...shown.map(row)), error);
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
