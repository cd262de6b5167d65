// Groups: the list, "+ Group" in two steps (name, number and extension;
// then members), and a group's page with its members, numbers and
// extension.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { href, navigate } from '../router.js';
import { announce, CheckField, ConfirmDialog, ExtensionField, fieldErrors, focusFirstError, FormDialog, html, Loaded, Page, ProblemAlert, SelectField, Steps, TextField, useLoad } from '../ui.js';
import { numberLabel, numberOptions, unassigned } from '../data.js';
import { useSubmit } from './auth.js';
import { matches, Search } from './users.js';

export function GroupsList({ me }) {
  const state = useLoad(async () => {
    const [groups, users] = await Promise.all([api.get('/v1/groups'), api.all('/v1/users')]);
    return { groups: groups.items || [], users };
  });
  const plan = me.account.plan;
  return html`<${Page} title=${t('groups.title')} intro=${t('groups.intro')} actions=${html`<a class="button primary" href=${href('/groups/new')}>${t('groups.add')}</a>`}>
    <${Loaded} state=${state}>
      ${({ groups, users }) => {
        const name = new Map(users.map((u) => [u.id, u.name]));
        return html`<p class="count">${t('groups.limit', { n: groups.length, max: plan.groups, plan: plan.name })}</p>
          ${groups.length === 0
            ? html`<p>${t('groups.none')}</p>`
            : html`<table class="list">
                <caption class="sr">${t('groups.title')}</caption>
                <thead><tr><th scope="col">${t('groups.name')}</th><th scope="col">${t('groups.extension')}</th><th scope="col">${t('groups.numbers')}</th><th scope="col">${t('groups.members')}</th></tr></thead>
                <tbody>
                  ${groups.map(
                    (g) => html`<tr>
                      <td data-label=${t('groups.name')}><a href=${href('/groups/' + g.id)}>${g.name}</a></td>
                      <td data-label=${t('groups.extension')} class="mono">${g.extension || '–'}</td>
                      <td data-label=${t('groups.numbers')} class="mono">${(g.numbers || []).join(', ') || '–'}</td>
                      <td data-label=${t('groups.members')}>${(g.members || []).map((m) => name.get(m) || m).join(', ') || '–'}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`}`;
      }}
    <//>
  <//>`;
}

async function loadChoices() {
  const [numbers, extensions, users] = await Promise.all([api.get('/v1/numbers'), api.get('/v1/extensions'), api.all('/v1/users')]);
  return { numbers: numbers.items || [], extensions: extensions.items || [], users };
}

export function GroupWizard({ me }) {
  const state = useLoad(loadChoices);
  return html`<${Page} title=${t('groups.new')}>
    <${Loaded} state=${state}>${(c) => html`<${GroupSteps} choices=${c} digits=${me.account.extensionDigits} />`}<//>
  <//>`;
}

