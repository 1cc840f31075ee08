// The meeting page's "Hình và tiếng" panel: a delegate's own browser joins the conference (`media:join` with
// view `delegate`). It shows the main site big, the chair inset and who is speaking, sends the camera and the
// microphone (people who may only watch, e.g. observers, receive only), and lets the person turn their own
// microphone and camera off and on. The chair's mute (`conference.muted` holding `user:<id>`) keeps the
// microphone off here as well, while the server drops that sound anyway.
//
//   const panel = conferencePanel(meetingId);   // panel.el goes into the page
//   panel.update(snapshot);                     // on every snapshot: shown only while the meeting is in progress
//   panel.destroy();                            // the page's cleanup: closes the media
import { h, replaceChildren } from './dom.js';
import { t } from './i18n.js';
import { live } from './live.js';
import { joinMedia } from './media.js';
import { may } from './meeting-common.js';
import { getUser } from './session.js';

const POLL_MS = 1000;

let active = null; // the panel holding this tab's media connection: one per tab

function play(el) {
  const played = el.play();
  if (played && typeof played.catch === 'function') played.catch(() => {});
}

export function conferencePanel(meetingId) {
  let snap = null;
  let media = null; // the MediaSession while joined
  let joining = false;
  let destroyed = false;
  let micOff = false; // the person's own choice
  let cameraOff = false;
  let chairMuted = false;
  let joinError = null; // {code, message} of a refused join
  let lastFrames = {};
  let poll = null;
  let selfVideo = null;

  const title = h('h2', { id: 'media-panel-h', class: 'section-title' }, t('meeting.media.title'));
  const intro = h('p', { class: 'media-intro muted', testid: 'media-intro' });
  const stateDot = h('span', { class: 'conn-dot', 'aria-hidden': 'true' });
  const stateText = h('span', { class: 'media-state-text' });
  const state = h('span', { class: 'media-state', testid: 'media-state', role: 'status', hidden: true, dataset: { state: 'idle' } },
    stateDot, stateText);
  const error = h('p', { class: 'media-error', testid: 'media-error', role: 'alert', hidden: true });
  const mutedNotice = h('p', { class: 'media-muted-notice', testid: 'media-muted-notice', role: 'status', hidden: true },
    t('meeting.media.mutedByChair'));
  const deviceNote = h('p', { class: 'media-device-note', testid: 'media-device-note', hidden: true });

  const mainEmpty = h('div', { class: 'media-empty' }, t('meeting.media.noVideo'));
  const mainName = h('span', { class: 'media-label', testid: 'media-main-name', hidden: true });
  const mainBox = h('div', { class: 'media-main', testid: 'media-main', dataset: { source: '', playing: 'false' } }, mainEmpty, mainName);
  const chairName = h('span', { class: 'media-label' });
  const chairBox = h('div', { class: 'media-chair', testid: 'media-chair', hidden: true, dataset: { source: '', playing: 'false' } }, chairName);
  const selfOff = h('span', { class: 'media-self-off', hidden: true }, t('meeting.media.cameraIsOff'));
  const selfBox = h('div', { class: 'media-self-box', hidden: true, 'aria-label': t('meeting.media.self') }, selfOff);
  const speaker = h('div', { class: 'media-speaker', testid: 'media-speaker', role: 'status', hidden: true });
  const unlock = h('button', { type: 'button', class: 'media-unlock', testid: 'media-unmute', hidden: true }, t('meeting.media.unlockAudio'));
  const stage = h('div', { class: 'media-stage', testid: 'media-stage', hidden: true }, mainBox, chairBox, selfBox, speaker, unlock);
  const audioBox = h('div', { class: 'media-audio-box', 'aria-hidden': 'true' });

  const joinBtn = h('button', { type: 'button', class: 'btn btn-primary', testid: 'join-media' });
  const micBtn = h('button', { type: 'button', class: 'btn', testid: 'media-mic', hidden: true });
  const cameraBtn = h('button', { type: 'button', class: 'btn', testid: 'media-camera', hidden: true });
  const retryBtn = h('button', { type: 'button', class: 'btn', testid: 'media-retry', hidden: true }, t('meeting.media.retry'));
  const leaveBtn = h('button', { type: 'button', class: 'btn btn-danger-outline', testid: 'leave-media', hidden: true }, t('meeting.media.leave'));
  const controls = h('div', { class: 'button-row media-controls', role: 'group', 'aria-label': t('meeting.media.title') },
    joinBtn, micBtn, cameraBtn, retryBtn, leaveBtn);

  const el = h('section', { class: 'card media-card', testid: 'media-panel', hidden: true, 'aria-labelledby': 'media-panel-h' },
    h('div', { class: 'media-card-head' }, title, state),
    intro, stage, controls, mutedNotice, deviceNote, error, audioBox);

  const myKey = () => {
    const user = getUser();
    return user ? `user:${user.id}` : (media && media.participant) || null;
  };
  const mayPublish = () => may(snap, 'conference.publish');
  // Whether this connection sends our camera and microphone (the server's answer has the last word).
  const sending = () => Boolean(media && media.localStream && (media.participant == null || media.publishes));

  // ---- our own tracks: `enabled = false` sends silence / black, the connection stays as it is ----------------
  function applyTracks() {
    if (!media || !media.localStream) return;
    for (const track of media.localStream.getAudioTracks()) track.enabled = !micOff && !chairMuted;
    for (const track of media.localStream.getVideoTracks()) track.enabled = !cameraOff;
    if (media.smallTrack) media.smallTrack.enabled = !cameraOff;
  }

  // ---- rendering -----------------------------------------------------------------------------------------
  function place(box, video, before) {
    const current = box.querySelector('video');
    if (current === video) return;
    if (current) current.remove();
    if (video) { box.insertBefore(video, before); play(video); }
  }

  function renderLayout() {
    const layout = (media && media.layout) || { slots: [], speaker: null };
    const videos = (layout.slots || []).filter((s) => s.kind === 'video' && s.source);
    const big = videos.find((s) => s.quality === 'big') || videos[0] || null;
    const inset = videos.find((s) => s !== big) || null;
    const bigEl = big && media ? media.videoElementFor(big.mid) : null;
    const insetEl = inset && media ? media.videoElementFor(inset.mid) : null;
    place(mainBox, bigEl, mainEmpty);
    mainEmpty.hidden = Boolean(bigEl);
    mainBox.dataset.source = big ? big.source : '';
    mainBox.dataset.role = big ? big.role : '';
    mainName.hidden = !big;
    mainName.textContent = big ? big.name : '';
    if (!bigEl) mainBox.dataset.playing = 'false';
    place(chairBox, insetEl, chairName);
    chairBox.hidden = !insetEl;
    chairBox.dataset.source = inset ? inset.source : '';
    chairName.textContent = inset ? inset.name : '';
    if (!insetEl) chairBox.dataset.playing = 'false';
    const who = media ? layout.speaker : null;
    speaker.hidden = !who;
    speaker.dataset.key = who ? who.key : '';
    speaker.textContent = who ? t('meeting.media.speaker', { name: who.name }) : '';
  }

  function renderSelf() {
    const show = sending() && media.localStream.getVideoTracks().length > 0;
    if (show && !selfVideo) {
      selfVideo = h('video', { class: 'media-video media-self', testid: 'media-self', 'aria-label': t('meeting.media.self') });
      selfVideo.muted = true; // our own voice never plays back here
      selfVideo.setAttribute('muted', '');
      selfVideo.autoplay = true;
      selfVideo.playsInline = true;
      selfVideo.setAttribute('playsinline', '');
      selfVideo.srcObject = new MediaStream(media.localStream.getVideoTracks());
      selfBox.prepend(selfVideo);
      play(selfVideo);
    } else if (!show && selfVideo) {
      selfVideo.srcObject = null;
      selfVideo.remove();
      selfVideo = null;
    }
    selfBox.hidden = !show;
    selfOff.hidden = !cameraOff;
    selfBox.classList.toggle('is-off', cameraOff);
  }

  function render() {
    if (destroyed) return;
    const isLive = Boolean(snap && snap.status === 'in_progress');
    el.hidden = !isLive;
    const joined = Boolean(media);
    el.classList.toggle('is-joined', joined);
    const publish = mayPublish();
    intro.hidden = joined;
    intro.textContent = publish ? t('meeting.media.intro') : t('meeting.media.introWatch');
    joinBtn.hidden = joined;
    joinBtn.disabled = joining;
    joinBtn.setAttribute('aria-busy', String(joining));
    joinBtn.textContent = joining ? t('media.state.connecting') : (publish ? t('meeting.media.join') : t('meeting.media.watch'));
    joinBtn.dataset.publish = String(publish);
    stage.hidden = !joined;
    leaveBtn.hidden = !joined;

    const mediaState = joined ? media.state : (joining ? 'connecting' : 'idle');
    state.hidden = !joined && !joining;
    state.dataset.state = mediaState;
    stateText.textContent = mediaState === 'idle' ? '' : (mediaState === 'connected' && media && media.layout.tier
      ? t(`media.tier.${media.layout.tier}`) : t(`media.state.${mediaState}`));

    let shownError = joinError;
    if (joined && (media.state === 'stopped' || media.state === 'retrying') && media.error) {
      shownError = media.error.code === 'removed' ? { code: 'removed', message: t('meeting.media.removed') } : media.error;
    }
    error.hidden = !(shownError && shownError.message);
    error.textContent = error.hidden ? '' : shownError.message;
    error.dataset.code = shownError && shownError.code ? shownError.code : '';
    retryBtn.hidden = !(joined && media.state === 'stopped');

    const send = sending();
    const hasMic = send && media.localStream.getAudioTracks().length > 0;
    const hasCamera = send && media.localStream.getVideoTracks().length > 0;
    micBtn.hidden = !hasMic;
    const micOn = hasMic && !micOff && !chairMuted;
    micBtn.dataset.on = String(micOn);
    micBtn.disabled = chairMuted;
    micBtn.textContent = micOn ? t('meeting.media.micOff') : t('meeting.media.micOn');
    micBtn.classList.toggle('is-off', !micOn);
    cameraBtn.hidden = !hasCamera;
    cameraBtn.dataset.on = String(hasCamera && !cameraOff);
    cameraBtn.textContent = cameraOff ? t('meeting.media.cameraOn') : t('meeting.media.cameraOff');
    cameraBtn.classList.toggle('is-off', cameraOff);
    mutedNotice.hidden = !(joined && chairMuted);
    el.dataset.publishes = String(send);

    const device = joined && media.deviceError;
    deviceNote.hidden = !device;
    deviceNote.textContent = device ? t(`meeting.media.device.${media.deviceError}`) : '';
    if (joined && !send && !device) {
      deviceNote.hidden = false;
      deviceNote.textContent = t('meeting.media.watchOnly');
    }
    renderSelf();
    renderLayout();
  }

  // Decoded frames per slot: a picture plays when its <video> has a size and new frames keep arriving.
  async function pollPlayback() {
    if (!media || destroyed) return;
    const session = media;
    const frames = await session.framesDecoded();
    if (session !== media) return;
    for (const box of [mainBox, chairBox]) {
      const video = box.querySelector('video');
      const mid = video && video.dataset.mid;
      box.dataset.playing = String(Boolean(video && video.videoWidth > 0 && (frames[mid] || 0) > (lastFrames[mid] || 0)));
    }
    lastFrames = frames;
  }

  // ---- join / leave --------------------------------------------------------------------------------------
  async function join() {
    if (media || joining || destroyed || !snap || snap.status !== 'in_progress') return;
    if (active && active !== panel) active.leave(); // one media connection per tab
    joinError = null;
    if (!live.socket || !live.connected) {
      joinError = { code: 'network', message: t('error.network') };
      render();
      return;
    }
    active = panel;
    joining = true;
    render();
    try {
      const session = await joinMedia({
        socket: live.socket, meetingId, view: 'delegate', publish: mayPublish(), videoSlots: 2, audioSlots: 3,
        audioContainer: audioBox,
        onLayout: () => { if (!destroyed && media) render(); },
        onState: () => { if (!destroyed && media) render(); },
        onAudioBlocked: () => { if (!destroyed) unlock.hidden = false; },
      });
      if (destroyed || active !== panel) { session.close(); return; }
      media = session;
      lastFrames = {};
      applyTracks();
      if (session.audioBlocked) unlock.hidden = false;
      clearInterval(poll);
      poll = setInterval(() => { pollPlayback().catch(() => {}); }, POLL_MS);
      joining = false;
      render();
      // Pictures and buttons in view together (a tablet scrolls the meeting's facts away).
      const reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      el.scrollIntoView({ block: 'nearest', behavior: reduce ? 'auto' : 'smooth' });
    } catch (err) {
      if (active === panel) active = null;
      joinError = { code: (err && err.code) || 'error', message: (err && err.message) || t('error.network') };
    } finally {
      joining = false;
      render();
    }
  }

  function leave() {
    if (active === panel) active = null;
    clearInterval(poll);
    poll = null;
    if (media) { media.close(); media = null; }
    if (selfVideo) { selfVideo.srcObject = null; selfVideo.remove(); selfVideo = null; }
    unlock.hidden = true;
    lastFrames = {};
    render();
  }

  joinBtn.addEventListener('click', () => { join(); });
  leaveBtn.addEventListener('click', () => { joinError = null; leave(); joinBtn.focus(); });
  retryBtn.addEventListener('click', () => { if (media) media.rejoin(); });
  micBtn.addEventListener('click', () => { if (chairMuted) return; micOff = !micOff; applyTracks(); render(); });
  cameraBtn.addEventListener('click', () => { cameraOff = !cameraOff; applyTracks(); render(); });
  unlock.addEventListener('click', async () => { if (media && await media.unlockAudio()) unlock.hidden = true; });

  const panel = {
    el,
    leave,
    update(next) {
      if (destroyed) return;
      snap = next;
      if (!snap || snap.status !== 'in_progress') {
        joinError = null;
        if (media || joining) leave();
        render();
        return;
      }
      const conf = snap.conference || {};
      const key = myKey();
      const wasMuted = chairMuted;
      chairMuted = Boolean(key && Array.isArray(conf.muted) && conf.muted.includes(key));
      if (wasMuted !== chairMuted) applyTracks();
      // Removed, then readmitted by the chair: connect again.
      const removed = Array.isArray(conf.removed) ? conf.removed : [];
      if (media && media.state === 'stopped' && media.error && media.error.code === 'removed' && key && !removed.includes(key)) {
        media.rejoin();
      }
      render();
    },
    destroy() {
      leave();
      destroyed = true;
    },
  };
  render();
  return panel;
}
