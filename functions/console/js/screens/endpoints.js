// The parts of a user's page that the admin's user detail and the user's
// own page share: numbers with their routing, phones, external phones,
// voicemail and fax.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { announce, CheckField, ConfirmDialog, FormDialog, html, SelectField, TextField } from '../ui.js';
import { kindLabel, numberLabel, unassigned } from '../data.js';
import { PhoneCard } from './phone.js';

function routeNumber(number, route) {
  return api.patch(`/v1/numbers/${api.seg(number)}`, { route });
}

// userRouting words how a number of the user rings.
function userRouting(n, devices) {
  const r = n.route || {};
  if (r.kind === 'user' && r.device) {
    const d = devices.find((x) => x.id === r.device);
    return t('userPage.ringsOne', { phone: d?.name || r.device });
  }
  if (r.kind === 'user') return t('userPage.ringsAll');
  const d = devices.find((x) => x.id === r.target);
  if (d && d.name === kindLabel(d.kind)) return t('userPage.ringsEndpointNamed', { name: d.name });
  return t('userPage.ringsEndpoint', { kind: kindLabel(d?.kind), name: d?.name || r.target });
}

// NumbersSection lists the numbers that ring the user. Admins add and
// remove numbers; the routing may be changed by admins and by the user
// when permitted.
export function NumbersSection({ user, devices, numbers, allNumbers, admin, canRoute, onChanged }) {
  const [dialog, setDialog] = useState(null);
  const close = () => setDialog(null);
  async function remove(n) {
    try {
      await routeNumber(n.number, { kind: 'none' });
      announce(t('userPage.numberRemoved', { number: n.number }));
      onChanged();
    } catch (err) {
      announce(err.detail || t('problem.generic'), 'error');
    }
  }
  return html`<section class="card" aria-labelledby="sec-numbers">
    <div class="section-head">
      <h2 id="sec-numbers">${t('userPage.numbers')}</h2>
      ${admin && html`<button type="button" onClick=${() => setDialog({ add: true })}>${t('userPage.addNumber')}</button>`}
    </div>
    ${numbers.length === 0
      ? html`<p>${t('userPage.noNumbers')}</p>`
      : html`<ul class="rows">
          ${numbers.map(
            (n) => html`<li>
              <span class="mono">${numberLabel(n)}</span>
              <span class="routing">${userRouting(n, devices)}</span>
              <span class="row-actions">
                ${canRoute && html`<button type="button" class="small" onClick=${() => setDialog({ number: n })} aria-label=${t('userPage.changeRoutingOf', { number: n.number })}>${t('userPage.changeRouting')}</button>`}
                ${admin && html`<button type="button" class="small" onClick=${() => remove(n)} aria-label=${t('userPage.removeNumberOf', { number: n.number })}>${t('common.remove')}</button>`}
              </span>
            </li>`,
          )}
        </ul>`}
    ${!canRoute && !admin && numbers.length > 0 && html`<p class="hint">${t('userPage.routingNotPermitted')}</p>`}
    ${dialog?.number && html`<${RoutingDialog} user=${user} number=${dialog.number} devices=${devices} onClose=${close} onChanged=${onChanged} />`}
    ${dialog?.add && html`<${AddNumberDialog} user=${user} numbers=${allNumbers} onClose=${close} onChanged=${onChanged} />`}
  </section>`;
}

