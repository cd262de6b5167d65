// Building blocks every screen shares: labelled form fields that show the
// API's problems next to the field they name, dialogs, menus, loading of
// data, polling and announcements for screen readers.
import { h } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { t } from './i18n.js';

export const html = htm.bind(h);

export function fieldId(name, prefix = 'f') {
  return prefix + '-' + name.replace(/[^a-zA-Z0-9]+/g, '-').replace(/-$/, '');
}

// Messages of the API that the console words in the user's language; any
// other message is shown as the API wrote it.
const MESSAGES = [
  [/^is already in use$/, 'problem.inUse'],
  [/^is already registered$/, 'problem.emailTaken'],
  [/^is not a valid telephone number/, 'problem.badNumber'],
  [/^expected string to be RFC 5322 email/, 'problem.badEmail'],
  [/^expected length >= 1$/, 'problem.required'],
  [/^expected required property/, 'problem.required'],
  [/^expected length >= (\d+)$/, 'problem.minLength'],
  [/^expected length <= (\d+)$/, 'problem.maxLength'],
  [/^expected string to match pattern/, 'problem.digits'],
  [/^the account needs at least one unlocked admin$/, 'problem.lastAdmin'],
  [/^you cannot delete yourself$/, 'problem.deleteSelf'],
  [/^is not a valid link token/, 'problem.badLink'],
];

export function messageText(msg) {
  for (const [re, key] of MESSAGES) {
    const m = re.exec(msg || '');
    if (m) return t(key, { n: m[1] });
  }
  return msg;
}

// errorField is the form field an error of a problem names
// (errors[].location "body.devices[1].number" names "devices[1].number"),
// or "" when it names none.
function errorField(e) {
  const loc = e.location || '';
  const req = /^expected required property (\S+) to be present$/.exec(e.message || '');
  if (req && loc === 'body') return req[1];
  return loc.startsWith('body.') ? loc.slice(5) : '';
}

// fieldErrors maps the fields a problem names to their message.
export function fieldErrors(problem) {
  const out = {};
  for (const e of problem?.errors || []) {
    const field = errorField(e);
    if (field && !(field in out)) out[field] = messageText(e.message);
  }
  return out;
}

// errorFor finds the message for a field, including its elements
// ("numbers" also answers for "numbers[2]").
export function errorFor(errors, name) {
  if (!errors) return undefined;
  if (errors[name]) return errors[name];
  const key = Object.keys(errors).find((k) => k.startsWith(name + '[') || k.startsWith(name + '.'));
  return key ? errors[key] : undefined;
}

function problemSummary(problem, unmatched) {
  switch (problem.status) {
    case 0:
      return t('problem.network');
    case 401:
      return t('problem.unauthorized');
    case 403:
      return t('problem.forbidden');
    case 404:
      return t('problem.notFound');
    case 429:
      return t('problem.tooMany');
  }
  if (problem.errors.length && !unmatched.length) return t('problem.checkFields');
  return t('problem.generic');
}

// ProblemAlert shows what a failed request answered: a summary, plus every
// error that no field of the form shows itself.
export function ProblemAlert({ problem, fields = [] }) {
  if (!problem) return null;
  const unmatched = (problem.errors || []).filter((e) => {
    const f = errorField(e);
    return !f || !fields.some((name) => f === name || f.startsWith(name + '[') || f.startsWith(name + '.'));
  });
  const lines = unmatched.map((e) => messageText(e.message));
  if (!problem.errors.length && problem.detail && problem.status !== 401) lines.push(messageText(problem.detail));
  return html`<div class="alert" role="alert">
    <p>${problemSummary(problem, unmatched)}</p>
    ${lines.length > 0 && html`<ul>${[...new Set(lines)].map((l) => html`<li>${l}</li>`)}</ul>`}
  </div>`;
}

function describedBy(...ids) {
  const s = ids.filter(Boolean).join(' ');
  return s || undefined;
}