function GroupSteps({ choices, digits }) {
  const [step, setStep] = useState(1);
  const [v, setV] = useState({ name: '', number: '', extension: '', members: [] });
  const [problem, setProblem] = useState(null);
  const [local, setLocal] = useState({});
  const [busy, setBusy] = useState(false);
  const [query, setQuery] = useState('');
  const form = useRef();
  const heading = useRef();
  const set = (k) => (x) => setV({ ...v, [k]: x });
  const errors = { ...fieldErrors(problem), ...local };
  useEffect(() => {
    if (problem || Object.keys(local).length) focusFirstError(form.current);
    else heading.current?.focus();
  }, [step, problem, local]);

  async function next(e) {
    e.preventDefault();
    if (step === 1) {
      const e1 = v.name.trim() ? {} : { name: t('problem.required') };
      setLocal(e1);
      if (!Object.keys(e1).length) {
        setProblem(null);
        setStep(2);
      }
      return;
    }
    const body = { name: v.name.trim(), members: v.members };
    if (v.number) body.number = v.number;
    if (v.extension.trim()) body.extension = v.extension.trim();
    setBusy(true);
    setProblem(null);
    try {
      const g = await api.post('/v1/groups', body);
      announce(t('groups.created', { name: g.name }));
      navigate('/groups/' + g.id);
    } catch (err) {
      setBusy(false);
      setProblem(err);
      if ((err.errors || []).some((x) => !/^body\.members/.test(x.location || ''))) setStep(1);
    }
  }
  const labels = [t('groups.step1'), t('groups.step2')];
  return html`<${Steps} current=${step} labels=${labels} />
    <form ref=${form} class="card wizard" onSubmit=${next} novalidate>
      <h2 tabindex="-1" ref=${heading}>${t('wizard.stepOf', { n: step, total: 2 })}: ${labels[step - 1]}</h2>
      ${step === 1 &&
      html`<${TextField} name="name" label=${t('groups.name')} value=${v.name} onInput=${set('name')} error=${errors.name} required />
        <${SelectField} name="number" label=${t('wizard.number')} value=${v.number} onChange=${set('number')} options=${numberOptions(choices.numbers, t('wizard.noNumber'))} error=${errors.number} />
        <${ExtensionField} value=${v.extension} onInput=${set('extension')} error=${errors.extension} extensions=${choices.extensions} digits=${digits} />`}
      ${step === 2 &&
      html`<p class="hint">${t('groups.membersIntro')}</p>
        <${Search} id="member-search" label=${t('common.search')} value=${query} onInput=${setQuery} />
        <fieldset>
          <legend>${t('groups.members')}</legend>
          ${choices.users
            .filter((u) => matches(query, u.name, u.email, u.extension) || v.members.includes(u.id))
            .map(
              (u) => html`<${CheckField}
                name=${'member-' + u.id}
                label=${u.extension ? `${u.name} (${u.extension})` : u.name}
                checked=${v.members.includes(u.id)}
                onChange=${(on) => setV({ ...v, members: on ? [...v.members, u.id] : v.members.filter((x) => x !== u.id) })}
              />`,
            )}
          ${errors.members && html`<p class="error">${errors.members}</p>`}
        </fieldset>`}
      <${ProblemAlert} problem=${problem} fields=${['name', 'number', 'extension', 'members']} />
      <div class="buttons">
        <button type="submit" class="primary" disabled=${busy}>${step === 1 ? t('wizard.next', { n: 2, total: 2 }) : t('groups.create')}</button>
        ${step > 1 && html`<button type="button" onClick=${() => setStep(1)}>${t('common.back')}</button>`}
        <a class="button" href=${href('/groups')}>${t('common.cancel')}</a>
      </div>
    </form>`;
}

async function loadGroup(id) {
  const [group, users, numbers, extensions] = await Promise.all([api.get(`/v1/groups/${api.seg(id)}`), api.all('/v1/users'), api.get('/v1/numbers'), api.get('/v1/extensions')]);
  return { group, users, numbers: numbers.items || [], extensions: extensions.items || [] };
}

export function GroupDetail({ id, me }) {
  const state = useLoad(() => loadGroup(id), [id]);
  return html`<${Page} title=${state.data?.group.name || t('groups.title')}>
    <p><a href=${href('/groups')}>${t('groups.back')}</a></p>
    <${Loaded} state=${state}>${(d) => html`<${GroupView} data=${d} digits=${me.account.extensionDigits} reload=${state.reload} />`}<//>
  <//>`;
}

