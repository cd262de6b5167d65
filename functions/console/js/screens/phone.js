// One phone as the guide shows it: name, id, online or offline, and its
// options (rename, active registrations, SIP credentials, enable/disable).
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { announce, Badge, ConfirmDialog, CopyButton, Dialog, FormDialog, html, Loaded, Menu, ProblemAlert, TextField, useLoad } from '../ui.js';

export function StatusBadge({ device }) {
  if (device.kind !== 'phone') return null;
  const online = !!device.status?.online;
  return html`<${Badge} kind=${online ? 'online' : 'offline'}>${online ? t('phone.online') : t('phone.offline')}<//>`;
}

export function PhoneCard({ device, onChanged, onDeleted, canDelete, owner }) {
  const [dialog, setDialog] = useState('');
  const close = () => setDialog('');
  const path = `/v1/devices/${api.seg(device.id)}`;
  async function toggle() {
    try {
      const d = await api.patch(path, { enabled: !device.enabled });
      announce(d.enabled ? t('phone.enabledNote', { name: d.name }) : t('phone.disabledNote', { name: d.name }));
      onChanged(d);
    } catch (err) {
      announce(err.detail || t('problem.generic'), 'error');
    }
  }
  const items = [
    { label: t('phone.rename'), onSelect: () => setDialog('rename') },
    { label: t('phone.registrations'), onSelect: () => setDialog('registrations') },
    { label: t('phone.credentials'), onSelect: () => setDialog('credentials') },
    { label: device.enabled ? t('phone.disable') : t('phone.enable'), onSelect: toggle },
  ];
  if (canDelete) items.push({ label: t('phone.delete'), onSelect: () => setDialog('delete') });
  const titleId = `phone-${device.id}`;
  return html`<article class="phone card" aria-labelledby=${titleId} data-device=${device.id}>
    <h3 id=${titleId}>${device.name}</h3>
    <p class="mono muted">${device.id}${owner ? html` · <span class="owner">${owner}</span>` : ''}</p>
    <div class="phone-foot">
      <p class="badges">
        <${StatusBadge} device=${device} />
        ${!device.enabled && html`<${Badge} kind="off">${t('phone.disabled')}<//>`}
      </p>
      <${Menu} label=${t('phone.options')} name=${t('phone.optionsFor', { name: device.name })} items=${items} />
    </div>
    ${dialog === 'rename' && html`<${RenameDialog} device=${device} onClose=${close} onChanged=${onChanged} />`}
    ${dialog === 'registrations' && html`<${RegistrationsDialog} device=${device} onClose=${close} />`}
    ${dialog === 'credentials' && html`<${CredentialsDialog} device=${device} onClose=${close} />`}
    ${dialog === 'delete' &&
    html`<${ConfirmDialog}
      title=${t('phone.deleteTitle', { name: device.name })}
      confirmLabel=${t('phone.delete')}
      onClose=${close}
      onConfirm=${async () => {
        await api.del(path);
        close();
        announce(t('phone.deleted', { name: device.name }));
        onDeleted?.(device);
      }}
    >
      <p>${t('phone.deleteText')}</p>
    <//>`}
  </article>`;
}

function RenameDialog({ device, onClose, onChanged }) {
  const [name, setName] = useState(device.name);
  return html`<${FormDialog}
    title=${t('phone.rename')}
    submitLabel=${t('common.save')}
    fields=${['name']}
    onClose=${onClose}
    onSubmit=${async () => {
      const d = await api.patch(`/v1/devices/${api.seg(device.id)}`, { name: name.trim() });
      onChanged(d);
      announce(t('common.saved'));
      onClose();
    }}
  >
    ${(errors) => html`<${TextField} id="rename-name" name="name" label=${t('phone.name')} value=${name} onInput=${setName} error=${errors.name} required autofocus />`}
  <//>`;
}

