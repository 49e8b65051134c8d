// The one translation table (web/i18n/strings.json, also read by the server for the printable
// minutes). Dutch is the default; the choice is remembered per browser.

const STORAGE_KEY = 'kt.lang';
const LANGS = ['nl', 'en'];
let table = {};
// No localStorage in Node, where the unit tests import the modules that label codes.
const remembered = globalThis.localStorage ? localStorage.getItem(STORAGE_KEY) : null;
let lang = LANGS.includes(remembered) ? remembered : 'nl';

/** Loads the table once at start-up. */
export async function loadStrings() {
  const res = await fetch('/i18n/strings.json', { credentials: 'same-origin' });
  table = await res.json();
  document.documentElement.lang = lang;
}

/** For unit tests: use a table without fetching. */
export function useTable(strings, language = 'nl') {
  table = strings;
  lang = language;
}

export function currentLang() {
  return lang;
}

/**
 * The text for `key`, with `{name}` placeholders filled from `vars`. A missing key shows the
 * key itself, so a gap is visible rather than blank.
 */
export function t(key, vars) {
  const entry = table[key];
  let text = entry ? entry[lang] ?? entry.nl : key;
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  return text;
}

/** Whether a key exists (for optional, code-specific texts such as error codes). */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(table, key);
}

/** Switches the language and tells every listener (pages re-render their texts). */
export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  window.dispatchEvent(new CustomEvent('kt:lang', { detail: next }));
}

// Dates and times always in Dutch local time: the conferences happen in the Netherlands,
// whatever the reader's computer says.
const ZONE = 'Europe/Amsterdam';
const locale = () => (lang === 'nl' ? 'nl-NL' : 'en-GB');

export function formatDate(value) {
  if (!value) return '';
  // A plain `YYYY-MM-DD` is a calendar date: show it as is, without a time-zone shift.
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00Z`) : new Date(value);
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', year: 'numeric', timeZone: ZONE }).format(date);
}

/** A compact date for tables: "12 nov. 2026"; of a calendar date, or of an instant in Dutch time. */
export function formatShortDate(value) {
  if (!value) return '';
  const calendar = /^\d{4}-\d{2}-\d{2}$/.test(value);
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', year: 'numeric', timeZone: calendar ? 'UTC' : ZONE })
    .format(new Date(calendar ? `${value}T12:00:00Z` : value));
}

export function formatDateTime(value) {
  if (!value) return '';
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: ZONE,
  }).format(new Date(value));
}

/** Whole days from today (Dutch time) to a `YYYY-MM-DD` date; negative when past. */
export function daysUntil(isoDate, now = new Date()) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(now);
  return Math.round((Date.parse(`${isoDate}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86400000);
}

/**
 * A Dutch wall-clock date and time (`YYYY-MM-DD`, `HH:MM`) as an ISO instant, whatever zone
 * the browser is in: conferences are scheduled in Dutch time.
 */
export function dutchTimeToIso(date, time) {
  const guess = Date.parse(`${date}T${time}:00Z`);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).formatToParts(new Date(guess)).map((p) => [p.type, p.value]));
  const wall = Date.parse(`${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:00Z`);
  return new Date(guess - (wall - guess)).toISOString();
}

/** Today's date in Dutch time as `YYYY-MM-DD`, plus `offsetDays`. */
export function dutchDate(offsetDays = 0, now = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date(now.getTime() + offsetDays * 86400000));
}
