// Translations and locale-aware formatting. Every string the console shows
// comes from i18n/<language>.json; dates, times, numbers and money are
// formatted with Intl in the user's locale.

const STORAGE_KEY = 'switchboard.language';
export const LANGUAGES = ['de', 'en'];

let current = 'de';
let strings = {};

// preferredLanguage is the language the user chose in this browser, or else
// German when the browser prefers German to English, and English otherwise.
export function preferredLanguage() {
  const chosen = localStorage.getItem(STORAGE_KEY);
  if (LANGUAGES.includes(chosen)) return chosen;
  for (const tag of navigator.languages || [navigator.language || '']) {
    const base = tag.toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

// chosenLanguage reports whether the user picked a language in this browser.
export function chosenLanguage() {
  return LANGUAGES.includes(localStorage.getItem(STORAGE_KEY));
}

export function language() {
  return current;
}

// loadLanguage fetches the translations of lang and makes it current. With
// remember set, the choice is kept in this browser.
export async function loadLanguage(lang, remember) {
  if (!LANGUAGES.includes(lang)) lang = 'en';
  const url = new URL(`../i18n/${lang}.json`, import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`translations ${lang}: ${res.status}`);
  strings = await res.json();
  current = lang;
  document.documentElement.lang = lang;
  if (remember) localStorage.setItem(STORAGE_KEY, lang);
}

// t returns the translation of key with {placeholders} filled from vars.
export function t(key, vars) {
  let s = strings[key];
  if (s === undefined) {
    console.warn('missing translation', key);
    return key;
  }
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (vars[name] === undefined ? m : String(vars[name])));
  return s;
}

// locale is the browser's locale when it speaks the console's language
// (de-AT, en-GB, ...), and the bare language otherwise.
export function locale() {
  const tags = navigator.languages || [navigator.language || ''];
  return tags.find((tag) => tag.toLowerCase().split('-')[0] === current) || current;
}

export function formatDateTime(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatDate(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long' }).format(new Date(iso));
}

export function formatMoney(cents, currency = 'EUR') {
  return new Intl.NumberFormat(locale(), { style: 'currency', currency }).format(cents / 100);
}

export function formatCount(n) {
  return new Intl.NumberFormat(locale()).format(n);
}
