// "+ User" in three steps, as the guide describes: (1) name, e-mail,
// location and admin rights; (2) the endpoints (phones, an external phone,
// fax, voicemail); (3) a number, an internal extension and groups. The
// user is created in one request at the end; a problem the API answers
// takes the wizard back to the step of the field it names.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { href, navigate } from '../router.js';
import { announce, CheckField, ExtensionField, fieldErrors, html, Loaded, Page, ProblemAlert, SelectField, Steps, TextField, useLoad } from '../ui.js';
import { numberOptions } from '../data.js';

const STEP1 = ['name', 'email', 'location', 'admin'];
const STEP3 = ['number', 'extension', 'groups'];

function stepOf(field) {
  const base = field.split(/[.[]/)[0];
  if (STEP1.includes(base)) return 1;
  if (base === 'devices') return 2;
  if (STEP3.includes(base)) return 3;
  return 0;
}

async function loadChoices() {
  const [numbers, extensions, groups, users] = await Promise.all([api.get('/v1/numbers'), api.get('/v1/extensions'), api.get('/v1/groups'), api.all('/v1/users')]);
  const locations = [...new Set(users.map((u) => u.location).filter(Boolean))];
  return { numbers: numbers.items || [], extensions: extensions.items || [], groups: groups.items || [], locations };
}

export function UserWizard({ me, refreshMe }) {
  const state = useLoad(loadChoices);
  return html`<${Page} title=${t('wizard.title')}>
    <${Loaded} state=${state}>${(choices) => html`<${Wizard} choices=${choices} digits=${me.account.extensionDigits} refreshMe=${refreshMe} />`}<//>
  <//>`;
}

function Wizard({ choices, digits, refreshMe }) {
  const [step, setStep] = useState(1);
  const [v, setV] = useState({
    name: '',
    email: '',
    location: '',
    admin: false,
    phones: [{ name: '' }],
    external: false,
    externalName: '',
    externalNumber: '',
    voicemail: true,
    fax: false,
    number: '',
    extension: '',
    groups: [],
  });
  const [problem, setProblem] = useState(null);
  const [local, setLocal] = useState({});
  // Fields changed since the last answer no longer show its errors.
  const [edited, setEdited] = useState({});
  const [busy, setBusy] = useState(false);
  const form = useRef();
  const heading = useRef();
  const set = (k) => (x) => {
    setV({ ...v, [k]: x });
    setEdited({ ...edited, [k]: true });
  };
  const answered = fieldErrors(problem);
  for (const k of Object.keys(answered)) if (edited[k]) delete answered[k];
  const errors = { ...answered, ...local };
  const externalIndex = v.phones.length;

  // A new step starts at its heading; a step with a problem at the first
  // field marked invalid.
  useEffect(() => {
    requestAnimationFrame(() => (form.current?.querySelector('[aria-invalid="true"]') || heading.current)?.focus());
  }, [step, problem, local]);

  function phoneName(i) {
    return v.phones[i].name.trim() || defaultPhoneName(i);
  }
  function defaultPhoneName(i) {
    const first = v.name.trim().split(/\s+/)[0] || t('wizard.theUser');
    return i === 0 ? t('wizard.phoneDefault', { name: first }) : t('wizard.phoneDefaultN', { name: first, n: i + 1 });
  }

  function check(s) {
    const e = {};
    if (s === 1) {
      if (!v.name.trim()) e.name = t('problem.required');
      if (!v.email.trim()) e.email = t('problem.required');
    }
    if (s === 2 && v.external && !v.externalNumber.trim()) e[`devices[${externalIndex}].number`] = t('problem.required');
    return e;
  }

  function next(e) {
    e.preventDefault();
    const e1 = check(step);
    setLocal(e1);
    if (Object.keys(e1).length) return;
    if (step < 3) {
      setStep(step + 1);
      return;
    }
    submit();
  }

  async function submit() {
    const devices = v.phones.map((p, i) => ({ kind: 'phone', name: phoneName(i) }));
    if (v.external) devices.push({ kind: 'external', name: v.externalName.trim() || t('wizard.externalDefault'), number: v.externalNumber.trim() });
    if (v.voicemail) devices.push({ kind: 'voicemail' });
    if (v.fax) devices.push({ kind: 'fax' });
    const body = { name: v.name.trim(), email: v.email.trim(), admin: v.admin, devices, groups: v.groups };
    if (v.location.trim()) body.location = v.location.trim();
    if (v.number) body.number = v.number;
    if (v.extension.trim()) body.extension = v.extension.trim();
    setBusy(true);
    try {
      const created = await api.post('/v1/users', body);
      announce(t('wizard.created', { name: created.user.name, email: created.user.email }));
      refreshMe();
      navigate('/users/' + created.user.id);
    } catch (err) {
      setBusy(false);
      setProblem(err);
      setEdited({});
      const steps = (err.errors || []).map((x) => stepOf((x.location || '').replace(/^body\.?/, ''))).filter(Boolean);
      if (steps.length) setStep(Math.min(...steps));
    }
  }

  const otherStepErrors = Object.keys(answered).some((f) => stepOf(f) && stepOf(f) !== step);
  const labels = [t('wizard.step1'), t('wizard.step2'), t('wizard.step3')];
  return html`<${Steps} current=${step} labels=${labels} />
    <form ref=${form} class="card wizard" onSubmit=${next} novalidate>
      <h2 tabindex="-1" ref=${heading}>${t('wizard.stepOf', { n: step, total: 3 })}: ${labels[step - 1]}</h2>
      ${step === 1 &&
      html`<p class="hint">${t('wizard.step1Intro')}</p>
        <${TextField} name="name" label=${t('users.name')} value=${v.name} onInput=${set('name')} error=${errors.name} autocomplete="off" required />
        <${TextField} name="email" type="email" label=${t('users.email')} value=${v.email} onInput=${set('email')} error=${errors.email} autocomplete="off" hint=${t('wizard.emailHint')} required />
        <${TextField} name="location" label=${t('users.location')} value=${v.location} onInput=${set('location')} error=${errors.location} list="known-locations" hint=${t('wizard.locationHint')} />
        <datalist id="known-locations">${choices.locations.map((l) => html`<option value=${l} />`)}</datalist>
        <${CheckField} name="admin" label=${t('wizard.admin')} checked=${v.admin} onChange=${set('admin')} hint=${t('wizard.adminHint')} error=${errors.admin} />`}
      ${step === 2 &&
      html`<p class="hint">${t('wizard.step2Intro')}</p>
        <fieldset>
          <legend>${t('wizard.phones')}</legend>
          ${v.phones.map(
            (p, i) => html`<div class="row">
              <${TextField}
                name=${`devices[${i}].name`}
                label=${t('wizard.phoneName', { n: i + 1 })}
                value=${p.name}
                onInput=${(x) => setV({ ...v, phones: v.phones.map((q, j) => (j === i ? { name: x } : q)) })}
                error=${errors[`devices[${i}].name`] || errors[`devices[${i}]`]}
                hint=${t('wizard.phoneNameHint', { name: defaultPhoneName(i) })}
              />
              <button type="button" class="small" onClick=${() => setV({ ...v, phones: v.phones.filter((_, j) => j !== i) })} aria-label=${t('wizard.removePhone', { n: i + 1 })}>
                ${t('common.remove')}
              </button>
            </div>`,
          )}
          <button type="button" onClick=${() => setV({ ...v, phones: [...v.phones, { name: '' }] })}>${t('wizard.addPhone')}</button>
        </fieldset>
        <fieldset>
          <legend>${t('wizard.externalLegend')}</legend>
          <${CheckField} name="external" label=${t('wizard.external')} checked=${v.external} onChange=${set('external')} hint=${t('wizard.externalHint')} />
          ${v.external &&
          html`<${TextField} name=${`devices[${externalIndex}].name`} label=${t('wizard.externalName')} value=${v.externalName} onInput=${set('externalName')} error=${errors[`devices[${externalIndex}].name`]} hint=${t('wizard.externalNameHint')} />
            <${TextField} name=${`devices[${externalIndex}].number`} type="tel" label=${t('wizard.externalNumber')} value=${v.externalNumber} onInput=${set('externalNumber')} error=${errors[`devices[${externalIndex}].number`]} hint=${t('wizard.externalNumberHint')} required />`}
        </fieldset>
        <fieldset>
          <legend>${t('wizard.more')}</legend>
          <${CheckField} name="voicemail" label=${t('kind.voicemail')} checked=${v.voicemail} onChange=${set('voicemail')} />
          <${CheckField} name="fax" label=${t('kind.fax')} checked=${v.fax} onChange=${set('fax')} />
        </fieldset>
        ${errors.devices && html`<p class="error" role="alert">${errors.devices}</p>`}`}
      ${step === 3 &&
      html`<p class="hint">${t('wizard.step3Intro')}</p>
        <${SelectField} name="number" label=${t('wizard.number')} value=${v.number} onChange=${set('number')} options=${numberOptions(choices.numbers, t('wizard.noNumber'))} error=${errors.number} hint=${t('wizard.numberHint')} />
        <${ExtensionField} value=${v.extension} onInput=${set('extension')} error=${errors.extension} extensions=${choices.extensions} digits=${digits} />
        <fieldset>
          <legend>${t('wizard.groups')}</legend>
          ${choices.groups.length === 0
            ? html`<p class="hint">${t('wizard.noGroups')}</p>`
            : choices.groups.map(
                (g) => html`<${CheckField}
                  name=${'group-' + g.id}
                  label=${g.name}
                  checked=${v.groups.includes(g.id)}
                  onChange=${(on) => setV({ ...v, groups: on ? [...v.groups, g.id] : v.groups.filter((x) => x !== g.id) })}
                />`,
              )}
          ${errors.groups && html`<p class="error">${errors.groups}</p>`}
        </fieldset>
        <p class="hint">${t('wizard.later')}</p>`}
      ${(Object.keys(answered).length > 0 || !problem?.errors?.length) && html`<${ProblemAlert} problem=${problem} fields=${[...STEP1, 'devices', ...STEP3]} />`}
      ${otherStepErrors && html`<p class="hint">${t('wizard.otherSteps')}</p>`}
      <div class="buttons">
        <button type="submit" class="primary" disabled=${busy}>${step < 3 ? t('wizard.next', { n: step + 1, total: 3 }) : t('wizard.create')}</button>
        ${step > 1 && html`<button type="button" onClick=${() => { setLocal({}); setStep(step - 1); }}>${t('common.back')}</button>`}
        <a class="button" href=${href('/users')}>${t('common.cancel')}</a>
      </div>
    </form>`;
}
