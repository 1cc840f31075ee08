// App shell and router (History API). Pages live in ./pages/*.js and export render(ctx) → cleanup?
import { get, post, patch, setUnauthenticatedHandler } from './api.js';
import { h, clear } from './dom.js';
import { t, getLang, setLang, onLangChange } from './i18n.js';
import { live, forgetStoredMeetings } from './live.js';
import { getUser, setSession, isAdmin, canOrganise, may as mayGlobal } from './session.js';
import { mountMessageArea, showError, clearMessage, busy } from './ui.js';
import { confirmLeave, dropGuards } from './unsaved.js';
import * as loginPage from './pages/login.js';
import * as meetingsPage from './pages/meetings.js';
import * as meetingPage from './pages/meeting.js';
import * as editorPage from './pages/editor.js';
import * as consolePage from './pages/console.js';
import * as displayPage from './pages/display.js';
import * as papersPage from './pages/papers.js';
import * as readerPage from './pages/reader.js';
import * as unitsPage from './pages/admin-units.js';
import * as sitesPage from './pages/admin-sites.js';
import * as usersPage from './pages/admin-users.js';
import * as auditPage from './pages/admin-audit.js';
import * as checkinPage from './pages/checkin.js';
import * as checkinTvPage from './pages/checkin-tv.js';
import * as attendanceDeskPage from './pages/attendance-desk.js';
import * as verifyPage from './pages/verify.js';
import * as recordPage from './pages/record.js';
import * as registerPage from './pages/register.js';
import * as profilePage from './pages/profile.js';
import * as archivePage from './pages/archive.js';
import * as searchPage from './pages/search.js';

const ROUTES = [
  { re: /^\/login\/?$/, page: loginPage, access: 'public' },
  { re: /^\/(?:meetings\/?)?$/, page: meetingsPage, nav: '/meetings' },
  { re: /^\/meetings\/new\/?$/, page: editorPage, access: 'organiser', nav: '/meetings/new' },
  { re: /^\/meetings\/([^/]+)\/edit\/?$/, page: editorPage, access: 'organiser', keys: ['id'] },
  { re: /^\/meetings\/([^/]+)\/console\/?$/, page: consolePage, access: 'organiser', keys: ['id'] },
  // The hall's TV: no sign-in (it pairs with the site's device token) and no header (`bare`).
  { re: /^\/display\/?$/, page: displayPage, access: 'public', bare: true },
  { re: /^\/meetings\/([^/]+)\/display\/?$/, page: displayPage, access: 'public', bare: true, keys: ['id'] },
  // Meeting papers (tài liệu họp): the list by agenda item, and the tablet reader.
  { re: /^\/meetings\/([^/]+)\/papers\/?$/, page: papersPage, keys: ['id'], nav: '/meetings' },
  { re: /^\/meetings\/([^/]+)\/papers\/([^/]+)\/?$/, page: readerPage, keys: ['id', 'paperId'], nav: '/meetings' },
  // Attendance (điểm danh): the page a scanned QR code opens, the desk's and the site's lists, the hall TV's QR.
  { re: /^\/checkin\/?$/, page: checkinPage, nav: '/meetings' },
  { re: /^\/meetings\/([^/]+)\/attendance\/?$/, page: attendanceDeskPage, keys: ['id'], nav: '/meetings' },
  { re: /^\/meetings\/([^/]+)\/checkin-tv\/?$/, page: checkinTvPage, keys: ['id'], bare: true, access: 'public' },
  // The record (biên bản, thông báo kết luận): the secretary's page and the chair's review; the register.
  { re: /^\/meetings\/([^/]+)\/record\/?$/, page: recordPage, keys: ['id'], nav: '/meetings' },
  { re: /^\/register\/?$/, page: registerPage, access: 'register', nav: '/register' },
  // The archive (lưu trữ): archived meetings by year, unit and kind, with their dossiers.
  { re: /^\/archive\/?$/, page: archivePage, nav: '/archive' },
  // Search across everything one may read (docs/search.md "In the app"); the header's box opens it.
  { re: /^\/search\/?$/, page: searchPage },
  { re: /^\/meetings\/([^/]+)\/?$/, page: meetingPage, keys: ['id'] },
  // Kiểm tra chữ ký số: any signed-in user.
  { re: /^\/verify\/?$/, page: verifyPage, nav: '/verify' },
  // Hồ sơ của tôi: one's own signature image (docs/signing.md "Images").
  { re: /^\/profile\/?$/, page: profilePage, nav: '/profile' },
  { re: /^\/admin\/?$/, redirect: '/admin/units' },
  { re: /^\/admin\/units\/?$/, page: unitsPage, access: 'admin', nav: '/admin/units' },
  { re: /^\/admin\/sites\/?$/, page: sitesPage, access: 'admin', nav: '/admin/sites' },
  { re: /^\/admin\/users\/?$/, page: usersPage, access: 'admin', nav: '/admin/users' },
  { re: /^\/admin\/audit\/?$/, page: auditPage, access: 'admin', nav: '/admin/audit' },
];

