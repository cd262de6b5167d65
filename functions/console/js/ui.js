// Building blocks every screen shares: dialogs, menus, loading of data,
// polling, pages and announcements for screen readers. The form fields
// (fields.js) and the handling of the API's problems (problem.js) are
// exported from here too, so that screens import one module.
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { t } from './i18n.js';
import { html } from './html.js';
import { fieldErrors, ProblemAlert } from './problem.js';
import { focusFirstError } from './fields.js';

export { html } from './html.js';
export * from './problem.js';
export * from './fields.js';

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
  // set changes the loaded data in place (a poll that reads only part of
  // it), unless a reload is running.
  const set = useCallback((change) => {
    setState((s) => (s.data === undefined || s.loading ? s : { ...s, data: change(s.data) }));
  }, []);
  return { ...state, reload, set };
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

// Steps shows where a wizard is ("Step 2 of 3").
export function Steps({ current, labels }) {
  return html`<ol class="steps" aria-label=${t('common.progress')}>
    ${labels.map((l, i) => html`<li class=${i + 1 === current ? 'current' : i + 1 < current ? 'done' : ''} aria-current=${i + 1 === current ? 'step' : undefined}>${l}</li>`)}
  </ol>`;
}
