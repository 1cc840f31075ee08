// The member's own authorisation (ủy quyền) on the tablet: "Ủy quyền cho …" another member who is checked in, for
// the whole meeting, and "Rút ủy quyền" for the one they gave (POST /api/meetings/{id}/my-proxy, …/withdraw).
// The list of members and who is present come from GET …/attendance, the standing proxies from GET …/votes; both
// are read again after proxy.* and attendance.* events.
import { get, post } from './api.js';
import { h, replaceChildren } from './dom.js';
import { t } from './i18n.js';
import { loadParticipantNames, may, meetingPath } from './meeting-common.js';
import { getUser } from './session.js';

const PRESENT = new Set(['checked_in', 'late']);

export function proxyBlock(meetingId) {
  const el = h('section', { class: 'card proxy-me', testid: 'proxy-me', hidden: true });
  let data = null;
  let loading = null;
  let names = new Map();
  let picked = '';

  const load = () => {
    if (loading) return loading;
    loading = (async () => {
      try {
        const [attendance, votes, known] = await Promise.all([
          get(meetingPath(meetingId, '/attendance')), get(meetingPath(meetingId, '/votes')), loadParticipantNames(meetingId),
        ]);
        names = known;
        data = { attendance, proxies: votes.proxies || [] };
        render();
      } catch { /* the next event tries again */ } finally { loading = null; }
    })();
    return loading;
  };

  function render() {
    const me = getUser();
    if (!data || !me) return;
    const voting = new Set(data.attendance.membership.voting || []);
    el.dataset.loaded = 'true'; // read: what shows (or nothing, for a guest) is the server's word
    if (!voting.has(me.id)) { el.hidden = true; return; }
    el.hidden = false;
    const error = h('p', { class: 'answer-error', testid: 'proxy-error', role: 'alert', hidden: true });
    const fail = (err) => { error.textContent = err && err.message ? err.message : t('error.network'); error.hidden = false; };
    const given = data.proxies.find((p) => p.delegator === me.id && !p.withdrawn_at);
    const held = data.proxies.filter((p) => p.proxy === me.id && !p.withdrawn_at);
    const parts = [h('h2', {}, t('proxy.title'))];
    if (held.length) {
      parts.push(h('p', { class: 'hint', testid: 'proxy-held' },
        t('proxy.held', { names: held.map((p) => names.get(p.delegator) || p.delegator).join(', ') })));
    }
    if (given) {
      const back = h('button', { type: 'button', class: 'btn btn-large', testid: 'proxy-withdraw', disabled: Boolean(given.stand_in) }, t('proxy.withdraw'));
      back.addEventListener('click', async () => {
        back.disabled = true;
        try { await post(meetingPath(meetingId, `/my-proxy/${encodeURIComponent(given.id)}/withdraw`), {}); await load(); } catch (err) { fail(err); back.disabled = false; }
      });
      parts.push(h('p', { class: 'proxy-given', testid: 'proxy-given', role: 'status' },
        t(given.stand_in ? 'proxy.givenStandIn' : 'proxy.given', { name: names.get(given.proxy) || given.proxy })),
      given.stand_in ? null : back);
    } else {
      const present = (data.attendance.current || []).filter((e) => PRESENT.has(e.status) && voting.has(e.person_id) && e.person_id !== me.id);
      const pick = h('select', { class: 'input input-large', testid: 'proxy-pick', 'aria-label': t('proxy.pick') },
        h('option', { value: '' }, t('proxy.pick')),
        ...present.map((e) => h('option', { value: e.person_id, selected: e.person_id === picked }, names.get(e.person_id) || e.name || e.person_id)));
      pick.addEventListener('change', () => { picked = pick.value; }); // kept when a check-in redraws the list
      const give = h('button', { type: 'button', class: 'btn btn-primary btn-large', testid: 'proxy-give' }, t('proxy.give'));
      give.addEventListener('click', async () => {
        if (!pick.value) { fail({ message: t('proxy.pick') }); return; }
        give.disabled = true;
        try { await post(meetingPath(meetingId, '/my-proxy'), { proxy: pick.value }); await load(); } catch (err) { fail(err); give.disabled = false; }
      });
      parts.push(h('p', { class: 'hint' }, t('proxy.hint')), pick, give);
    }
    replaceChildren(el, ...parts, error);
  }

  return {
    el,
    update(snap, info) {
      if (!may(snap, 'vote.authorise_own') || snap.status !== 'in_progress') { el.hidden = true; return; }
      const events = (info && info.events) || [];
      const news = events.some((e) => /^(proxy|attendance|invitation)\./.test(String(e.type)));
      if (!data || news || (info && info.source !== 'event')) load();
    },
  };
}