const app = document.getElementById('app');
let header;
let messages;
let main;
let cleanup = null;
let renderToken = 0;
let currentNav = null;
let started = false;
let quietLang = false;
let shownPath = null; // the address of the page on screen (Back that is refused goes back to it)

/** The user's profile language applies when this browser has no explicit choice yet. */
function applyUserLang(user) {
  let stored = null;
  try { stored = localStorage.getItem('ms.lang'); } catch { /* ignore */ }
  if (!user || stored || !['vi', 'en'].includes(user.lang) || user.lang === getLang()) return;
  quietLang = true;
  try { setLang(user.lang); } finally { quietLang = false; }
}

// ---------------------------------------------------------------- shell

function connectionIndicator() {
  const el = h('span', { class: 'conn', testid: 'connection-status', role: 'status', 'aria-label': t('conn.label') },
    h('span', { class: 'conn-dot', 'aria-hidden': 'true' }), h('span', { class: 'conn-text' }));
  const text = el.querySelector('.conn-text');
  const update = (state) => {
    const shown = state === 'idle' ? 'offline' : state;
    el.dataset.state = shown;
    text.textContent = t(`conn.${shown}`);
  };
  const off = live.onState(update);
  el._off = off;
  return el;
}

function navLink(path, label, testid) {
  return h('a', { href: path, class: 'nav-link', testid, 'aria-current': currentNav === path ? 'page' : null }, label);
}

/** The header's search box: opens /search?q=… (the search page keeps its filters in the address too). */
function searchBox() {
  const here = location.pathname.replace(/\/$/, '') === '/search' ? new URLSearchParams(location.search).get('q') : '';
  const input = h('input', {
    type: 'search', class: 'input topbar-search-input', name: 'q', testid: 'header-search', value: here || '',
    placeholder: t('search.placeholder'), 'aria-label': t('search.label'), maxlength: 200, enterkeyhint: 'search',
  });
  return h('form', {
    class: 'topbar-search', role: 'search', testid: 'header-search-form',
    onsubmit: (e) => {
      e.preventDefault();
      const q = input.value.trim();
      if (!q) { input.focus(); return; }
      const path = `/search?q=${encodeURIComponent(q)}`;
      if (path === location.pathname + location.search) return;
      confirmLeave().then((ok) => { if (ok) navigate(path); });
    },
  }, input, h('button', { type: 'submit', class: 'btn btn-ghost topbar-search-go', testid: 'header-search-go' }, t('search.go')));
}

