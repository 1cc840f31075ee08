// "Cuộc họp của tôi": meetings under way first ("Đang diễn ra"), then upcoming ones (soonest first), past ones
// on request.
// The server pushes `meetings:changed` when a meeting is scheduled for you (or changes or is cancelled),
// so it appears without reload; a slow poll stays as a fallback for when the socket cannot connect.
import { get } from '../api.js';
import { live } from '../live.js';
import { h, asList, replaceChildren, byId } from '../dom.js';
import { formatRange, formatTime } from '../format.js';
import { t } from '../i18n.js';
import { canOrganise, loadSites } from '../session.js';
import { noticesPanel } from '../mail.js';
import { awaitingPanel } from '../record-signer.js';
import { statusBadge, pageHeader, emptyState, loading, showError } from '../ui.js';

const REFRESH_MS = 60000;

function meetingCard(m, sitesById) {
  const siteList = Array.isArray(m.sites) ? m.sites : [];
  const main = siteList.find((s) => s.id === m.main_site_id) || sitesById.get(m.main_site_id);
  const agendaCount = Number.isInteger(m.agenda_count) ? m.agenda_count : (Array.isArray(m.agenda) ? m.agenda.length : null);
  const siteCount = Array.isArray(m.sites) ? m.sites.length : (Array.isArray(m.site_ids) ? m.site_ids.length : null);
  const facts = [];
  if (m.location) facts.push(m.location);
  if (main) facts.push(`${t('meeting.mainSite')}: ${main.name}`);
  if (siteCount) facts.push(t('meetings.sitesCount', { n: siteCount }));
  if (agendaCount) facts.push(t('meetings.agendaCount', { n: agendaCount }));
  return h('li', { class: ['meeting-item', `is-${m.status}`], testid: 'meeting-item', dataset: { meetingId: m.id, status: m.status } },
    h('a', { href: `/meetings/${encodeURIComponent(m.id)}`, class: 'meeting-link', testid: 'meeting-link' },
      h('div', { class: 'meeting-item-head' },
        h('span', { class: 'meeting-item-title', testid: 'meeting-item-title' }, m.title),
        statusBadge(m.status, 'meeting-item-status')),
      h('div', { class: 'meeting-item-time', testid: 'meeting-item-time' }, formatRange(m.starts_at, m.ends_at)),
      facts.length ? h('div', { class: 'meeting-item-facts muted' }, facts.join(' · ')) : null));
}

export async function render({ root, setTitle, isCurrent }) {
  setTitle(t('meetings.title'));
  const upcomingList = h('div', { testid: 'upcoming-meetings' }, loading());
  const liveList = h('div', { testid: 'live-meetings' });
  const liveSection = h('section', { class: 'section', 'aria-labelledby': 'live-h', hidden: true, testid: 'live-section' },
    h('h2', { id: 'live-h', class: 'section-title' }, t('meetings.live')), liveList);
  const pastList = h('div', { testid: 'past-meetings', hidden: true });
  const updated = h('p', { class: 'muted small', testid: 'meetings-updated', 'aria-live': 'off' });
  const pastToggle = h('button', { type: 'button', class: 'btn', testid: 'toggle-past', 'aria-expanded': 'false' }, t('meetings.showPast'));
  const newBtn = canOrganise()
    ? h('a', { href: '/meetings/new', class: 'btn btn-primary', testid: 'new-meeting' }, t('nav.newMeeting'))
    : null;
  const notices = noticesPanel();
  const awaiting = awaitingPanel(); // "Văn bản chờ bạn ký": hidden while nothing waits for this person
  root.append(
    pageHeader(t('meetings.title'), notices.el, newBtn),
    awaiting.el,
    liveSection,
    h('section', { class: 'section', 'aria-labelledby': 'upcoming-h' },
      h('h2', { id: 'upcoming-h', class: 'section-title' }, t('meetings.upcoming')),
      upcomingList, updated),
    h('section', { class: 'section', 'aria-labelledby': 'past-h' },
      h('h2', { id: 'past-h', class: 'section-title' }, t('meetings.past')),
      pastToggle, pastList));

  let sitesById = new Map();
  loadSites().then((sites) => { sitesById = byId(sites); }).catch(() => {});

  let lastKey = null;
  let failedOnce = false;
  const refresh = async () => {
    try {
      const list = asList(await get('/api/meetings', { scope: 'upcoming' }), 'meetings');
      if (!isCurrent()) return;
      failedOnce = false;
      updated.textContent = t('meetings.updatedAt', { time: formatTime(new Date()) });
      const key = JSON.stringify(list);
      if (key === lastKey) return;
      lastKey = key;
      const live = list.filter((m) => m.status === 'in_progress');
      const coming = list.filter((m) => m.status !== 'in_progress');
      liveSection.hidden = !live.length;
      replaceChildren(liveList, live.length
        ? h('ul', { class: 'meeting-list', testid: 'live-meeting-list' }, live.map((m) => meetingCard(m, sitesById)))
        : null);
      replaceChildren(upcomingList, coming.length
        ? h('ul', { class: 'meeting-list', testid: 'meeting-list' }, coming.map((m) => meetingCard(m, sitesById)))
        : emptyState(t(live.length ? 'meetings.nothingElseUpcoming' : 'meetings.emptyUpcoming'), 'meetings-empty'));
    } catch (err) {
      if (!isCurrent()) return;
      if (lastKey === null || !failedOnce) showError(err);
      failedOnce = true;
      if (lastKey === null) replaceChildren(upcomingList, emptyState(t('meetings.emptyUpcoming'), 'meetings-empty'));
    }
  };

  pastToggle.addEventListener('click', async () => {
    const open = pastList.hidden;
    pastList.hidden = !open;
    pastToggle.setAttribute('aria-expanded', String(open));
    pastToggle.textContent = open ? t('meetings.hidePast') : t('meetings.showPast');
    if (!open) return;
    replaceChildren(pastList, loading());
    try {
      const list = asList(await get('/api/meetings', { scope: 'past' }), 'meetings');
      replaceChildren(pastList, list.length
        ? h('ul', { class: 'meeting-list' }, list.map((m) => meetingCard(m, sitesById)))
        : emptyState(t('meetings.emptyPast')));
    } catch (err) {
      replaceChildren(pastList);
      showError(err);
    }
  });

  await refresh();
  const stopListening = live.onMeetingsChanged(() => { if (isCurrent()) refresh(); });
  const timer = setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
  const onVisible = () => { if (!document.hidden) { refresh(); awaiting.refresh(); } };
  document.addEventListener('visibilitychange', onVisible);
  window.addEventListener('focus', onVisible);
  return () => {
    stopListening();
    notices.stop();
    clearInterval(timer);
    document.removeEventListener('visibilitychange', onVisible);
    window.removeEventListener('focus', onVisible);
  };
}