export function TextField(p) {
  const id = p.id || fieldId(p.name);
  const hintId = p.hint ? id + '-hint' : null;
  const errId = p.error ? id + '-err' : null;
  const Tag = p.multiline ? 'textarea' : 'input';
  return html`<div class="field ${p.error ? 'invalid' : ''}">
    <label for=${id}>${p.label}</label>${p.required && html`<span class="req" aria-hidden="true">*</span>`}
    <div class="control">
      ${p.before}
      <${Tag}
        id=${id}
        name=${p.name}
        type=${p.multiline ? undefined : p.type || 'text'}
        rows=${p.multiline ? 3 : undefined}
        value=${p.value ?? ''}
        onInput=${(e) => p.onInput(e.currentTarget.value)}
        required=${p.required}
        aria-invalid=${p.error ? 'true' : undefined}
        aria-describedby=${describedBy(hintId, errId)}
        autocomplete=${p.autocomplete}
        inputmode=${p.inputmode}
        readonly=${p.readOnly}
        autofocus=${p.autofocus}
        minlength=${p.minLength}
        maxlength=${p.maxLength}
        min=${p.min}
        max=${p.max}
        list=${p.list}
      />
    </div>
    ${p.hint && html`<p id=${hintId} class="hint">${p.hint}</p>`}
    ${p.error && html`<p id=${errId} class="error">${p.error}</p>`}
  </div>`;
}

export function SelectField(p) {
  const id = p.id || fieldId(p.name);
  const hintId = p.hint ? id + '-hint' : null;
  const errId = p.error ? id + '-err' : null;
  return html`<div class="field ${p.error ? 'invalid' : ''}">
    <label for=${id}>${p.label}</label>
    <div class="control">
      <select
        id=${id}
        name=${p.name}
        value=${p.value}
        onChange=${(e) => p.onChange(e.currentTarget.value)}
        aria-invalid=${p.error ? 'true' : undefined}
        aria-describedby=${describedBy(hintId, errId)}
        autofocus=${p.autofocus}
      >
        ${p.options.map((o) => html`<option value=${o.value} selected=${o.value === p.value}>${o.label}</option>`)}
      </select>
    </div>
    ${p.hint && html`<p id=${hintId} class="hint">${p.hint}</p>`}
    ${p.error && html`<p id=${errId} class="error">${p.error}</p>`}
  </div>`;
}

export function CheckField(p) {
  const id = p.id || fieldId(p.name);
  const hintId = p.hint ? id + '-hint' : null;
  const errId = p.error ? id + '-err' : null;
  return html`<div class="field check ${p.error ? 'invalid' : ''}">
    <input
      id=${id}
      type=${p.radio ? 'radio' : 'checkbox'}
      name=${p.group || p.name}
      value=${p.value}
      checked=${!!p.checked}
      disabled=${p.disabled}
      onChange=${(e) => p.onChange(e.currentTarget.checked)}
      aria-invalid=${p.error ? 'true' : undefined}
      aria-describedby=${describedBy(hintId, errId)}
    />
    <label for=${id}>${p.label}</label>
    ${p.hint && html`<p id=${hintId} class="hint">${p.hint}</p>`}
    ${p.error && html`<p id=${errId} class="error">${p.error}</p>`}
  </div>`;
}

// focusFirstError moves the focus to the first field marked invalid inside
// root, so a keyboard user lands where the problem is.
export function focusFirstError(root) {
  requestAnimationFrame(() => {
    const el = (root || document).querySelector('[aria-invalid="true"]');
    if (el) el.focus();
    else (root || document).querySelector('.alert')?.focus?.();
  });
}

// Dialog is a modal <dialog>: the browser traps the focus inside and
// closes it on Escape.
export function Dialog({ title, onClose, children, wide }) {
  const ref = useRef();
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d.open) d.showModal();
    return () => d.open && d.close();
  }, []);
  return html`<dialog
    ref=${ref}
    class="dialog ${wide ? 'wide' : ''}"
    aria-labelledby=${titleId}
    onCancel=${(e) => {
      e.preventDefault();
      onClose();
    }}
  >
    <div class="dialog-head">
      <h2 id=${titleId}>${title}</h2>
      <button type="button" class="icon" onClick=${onClose} aria-label=${t('common.close')}><span aria-hidden="true">×</span></button>
    </div>
    <div class="dialog-body">${children}</div>
  </dialog>`;
}

