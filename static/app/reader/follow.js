// Follow the presenter, and present. The snapshot's `presentation` moves every reader in follow mode (kept per
// meeting in `sessionStorage['ms.follow.<meeting id>']`, default on); browsing away leaves follow mode and
// "Theo người trình bày" snaps back. Someone who may present turns presenting on here
// (`sessionStorage['ms.presenting.<meeting id>']`): each page turn goes at once as `POST …/present`, zoom and pan
// at most every 250 ms (the last position always goes).
import { post } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { busy, showError } from '../ui.js';

const PRESENT_THROTTLE_MS = 250;

function sessionFlag(key, fallback) {
  try {
    const v = sessionStorage.getItem(key);
    return v === null ? fallback : v === 'true';
  } catch { return fallback; }
}
function setSessionFlag(key, value) {
  try { sessionStorage.setItem(key, value ? 'true' : 'false'); } catch { /* ignore */ }
}

const presentedKey = (p) => JSON.stringify([p.paper_id, p.version, p.page, p.zoom, p.x, p.y, p.at]);

export class FollowController {
  /**
   * host: the reader element (`data-follow`, `data-presenting`, `data-presentation`); ids: {meetingId, paperId,
   * me}; presentUrl: `…/papers/{id}/present`; stopUrl: `…/presentation/stop`; viewer: view, show, sheet;
   * fromFollow: this page was opened by following (`?follow=1`); and the reader's side:
   * snapshot() → the meeting snapshot or null; setPresentation(p): the server answered with the presentation
   * before the event arrives; canPresent(); papers() → the papers this person may read; version();
   * hasVersion(v); switchVersion(v); openPaper(paperId): go to another paper's reader; onChange(): drawn again.
   */
  constructor(host, opts) {
    Object.assign(this, opts);
    this.host = host;
    const { meetingId } = opts.ids;
    this.followKey = `ms.follow.${meetingId}`;
    this.presentingKey = `ms.presenting.${meetingId}`;
    this.follow = sessionFlag(this.followKey, true);
    this.presentingHere = sessionFlag(this.presentingKey, false);
    this.lastApplied = null;
    this.timer = null;
    this.pending = null;
    this.sentAt = 0;
    this.firstLook = true;
    this.lastPage = null;

    this.banner = h('span', { class: 'presenter-banner', testid: 'presenter-banner', hidden: true });
    this.followBtn = h('button', { type: 'button', class: 'btn btn-primary follow-btn', testid: 'follow-presenter', hidden: true }, t('reader.follow'));
    this.presentBtn = h('button', { type: 'button', class: 'btn present-btn', testid: 'present-toggle', hidden: true, 'aria-pressed': 'false' }, t('reader.present'));
    this.el = h('div', { class: 'reader-live-group' }, this.banner, this.followBtn, this.presentBtn);
    this.followBtn.addEventListener('click', () => {
      this.setFollow(true);
      this.apply(true);
    });
    this.presentBtn.addEventListener('click', () => busy(this.presentBtn, () => this.togglePresenting()));
  }

  destroy() { clearTimeout(this.timer); }

  setFollow(on) {
    this.follow = on;
    setSessionFlag(this.followKey, on);
  }

  setPresentingHere(on) {
    this.presentingHere = on;
    setSessionFlag(this.presentingKey, on);
  }

  presentation() {
    const snap = this.snapshot();
    return snap && snap.presentation ? snap.presentation : null;
  }

  presenting() {
    const p = this.presentation();
    return Boolean(this.presentingHere && p && p.by === this.ids.me);
  }

  render() {
    const { paperId, me } = this.ids;
    const p = this.presentation();
    const mePresenting = this.presenting();
    // Someone else took over: this tablet no longer presents.
    if (this.presentingHere && p && p.by !== me) this.setPresentingHere(false);
    const papers = this.papers();
    const readable = p && (p.paper_id === paperId || papers.some((x) => x.id === p.paper_id));
    this.banner.hidden = !p || mePresenting;
    if (p && !mePresenting) {
      const other = papers.find((x) => x.id === p.paper_id);
      this.banner.textContent = p.paper_id === paperId
        ? t('reader.presenterHere', { name: p.by_name || '', page: p.page })
        : t('reader.presenterElsewhere', { name: p.by_name || '', title: other ? other.title : '' });
    }
    this.followBtn.hidden = !p || mePresenting || !readable || (this.follow && p.paper_id === paperId);
    this.followBtn.textContent = p ? t('reader.followName', { name: p.by_name || '' }) : t('reader.follow');
    const btn = this.presentBtn;
    btn.hidden = !this.canPresent() && !mePresenting;
    btn.textContent = mePresenting ? t('reader.stopPresenting') : t('reader.present');
    btn.setAttribute('aria-pressed', mePresenting ? 'true' : 'false');
    btn.classList.toggle('is-on', mePresenting);
    const following = Boolean(p && this.follow && !mePresenting);
    this.host.dataset.follow = following ? 'true' : 'false';
    this.host.dataset.presenting = mePresenting ? 'true' : 'false';
    this.host.dataset.presentation = p ? p.paper_id : '';
    this.viewer.sheet.dataset.follow = this.host.dataset.follow;
    this.onChange();
  }

