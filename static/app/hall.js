// The commune hall's operator (kỹ thuật viên điểm cầu) runs their hall from the meeting page: many commune
// delegates have no tablet, so the operator does for the hall what a tablet does for a delegate.
//
// One card per hall of the operator's unit in the meeting (`snap.sites` with the user's `unit_id`), shown to one
// who may ask for a hall's floor (floor.request_site): the hall's state line (điểm cầu chính or not, muted or not
// from `snap.conference.muted`'s `site:<id>`, the quorum line); "Điểm cầu … xin phát biểu" on the current agenda
// item (kind, one-line topic), the hall's place in the queue, "Rút đăng ký", "Đang phát biểu" with the countdown
// (docs/floor.md); and while a vote is open, the hall's show of hands (vote.hall_tally, docs/votes.md): one row per
// member present at the hall with the choices on a named vote, the count per choice on a secret one, confirmed
// before it is sent, the server's sentence when refused, the result after the close.
//
// The floor comes with the snapshot; the votes from `GET …/votes` and the hall's people from `GET …/attendance`
// and `GET …/participants`, read again after the vote.* / attendance.* events that change them.
import { get, post } from './api.js';
import { isPresent, quorumLine } from './attendance.js';
import { h, replaceChildren } from './dom.js';
import { ASKING, askFields, askItem, countdown, currentSpeech, errorLine, queueOf, ticker, writer } from './floor.js';
import { t } from './i18n.js';
import { may, meetingPath, namesFrom } from './meeting-common.js';
import { getUser } from './session.js';
import { confirmDialog } from './ui.js';
import { turnoutText } from './votes.js';

const enc = encodeURIComponent;

/** The halls of the meeting that belong to the signed-in operator's unit. */
export function operatedHalls(snap) {
  const unit = (getUser() || {}).unit_id;
  if (!unit || !may(snap, 'floor.request_site')) return [];
  return ((snap && snap.sites) || []).filter((s) => s.unit_id === unit);
}

/** The members with voting rights present at `siteId` now, by the attendance list (latest entry per person). */
export function presentAtHall(list, siteId) {
  const voting = new Set((list && list.membership && list.membership.voting) || []);
  const latest = new Map();
  for (const e of (list && list.entries) || []) latest.set(e.person_id, e);
  return [...latest.values()].filter((e) => voting.has(e.person_id) && isPresent(e) && e.site_id === siteId)
    .map((e) => e.person_id);
}

/**
 * The vote the hall's card shows: the open one, else the one last seen open (`lastOpen`), else the one closed last
 * (by `closed_at`, not the list's order: votes created within the same second are listed by id).
 */
export function hallVote(votes, lastOpen = null) {
  const list = Array.isArray(votes) ? votes : [];
  const closed = list.filter((v) => v.status === 'closed').sort((a, b) => String(a.closed_at).localeCompare(String(b.closed_at)));
  return list.find((v) => v.status === 'open') || closed.find((v) => v.id === lastOpen) || closed[closed.length - 1] || null;
}

function stateLine(snap, site) {
  const muted = ((snap.conference && snap.conference.muted) || []).includes(`site:${site.id}`);
  const main = snap.main_site_id === site.id;
  return h('p', { class: 'hall-state', testid: 'hall-state', dataset: { main: String(main), muted: String(muted) } },
    h('span', { class: ['badge', main ? 'badge-main' : ''], testid: 'hall-main' }, t(main ? 'hall.main' : 'hall.notMain')),
    ' ',
    h('span', { class: 'badge', testid: 'hall-muted' }, t(muted ? 'hall.muted' : 'hall.unmuted')));
}

