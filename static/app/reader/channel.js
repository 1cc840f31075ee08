// The reader's live side: the meeting's channel (snapshot and events, reopened while offline with nothing stored),
// the meeting's list of papers (refreshed on `paper.*`, starting their background download and forgetting the
// ones gone), and the events sorted out for the reader's parts.
import { get } from '../api.js';
import { live, MeetingChannel } from '../live.js';
import { showError } from '../ui.js';
import { forgetGone, loadPapers, prefetchAll } from '../pages/papers.js';
import { prefetcher } from './prefetch.js';

const PAPER_CHANGES = new Set(['paper.added', 'paper.updated', 'paper.published', 'paper.version_added']);
const REOPEN_MS = 5000;

export class PaperLive {
  /**
   * meetingId, paperId; paperUrl: `…/papers/{id}` (asked again when who may read it changes); isCurrent();
   * handlers: onSnapshot(snapshot, fresh) before the events (fresh: a whole snapshot, reload what it does not
   * carry); onEvent(type, data) → true when annotations changed; onAnnotations() after a batch that changed them;
   * onPaper(paper): this paper changed; onGone(): withdrawn or no longer ours; onUpdated(): after every update and
   * every new list of papers; onBackOnline().
   */
  constructor(opts) {
    Object.assign(this, opts);
    this.papers = [];
    this.papersLoaded = false;
    this.closed = false;
    this.channel = null;
    this.wasOnline = live.state === 'online';
    this.offState = live.onState((state) => {
      if (state === 'online' && !this.wasOnline && !this.closed) this.onBackOnline();
      this.wasOnline = state === 'online';
    });
  }

  open() {
    this.channel = new MeetingChannel(this.meetingId, {
      onUpdate: (s, info) => {
        if (this.closed) return;
        this.onSnapshot(s, Boolean(info && info.source === 'snapshot'));
        if (info && info.source === 'snapshot') this.refreshPapers();
        this.handle(info && info.events);
        if (!this.closed) this.onUpdated();
      },
      onError: (err) => { if (!this.closed && this.isCurrent()) showError(err); },
    });
    this.channel.open().catch(() => {
      // Offline with nothing stored: read on, and try again when the network is back.
      this.channel.close();
      this.channel = null;
      setTimeout(() => { if (!this.closed && !this.channel) this.open(); }, REOPEN_MS);
    });
  }

  handle(events) {
    const { meetingId, paperId } = this;
    let anns = false;
    for (const ev of events || []) {
      const data = ev.data || {};
      anns = this.onEvent(ev.type, data) || anns;
      if (ev.type === 'paper.withdrawn') {
        if (data.paper_id === paperId && data.reason !== 'access') {
          prefetcher.forget(meetingId, paperId);
          this.onGone();
          return;
        }
        if (data.paper_id === paperId) this.stillReadable();
        this.refreshPapers();
      } else if (PAPER_CHANGES.has(ev.type)) {
        if (data.paper && data.paper.access === 'restricted') prefetcher.forget(meetingId, data.paper_id);
        if (data.paper_id === paperId && data.paper) this.onPaper(data.paper);
        this.refreshPapers();
      }
    }
    if (anns) this.onAnnotations();
  }

  /** Who may read the paper changed: gone if it is no longer ours (a network failure keeps it open). */
  async stillReadable() {
    try {
      await get(this.paperUrl);
    } catch (err) {
      if (!this.closed && (err.status === 404 || err.status === 403)) {
        prefetcher.forget(this.meetingId, this.paperId);
        this.onGone();
      }
    }
  }

  async refreshPapers() {
    try {
      const resp = await loadPapers(this.meetingId);
      if (this.closed) return;
      if (this.papersLoaded) forgetGone(this.meetingId, this.papers, resp.papers);
      this.papersLoaded = true;
      this.papers = resp.papers;
      prefetchAll(this.meetingId, this.papers, this.paperId);
      this.onUpdated();
    } catch { /* offline: keep what we have */ }
  }

  destroy() {
    this.closed = true;
    this.offState();
    if (this.channel) this.channel.close();
  }
}
