// A user's detail page for admins: master data, numbers and their routing,
// "may change routing", phones, external phones, voicemail and fax,
// groups, and lock, admin rights and delete.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { href, navigate } from '../router.js';
import { announce, Badge, CheckField, ConfirmDialog, ExtensionField, html, Loaded, Page, ProblemAlert, SelectField, TextField, useLoad, usePolling } from '../ui.js';
import { devicesOf, kindLabel, routedTo } from '../data.js';
import { useSubmit } from './auth.js';
import { NumbersSection, OtherEndpoints, PhonesSection } from './endpoints.js';
import { POLL_MS } from './phones.js';

async function loadUser(id) {
  const [user, devices, numbers, groups, extensions] = await Promise.all([
    api.get(`/v1/users/${api.seg(id)}`),
    devicesOf(id),
    api.get('/v1/numbers'),
    api.get('/v1/groups'),
    api.get('/v1/extensions'),
  ]);
  return { user, devices, numbers: numbers.items || [], groups: groups.items || [], extensions: extensions.items || [] };
}

export function UserDetail({ id, me, refreshMe }) {
  const state = useLoad(() => loadUser(id), [id]);
  // Phones come online and go offline while the page is open.
  usePolling(async () => {
    const devices = await devicesOf(id).catch(() => null);
    if (devices) state.set((d) => ({ ...d, devices }));
  }, POLL_MS);
  const title = state.data?.user.name || t('userPage.title');
  return html`<${Page} title=${title}>
    <p><a href=${href('/users')}>${t('userPage.back')}</a></p>
    <${Loaded} state=${state}>${(d) => html`<${UserView} data=${d} me=${me} reload=${state.reload} refreshMe=${refreshMe} />`}<//>
  <//>`;
}