function renderHeader() {
  if (header && header._conn && header._conn._off) header._conn._off();
  const user = getUser();
  const conn = user ? connectionIndicator() : null;
  const links = [];
  if (user) {
    links.push(navLink('/meetings', t('nav.meetings'), 'nav-meetings'));
    if (canOrganise()) links.push(navLink('/meetings/new', t('nav.newMeeting'), 'nav-new-meeting'));
    links.push(navLink('/verify', t('nav.verify'), 'nav-verify'));
    if (mayGlobal('register.read')) links.push(navLink('/register', t('nav.register'), 'nav-register'));
    links.push(navLink('/archive', t('nav.archive'), 'nav-archive'));
    if (isAdmin()) {
      links.push(navLink('/admin/units', t('nav.units'), 'nav-units'));
      links.push(navLink('/admin/sites', t('nav.sites'), 'nav-sites'));
      links.push(navLink('/admin/users', t('nav.users'), 'nav-users'));
      links.push(navLink('/admin/audit', t('nav.audit'), 'nav-audit'));
    }
  }
  const langBtn = h('button', {
    type: 'button', class: 'btn btn-ghost lang-switch', testid: 'lang-switch', title: t('lang.switchTitle'),
    lang: getLang() === 'vi' ? 'en' : 'vi',
    onclick: () => switchLanguage(),
  }, t('lang.switch'));
  const logoutBtn = user ? h('button', { type: 'button', class: 'btn btn-ghost', testid: 'logout', onclick: (e) => logout(e.currentTarget) }, t('nav.logout')) : null;
  const next = h('header', { class: 'topbar', testid: 'topbar' },
    h('div', { class: 'topbar-row' },
      h('a', { href: user ? '/meetings' : '/login', class: 'brand', testid: 'brand' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '★'),
        h('span', { class: 'brand-text' },
          h('span', { class: 'brand-name' }, t('app.name')),
          h('span', { class: 'brand-tagline' }, t('app.tagline')))),
      user ? searchBox() : null,
      h('div', { class: 'topbar-tools' },
        conn,
        user ? h('a', { href: '/profile', class: 'user-name', testid: 'current-user', title: `${t('nav.profile')} — ${t('nav.signedInAs', { name: user.full_name || user.username })}` }, user.full_name || user.username) : null,
        langBtn,
        logoutBtn)),
    links.length ? h('nav', { class: 'mainnav', 'aria-label': t('nav.main') }, links) : null);
  next._conn = conn;
  if (header) header.replaceWith(next); else app.append(next);
  header = next;
}

function buildShell() {
  clear(app);
  header = null;
  app.append(h('a', { href: '#main', class: 'skip-link' }, t('app.skip')));
  renderHeader();
  messages = h('div', { class: 'messages', testid: 'message-area', 'aria-live': 'polite', hidden: true });
  mountMessageArea(messages);
  main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  app.append(messages, main);
}

export function setTitle(text) {
  document.title = text ? `${text} · ${t('app.name')}` : t('app.name');
}

// ---------------------------------------------------------------- routing

export function navigate(path, { replace = false, keepMessage = false } = {}) {
  if (replace) history.replaceState({}, '', path);
  else history.pushState({}, '', path);
  route({ keepMessage });
}

function match(pathname) {
  for (const r of ROUTES) {
    const m = r.re.exec(pathname);
    if (m) {
      const params = {};
      (r.keys || []).forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      return { route: r, params };
    }
  }
  return null;
}

async function route({ keepMessage = false } = {}) {
  const token = ++renderToken;
  if (cleanup) { try { cleanup(); } catch (e) { console.warn(e); } cleanup = null; }
  dropGuards();
  shownPath = location.pathname + location.search;
  if (!keepMessage) clearMessage();
  const { pathname, search } = location;
  const found = match(pathname);
  const user = getUser();
  if (found && found.route.redirect) { navigate(found.route.redirect, { replace: true, keepMessage: true }); return; }
  if (!user && (!found || found.route.access !== 'public')) {
    const next = pathname === '/' || pathname.startsWith('/login') ? '' : `?next=${encodeURIComponent(pathname + search)}`;
    navigate(`/login${next}`, { replace: true, keepMessage: true });
    return;
  }
  if (user && found && found.route.page === loginPage) { navigate(safeNext(), { replace: true, keepMessage: true }); return; }
  currentNav = found ? found.route.nav || ([meetingPage, consolePage].includes(found.route.page) ? '/meetings' : null) : null;
  app.classList.toggle('is-bare', Boolean(found && found.route.bare));
  renderHeader();
  const container = h('div', { class: 'page' });
  clear(main);
  main.append(container);
  window.scrollTo(0, 0);
  if (!found) {
    setTitle(t('error.notFoundPage'));
    container.append(h('h1', { class: 'page-title' }, t('error.notFoundPage')));
    return;
  }
  const access = found.route.access;
  if ((access === 'admin' && !isAdmin()) || (access === 'organiser' && !canOrganise()) || (access === 'register' && !mayGlobal('register.read'))) {
    setTitle(t('error.forbiddenPage'));
    container.append(h('h1', { class: 'page-title' }, t('error.forbiddenPage')));
    return;
  }
  const ctx = {
    root: container,
    params: found.params,
    query: new URLSearchParams(search),
    navigate,
    setTitle,
    afterLogin,
    isCurrent: () => token === renderToken,
  };
  try {
    const result = await found.route.page.render(ctx);
    if (typeof result === 'function') {
      if (token === renderToken) cleanup = result;
      else result();
    }
  } catch (err) {
    if (token === renderToken) showError(err);
  }
}

