// The admin's start screen: what the new account comes with, and the
// guide's setup in four steps.
import * as api from '../api.js';
import { formatCount, t } from '../i18n.js';
import { href } from '../router.js';
import { html, Loaded, Page, useLoad } from '../ui.js';

export function Start({ me }) {
  const state = useLoad(async () => {
    const numbers = await api.get('/v1/numbers');
    return { numbers: numbers.items || [] };
  });
  const a = me.account;
  const steps = [
    { title: 'start.step.numbers', text: 'start.step.numbersText', link: '/numbers', action: 'start.step.numbersAction' },
    { title: 'start.step.users', text: 'start.step.usersText', link: '/users/new', action: 'start.step.usersAction' },
    { title: 'start.step.groups', text: 'start.step.groupsText', link: '/groups/new', action: 'start.step.groupsAction' },
    { title: 'start.step.phones', text: 'start.step.phonesText', link: '/phones', action: 'start.step.phonesAction' },
  ];
  return html`<${Page} title=${t('start.title', { name: me.user.name })} intro=${t('start.intro')}>
    <section class="card" aria-labelledby="start-account">
      <h2 id="start-account">${t('start.account')}</h2>
      <dl class="facts">
        <dt>${t('settings.plan')}</dt><dd>${a.plan.name}</dd>
        <dt>${t('settings.id')}</dt><dd class="mono">${a.id}</dd>
        <dt>${t('settings.voucher')}</dt><dd>${t('settings.voucherText', { landline: formatCount(a.voucher.landlineMinutes), mobile: formatCount(a.voucher.mobileMinutes) })}</dd>
        <dt>${t('start.counts')}</dt><dd>${t('settings.usage', { users: formatCount(a.users), maxUsers: formatCount(a.plan.users), groups: formatCount(a.groups), maxGroups: formatCount(a.plan.groups) })}</dd>
      </dl>
      <${Loaded} state=${state}>
        ${(d) => html`<h3>${t('start.testNumbers')}</h3>
          <ul class="plain">${d.numbers.filter((n) => n.test).map((n) => html`<li class="mono">${n.number}</li>`)}</ul>`}
      <//>
    </section>
    <section aria-labelledby="start-steps">
      <h2 id="start-steps">${t('start.quick')}</h2>
      <ol class="quick">
        ${steps.map(
          (s) => html`<li class="card">
            <h3>${t(s.title)}</h3>
            <p>${t(s.text)}</p>
            <a class="button" href=${href(s.link)}>${t(s.action)}</a>
          </li>`,
        )}
      </ol>
    </section>
  <//>`;
}
