// Labelled form fields. A field shows its hint and the error the API named
// it with, tied to the control by aria-describedby, and marks the control
// invalid so that the focus can go there.
import { useId, useState } from 'preact/hooks';
import { t } from './i18n.js';
import { html } from './html.js';

export function fieldId(name, prefix = 'f') {
  return prefix + '-' + name.replace(/[^a-zA-Z0-9]+/g, '-').replace(/-$/, '');
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