function safeNext() {
  const next = new URLSearchParams(location.search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/meetings';
}

// ---------------------------------------------------------------- session

export async function afterLogin(resp) {
  setSession(resp);
  live.start();
  applyUserLang(getUser());
  navigate(safeNext(), { replace: true });
}

async function logout(button) {
  await busy(button, async () => {
    try { await post('/api/auth/logout', {}); } catch (err) { if (err.status !== 401) throw err; }
    endSession();
  });
}

/**
 * A tablet in the meeting room is often shared: on sign-out, forget the copies of this person's ink (the server
 * keeps them). Ink not yet sent stays in its outbox, keyed by person, and goes out when they sign in again.
 */
function forgetStoredInk() {
  try {
    const keys = [];
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (key && key.startsWith('ms.ann.')) keys.push(key);
    }
    for (const key of keys) localStorage.removeItem(key);
  } catch { /* storage disabled: nothing kept */ }
}

function endSession(message) {
  live.stop();
  setSession(null);
  forgetStoredMeetings();
  forgetStoredInk();
  navigate('/login', { replace: true, keepMessage: Boolean(message) });
  if (message) showError(message);
}

setUnauthenticatedHandler((err) => {
  if (!getUser()) return;
  endSession(err.message || t('error.sessionRevoked'));
});
live.onUnauthenticated = (err) => { if (getUser()) endSession(err.message || t('error.sessionRevoked')); };
live.onRevoked = (reason) => {
  if (!getUser()) return;
  endSession(reason === 'deactivated' ? t('error.deactivated') : t('error.sessionRevoked'));
};

async function switchLanguage() {
  if (!(await confirmLeave())) return;
  const next = getLang() === 'vi' ? 'en' : 'vi';
  setLang(next);
  if (getUser()) patch('/api/me', { lang: next }).catch(() => { /* the local choice still applies */ });
}

onLangChange(() => {
  const skip = app.querySelector('.skip-link');
  if (skip) skip.textContent = t('app.skip');
  if (started && !quietLang) route({ keepMessage: true });
});

// ---------------------------------------------------------------- start

document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a');
  if (!a || a.target || a.hasAttribute('download') || a.dataset.external !== undefined) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  if (/^\/(api|static|vendor|socket\.io)\//.test(url.pathname)) return;
  if (url.hash && url.pathname === location.pathname) return;
  e.preventDefault();
  if (url.pathname + url.search === location.pathname + location.search) return;
  confirmLeave().then((ok) => { if (ok) navigate(url.pathname + url.search); });
});

window.addEventListener('popstate', async () => {
  const wanted = location.pathname + location.search;
  if (shownPath && wanted !== shownPath && !(await confirmLeave())) {
    history.pushState({}, '', shownPath); // stay: the address goes back to the page still on screen
    return;
  }
  route();
});

async function start() {
  buildShell();
  try {
    const resp = await get('/api/auth/session', null, { noAuthRedirect: true });
    setSession(resp);
    applyUserLang(getUser());
    live.start();
  } catch (err) {
    setSession(null);
    if (err.status !== 401) showError(err);
  }
  started = true;
  await route({ keepMessage: true });
}

start();