function RoutingDialog({ user, number, devices, onClose, onChanged }) {
  const phones = devices.filter((d) => d.kind === 'phone');
  const [mode, setMode] = useState(number.route?.kind === 'user' && number.route.device ? 'one' : 'all');
  const [device, setDevice] = useState(number.route?.device || phones[0]?.id || '');
  return html`<${FormDialog}
    title=${t('userPage.routingOf', { number: number.number })}
    submitLabel=${t('common.save')}
    fields=${['route.device', 'route']}
    onClose=${onClose}
    onSubmit=${async () => {
      const route = { kind: 'user', target: user.id };
      if (mode === 'one') route.device = device;
      await routeNumber(number.number, route);
      announce(t('common.saved'));
      onChanged();
      onClose();
    }}
  >
    ${(errors) => html`<fieldset>
        <legend>${t('userPage.routingRings')}</legend>
        <${CheckField} radio group="ring" id="ring-all" value="all" label=${t('userPage.ringAll')} checked=${mode === 'all'} onChange=${() => setMode('all')} />
        <${CheckField} radio group="ring" id="ring-one" value="one" label=${t('userPage.ringOne')} checked=${mode === 'one'} disabled=${!phones.length} onChange=${() => setMode('one')} />
      </fieldset>
      ${mode === 'one' &&
      html`<${SelectField} id="ring-device" name="route.device" label=${t('userPage.whichPhone')} value=${device} onChange=${setDevice} options=${phones.map((p) => ({ value: p.id, label: p.name }))} error=${errors['route.device']} />`}
      <p class="hint">${t('userPage.routingHint')}</p>`}
  <//>`;
}

function AddNumberDialog({ user, numbers, onClose, onChanged }) {
  const free = unassigned(numbers);
  const [number, setNumber] = useState(free[0]?.number || '');
  if (!free.length) {
    return html`<${ConfirmDialog} title=${t('userPage.addNumber')} confirmLabel=${t('common.close')} danger=${false} onClose=${onClose} onConfirm=${onClose}>
      <p>${t('userPage.noFreeNumbers')}</p>
    <//>`;
  }
  return html`<${FormDialog}
    title=${t('userPage.addNumber')}
    submitLabel=${t('userPage.assign')}
    fields=${['route']}
    onClose=${onClose}
    onSubmit=${async () => {
      await routeNumber(number, { kind: 'user', target: user.id });
      announce(t('userPage.numberAdded', { number }));
      onChanged();
      onClose();
    }}
  >
    <${SelectField} id="add-number" name="number" label=${t('wizard.number')} value=${number} onChange=${setNumber} options=${free.map((n) => ({ value: n.number, label: numberLabel(n) }))} autofocus />
    <p class="hint">${t('userPage.addNumberHint')}</p>
  <//>`;
}

// PhonesSection shows the user's phones; admins add phones.
export function PhonesSection({ user, devices, admin, onChanged }) {
  const [adding, setAdding] = useState(false);
  const phones = devices.filter((d) => d.kind === 'phone');
  return html`<section class="card" aria-labelledby="sec-phones">
    <div class="section-head">
      <h2 id="sec-phones">${t('userPage.phones')}</h2>
      ${admin && html`<button type="button" onClick=${() => setAdding(true)}>${t('userPage.addPhone')}</button>`}
    </div>
    ${phones.length === 0 ? html`<p>${t('userPage.noPhones')}</p>` : html`<div class="cards">${phones.map((d) => html`<${PhoneCard} key=${d.id} device=${d} onChanged=${onChanged} onDeleted=${onChanged} canDelete=${admin} />`)}</div>`}
    ${adding && html`<${AddDeviceDialog} user=${user} kind="phone" onClose=${() => setAdding(false)} onChanged=${onChanged} />`}
  </section>`;
}

function AddDeviceDialog({ user, kind, onClose, onChanged }) {
  const [name, setName] = useState('');
  const [number, setNumber] = useState('');
  const external = kind === 'external';
  return html`<${FormDialog}
    title=${external ? t('userPage.addExternal') : t('userPage.addPhone')}
    submitLabel=${t('common.add')}
    fields=${['name', 'number']}
    onClose=${onClose}
    onSubmit=${async () => {
      const body = { kind };
      if (name.trim()) body.name = name.trim();
      if (external) body.number = number.trim();
      const d = await api.post(`/v1/users/${api.seg(user.id)}/devices`, body);
      announce(t('userPage.deviceAdded', { name: d.name }));
      onChanged();
      onClose();
    }}
  >
    ${(errors) => html`<${TextField} id="device-name" name="name" label=${t('phone.name')} value=${name} onInput=${setName} error=${errors.name} autofocus />
      ${external && html`<${TextField} id="device-number" name="number" type="tel" label=${t('wizard.externalNumber')} value=${number} onInput=${setNumber} error=${errors.number} hint=${t('wizard.externalNumberHint')} required />`}`}
  <//>`;
}