function UserView({ data, me, reload, refreshMe }) {
  const { user, devices, numbers, groups } = data;
  const own = numbers.filter((n) => routedTo(n, user.id, devices));
  const self = user.id === me.user.id;
  async function change(body, note) {
    try {
      await api.patch(`/v1/users/${api.seg(user.id)}`, body);
      announce(note);
      reload();
      if (self) refreshMe();
    } catch (err) {
      announce(err.errors?.[0]?.message || err.detail || t('problem.generic'), 'error');
    }
  }
  return html`<p class="badges">
      <span class="mono muted">${user.fullId}</span>
      ${user.admin && html`<${Badge} kind="admin">${t('users.admin')}<//>`}
      ${user.locked && html`<${Badge} kind="off">${t('users.locked')}<//>`}
    </p>
    <div class="grid">
      <${Profile} user=${user} extensions=${data.extensions} digits=${me.account.extensionDigits} onSaved=${() => (reload(), self && refreshMe())} />
      <section class="card" aria-labelledby="sec-rights">
        <h2 id="sec-rights">${t('userPage.rights')}</h2>
        <${CheckField}
          name="mayChangeRouting"
          label=${t('userPage.mayChangeRouting')}
          checked=${user.mayChangeRouting}
          onChange=${(on) => change({ mayChangeRouting: on }, on ? t('userPage.mayRouteOn') : t('userPage.mayRouteOff'))}
        />
        ${!self &&
        html`<div class="buttons">
          <button type="button" onClick=${() => change({ admin: !user.admin }, user.admin ? t('userPage.adminRevoked') : t('userPage.adminGranted'))}>
            ${user.admin ? t('userPage.revokeAdmin') : t('userPage.makeAdmin')}
          </button>
          <button type="button" onClick=${() => change({ locked: !user.locked }, user.locked ? t('userPage.unlockedNote') : t('userPage.lockedNote'))}>
            ${user.locked ? t('userPage.unlock') : t('userPage.lock')}
          </button>
        </div>
        <p class="hint">${t('userPage.lockHint')}</p>`}
      </section>
    </div>
    <${NumbersSection} user=${user} devices=${devices} numbers=${own} allNumbers=${numbers} admin canRoute onChanged=${reload} />
    <${PhonesSection} user=${user} devices=${devices} admin onChanged=${reload} />
    <${OtherEndpoints} user=${user} devices=${devices} admin onChanged=${reload} />
    <${Memberships} user=${user} groups=${groups} onChanged=${reload} />
    ${!self && html`<${DeleteUser} user=${user} devices=${devices} numbers=${own} groups=${groups.filter((g) => (g.members || []).includes(user.id))} />`}`;
}

function Profile({ user, extensions, digits, onSaved }) {
  const [v, setV] = useState({ name: user.name, email: user.email, location: user.location || '', extension: user.extension || '' });
  const set = (k) => (x) => setV({ ...v, [k]: x });
  const f = useSubmit(async () => {
    const body = {};
    for (const k of ['name', 'email', 'location', 'extension']) if (v[k].trim() !== (user[k] || '')) body[k] = v[k].trim();
    if (!Object.keys(body).length) return;
    await api.patch(`/v1/users/${api.seg(user.id)}`, body);
    announce(t('common.saved'));
    onSaved();
  });
  const others = extensions.filter((x) => x.owner !== user.id);
  return html`<section class="card" aria-labelledby="sec-profile">
    <h2 id="sec-profile">${t('userPage.profile')}</h2>
    <form ref=${f.ref} onSubmit=${f.onSubmit} novalidate>
      <${TextField} name="name" label=${t('users.name')} value=${v.name} onInput=${set('name')} error=${f.errors.name} required />
      <${TextField} name="email" type="email" label=${t('users.email')} value=${v.email} onInput=${set('email')} error=${f.errors.email} required />
      <${TextField} name="location" label=${t('users.location')} value=${v.location} onInput=${set('location')} error=${f.errors.location} />
      <${ExtensionField} value=${v.extension} onInput=${set('extension')} error=${f.errors.extension} extensions=${others} digits=${digits} />
      <${ProblemAlert} problem=${f.problem} fields=${['name', 'email', 'location', 'extension']} />
      <div class="buttons"><button type="submit" class="primary" disabled=${f.busy}>${t('common.save')}</button></div>
    </form>
  </section>`;
}

function Memberships({ user, groups, onChanged }) {
  const member = groups.filter((g) => (g.members || []).includes(user.id));
  const others = groups.filter((g) => !(g.members || []).includes(user.id));
  const [pick, setPick] = useState('');
  const [problem, setProblem] = useState(null);
  async function run(fn, note) {
    setProblem(null);
    try {
      await fn();
      announce(note);
      setPick('');
      onChanged();
    } catch (err) {
      setProblem(err);
    }
  }
  const chosen = pick || others[0]?.id || '';
  return html`<section class="card" aria-labelledby="sec-groups">
    <h2 id="sec-groups">${t('userPage.groups')}</h2>
    ${member.length === 0
      ? html`<p>${t('userPage.noGroups')}</p>`
      : html`<ul class="rows">
          ${member.map(
            (g) => html`<li>
              <a href=${href('/groups/' + g.id)}>${g.name}</a>
              <span class="row-actions">
                <button
                  type="button"
                  class="small"
                  aria-label=${t('userPage.leaveGroup', { group: g.name })}
                  onClick=${() => run(() => api.del(`/v1/groups/${api.seg(g.id)}/members/${api.seg(user.id)}`), t('userPage.leftGroup', { group: g.name }))}
                >
                  ${t('common.remove')}
                </button>
              </span>
            </li>`,
          )}
        </ul>`}
    ${others.length > 0 &&
    html`<div class="inline-form">
      <${SelectField} id="join-group" name="group" label=${t('userPage.joinGroup')} value=${chosen} onChange=${setPick} options=${others.map((g) => ({ value: g.id, label: g.name }))} />
      <button type="button" onClick=${() => run(() => api.post(`/v1/groups/${api.seg(chosen)}/members`, { userId: user.id }), t('userPage.joinedGroup'))}>${t('common.add')}</button>
    </div>`}
    <${ProblemAlert} problem=${problem} />
  </section>`;
}

function DeleteUser({ user, devices, numbers, groups }) {
  const [open, setOpen] = useState(false);
  const list = (items) => items.join(', ');
  return html`<section class="card danger-zone" aria-labelledby="sec-delete">
    <h2 id="sec-delete">${t('userPage.delete')}</h2>
    <button type="button" class="danger" onClick=${() => setOpen(true)}>${t('userPage.deleteButton', { name: user.name })}</button>
    ${open &&
    html`<${ConfirmDialog}
      title=${t('userPage.deleteTitle', { name: user.name })}
      confirmLabel=${t('userPage.deleteConfirm')}
      onClose=${() => setOpen(false)}
      onConfirm=${async () => {
        await api.del(`/v1/users/${api.seg(user.id)}`);
        announce(t('userPage.deleted', { name: user.name }));
        navigate('/users');
      }}
    >
      <p>${t('userPage.deleteIntro', { name: user.name, email: user.email })}</p>
      <ul class="goes">
        ${devices.length > 0 && html`<li>${t('userPage.deleteDevices', { list: list(devices.map((d) => `${d.name} (${kindLabel(d.kind)})`)) })}</li>`}
        ${user.extension && html`<li>${t('userPage.deleteExtension', { extension: user.extension })}</li>`}
        ${numbers.length > 0 && html`<li>${t('userPage.deleteNumbers', { list: list(numbers.map((n) => n.number)) })}</li>`}
        ${groups.length > 0 && html`<li>${t('userPage.deleteGroups', { list: list(groups.map((g) => g.name)) })}</li>`}
        <li>${t('userPage.deleteLogin')}</li>
      </ul>
      <p>${t('userPage.deleteFinal')}</p>
    <//>`}
  </section>`;
}
