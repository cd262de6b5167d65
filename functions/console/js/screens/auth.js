// Signing up, logging in, and setting the password from the welcome link.
import { useState, useRef } from 'preact/hooks';
import * as api from '../api.js';
import { language, t } from '../i18n.js';
import { href } from '../router.js';
import { fieldErrors, focusFirstError, html, Page, ProblemAlert, SelectField, TextField } from '../ui.js';

const PLANS = [
  { value: 'team-3', label: 'plan.team3' },
  { value: 'team-10', label: 'plan.team10' },
  { value: 'team-25', label: 'plan.team25' },
  { value: 'team-100', label: 'plan.team100' },
];

export function planOptions() {
  return PLANS.map((p) => ({ value: p.value, label: t(p.label) }));
}

// useSubmit runs a form's request and keeps its problem for the fields.
export function useSubmit(send) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const ref = useRef();
  async function onSubmit(e) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await send();
    } catch (err) {
      setProblem(err);
      focusFirstError(ref.current);
    } finally {
      setBusy(false);
    }
  }
  return { busy, problem, setProblem, errors: fieldErrors(problem), onSubmit, ref };
}

export function Login({ onSignedIn }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const f = useSubmit(async () => onSignedIn(await api.post('/v1/sessions', { email: email.trim(), password })));
  return html`<div class="narrow">
    <${Page} title=${t('auth.login.title')}>
      <form ref=${f.ref} onSubmit=${f.onSubmit} novalidate class="card">
        <${TextField} name="email" type="email" label=${t('auth.email')} value=${email} onInput=${setEmail} error=${f.errors.email} autocomplete="username" required />
        <${TextField} name="password" type="password" label=${t('auth.password')} value=${password} onInput=${setPassword} error=${f.errors.password} autocomplete="current-password" required />
        ${f.problem?.status === 401 ? html`<div class="alert" role="alert"><p>${t('auth.login.failed')}</p></div>` : html`<${ProblemAlert} problem=${f.problem} fields=${['email', 'password']} />`}
        <div class="buttons"><button type="submit" class="primary" disabled=${f.busy}>${t('auth.login.submit')}</button></div>
      </form>
      <p>${t('auth.login.noAccount')} <a href=${href('/signup')}>${t('auth.signup.link')}</a></p>
    <//>
  </div>`;
}

export function Signup({ onSignedIn }) {
  const [v, setV] = useState({ company: '', name: '', email: '', password: '', plan: 'team-10' });
  const set = (k) => (x) => setV({ ...v, [k]: x });
  const f = useSubmit(async () => {
    const res = await api.post('/v1/accounts', { ...v, email: v.email.trim(), language: language() });
    await onSignedIn(res.session, '/');
  });
  return html`<div class="narrow">
    <${Page} title=${t('auth.signup.title')} intro=${t('auth.signup.intro')}>
      <form ref=${f.ref} onSubmit=${f.onSubmit} novalidate class="card">
        <${TextField} name="company" label=${t('auth.company')} value=${v.company} onInput=${set('company')} error=${f.errors.company} autocomplete="organization" required />
        <${TextField} name="name" label=${t('auth.name')} value=${v.name} onInput=${set('name')} error=${f.errors.name} autocomplete="name" required />
        <${TextField} name="email" type="email" label=${t('auth.email')} value=${v.email} onInput=${set('email')} error=${f.errors.email} autocomplete="email" required />
        <${TextField} name="password" type="password" label=${t('auth.password')} value=${v.password} onInput=${set('password')} error=${f.errors.password} autocomplete="new-password" hint=${t('auth.passwordHint')} required />
        <${SelectField} name="plan" label=${t('auth.plan')} value=${v.plan} onChange=${set('plan')} options=${planOptions()} error=${f.errors.plan} />
        <${ProblemAlert} problem=${f.problem} fields=${['company', 'name', 'email', 'password', 'plan']} />
        <div class="buttons"><button type="submit" class="primary" disabled=${f.busy}>${t('auth.signup.submit')}</button></div>
      </form>
      <p>${t('auth.signup.haveAccount')} <a href=${href('/login')}>${t('auth.login.link')}</a></p>
    <//>
  </div>`;
}

export function Setup({ token, onSignedIn }) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const f = useSubmit(async () => {
    if (password !== repeat) {
      setMismatch(true);
      throw new api.Problem(422, { errors: [] });
    }
    setMismatch(false);
    await onSignedIn(await api.post('/v1/sessions/setup', { token, password }), '/me');
  });
  if (!token) {
    return html`<div class="narrow"><${Page} title=${t('auth.setup.title')}><p class="alert" role="alert">${t('auth.setup.noToken')}</p><//></div>`;
  }
  const tokenError = f.errors.token;
  return html`<div class="narrow">
    <${Page} title=${t('auth.setup.title')} intro=${t('auth.setup.intro')}>
      <form ref=${f.ref} onSubmit=${f.onSubmit} novalidate class="card">
        <${TextField} name="password" type="password" label=${t('auth.newPassword')} value=${password} onInput=${setPassword} error=${f.errors.password} autocomplete="new-password" hint=${t('auth.passwordHint')} required />
        <${TextField} name="repeat" type="password" label=${t('auth.repeatPassword')} value=${repeat} onInput=${setRepeat} error=${mismatch ? t('auth.setup.mismatch') : undefined} autocomplete="new-password" required />
        ${tokenError && html`<div class="alert" role="alert"><p>${t('auth.setup.badLink')}</p></div>`}
        ${!mismatch && !tokenError && html`<${ProblemAlert} problem=${f.problem} fields=${['password', 'token']} />`}
        <div class="buttons"><button type="submit" class="primary" disabled=${f.busy}>${t('auth.setup.submit')}</button></div>
      </form>
    <//>
  </div>`;
}
