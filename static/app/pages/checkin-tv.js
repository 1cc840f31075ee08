// The hall TV's check-in screen (/meetings/<id>/checkin-tv?site_id=…): the meeting's title, the hall, and the hall's
// check-in QR code as big as the screen allows, for delegates to scan from their seats. Opened by the secretary (any
// hall) or the hall's operator (their own) on the PC driving the TV; it follows the meeting live, and shows the new
// code at once when the desk renews the key (attendance.checkin_key_renewed).
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import { MeetingChannel } from '../live.js';
import { meetingPath } from '../meeting-common.js';
import { loading, showError } from '../ui.js';

export async function render({ root, params, query, setTitle, isCurrent }) {
  const id = params.id;
  const siteId = query.get('site_id') || '';
  const view = h('div', { class: 'checkin-tv', testid: 'checkin-tv' }, loading());
  root.append(view);
  const img = h('img', { class: 'checkin-tv-qr', testid: 'checkin-tv-qr', alt: t('tv.scan') });
  const title = h('h1', { class: 'checkin-tv-title', testid: 'checkin-tv-title' });
  const hall = h('p', { class: 'checkin-tv-hall', testid: 'checkin-tv-hall' });
  const point = () => {
    const q = siteId ? `?site_id=${encodeURIComponent(siteId)}&` : '?';
    img.src = `${meetingPath(id, '/checkin/qr.svg')}${q}v=${Date.now()}`;
  };
  const channel = new MeetingChannel(id, {
    onUpdate: (snap, info) => {
      if (!isCurrent()) return;
      const site = (snap.sites || []).find((s) => s.id === siteId);
      title.textContent = snap.title;
      hall.textContent = site ? site.name : t('desk.mainHall');
      setTitle(`${t('tv.scan')} · ${snap.title}`);
      if (!view.contains(img)) {
        replaceChildren(view, title, hall, img,
          h('p', { class: 'checkin-tv-scan' }, t('tv.scan')), h('p', { class: 'checkin-tv-how' }, t('tv.how')));
        point();
      }
      if (((info && info.events) || []).some((e) => e.type === 'attendance.checkin_key_renewed')) point();
    },
    onError: (err) => { if (isCurrent()) showError(err); },
  });
  img.addEventListener('error', () => { if (isCurrent()) showError(t('error.network')); });
  await channel.open();
  return () => channel.close();
}
