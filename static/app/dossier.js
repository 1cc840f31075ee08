// The dossier (hồ sơ cuộc họp) of an archived meeting, for those who may download it (docs/archive.md): "Đang lập
// hồ sơ…" while the server builds it in the background, then the download link (or why it failed).
import { get } from './api.js';
import { h, replaceChildren } from './dom.js';
import { t } from './i18n.js';

const RECHECK_MS = 3000;
const sizeText = (bytes) => (bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

/** What a dossier's state (`GET /api/meetings/{id}/dossier`, or an archive row's `dossier`) shows. */
export function dossierView(meetingId, state) {
  if (state.status === 'ready') {
    return h('a', { href: state.url, class: 'btn btn-primary', download: `ho-so-${meetingId}.zip`, testid: 'dossier-download' },
      t('dossier.download', { size: sizeText(state.bytes || 0) }));
  }
  if (state.status === 'failed') return h('span', { class: 'dossier-failed', testid: 'dossier-failed' }, t('dossier.failed', { reason: state.reason || '' }));
  return h('span', { class: 'dossier-building', testid: 'dossier-building', role: 'status' }, t('dossier.building'));
}

/** A box that follows the dossier's state until it is ready (or failed); `alive()` false stops it. */
export function dossierBox(meetingId, alive) {
  const box = h('span', { class: 'dossier-box', testid: 'dossier-box' }, t('dossier.building'));
  async function check() {
    let state;
    try { state = await get(`/api/meetings/${encodeURIComponent(meetingId)}/dossier`); } catch { return; }
    if (!alive()) return;
    replaceChildren(box, dossierView(meetingId, state));
    if (state.status === 'building') setTimeout(check, RECHECK_MS);
  }
  check();
  return box;
}
