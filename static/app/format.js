// Dates and times, always shown in Vietnam time (Asia/Ho_Chi_Minh, UTC+07:00, no daylight saving).
import { t, getLang } from './i18n.js';

const VN_OFFSET_MS = 7 * 60 * 60 * 1000;
const pad = (n) => String(n).padStart(2, '0');

/** Wall-clock parts of an instant in Vietnam time. */
export function vnParts(value) {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) return null;
  const d = new Date(ms + VN_OFFSET_MS); // read with UTC getters = Vietnam wall clock
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), weekday: d.getUTCDay(),
  };
}

/** "08:00, Thứ Ba 24/11/2026" (or "08:00, Tuesday 24/11/2026" in English). */
export function formatDateTime(value) {
  const p = vnParts(value);
  if (!p) return '';
  return `${pad(p.hour)}:${pad(p.minute)}, ${t(`weekday.${p.weekday}`)} ${pad(p.day)}/${pad(p.month)}/${p.year}`;
}

export function formatTime(value) {
  const p = vnParts(value);
  return p ? `${pad(p.hour)}:${pad(p.minute)}` : '';
}

/** "08:00, Thứ Ba 24/11/2026 – 11:30" or with the full end date when it ends on another day. */
export function formatRange(start, end) {
  const s = formatDateTime(start);
  if (!end) return s;
  const ps = vnParts(start);
  const pe = vnParts(end);
  if (!ps || !pe) return s;
  if (ps.year === pe.year && ps.month === pe.month && ps.day === pe.day) return `${s} – ${formatTime(end)}`;
  return `${s} – ${formatDateTime(end)}`;
}

/** Short timestamp for tables: "24/11/2026 08:00:05". */
export function formatStamp(value) {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value ? String(value) : '';
  const d = new Date(ms + VN_OFFSET_MS);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** ISO instant → value for <input type="datetime-local"> in Vietnam time ("2026-11-24T08:00"). */
export function toVnLocalInput(value) {
  const p = vnParts(value);
  if (!p) return '';
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** <input type="datetime-local"> value read as Vietnam time → "2026-11-24T08:00:00+07:00". */
export function fromVnLocalInput(local) {
  if (!local) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(local);
  if (!m) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] || '00'}+07:00`;
}

export function formatNumber(n) {
  return new Intl.NumberFormat(getLang() === 'en' ? 'en-GB' : 'vi-VN').format(n);
}

/**
 * Text as a filter compares it: no diacritics (đ → d), lower case, single spaces, so "hop thanh" finds
 * "Xã Hợp Thành" (the reader's paper search folds the same way).
 */
export { fold as foldVietnamese } from './reader/fold.js';
