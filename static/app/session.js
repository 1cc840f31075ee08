// Who is signed in, and shared reference lists (units, sites, users) cached for a short while.
import { get, setCsrfToken } from './api.js';
import { asList } from './dom.js';

let currentUser = null;

export function getUser() { return currentUser; }

export function setSession(resp) {
  if (!resp) {
    currentUser = null;
    setCsrfToken(null);
    invalidate();
    return;
  }
  currentUser = resp.user || null;
  setCsrfToken(resp.csrf_token);
}

/** Whether the server says the signed-in person may do `permission` anywhere (`capabilities` of GET /api/auth/session). */
export function may(permission) {
  return Boolean(currentUser && (currentUser.capabilities || []).includes(permission));
}

export const isAdmin = () => may('directory.manage');
export const canOrganise = () => may('meeting.create');

const cache = new Map(); // key -> {at, promise}
const TTL_MS = 30000;

function cached(key, load) {
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.promise;
  const promise = load().catch((err) => { cache.delete(key); throw err; });
  cache.set(key, { at: Date.now(), promise });
  return promise;
}

export function invalidate(key) {
  if (key) cache.delete(key); else cache.clear();
}

export const loadUnits = () => cached('units', async () => asList(await get('/api/units'), 'units'));
export const loadSites = () => cached('sites', async () => asList(await get('/api/sites'), 'sites'));
export const loadUsers = () => cached('users', async () => asList(await get('/api/users'), 'users'));

/** Units sorted as a tree (a province, its agencies, then its communes; legacy districts with theirs), each with its depth. */
export function unitTree(units) {
  const byParent = new Map();
  const ids = new Set(units.map((u) => u.id));
  for (const u of units) {
    const p = u.parent_id && ids.has(u.parent_id) ? u.parent_id : null;
    if (!byParent.has(p)) byParent.set(p, []);
    byParent.get(p).push(u);
  }
  const order = { province: 0, agency: 1, district: 2, commune: 3 };
  for (const list of byParent.values()) {
    list.sort((a, b) => (order[a.kind] ?? 9) - (order[b.kind] ?? 9) || String(a.name).localeCompare(String(b.name), 'vi'));
  }
  const out = [];
  const walk = (parent, depth) => {
    for (const u of byParent.get(parent) || []) {
      out.push({ unit: u, depth });
      walk(u.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

export function compareVi(a, b) {
  return String(a ?? '').localeCompare(String(b ?? ''), 'vi');
}
