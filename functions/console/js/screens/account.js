// Account settings (company, plan, length of extensions) and the audit
// trail: both for admins.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { formatCount, formatDate, formatDateTime, formatMoney, t } from '../i18n.js';
import { announce, html, Loaded, Page, ProblemAlert, SelectField, TextField, useLoad } from '../ui.js';
import { planOptions, useSubmit } from './auth.js';

export function AccountSettings({ refreshMe }) {
  const state = useLoad(() => api.get('/v1/account'));
  return html`<${Page} title=${t('settings.title')}>
    <${Loaded} state=${state}>${(a) => html`<${AccountForm} account=${a} onSaved=${() => (state.reload(), refreshMe())} />`}<//>
  <//>`;
}

function AccountForm({ account: a, onSaved }) {
  const [v, setV] = useState({ company: a.company, plan: a.plan.id, min: String(a.extensionDigits.min), max: String(a.extensionDigits.max) });
  const set = (k) => (x) => setV({ ...v, [k]: x });
  const f = useSubmit(async () => {
    const body = {};
    if (v.company.trim() !== a.company) body.company = v.company.trim();
    if (v.plan !== a.plan.id) body.plan = v.plan;
    if (Number(v.min) !== a.extensionDigits.min || Number(v.max) !== a.extensionDigits.max) body.extensionDigits = { min: Number(v.min), max: Number(v.max) };
    if (!Object.keys(body).length) return;
    await api.patch('/v1/account', body);
    announce(t('common.saved'));
    onSaved();
  });
  const digitErr = f.errors['extensionDigits.min'] || f.errors['extensionDigits.max'] || f.errors.extensionDigits;
  return html`<div class="grid">
    <section class="card" aria-labelledby="sec-contract">
      <h2 id="sec-contract">${t('settings.contract')}</h2>
      <dl class="facts">
        <dt>${t('settings.id')}</dt><dd class="mono">${a.id}</dd>
        <dt>${t('settings.plan')}</dt><dd>${a.plan.name}</dd>
        <dt>${t('settings.price')}</dt><dd>${t('settings.perMonth', { price: formatMoney(a.plan.priceCents) })}</dd>
        <dt>${t('settings.limits')}</dt><dd>${t('settings.usage', { users: formatCount(a.users), maxUsers: formatCount(a.plan.users), groups: formatCount(a.groups), maxGroups: formatCount(a.plan.groups) })}</dd>
        <dt>${t('settings.voucher')}</dt><dd>${t('settings.voucherText', { landline: formatCount(a.voucher.landlineMinutes), mobile: formatCount(a.voucher.mobileMinutes) })}</dd>
        <dt>${t('settings.since')}</dt><dd>${formatDate(a.createdAt)}</dd>
      </dl>
    </section>
    <section class="card" aria-labelledby="sec-settings">
      <h2 id="sec-settings">${t('settings.settings')}</h2>
      <form ref=${f.ref} onSubmit=${f.onSubmit} novalidate>
        <${TextField} name="company" label=${t('auth.company')} value=${v.company} onInput=${set('company')} error=${f.errors.company} required />
        <${SelectField} name="plan" label=${t('settings.changePlan')} value=${v.plan} onChange=${set('plan')} options=${planOptions()} error=${f.errors.plan} hint=${t('settings.planHint')} />
        <fieldset>
          <legend>${t('settings.digits')}</legend>
          <div class="row">
            <${TextField} name="extensionDigits.min" type="number" min="2" max="6" inputmode="numeric" label=${t('settings.digitsMin')} value=${v.min} onInput=${set('min')} error=${f.errors['extensionDigits.min']} />
            <${TextField} name="extensionDigits.max" type="number" min="2" max="6" inputmode="numeric" label=${t('settings.digitsMax')} value=${v.max} onInput=${set('max')} error=${f.errors['extensionDigits.max']} />
          </div>
          <p class="hint">${t('settings.digitsHint')}</p>
          ${digitErr && !f.errors['extensionDigits.min'] && !f.errors['extensionDigits.max'] && html`<p class="error">${digitErr}</p>`}
        </fieldset>
        <${ProblemAlert} problem=${f.problem} fields=${['company', 'plan', 'extensionDigits']} />
        <div class="buttons"><button type="submit" class="primary" disabled=${f.busy}>${t('common.save')}</button></div>
      </form>
    </section>
  </div>`;
}

// ACTIONS names the audit trail's actions in the user's language; an action
// not listed here shows as the API names it.
const ACTIONS = {
  'account.create': 'audit.a.accountCreate',
  'account.update': 'audit.a.accountUpdate',
  'contact.create': 'audit.a.contactCreate',
  'contact.update': 'audit.a.contactUpdate',
  'contact.delete': 'audit.a.contactDelete',
  'device.create': 'audit.a.deviceCreate',
  'device.update': 'audit.a.deviceUpdate',
  'device.delete': 'audit.a.deviceDelete',
  'device.password': 'audit.a.devicePassword',
  'group.create': 'audit.a.groupCreate',
  'group.update': 'audit.a.groupUpdate',
  'group.delete': 'audit.a.groupDelete',
  'group.members': 'audit.a.groupMembers',
  'number.route': 'audit.a.numberRoute',
  'token.create': 'audit.a.tokenCreate',
  'token.revoke': 'audit.a.tokenRevoke',
  'user.create': 'audit.a.userCreate',
  'user.update': 'audit.a.userUpdate',
  'user.delete': 'audit.a.userDelete',
  'user.password': 'audit.a.userPassword',
};

export function Audit() {
  const [pages, setPages] = useState([]);
  const [next, setNext] = useState('');
  const users = useLoad(() => api.all('/v1/users'));
  const first = useLoad(async () => {
    const res = await api.get('/v1/audit?limit=50');
    setPages([res.items || []]);
    setNext(res.next || '');
    return true;
  });
  const [problem, setProblem] = useState(null);
  async function more() {
    setProblem(null);
    try {
      const res = await api.get('/v1/audit?limit=50&cursor=' + encodeURIComponent(next));
      setPages([...pages, res.items || []]);
      setNext(res.next || '');
    } catch (err) {
      setProblem(err);
    }
  }
  const name = new Map((users.data || []).map((u) => [u.id, u.name]));
  const who = (id) => (name.has(id) ? `${name.get(id)} (${id})` : id);
  return html`<${Page} title=${t('audit.title')} intro=${t('audit.intro')}>
    <${Loaded} state=${first}>
      ${() => html`<table class="list">
          <caption class="sr">${t('audit.title')}</caption>
          <thead><tr><th scope="col">${t('audit.time')}</th><th scope="col">${t('audit.actor')}</th><th scope="col">${t('audit.action')}</th><th scope="col">${t('audit.target')}</th><th scope="col">${t('audit.summary')}</th></tr></thead>
          <tbody>
            ${pages.flat().map(
              (e) => html`<tr>
                <td data-label=${t('audit.time')} class="nowrap">${formatDateTime(e.time)}</td>
                <td data-label=${t('audit.actor')}>${who(e.actor)}</td>
                <td data-label=${t('audit.action')}>${ACTIONS[e.action] ? t(ACTIONS[e.action]) : e.action}</td>
                <td data-label=${t('audit.target')}>${who(e.target)}</td>
                <td data-label=${t('audit.summary')}>${e.summary || ''}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${next && html`<div class="buttons"><button type="button" onClick=${more}>${t('audit.more')}</button></div>`}
        <${ProblemAlert} problem=${problem} />`}
    <//>
  <//>`;
}
