// The users of the account, with a search over name, e-mail and extension.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import { Badge, html, Loaded, Page, useLoad } from '../ui.js';

export function matches(query, ...fields) {
  const q = query.trim().toLowerCase();
  return !q || fields.some((f) => (f || '').toLowerCase().includes(q));
}

export function Search({ value, onInput, label, id }) {
  return html`<div class="search field">
    <label for=${id}>${label}</label>
    <input id=${id} type="search" value=${value} onInput=${(e) => onInput(e.currentTarget.value)} />
  </div>`;
}

export function UsersList() {
  const state = useLoad(() => api.all('/v1/users'));
  const [query, setQuery] = useState('');
  return html`<${Page} title=${t('users.title')} actions=${html`<a class="button primary" href=${href('/users/new')}>${t('users.add')}</a>`}>
    <${Search} id="user-search" label=${t('common.search')} value=${query} onInput=${setQuery} />
    <${Loaded} state=${state}>
      ${(users) => {
        const shown = users.filter((u) => matches(query, u.name, u.email, u.extension, u.location));
        return html`<p class="count" role="status">${t('users.count', { shown: shown.length, total: users.length })}</p>
          <table class="list">
            <caption class="sr">${t('users.title')}</caption>
            <thead><tr><th scope="col">${t('users.name')}</th><th scope="col">${t('users.email')}</th><th scope="col">${t('users.extension')}</th><th scope="col">${t('users.location')}</th><th scope="col">${t('users.status')}</th></tr></thead>
            <tbody>
              ${shown.map(
                (u) => html`<tr>
                  <td data-label=${t('users.name')}><a href=${href('/users/' + u.id)}>${u.name}</a></td>
                  <td data-label=${t('users.email')}>${u.email}</td>
                  <td data-label=${t('users.extension')} class="mono">${u.extension || '–'}</td>
                  <td data-label=${t('users.location')}>${u.location || '–'}</td>
                  <td data-label=${t('users.status')}>
                    ${u.admin && html`<${Badge} kind="admin">${t('users.admin')}<//>`}
                    ${u.locked ? html`<${Badge} kind="off">${t('users.locked')}<//>` : html`<${Badge}>${t('users.active')}<//>`}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>`;
      }}
    <//>
  <//>`;
}
