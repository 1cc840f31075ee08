// The hall TV's check-in screen (/meetings/<id>/checkin-tv?site_id=…): the meeting's title, the hall, and the hall's
// check-in QR code as big as the screen allows, for delegates to scan from their seats. Opened by the secretary (any
// hall) or the hall's operator (their own) on the PC driving the TV, or, with no one signed in, by the hall's room
// PC with the device token the wall display was paired with (localStorage['ms.siteToken']; its own hall only). It
// follows the meeting live and shows the new code at once when the desk renews the key
// (attendance.checkin_key_renewed).
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import { LiveConnection, MeetingChannel, live } from '../live.js';
import { meetingPath } from '../meeting-common.js';
import { getUser } from '../session.js';
import { loading, showError } from '../ui.js';

const TOKEN_KEY = 'ms.siteToken'; // the wall display's (pages/display.js)

function storedToken() {
  try { return localStorage.getItem(TOKEN_KEY) || null; } catch { return null; }
}

export async function render({ root, params, query, setTitle, isCurrent, navigate }) {
  const id = params.id;
  const siteId = query.get('site_id') || '';
  const token = getUser() ? null : storedToken();
  if (!getUser() && !token) {
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    return undefined;
  }
  const view = h('div', { class: 'checkin-tv', testid: 'checkin-tv' }, loading());
  root.append(view);
  const img = h('img', { class: 'checkin-tv-qr', testid: 'checkin-tv-qr', alt: t('tv.scan') });
  const title = h('h1', { class: 'checkin-tv-title', testid: 'checkin-tv-title' });
  const hall = h('p', { class: 'checkin-tv-hall', testid: 'checkin-tv-hall' });
  const connection = token ? new LiveConnection({ auth: { token }, storagePrefix: 'ms.live.checkin.' }) : live;
  let shownUrl = null;
  const point = async () => {
    const q = siteId ? `?site_id=${encodeURIComponent(siteId)}&` : '?';
    const src = `${meetingPath(id, '/checkin/qr.svg')}${q}v=${Date.now()}`;
    if (!token) { img.src = src; return; }
    // An <img> cannot send the device token: fetch the picture with it and show it from memory.
    const resp = await fetch(src, { headers: { Authorization: `Bearer ${token}` } });
    if (!resp.ok) { showError(t('error.network')); return; }
    if (shownUrl) URL.revokeObjectURL(shownUrl);
    shownUrl = URL.createObjectURL(await resp.blob());
    img.src = shownUrl;
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
  }, { connection });
  img.addEventListener('error', () => { if (isCurrent()) showError(t('error.network')); });
  if (token) connection.start();
  try {
    await channel.open();
  } catch (err) {
    if (token) connection.stop();
    throw err;
  }
  return () => {
    channel.close();
    if (token) connection.stop();
    if (shownUrl) URL.revokeObjectURL(shownUrl);
  };
}
