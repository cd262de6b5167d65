// The frame around every screen: the product name, the navigation by area
// (as the guide's settings: users & groups, numbers, account), the
// language switch and logout.
import { useEffect, useState } from 'preact/hooks';
import { LANGUAGES, t } from './i18n.js';
import { href } from './router.js';
import { html } from './ui.js';

// Areas of the navigation with their screens; admin marks what only
// admins see.
const AREAS = [
  {
    label: 'nav.area.people',
    items: [
      { path: '/me', label: 'nav.me' },
      { path: '/users', label: 'nav.users', admin: true },
      { path: '/groups', label: 'nav.groups', admin: true },
      { path: '/phones', label: 'nav.phones', admin: true },
    ],
  },
  { label: 'nav.area.numbers', admin: true, items: [{ path: '/numbers', label: 'nav.numbers', admin: true }] },
  {
    label: 'nav.area.contacts',
    items: [
      { path: '/contacts', label: 'nav.contacts' },
      { path: '/history', label: 'nav.history' },
    ],
  },
  {
    label: 'nav.area.account',
    admin: true,
    items: [
      { path: '/account', label: 'nav.account', admin: true },
      { path: '/webhooks', label: 'nav.webhooks', admin: true },
      { path: '/audit', label: 'nav.audit', admin: true },
    ],
  },
];

const LANGUAGE_LABELS = { de: 'lang.de', en: 'lang.en' };

function current(route, path) {
  return route.path === path || route.path.startsWith(path + '/');
}

export function Shell({ me, route, lang, onLanguage, onLogout, children }) {
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [route.path]);
  const admin = !!me?.user.admin;
  const areas = AREAS.filter((a) => !a.admin || admin).map((a) => ({ ...a, items: a.items.filter((i) => !i.admin || admin) }));
  const skip = (e) => {
    e.preventDefault();
    document.querySelector('main h1, main')?.focus();
  };
  return html`<a class="skip" href="#" onClick=${skip}>${t('nav.skip')}</a>
    <header class="top">
      <div class="brand">
        <a href=${href('/')} class="logo">Switchboard</a>
        ${me && html`<span class="company">${me.account.company}</span>`}
      </div>
      ${me &&
      html`<button type="button" class="menu-toggle" aria-expanded=${open ? 'true' : 'false'} aria-controls="main-nav" onClick=${() => setOpen(!open)}>
        ${t('nav.menu')}
      </button>`}
      <div class="tools">
        <label class="lang">
          <span class="sr">${t('lang.label')}</span>
          <select value=${lang} onChange=${(e) => onLanguage(e.currentTarget.value)}>
            ${LANGUAGES.map((l) => html`<option value=${l} selected=${l === lang}>${t(LANGUAGE_LABELS[l])}</option>`)}
          </select>
        </label>
        ${me &&
        html`<span class="who">${me.user.name}</span>
          <button type="button" class="logout" onClick=${onLogout}>${t('nav.logout')}</button>`}
      </div>
      ${me &&
      html`<nav id="main-nav" class=${open ? 'open' : ''} aria-label=${t('nav.label')}>
        <ul class="areas">
          ${areas.map(
            (a) => html`<li class=${a.items.some((i) => current(route, i.path)) ? 'active' : ''}>
              <span class="area">${t(a.label)}</span>
              <ul>
                ${a.items.map(
                  (i) => html`<li><a href=${href(i.path)} aria-current=${current(route, i.path) ? 'page' : undefined}>${t(i.label)}</a></li>`,
                )}
              </ul>
            </li>`,
          )}
        </ul>
      </nav>`}
    </header>
    <main id="main" tabindex="-1">${children}</main>`;
}
