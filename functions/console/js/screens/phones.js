// Every phone of the account, by user, with its status kept current by
// polling the API every few seconds.
import * as api from '../api.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import { html, Loaded, Page, useLoad, usePolling } from '../ui.js';
import { devicesOf } from '../data.js';
import { PhoneCard } from './phone.js';

// POLL_MS is how often the status of phones is read again.
export const POLL_MS = 4000;

async function phonesOf(users) {
  const devices = await Promise.all(users.map((u) => devicesOf(u.id)));
  return users.map((u, i) => ({ user: u, phones: devices[i].filter((d) => d.kind === 'phone') })).filter((x) => x.phones.length);
}

export function Phones() {
  const state = useLoad(async () => phonesOf(await api.all('/v1/users')));
  // The status is read again for the users already shown; a reload (after
  // a change on this page) also finds new users.
  usePolling(async () => {
    const users = (state.data || []).map((x) => x.user);
    const fresh = await phonesOf(users).catch(() => null);
    if (fresh) state.set(() => fresh);
  }, POLL_MS);
  return html`<${Page} title=${t('phones.title')} intro=${t('phones.intro')}>
    <${Loaded} state=${state}>
      ${(byUser) =>
        byUser.length === 0
          ? html`<p>${t('phones.none')} <a href=${href('/users/new')}>${t('users.add')}</a></p>`
          : byUser.map(
              ({ user, phones }) => html`<section class="phones-of" aria-labelledby=${'phones-' + user.id}>
                <h2 id=${'phones-' + user.id}><a href=${href('/users/' + user.id)}>${user.name}</a></h2>
                <div class="cards">
                  ${phones.map((d) => html`<${PhoneCard} key=${d.id} device=${d} onChanged=${state.reload} onDeleted=${state.reload} canDelete />`)}
                </div>
              </section>`,
            )}
    <//>
  <//>`;
}