// ConfirmDialog asks before an action that cannot be undone.
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onClose, danger = true }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  async function confirm() {
    setBusy(true);
    setProblem(null);
    try {
      await onConfirm();
    } catch (err) {
      setProblem(err);
      setBusy(false);
    }
  }
  return html`<${Dialog} title=${title} onClose=${onClose}>
    ${children}
    <${ProblemAlert} problem=${problem} />
    <div class="buttons">
      <button type="button" class=${danger ? 'danger' : 'primary'} onClick=${confirm} disabled=${busy}>${confirmLabel}</button>
      <button type="button" onClick=${onClose} autofocus>${t('common.cancel')}</button>
    </div>
  <//>`;
}

// FormDialog is a dialog around a form whose submit may answer a problem;
// fields lists the names the form shows errors for itself.
export function FormDialog({ title, submitLabel, onSubmit, onClose, fields, children }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const ref = useRef();
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await onSubmit();
    } catch (err) {
      setProblem(err);
      setBusy(false);
      focusFirstError(ref.current);
    }
  }
  const errors = fieldErrors(problem);
  return html`<${Dialog} title=${title} onClose=${onClose}>
    <form ref=${ref} onSubmit=${submit} novalidate>
      ${typeof children === 'function' ? children(errors) : children}
      <${ProblemAlert} problem=${problem} fields=${fields} />
      <div class="buttons">
        <button type="submit" class="primary" disabled=${busy}>${submitLabel}</button>
        <button type="button" onClick=${onClose}>${t('common.cancel')}</button>
      </div>
    </form>
  <//>`;
}

// Menu is a button that shows a list of actions (the options of a phone).
export function Menu({ label, name, items }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const ref = useRef();
  useEffect(() => {
    if (!open) return undefined;
    const outside = (e) => {
      if (!ref.current?.contains(e.target)) setOpen(false);
    };
    document.addEventListener('click', outside);
    return () => document.removeEventListener('click', outside);
  }, [open]);
  useEffect(() => {
    if (open) ref.current?.querySelector('.menu-list button')?.focus();
  }, [open]);
  function key(e) {
    if (e.key === 'Escape' && open) {
      e.stopPropagation();
      setOpen(false);
      ref.current.querySelector('button').focus();
    }
  }
  return html`<div class="menu" ref=${ref} onKeyDown=${key}>
    <button type="button" aria-expanded=${open ? 'true' : 'false'} aria-controls=${id} aria-label=${name} onClick=${() => setOpen(!open)}>
      ${label} <span aria-hidden="true">▾</span>
    </button>
    ${open &&
    html`<ul id=${id} class="menu-list">
      ${items.map(
        (it) => html`<li>
          <button
            type="button"
            onClick=${() => {
              setOpen(false);
              it.onSelect();
            }}
          >
            ${it.label}
          </button>
        </li>`,
      )}
    </ul>`}
  </div>`;
}