function GroupView({ data, digits, reload }) {
  const { group, users, numbers, extensions } = data;
  const path = `/v1/groups/${api.seg(group.id)}`;
  const [dialog, setDialog] = useState(null);
  const [pick, setPick] = useState('');
  const [problem, setProblem] = useState(null);
  const name = new Map(users.map((u) => [u.id, u]));
  const nonMembers = users.filter((u) => !(group.members || []).includes(u.id));
  const chosen = pick || nonMembers[0]?.id || '';
  async function run(fn, note) {
    setProblem(null);
    try {
      await fn();
      announce(note);
      setPick('');
      reload();
    } catch (err) {
      setProblem(err);
    }
  }
  const own = numbers.filter((n) => n.route?.kind === 'group' && n.route.target === group.id);
  return html`<div class="grid">
      <${GroupSettings} group=${group} extensions=${extensions.filter((x) => x.owner !== group.id)} digits=${digits} onSaved=${reload} />
      <section class="card" aria-labelledby="sec-members">
        <h2 id="sec-members">${t('groups.members')}</h2>
        ${(group.members || []).length === 0
          ? html`<p>${t('groups.noMembers')}</p>`
          : html`<ul class="rows">
              ${group.members.map(
                (m) => html`<li>
                  <a href=${href('/users/' + m)}>${name.get(m)?.name || m}</a>
                  <span class="mono muted">${name.get(m)?.extension || ''}</span>
                  <span class="row-actions">
                    <button type="button" class="small" aria-label=${t('groups.removeMember', { name: name.get(m)?.name || m })} onClick=${() => run(() => api.del(`${path}/members/${api.seg(m)}`), t('groups.memberRemoved'))}>
                      ${t('common.remove')}
                    </button>
                  </span>
                </li>`,
              )}
            </ul>`}
        ${nonMembers.length > 0 &&
        html`<div class="inline-form">
          <${SelectField} id="add-member" name="userId" label=${t('groups.addMember')} value=${chosen} onChange=${setPick} options=${nonMembers.map((u) => ({ value: u.id, label: u.name }))} />
          <button type="button" onClick=${() => run(() => api.post(path + '/members', { userId: chosen }), t('groups.memberAdded'))}>${t('common.add')}</button>
        </div>`}
        <${ProblemAlert} problem=${problem} />
      </section>
    </div>
    <section class="card" aria-labelledby="sec-group-numbers">
      <div class="section-head">
        <h2 id="sec-group-numbers">${t('groups.numbers')}</h2>
        <button type="button" onClick=${() => setDialog('number')}>${t('userPage.addNumber')}</button>
      </div>
      ${own.length === 0
        ? html`<p>${t('groups.noNumbers')}</p>`
        : html`<ul class="rows">
            ${own.map(
              (n) => html`<li>
                <span class="mono">${numberLabel(n)}</span>
                <span class="row-actions">
                  <button type="button" class="small" aria-label=${t('userPage.removeNumberOf', { number: n.number })} onClick=${() => run(() => api.patch(`/v1/numbers/${api.seg(n.number)}`, { route: { kind: 'none' } }), t('userPage.numberRemoved', { number: n.number }))}>
                    ${t('common.remove')}
                  </button>
                </span>
              </li>`,
            )}
          </ul>`}
    </section>
    <section class="card danger-zone" aria-labelledby="sec-group-delete">
      <h2 id="sec-group-delete">${t('groups.delete')}</h2>
      <button type="button" class="danger" onClick=${() => setDialog('delete')}>${t('groups.deleteButton', { name: group.name })}</button>
    </section>
    ${dialog === 'number' && html`<${GroupNumberDialog} group=${group} numbers=${numbers} onClose=${() => setDialog(null)} onChanged=${reload} />`}
    ${dialog === 'delete' &&
    html`<${ConfirmDialog}
      title=${t('groups.deleteTitle', { name: group.name })}
      confirmLabel=${t('groups.deleteConfirm')}
      onClose=${() => setDialog(null)}
      onConfirm=${async () => {
        await api.del(path);
        announce(t('groups.deleted', { name: group.name }));
        navigate('/groups');
      }}
    >
      <p>${t('groups.deleteText')}</p>
      <ul class="goes">
        ${own.length > 0 && html`<li>${t('userPage.deleteNumbers', { list: own.map((n) => n.number).join(', ') })}</li>`}
        ${group.extension && html`<li>${t('userPage.deleteExtension', { extension: group.extension })}</li>`}
      </ul>
    <//>`}`;
}

function GroupSettings({ group, extensions, digits, onSaved }) {
  const [name, setName] = useState(group.name);
  const [extension, setExtension] = useState(group.extension || '');
  const f = useSubmit(async () => {
    const body = {};
    if (name.trim() !== group.name) body.name = name.trim();
    if (extension.trim() !== (group.extension || '')) body.extension = extension.trim();
    if (!Object.keys(body).length) return;
    await api.patch(`/v1/groups/${api.seg(group.id)}`, body);
    announce(t('common.saved'));
    onSaved();
  });
  return html`<section class="card" aria-labelledby="sec-group-settings">
    <h2 id="sec-group-settings">${t('groups.settings')}</h2>
    <form ref=${f.ref} onSubmit=${f.onSubmit} novalidate>
      <${TextField} name="name" label=${t('groups.name')} value=${name} onInput=${setName} error=${f.errors.name} required />
      <${ExtensionField} value=${extension} onInput=${setExtension} error=${f.errors.extension} extensions=${extensions} digits=${digits} />
      <${ProblemAlert} problem=${f.problem} fields=${['name', 'extension']} />
      <div class="buttons"><button type="submit" class="primary" disabled=${f.busy}>${t('common.save')}</button></div>
    </form>
  </section>`;
}

function GroupNumberDialog({ group, numbers, onClose, onChanged }) {
  const free = unassigned(numbers);
  const [number, setNumber] = useState(free[0]?.number || '');
  return html`<${FormDialog}
    title=${t('groups.addNumberTo', { name: group.name })}
    submitLabel=${t('userPage.assign')}
    fields=${['route']}
    onClose=${onClose}
    onSubmit=${async () => {
      await api.patch(`/v1/numbers/${api.seg(number)}`, { route: { kind: 'group', target: group.id } });
      announce(t('userPage.numberAdded', { number }));
      onChanged();
      onClose();
    }}
  >
    ${free.length === 0
      ? html`<p>${t('userPage.noFreeNumbers')}</p>`
      : html`<${SelectField} id="group-number" name="number" label=${t('wizard.number')} value=${number} onChange=${setNumber} options=${free.map((n) => ({ value: n.number, label: numberLabel(n) }))} autofocus />`}
  <//>`;
}