  /** The snapshot (or the list of papers) changed: follow the presenter if in follow mode. */
  apply(force = false) {
    const { paperId } = this.ids;
    const p = this.presentation();
    if (this.firstLook && this.snapshot()) {
      this.firstLook = false;
      // Opening another paper than the one presented is browsing away (unless following brought us here).
      if (p && p.paper_id !== paperId && !this.presenting() && this.follow && !this.fromFollow) this.setFollow(false);
      // A presenter who reloads comes back on the page everyone is shown (the server's), not on page 1.
      if (p && this.presenting() && p.paper_id === paperId) this.showPresented(p);
    }
    this.render();
    if (p && this.presenting() && p.paper_id !== paperId && !this.timer) {
      // The presenter opened another paper: it is now the one presented.
      this.queue(this.viewer.view, true);
      return;
    }
    if (!p || this.presenting() || !this.follow) return;
    const key = presentedKey(p);
    if (!force && key === this.lastApplied) return;
    if (p.paper_id !== paperId) {
      // Another paper: open it, if it is one this person may read (the list says).
      if (this.papers().some((x) => x.id === p.paper_id)) {
        this.lastApplied = key;
        this.openPaper(p.paper_id);
      }
      return;
    }
    this.showPresented(p);
  }

  /** Show the presented version, page and viewport here (as following, so nothing is sent back). */
  showPresented(p) {
    this.lastApplied = presentedKey(p);
    if (p.version && p.version !== this.version() && this.hasVersion(p.version)) this.switchVersion(p.version);
    this.viewer.show(p.page, { zoom: p.zoom || 1, x: p.x || 0, y: p.y || 0 }, 'follow');
  }

  /** The reader browsed away from the presented view. */
  leave() {
    if (!this.presentation() || this.presenting() || !this.follow) return;
    this.setFollow(false);
    this.render();
  }

  /** `paper.presentation_stopped` */
  stopped() {
    if (this.presentingHere) this.setPresentingHere(false);
  }

  /** After every view change of the page display. */
  viewChanged(v, source) {
    const pageTurn = v.page !== this.lastPage;
    this.lastPage = v.page;
    if (source !== 'user') return;
    if (this.presenting()) this.queue(v, pageTurn);
    else this.leave();
  }

  body(v) {
    return {
      version: this.version(), page: v.page, zoom: Math.min(8, Math.max(1, Math.round(v.zoom * 1000) / 1000)),
      x: Math.min(1, Math.max(0, Math.round(v.x * 10000) / 10000)), y: Math.min(1, Math.max(0, Math.round(v.y * 10000) / 10000)),
    };
  }

  async send(body) {
    this.sentAt = Date.now();
    try {
      const resp = await post(this.presentUrl, body);
      if (resp && resp.presentation && this.snapshot()) {
        // The event follows on the socket; meanwhile the button shows the right state.
        this.setPresentation(resp.presentation);
        this.render();
      }
    } catch (err) {
      showError(err);
    }
  }

  /** Page turns go at once; zoom and pan at most every 250 ms (the last position always goes). */
  queue(v, pageTurn) {
    this.pending = this.body(v);
    clearTimeout(this.timer);
    const wait = pageTurn ? 0 : Math.max(0, PRESENT_THROTTLE_MS - (Date.now() - this.sentAt));
    this.timer = setTimeout(() => {
      this.timer = null;
      const body = this.pending;
      this.pending = null;
      if (body && this.presenting()) this.send(body);
    }, wait);
  }

  async togglePresenting() {
    if (this.presenting()) {
      this.setPresentingHere(false);
      await post(this.stopUrl, {});
      this.setPresentation(null);
      this.render();
      return;
    }
    this.setPresentingHere(true);
    const resp = await post(this.presentUrl, this.body(this.viewer.view));
    if (resp && resp.presentation) this.setPresentation(resp.presentation);
    this.render();
  }
}