// useLoad runs load on mount and on reload; the last data stays visible
// while a reload runs.
export function useLoad(load, deps = []) {
  const [state, setState] = useState({ loading: true });
  const seq = useRef(0);
  const reload = useCallback(async () => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await load();
      if (n === seq.current) setState({ data, loading: false });
    } catch (error) {
      if (n === seq.current) setState((s) => ({ ...s, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    reload();
  }, [reload]);
  return { ...state, reload };
}

// usePolling calls fn every ms milliseconds while the page is visible.
export function usePolling(fn, ms) {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') saved.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}

// Loaded shows a loading note, a problem, or its children once data is
// there.
export function Loaded({ state, children }) {
  if (state.data !== undefined) return children(state.data);
  if (state.error) return html`<${ProblemAlert} problem=${state.error} />`;
  return html`<p class="loading" role="status">${t('common.loading')}</p>`;
}

// Page is a screen: its heading gets the focus when the screen opens, so
// keyboard and screen reader users start at the top of the new content.
export function Page({ title, actions, children, intro }) {
  const ref = useRef();
  useEffect(() => {
    document.title = `${title} · Switchboard`;
  }, [title]);
  useEffect(() => {
    ref.current?.focus({ preventScroll: false });
  }, []);
  return html`<section class="page">
    <div class="page-head">
      <h1 tabindex="-1" ref=${ref}>${title}</h1>
      ${actions && html`<div class="actions">${actions}</div>`}
    </div>
    ${intro && html`<p class="intro">${intro}</p>`}
    ${children}
  </section>`;
}

let pushToast = () => {};

// announce shows a short note and reads it to screen reader users.
export function announce(text, kind = 'ok') {
  pushToast({ text, kind, id: Math.random() });
}

export function Toaster() {
  const [items, setItems] = useState([]);
  pushToast = (item) => {
    setItems((x) => [...x.slice(-2), item]);
    setTimeout(() => setItems((x) => x.filter((i) => i !== item)), 6000);
  };
  return html`<div class="toasts" role="status" aria-live="polite">
    ${items.map((i) => html`<p class="toast ${i.kind}" key=${i.id}>${i.text}</p>`)}
  </div>`;
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'offscreen';
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

export function CopyButton({ text, what }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    const ok = await copyText(text);
    setCopied(ok);
    announce(ok ? t('common.copiedWhat', { what }) : t('common.copyFailed'), ok ? 'ok' : 'error');
    if (ok) setTimeout(() => setCopied(false), 2000);
  }
  return html`<button type="button" class="small" onClick=${copy} aria-label=${t('common.copyWhat', { what })}>
    ${copied ? t('common.copied') : t('common.copy')}
  </button>`;
}

export function Badge({ kind = '', children }) {
  return html`<span class="badge ${kind}">${children}</span>`;
}

// ExtensionField is the extension input with the list button in front of
// it that shows the extensions in use, as the guide describes.
export function ExtensionField({ name = 'extension', label, value, onInput, error, extensions, digits, id }) {
  const [show, setShow] = useState(false);
  const listId = useId();
  const toggle = html`<button
    type="button"
    class="icon list-toggle"
    aria-expanded=${show ? 'true' : 'false'}
    aria-controls=${listId}
    aria-label=${t('ext.showUsed')}
    title=${t('ext.showUsed')}
    onClick=${() => setShow(!show)}
  >
    <span aria-hidden="true">☰</span>
  </button>`;
  const hint = digits ? t('ext.hint', { min: digits.min, max: digits.max }) : undefined;
  return html`<div class="ext-field">
    <${TextField} id=${id} name=${name} label=${label || t('ext.label')} value=${value} onInput=${onInput} error=${error} inputmode="numeric" hint=${hint} before=${toggle} />
    <div id=${listId} class="ext-list" hidden=${!show}>
      <h3>${t('ext.used')}</h3>
      ${(extensions || []).length
        ? html`<ul>
            ${extensions.map((x) => html`<li><span class="mono">${x.extension}</span> ${x.name} <span class="muted">(${x.kind === 'group' ? t('ext.kindGroup') : t('ext.kindUser')})</span></li>`)}
          </ul>`
        : html`<p>${t('ext.none')}</p>`}
    </div>
  </div>`;
}

// Steps shows where a wizard is ("Step 2 of 3").
export function Steps({ current, labels }) {
  return html`<ol class="steps" aria-label=${t('common.progress')}>
    ${labels.map((l, i) => html`<li class=${i + 1 === current ? 'current' : i + 1 < current ? 'done' : ''} aria-current=${i + 1 === current ? 'step' : undefined}>${l}</li>`)}
  </ol>`;
}