function EditExternalDialog({ device, onClose, onChanged }) {
  const [name, setName] = useState(device.name);
  const [number, setNumber] = useState(device.number || '');
  return html`<${FormDialog}
    title=${t('userPage.editExternal', { name: device.name })}
    submitLabel=${t('common.save')}
    fields=${['name', 'number']}
    onClose=${onClose}
    onSubmit=${async () => {
      await api.patch(`/v1/devices/${api.seg(device.id)}`, { name: name.trim(), number: number.trim() });
      announce(t('common.saved'));
      onChanged();
      onClose();
    }}
  >
    ${(errors) => html`<${TextField} id="ext-name" name="name" label=${t('phone.name')} value=${name} onInput=${setName} error=${errors.name} required autofocus />
      <${TextField} id="ext-number" name="number" type="tel" label=${t('wizard.externalNumber')} value=${number} onInput=${setNumber} error=${errors.number} required />`}
  <//>`;
}

// OtherEndpoints lists external phones, voicemail and fax.
export function OtherEndpoints({ user, devices, admin, onChanged }) {
  const [dialog, setDialog] = useState(null);
  const close = () => setDialog(null);
  const others = devices.filter((d) => d.kind !== 'phone');
  const has = (kind) => devices.some((d) => d.kind === kind);
  async function add(kind) {
    try {
      const d = await api.post(`/v1/users/${api.seg(user.id)}/devices`, { kind });
      announce(t('userPage.deviceAdded', { name: d.name }));
      onChanged();
    } catch (err) {
      announce(err.detail || t('problem.generic'), 'error');
    }
  }
  return html`<section class="card" aria-labelledby="sec-endpoints">
    <div class="section-head">
      <h2 id="sec-endpoints">${t('userPage.endpoints')}</h2>
      ${admin &&
      html`<div class="actions">
        <button type="button" onClick=${() => setDialog({ add: 'external' })}>${t('userPage.addExternal')}</button>
        ${!has('voicemail') && html`<button type="button" onClick=${() => add('voicemail')}>${t('userPage.addVoicemail')}</button>`}
        ${!has('fax') && html`<button type="button" onClick=${() => add('fax')}>${t('userPage.addFax')}</button>`}
      </div>`}
    </div>
    <p class="hint">${t('userPage.externalHint')}</p>
    ${others.length === 0
      ? html`<p>${t('userPage.noEndpoints')}</p>`
      : html`<ul class="rows">
          ${others.map(
            (d) => html`<li>
              <span><strong>${d.name}</strong> <span class="muted">${kindLabel(d.kind)}</span></span>
              <span class="mono">${d.number || d.id}</span>
              <span class="row-actions">
                ${d.kind === 'external' && html`<button type="button" class="small" onClick=${() => setDialog({ edit: d })} aria-label=${t('common.editWhat', { what: d.name })}>${t('common.edit')}</button>`}
                ${admin && html`<button type="button" class="small" onClick=${() => setDialog({ remove: d })} aria-label=${t('common.removeWhat', { what: d.name })}>${t('common.remove')}</button>`}
              </span>
            </li>`,
          )}
        </ul>`}
    ${dialog?.add && html`<${AddDeviceDialog} user=${user} kind=${dialog.add} onClose=${close} onChanged=${onChanged} />`}
    ${dialog?.edit && html`<${EditExternalDialog} device=${dialog.edit} onClose=${close} onChanged=${onChanged} />`}
    ${dialog?.remove &&
    html`<${ConfirmDialog}
      title=${t('userPage.removeEndpoint', { name: dialog.remove.name })}
      confirmLabel=${t('common.remove')}
      onClose=${close}
      onConfirm=${async () => {
        await api.del(`/v1/devices/${api.seg(dialog.remove.id)}`);
        announce(t('phone.deleted', { name: dialog.remove.name }));
        close();
        onChanged();
      }}
    >
      <p>${t('phone.deleteText')}</p>
    <//>`}
  </section>`;
}