function resultLines(vote) {
  const result = vote.result || {};
  return h('div', { class: 'vote-result', testid: 'hall-result' },
    h('p', { class: 'vote-turnout', testid: 'hall-result-turnout' }, turnoutText(result)),
    h('ul', { class: 'vote-counts' }, ...(result.counts || []).map((c) => h('li', { testid: `hall-result-${c.choice}` },
      h('span', { class: 'vote-count-label' }, c.label), ' ',
      h('span', { class: 'vote-count-value' }, t('vote.count', { count: c.count, percent: c.percent }))))),
    result.passed === true || result.passed === false
      ? h('p', { class: `vote-passed vote-passed-${result.passed}`, testid: 'hall-result-passed' }, t(result.passed ? 'vote.passed' : 'vote.notPassed'))
      : null);
}

/**
 * The operator's hall cards for the meeting page; `update(snap, info)` after every snapshot change, `destroy()` when
 * the page goes. `onWrite(resp)` hands a floor answer's snapshot to the page's channel.
 */
export function hallPanel({ meetingId, onWrite = null }) {
  const el = h('div', { class: 'hall-panel', testid: 'hall-panel', hidden: true });
  const tick = ticker(el);
  const cards = new Map(); // site id -> the card's parts and what each part last showed
  const drafts = new Map(); // site id -> { kind, topic } of the floor request being written
  const picks = new Map(); // "vote|site|person" -> Set of choices ticked (named vote); "vote|site|choice" -> count
  const away = new Map(); // "vote|site" -> the members present who took no part (secret vote), unticked by the operator
  const votedIds = new Map(); // vote id -> who is known to have voted (from vote.turnout events; a secret vote)
  const entered = new Set(); // "vote|site": this hall's tally was accepted
  let snap = null;
  let votes = [];
  let list = null;
  let names = new Map();
  let started = false;
  let queue = Promise.resolve();
  let lastOpen = null; // the vote last seen open: its result shows after the close

  function shownVote() {
    const vote = hallVote(votes, lastOpen);
    if (vote && vote.status === 'open') lastOpen = vote.id;
    return vote;
  }

  /** Reads the votes and/or the hall's people again, one read after another, then renders. */
  function read(what) {
    queue = queue.then(async () => {
      try {
        if (what.votes) votes = ((await get(meetingPath(meetingId, '/votes'))) || {}).votes || [];
        if (what.attendance) list = await get(meetingPath(meetingId, '/attendance'));
        if (what.people) names = namesFrom(await get(meetingPath(meetingId, '/participants')));
        render();
      } catch { /* the next event or snapshot tries again */ }
    });
    return queue;
  }

  /** A vote event patches the list (vote.ballot_cast, vote.turnout carry the ballot or the voters); true if it could. */
  function patch(ev) {
    const d = ev.data || {};
    const vote = votes.find((v) => v.id === d.vote_id);
    if (!vote) return false;
    if (ev.type === 'vote.ballot_cast') {
      vote.ballots = [...(vote.ballots || []).filter((b) => b.voter !== d.voter), { voter: d.voter, choices: d.choices, cast_by: d.cast_by, site_id: d.site_id }];
    } else {
      const known = votedIds.get(vote.id) || new Set();
      for (const id of d.voters || []) known.add(id);
      votedIds.set(vote.id, known);
    }
    if (typeof d.voted === 'number') vote.voted = d.voted;
    return true;
  }

  function floorPart(site, card) {
    const key = `site:${site.id}`;
    const item = askItem(snap);
    const error = card.floorError;
    const title = h('h3', {}, t('hall.floorTitle'));
    if (!ASKING.has(snap.status) || !item) return h('div', { class: 'hall-floor', testid: 'hall-floor' }, title, h('p', { class: 'muted' }, t('hall.noItem')));
    const speech = currentSpeech(snap);
    if (speech && speech.speaker === key) {
      return h('div', { class: 'hall-floor', testid: 'hall-floor' }, title,
        h('p', { class: 'floor-speaking', testid: 'hall-speaking', role: 'status' }, t('floor.speakingNow')),
        countdown(speech, 'hall-countdown', 'floor-countdown floor-countdown-big'));
    }
    const itemLine = h('p', { class: 'floor-item muted', testid: 'hall-floor-item' }, t('floor.onItem', { title: item.title }));
    const queue = queueOf(snap, item.id);
    const mine = queue.find((r) => r.speaker === key);
    if (mine) {
      const withdraw = h('button', { type: 'button', class: 'btn btn-huge', testid: 'hall-withdraw' }, t('floor.withdraw'));
      withdraw.addEventListener('click', () => writer(error, onWrite, withdraw)(() => post(meetingPath(meetingId, `/floor/site-requests/${enc(mine.id)}/withdraw`), {})));
      return h('div', { class: 'hall-floor', testid: 'hall-floor' }, title, itemLine,
        h('p', { class: 'floor-place', testid: 'hall-place', role: 'status', dataset: { place: String(queue.indexOf(mine) + 1) } },
          t('hall.place', { site: site.name, n: queue.indexOf(mine) + 1 })),
        mine.topic ? h('p', { class: 'floor-topic', testid: 'hall-topic' }, mine.topic) : null,
        withdraw, error.el);
    }
    if (!drafts.has(site.id)) drafts.set(site.id, { kind: 'speech', topic: '' });
    const draft = drafts.get(site.id);
    const { kinds, topic } = askFields(draft, 'hall-kind', 'hall-topic-input');
    const ask = h('button', { type: 'button', class: 'btn btn-primary btn-huge', testid: 'hall-ask' }, t('hall.ask', { site: site.name }));
    ask.addEventListener('click', () => writer(error, onWrite, ask)(async () => {
      const resp = await post(meetingPath(meetingId, '/floor/site-requests'), { site_id: site.id, item_id: item.id, kind: draft.kind, topic: draft.topic.trim() });
      drafts.delete(site.id);
      return resp;
    }));
    return h('div', { class: 'hall-floor', testid: 'hall-floor' }, title, itemLine, kinds, topic, ask, error.el);
  }

  /** A named vote: one row per member present at the hall, one big button per choice. */
  function namedRows(vote, site, here) {
    const max = Number(vote.max_choices) || 1;
    const cast = new Map((vote.ballots || []).map((b) => [b.voter, b.choices || []]));
    const label = (id) => ((vote.choices || []).find((c) => c.id === id) || {}).label || id;
    const rows = here.map((pid) => {
      const k = `${vote.id}|${site.id}|${pid}`;
      if (cast.has(pid)) {
        return h('li', { class: 'hall-voter', testid: 'hall-voter', dataset: { personId: pid, cast: 'true' } },
          h('span', { class: 'hall-voter-name' }, names.get(pid) || pid),
          h('span', { class: 'muted', testid: 'hall-voter-cast' }, t('hall.cast', { choices: cast.get(pid).map(label).join(', ') })));
      }
      if (!picks.has(k)) picks.set(k, new Set());
      const chosen = picks.get(k);
      const buttons = (vote.choices || []).map((c) => {
        const b = h('button', { type: 'button', class: 'btn hall-choice', testid: `hall-choice-${c.id}`, 'aria-pressed': String(chosen.has(c.id)) }, c.label);
        b.addEventListener('click', () => {
          if (chosen.has(c.id)) chosen.delete(c.id);
          else if (max === 1) { chosen.clear(); chosen.add(c.id); } else if (chosen.size < max) chosen.add(c.id);
          for (const other of buttons) other.setAttribute('aria-pressed', String(chosen.has(other.dataset.choice)));
        });
        b.dataset.choice = c.id;
        return b;
      });
      return h('li', { class: 'hall-voter', testid: 'hall-voter', dataset: { personId: pid, cast: 'false' } },
        h('span', { class: 'hall-voter-name', testid: 'hall-voter-name' }, names.get(pid) || pid),
        h('div', { class: 'hall-choices' }, buttons));
    });
    const body = () => {
      const byPerson = {};
      for (const pid of here) {
        const chosen = picks.get(`${vote.id}|${site.id}|${pid}`);
        if (!cast.has(pid) && chosen && chosen.size) byPerson[pid] = [...chosen];
      }
      return Object.keys(byPerson).length ? { site_id: site.id, by_person: byPerson } : null;
    };
    const summary = (b) => Object.entries(b.by_person).map(([pid, cs]) => `${names.get(pid) || pid}: ${cs.map(label).join(', ')}`).join('; ');
    return { rows: h('ul', { class: 'hall-voters' }, rows), body, summary };
  }

  /** A secret vote: who of the members present took part (all but those known to have voted), and the counts. */
  function secretCounts(vote, site, here) {
    const k = `${vote.id}|${site.id}`;
    if (!away.has(k)) away.set(k, new Set());
    const out = away.get(k);
    for (const pid of here) if ((votedIds.get(vote.id) || new Set()).has(pid)) out.add(pid); // voted on their own
    const voters = () => here.filter((pid) => !out.has(pid));
    const took = h('p', { class: 'muted', testid: 'hall-voters-count' });
    const showTook = () => { took.textContent = t('hall.voters', { n: voters().length }); };
    const toggles = here.map((pid) => {
      const b = h('button', { type: 'button', class: 'btn hall-choice hall-took', testid: 'hall-took', dataset: { personId: pid }, 'aria-pressed': String(!out.has(pid)) }, names.get(pid) || pid);
      b.addEventListener('click', () => {
        if (out.has(pid)) out.delete(pid); else out.add(pid);
        b.setAttribute('aria-pressed', String(!out.has(pid)));
        showTook();
      });
      return b;
    });
    showTook();
    const inputs = (vote.choices || []).map((c) => {
      const ck = `${k}|${c.id}`;
      const input = h('input', { type: 'number', inputmode: 'numeric', min: '0', class: 'input hall-count-input', testid: `hall-count-${c.id}`, value: picks.get(ck) ?? '', 'aria-label': c.label });
      input.addEventListener('input', () => picks.set(ck, input.value));
      return h('label', { class: 'hall-count' }, h('span', {}, c.label), input);
    });
    const body = () => {
      const counts = {};
      for (const c of vote.choices || []) counts[c.id] = Number(picks.get(`${k}|${c.id}`) || 0);
      return { site_id: site.id, voters: voters(), counts };
    };
    const label = (id) => ((vote.choices || []).find((c) => c.id === id) || {}).label || id;
    const summary = (b) => `${t('hall.voters', { n: b.voters.length })}: ${Object.entries(b.counts).map(([c, n]) => `${label(c)} ${n}`).join('; ')}`;
    return {
      rows: h('div', {}, h('p', { class: 'hall-took-hint' }, t('hall.tookPart')), h('div', { class: 'hall-choices' }, toggles), took,
        h('div', { class: 'hall-counts' }, inputs)),
      body,
      summary,
    };
  }

  function tallyPart(site, card) {
    const vote = shownVote();
    if (!vote || !may(snap, 'vote.hall_tally')) return null;
    const title = h('h3', {}, t('hall.tallyTitle'));
    const question = h('p', { class: 'vote-question', testid: 'hall-vote-question' }, vote.question);
    const secret = vote.secret ? h('p', { class: 'badge vote-secret' }, t('vote.secret')) : null;
    const box = (...parts) => h('div', { class: 'hall-tally', testid: 'hall-tally', dataset: { status: vote.status, voteId: vote.id } }, title, question, secret, ...parts);
    if (vote.status !== 'open') return box(resultLines(vote));
    const here = presentAtHall(list, site.id);
    const count = h('p', { class: 'muted', testid: 'hall-present' }, t('hall.present', { n: here.length }));
    const error = card.tallyError;
    const done = h('p', { class: 'vote-done', testid: 'hall-tally-done', role: 'status', hidden: !entered.has(`${vote.id}|${site.id}`) }, t('hall.entered'));
    if (vote.secret && entered.has(`${vote.id}|${site.id}`)) return box(count, done);
    if (!here.length) return box(count);
    const form = vote.secret ? secretCounts(vote, site, here) : namedRows(vote, site, here);
    const send = h('button', { type: 'button', class: 'btn btn-primary btn-huge', testid: 'hall-tally-send' }, t('hall.send'));
    send.addEventListener('click', async () => {
      const body = form.body();
      error.clear();
      if (!body) { error.show({ message: t('hall.nothing') }); return; }
      if (!(await confirmDialog(t('hall.confirm', { site: site.name, summary: form.summary(body) }), { confirmLabel: t('hall.send'), title: t('hall.tallyTitle') }))) return;
      await writer(error, async () => {
        entered.add(`${vote.id}|${site.id}`);
        await read({ votes: true });
      }, send)(() => post(meetingPath(meetingId, `/votes/${enc(vote.id)}/hall-tally`), body));
    });
    return box(count, form.rows, send, done, error.el);
  }

  /** Replaces a part of a card only when what it shows changed: typing a topic or a count must not be lost. */
  function part(card, name, key, build) {
    const text = JSON.stringify(key);
    if (card.keys[name] === text) return;
    card.keys[name] = text;
    replaceChildren(card[name], build());
  }

  function cardOf(site) {
    if (!cards.has(site.id)) {
      const quorum = quorumLine('hall-quorum');
      const card = {
        quorum, keys: {}, state: h('div', {}), floor: h('div', {}), tally: h('div', {}),
        floorError: errorLine('hall-floor-error'), tallyError: errorLine('hall-tally-error'),
        title: h('h2', {}),
      };
      card.el = h('section', { class: 'card hall-card', testid: 'hall-card', dataset: { siteId: site.id } },
        card.title, card.state, quorum.el, card.floor, card.tally);
      cards.set(site.id, card);
    }
    return cards.get(site.id);
  }

  function render() {
    if (!snap) return;
    const halls = operatedHalls(snap);
    el.hidden = !halls.length;
    if (!halls.length) { replaceChildren(el); cards.clear(); return; }
    if (!started) { started = true; read({ votes: true, attendance: true, people: true }); }
    const speech = currentSpeech(snap);
    const item = askItem(snap);
    const vote = shownVote();
    for (const site of halls) {
      const card = cardOf(site);
      card.title.textContent = t('hall.title', { site: site.name });
      card.quorum.update(snap);
      part(card, 'state', [snap.main_site_id, (snap.conference && snap.conference.muted) || []], () => stateLine(snap, site));
      const key = `site:${site.id}`;
      const waiting = item ? queueOf(snap, item.id) : [];
      const mine = waiting.find((r) => r.speaker === key);
      part(card, 'floor', [snap.status, item && [item.id, item.title], speech && speech.speaker === key ? [speech.id, speech.due_at] : '',
        mine ? [mine.id, waiting.indexOf(mine), mine.topic] : ''], () => floorPart(site, card));
      part(card, 'tally', [vote && [vote.id, vote.status, vote.ballots, vote.result], presentAtHall(list, site.id),
        names.size, vote ? (votedIds.get(vote.id) || new Set()).size : 0, entered.has(vote ? `${vote.id}|${site.id}` : '')], () => tallyPart(site, card));
    }
    const shown = halls.map((s) => cards.get(s.id).el);
    if (shown.some((c, i) => el.children[i] !== c) || el.children.length !== shown.length) replaceChildren(el, shown);
    tick.tick();
  }

  function update(s, info) {
    snap = s;
    const events = (info && info.events) || [];
    let votesAgain = Boolean(info && info.source !== 'event' && started);
    for (const ev of events) {
      const type = String(ev.type || '');
      if ((type === 'vote.ballot_cast' || type === 'vote.turnout') && patch(ev)) continue;
      if (type.startsWith('vote.') || type.startsWith('proxy.')) votesAgain = true;
    }
    const types = events.map((e) => String(e.type || ''));
    const again = {
      votes: votesAgain,
      attendance: types.some((x) => x.startsWith('attendance.') && x !== 'attendance.checkin_key_renewed'),
      people: types.includes('meeting.updated'),
    };
    if (started && (again.votes || again.attendance || again.people)) read(again);
    render();
  }

  return { el, update, destroy: tick.stop };
}