function RegistrationsDialog({ device, onClose }) {
  const regs = device.status?.registrations || [];
  const [check, setCheck] = useState(null);
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState(null);
  async function runCheck() {
    setChecking(true);
    setProblem(null);
    try {
      const c = await api.post(`/v1/devices/${api.seg(device.id)}/check`);
      setCheck(c);
      announce(c.reachable ? t('phone.check.reachable') : t('phone.check.unreachable'));
    } catch (err) {
      setProblem(err);
    } finally {
      setChecking(false);
    }
  }
  const answers = new Map((check?.results || []).map((r) => [`${r.contact} ${r.source || ''}`, r]));
  return html`<${Dialog} title=${t('phone.registrationsOf', { name: device.name })} onClose=${onClose} wide>
    <p class="badges">
      <${StatusBadge} device=${device} />
      ${check &&
      html`<span role="status" aria-label=${t('phone.check.title')}><${Badge} kind=${check.reachable ? 'online' : 'offline'}>${check.reachable ? t('phone.check.reachable') : t('phone.check.unreachable')}<//></span>`}
    </p>
    ${problem && html`<${ProblemAlert} problem=${problem} />`}
    ${regs.length === 0
      ? html`<p>${t('phone.noRegistrations')}</p>`
      : html`<ul class="registrations">
          ${regs.map((r) => {
            const answer = answers.get(`${r.contact} ${r.source || ''}`);
            return html`<li class="card">
              <dl class="facts">
                <dt>${t('phone.reg.contact')}</dt><dd class="mono">${r.contact}</dd>
                ${r.source && html`<dt>${t('phone.reg.source')}</dt><dd class="mono">${r.source}</dd>`}
                ${r.transport && html`<dt>${t('phone.reg.transport')}</dt><dd>${r.transport}</dd>`}
                ${r.userAgent && html`<dt>${t('phone.reg.userAgent')}</dt><dd>${r.userAgent}</dd>`}
                <dt>${t('phone.reg.expires')}</dt><dd>${formatDateTime(r.expiresAt)}</dd>
                ${answer &&
                html`<dt>${t('phone.check.answer')}</dt>
                  <dd class="check-answer" data-reachable=${answer.reachable ? 'yes' : 'no'}>
                    ${answer.reachable ? t('phone.check.answered', { status: String(answer.status), ms: (answer.rttMs ?? 0).toFixed(1) }) : answer.error || t('phone.check.noAnswer')}
                  </dd>`}
              </dl>
            </li>`;
          })}
        </ul>`}
    <div class="buttons">
      ${regs.length > 0 && html`<button type="button" onClick=${runCheck} disabled=${checking} aria-busy=${checking}>${checking ? t('phone.check.running') : t('phone.check.run')}</button>`}
      <button type="button" onClick=${onClose}>${t('common.close')}</button>
    </div>
  <//>`;
}

function hostPort(host, port) {
  return port ? `${host}:${port}` : host;
}

function CredentialsDialog({ device, onClose }) {
  const path = `/v1/devices/${api.seg(device.id)}/credentials`;
  const state = useLoad(() => api.get(path), [path]);
  const [rotated, setRotated] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState(null);
  async function rotate() {
    setProblem(null);
    try {
      setRotated(await api.post(path + '/rotate'));
      setConfirming(false);
      announce(t('phone.rotated'));
    } catch (err) {
      setProblem(err);
    }
  }
  return html`<${Dialog} title=${t('phone.credentialsOf', { name: device.name })} onClose=${onClose} wide>
    <${Loaded} state=${rotated ? { data: rotated } : state}>
      ${(c) => html`<p>${t('phone.credentialsIntro')}</p>
        <dl class="facts credentials">
          <dt>${t('cred.domain')}</dt><dd class="mono"><span data-cred="domain">${c.domain}</span>${c.realm !== c.domain ? ` / ${c.realm}` : ''}</dd>
          <dt>${t('cred.proxy')}</dt><dd class="mono">${hostPort(c.registrar, c.registrarPort)}</dd>
          <dt>${t('cred.outboundProxy')}</dt><dd class="mono">${hostPort(c.outboundProxy, c.outboundProxyPort)}</dd>
          <dt>${t('cred.stunServer')}</dt><dd class="mono">${c.stunServer}</dd>
          <dt>${t('cred.stunPort')}</dt><dd class="mono">${c.stunPort}</dd>
          <dt>${t('cred.expires')}</dt><dd>${t('cred.seconds', { n: c.expires })}</dd>
          <dt>${t('cred.username')}</dt><dd><span class="mono" data-cred="username">${c.username}</span> <${CopyButton} text=${c.username} what=${t('cred.username')} /></dd>
          <dt>${t('cred.authUser')}</dt><dd><span class="mono">${c.authorizationUser}</span></dd>
          <dt>${t('cred.password')}</dt><dd><span class="mono secret" data-cred="password">${c.password}</span> <${CopyButton} text=${c.password} what=${t('cred.password')} /></dd>
        </dl>`}
    <//>
    <${ProblemAlert} problem=${problem} />
    ${confirming
      ? html`<div class="confirm-inline" role="group" aria-label=${t('phone.rotate')}>
          <p>${t('phone.rotateText')}</p>
          <div class="buttons">
            <button type="button" class="danger" onClick=${rotate}>${t('phone.rotateConfirm')}</button>
            <button type="button" onClick=${() => setConfirming(false)}>${t('common.cancel')}</button>
          </div>
        </div>`
      : html`<div class="buttons">
          <button type="button" onClick=${onClose}>${t('common.close')}</button>
          <button type="button" class="secondary" onClick=${() => setConfirming(true)}>${t('phone.rotate')}</button>
        </div>`}
  <//>`;
}
