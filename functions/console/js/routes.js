// Which screen an address shows, and what a user who is not an admin may
// open.
import { useEffect } from 'preact/hooks';
import { t } from './i18n.js';
import { href, navigate } from './router.js';
import { html, Page } from './ui.js';
import { Start } from './screens/start.js';
import { Me } from './screens/me.js';
import { UsersList } from './screens/users.js';
import { UserWizard } from './screens/wizard.js';
import { UserDetail } from './screens/user.js';
import { Phones } from './screens/phones.js';
import { GroupDetail, GroupsList, GroupWizard } from './screens/groups.js';
import { Numbers } from './screens/numbers.js';
import { Contacts } from './screens/contacts.js';
import { AccountSettings, Audit } from './screens/account.js';
import { Webhooks } from './screens/webhooks.js';
import { History } from './screens/history.js';

function Redirect({ to }) {
  useEffect(() => navigate(to), [to]);
  return null;
}

function NotAllowed() {
  return html`<${Page} title=${t('common.notAllowedTitle')}>
    <p>${t('common.notAllowed')}</p>
    <p><a href=${href('/me')}>${t('nav.me')}</a></p>
  <//>`;
}

function NotFound() {
  return html`<${Page} title=${t('common.notFoundTitle')}>
    <p>${t('common.notFound')}</p>
    <p><a href=${href('/')}>${t('common.home')}</a></p>
  <//>`;
}

const ADMIN_ONLY = new Set(['users', 'groups', 'phones', 'numbers', 'account', 'audit', 'webhooks']);

export function screenFor(route, me, refreshMe) {
  const [name = '', id] = route.parts;
  const admin = me.user.admin;
  const p = { me, refreshMe };
  if (name === 'login' || name === 'signup') return html`<${Redirect} to="/" />`;
  if (name === 'users' && id === me.user.id && !admin) return html`<${Redirect} to="/me" />`;
  if (ADMIN_ONLY.has(name) && !admin) return html`<${NotAllowed} />`;
  switch (name) {
    case '':
      return admin ? html`<${Start} ...${p} />` : html`<${Me} ...${p} />`;
    case 'me':
      return html`<${Me} ...${p} />`;
    case 'contacts':
      return html`<${Contacts} ...${p} />`;
    case 'users':
      if (id === 'new') return html`<${UserWizard} ...${p} />`;
      return id ? html`<${UserDetail} key=${id} id=${id} ...${p} />` : html`<${UsersList} ...${p} />`;
    case 'phones':
      return html`<${Phones} ...${p} />`;
    case 'groups':
      if (id === 'new') return html`<${GroupWizard} ...${p} />`;
      return id ? html`<${GroupDetail} key=${id} id=${id} ...${p} />` : html`<${GroupsList} ...${p} />`;
    case 'numbers':
      return html`<${Numbers} ...${p} />`;
    case 'account':
      return html`<${AccountSettings} ...${p} />`;
    case 'audit':
      return html`<${Audit} ...${p} />`;
    case 'webhooks':
      return html`<${Webhooks} ...${p} />`;
    case 'history':
      return html`<${History} ...${p} />`;
    default:
      return html`<${NotFound} />`;
  }
}
