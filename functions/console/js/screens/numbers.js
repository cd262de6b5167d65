// The account's numbers with where each rings, and "choose call target":
// a user (all phones), one endpoint (a phone, voicemail, fax) or a group.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { announce, Badge, CheckField, FormDialog, html, Loaded, Page, SelectField, useLoad } from '../ui.js';
import { describeRoute, kindLabel, loadDirectory } from '../data.js';

export function Numbers() {
  const state = useLoad(loadDirectory);
  const [target, setTarget] = useState(null);
  return html`<${Page} title=${t('numbers.title')} intro=${t('numbers.intro')}>
    <${Loaded} state=${state}>
      ${(dir) => html`<table class="list">
          <caption class="sr">${t('numbers.title')}</caption>
          <thead><tr><th scope="col">${t('numbers.number')}</th><th scope="col">${t('numbers.state')}</th><th scope="col">${t('numbers.route')}</th><th scope="col"><span class="sr">${t('numbers.actions')}</span></th></tr></thead>
          <tbody>
            ${dir.numbers.map(
              (n) => html`<tr data-number=${n.number}>
                <td data-label=${t('numbers.number')} class="mono">${n.number}</td>
                <td data-label=${t('numbers.state')}>
                  ${n.test && html`<${Badge}>${t('numbers.test')}<//>`}
                  ${n.active ? html`<${Badge} kind="online">${t('numbers.active')}<//>` : html`<${Badge} kind="off">${t('numbers.inactive')}<//>`}
                </td>
                <td data-label=${t('numbers.route')} class="route">${describeRoute(n.route, dir)}</td>
                <td><button type="button" class="small" onClick=${() => setTarget(n)} aria-label=${t('numbers.chooseFor', { number: n.number })}>${t('numbers.choose')}</button></td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${target && html`<${TargetDialog} number=${target} dir=${dir} onClose=${() => setTarget(null)} onChanged=${state.reload} />`}`}
    <//>
  <//>`;
}

const KINDS = [
  { value: 'none', label: 'numbers.kind.none' },
  { value: 'user', label: 'numbers.kind.user' },
  { value: 'device', label: 'numbers.kind.device' },
  { value: 'group', label: 'numbers.kind.group' },
];

function TargetDialog({ number, dir, onClose, onChanged }) {
  const r = number.route || { kind: 'none' };
  const [kind, setKind] = useState(r.kind === 'user' && r.device ? 'device' : r.kind);
  const [user, setUser] = useState(r.kind === 'user' ? r.target : dir.users[0]?.id || '');
  const endpoints = dir.devices.filter((d) => d.kind !== 'external');
  const [device, setDevice] = useState(r.kind === 'device' ? r.target : r.device || endpoints[0]?.id || '');
  const [group, setGroup] = useState(r.kind === 'group' ? r.target : dir.groups[0]?.id || '');
  const owner = (d) => dir.user.get(d.owner)?.name || d.owner;
  return html`<${FormDialog}
    title=${t('numbers.chooseTitle', { number: number.number })}
    submitLabel=${t('common.save')}
    fields=${['route.kind', 'route.target', 'route.device']}
    onClose=${onClose}
    onSubmit=${async () => {
      const route = { kind };
      if (kind === 'user') route.target = user;
      if (kind === 'device') route.target = device;
      if (kind === 'group') route.target = group;
      const n = await api.patch(`/v1/numbers/${api.seg(number.number)}`, { route });
      announce(t('numbers.routed', { number: n.number, target: describeRoute(n.route, dir) }));
      onChanged();
      onClose();
    }}
  >
    ${(errors) => html`<fieldset>
        <legend>${t('numbers.target')}</legend>
        ${KINDS.map(
          (k) => html`<${CheckField}
            radio
            group="kind"
            id=${'kind-' + k.value}
            value=${k.value}
            label=${t(k.label)}
            checked=${kind === k.value}
            disabled=${(k.value === 'group' && !dir.groups.length) || (k.value === 'device' && !endpoints.length)}
            onChange=${() => setKind(k.value)}
          />`,
        )}
      </fieldset>
      ${kind === 'user' && html`<${SelectField} id="target-user" name="route.target" label=${t('numbers.user')} value=${user} onChange=${setUser} options=${dir.users.map((u) => ({ value: u.id, label: u.name }))} error=${errors['route.target']} />`}
      ${kind === 'device' &&
      html`<${SelectField}
        id="target-device"
        name="route.target"
        label=${t('numbers.endpoint')}
        value=${device}
        onChange=${setDevice}
        options=${endpoints.map((d) => ({ value: d.id, label: `${d.name} – ${kindLabel(d.kind)} (${owner(d)})` }))}
        error=${errors['route.target']}
      />`}
      ${kind === 'group' && html`<${SelectField} id="target-group" name="route.target" label=${t('numbers.group')} value=${group} onChange=${setGroup} options=${dir.groups.map((g) => ({ value: g.id, label: g.name }))} error=${errors['route.target']} />`}
      ${errors['route.kind'] && html`<p class="error">${errors['route.kind']}</p>`}`}
  <//>`;
}
