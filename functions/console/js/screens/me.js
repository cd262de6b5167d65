// "Me": what every user manages alone: the own name, phones and their SIP
// credentials, the routing of the own numbers (when the admin permits it),
// external phones, and personal access tokens for the API.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { announce, ConfirmDialog, CopyButton, html, Loaded, Page, ProblemAlert, SelectField, TextField, useLoad, usePolling } from '../ui.js';
import { devicesOf, routedTo } from '../data.js';
import { useSubmit } from './auth.js';
import { NumbersSection, OtherEndpoints, PhonesSection } from './endpoints.js';
import { POLL_MS } from './phones.js';

async function loadMe(id) {
  const [user, devices, numbers] = await Promise.all([api.get(`/v1/users/${api.seg(id)}`), devicesOf(id), api.get('/v1/numbers')]);
  return { user, devices, numbers: numbers.items || [] };
}

export function Me({ me, refreshMe }) {
  const state = useLoad(() => loadMe(me.user.id), [me.user.id]);
  usePolling(async () => {
    const devices = await devicesOf(me.user.id).catch(() => null);
    if (devices) state.set((d) => ({ ...d, devices }));
  }, POLL_MS);
  return html`<${Page} title=${t('me.title')} intro=${t('me.intro')}>
    <${Loaded} state=${state}>
      ${(d) => {
        const own = d.numbers.filter((n) => routedTo(n, d.user.id, d.devices));
        const canRoute = d.user.admin || d.user.mayChangeRouting;
        return html`<div class="grid">
            <${MyProfile} user=${d.user} onSaved=${() => (state.reload(), refreshMe())} />
            <${NumbersSection} user=${d.user} devices=${d.devices} numbers=${own} allNumbers=${d.numbers} canRoute=${canRoute} onChanged=${state.reload} />
          </div>
          <${PhonesSection} user=${d.user} devices=${d.devices} onChanged=${state.reload} />
          <${OtherEndpoints} user=${d.user} devices=${d.devices} onChanged=${state.reload} />
          <${Tokens} me=${me} />`;
      }}
    <//>
  <//>`;
}

function MyProfile({ user, onSaved }) {
  const [name, setName] = useState(user.name);
  const f = useSubmit(async () => {
    await api.patch(`/v1/users/${api.seg(user.id)}`, { name: name.trim() });
    announce(t('common.saved'));
    onSaved();
  });
  return html`<section class="card" aria-labelledby="sec-me">
    <h2 id="sec-me">${t('userPage.profile')}</h2>
    <form ref=${f.ref} onSubmit=${f.onSubmit} novalidate>
      <${TextField} id="me-name" name="name" label=${t('users.name')} value=${name} onInput=${setName} error=${f.errors.name} required />
      <dl class="facts">
        <dt>${t('users.email')}</dt><dd>${user.email}</dd>
        <dt>${t('users.extension')}</dt><dd class="mono">${user.extension || '–'}</dd>
        <dt>${t('users.location')}</dt><dd>${user.location || '–'}</dd>
        <dt>${t('me.role')}</dt><dd>${user.admin ? t('users.admin') : t('me.user')}</dd>
      </dl>
      <${ProblemAlert} problem=${f.problem} fields=${['name']} />
      <div class="buttons"><button type="submit" class="primary" disabled=${f.busy}>${t('common.save')}</button></div>
    </form>
  </section>`;
}

const EXPIRIES = [
  { value: '0', label: 'tokens.never' },
  { value: '30', label: 'tokens.days30' },
  { value: '90', label: 'tokens.days90' },
  { value: '365', label: 'tokens.days365' },
];

// Tokens are personal access tokens: the secret is shown once, right after
// it is created.
function Tokens({ me }) {
  const state = useLoad(async () => ((await api.get('/v1/tokens')).items || []).filter((x) => x.userId === me.user.id));
  const [name, setName] = useState('');
  const [days, setDays] = useState('0');
  const [created, setCreated] = useState(null);
  const [revoking, setRevoking] = useState(null);
  const f = useSubmit(async () => {
    const tok = await api.post('/v1/tokens', { name: name.trim(), expiresInDays: Number(days) });
    setCreated(tok);
    setName('');
    state.reload();
  });
  return html`<section class="card" aria-labelledby="sec-tokens">
    <h2 id="sec-tokens">${t('tokens.title')}</h2>
    <p class="hint">${t('tokens.intro')}</p>
    ${created &&
    html`<div class="secret-box" role="status">
      <p><strong>${t('tokens.createdTitle', { name: created.name })}</strong></p>
      <p>${t('tokens.onlyOnce')}</p>
      <p><code class="mono" data-token-secret>${created.secret}</code> <${CopyButton} text=${created.secret} what=${t('tokens.secret')} /></p>
      <button type="button" class="small" onClick=${() => setCreated(null)}>${t('tokens.hide')}</button>
    </div>`}
    <${Loaded} state=${state}>
      ${(tokens) =>
        tokens.length === 0
          ? html`<p>${t('tokens.none')}</p>`
          : html`<ul class="rows">
              ${tokens.map(
                (x) => html`<li>
                  <span><strong>${x.name}</strong> <span class="mono muted">${x.id}</span></span>
                  <span class="muted">${t('tokens.created', { date: formatDateTime(x.createdAt) })}${x.expiresAt ? ' · ' + t('tokens.expires', { date: formatDateTime(x.expiresAt) }) : ''}</span>
                  <span class="row-actions"><button type="button" class="small" onClick=${() => setRevoking(x)} aria-label=${t('tokens.revokeWhat', { name: x.name })}>${t('tokens.revoke')}</button></span>
                </li>`,
              )}
            </ul>`}
    <//>
    <form ref=${f.ref} onSubmit=${f.onSubmit} novalidate class="inline-form">
      <${TextField} id="token-name" name="name" label=${t('tokens.name')} value=${name} onInput=${setName} error=${f.errors.name} hint=${t('tokens.nameHint')} required />
      <${SelectField} id="token-expiry" name="expiresInDays" label=${t('tokens.expiry')} value=${days} onChange=${setDays} options=${EXPIRIES.map((e) => ({ value: e.value, label: t(e.label) }))} error=${f.errors.expiresInDays} />
      <button type="submit" disabled=${f.busy}>${t('tokens.create')}</button>
    </form>
    <${ProblemAlert} problem=${f.problem} fields=${['name', 'expiresInDays']} />
    ${revoking &&
    html`<${ConfirmDialog}
      title=${t('tokens.revokeTitle', { name: revoking.name })}
      confirmLabel=${t('tokens.revoke')}
      onClose=${() => setRevoking(null)}
      onConfirm=${async () => {
        await api.del(`/v1/tokens/${api.seg(revoking.id)}`);
        announce(t('tokens.revoked', { name: revoking.name }));
        setRevoking(null);
        state.reload();
      }}
    >
      <p>${t('tokens.revokeText')}</p>
    <//>`}
  </section>`;
}
