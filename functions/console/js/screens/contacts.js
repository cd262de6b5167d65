// Contacts: the account's shared ones and the user's personal ones.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { announce, Badge, CheckField, ConfirmDialog, errorFor, FormDialog, html, Loaded, Page, TextField, useLoad } from '../ui.js';
import { matches, Search } from './users.js';

const lines = (s) =>
  s
    .split(/[\n,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export function Contacts({ me }) {
  const state = useLoad(() => api.all('/v1/contacts'));
  const [query, setQuery] = useState('');
  const [dialog, setDialog] = useState(null);
  const admin = me.user.admin;
  const close = () => setDialog(null);
  const mayEdit = (c) => (c.shared ? admin : c.owner === me.user.id || !c.owner);
  return html`<${Page} title=${t('contacts.title')} actions=${html`<button type="button" class="primary" onClick=${() => setDialog({ edit: {} })}>${t('contacts.add')}</button>`}>
    <${Search} id="contact-search" label=${t('common.search')} value=${query} onInput=${setQuery} />
    <${Loaded} state=${state}>
      ${(contacts) => {
        const shown = contacts.filter((c) => matches(query, c.name, c.company, ...(c.numbers || []), ...(c.emails || [])));
        return shown.length === 0
          ? html`<p>${contacts.length ? t('contacts.noMatch') : t('contacts.none')}</p>`
          : html`<table class="list">
              <caption class="sr">${t('contacts.title')}</caption>
              <thead><tr><th scope="col">${t('contacts.name')}</th><th scope="col">${t('contacts.company')}</th><th scope="col">${t('contacts.numbers')}</th><th scope="col">${t('contacts.emails')}</th><th scope="col">${t('contacts.visibility')}</th><th scope="col"><span class="sr">${t('numbers.actions')}</span></th></tr></thead>
              <tbody>
                ${shown.map(
                  (c) => html`<tr>
                    <td data-label=${t('contacts.name')}>${c.name}</td>
                    <td data-label=${t('contacts.company')}>${c.company || '–'}</td>
                    <td data-label=${t('contacts.numbers')} class="mono">${(c.numbers || []).join(', ') || '–'}</td>
                    <td data-label=${t('contacts.emails')}>${(c.emails || []).join(', ') || '–'}</td>
                    <td data-label=${t('contacts.visibility')}><${Badge}>${c.shared ? t('contacts.shared') : t('contacts.personal')}<//></td>
                    <td>
                      ${mayEdit(c) &&
                      html`<span class="row-actions">
                        <button type="button" class="small" onClick=${() => setDialog({ edit: c })} aria-label=${t('common.editWhat', { what: c.name })}>${t('common.edit')}</button>
                        <button type="button" class="small" onClick=${() => setDialog({ remove: c })} aria-label=${t('common.removeWhat', { what: c.name })}>${t('common.remove')}</button>
                      </span>`}
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>`;
      }}
    <//>
    ${dialog?.edit && html`<${ContactDialog} contact=${dialog.edit} admin=${admin} onClose=${close} onChanged=${state.reload} />`}
    ${dialog?.remove &&
    html`<${ConfirmDialog}
      title=${t('contacts.removeTitle', { name: dialog.remove.name })}
      confirmLabel=${t('common.remove')}
      onClose=${close}
      onConfirm=${async () => {
        await api.del(`/v1/contacts/${api.seg(dialog.remove.id)}`);
        announce(t('contacts.removed', { name: dialog.remove.name }));
        close();
        state.reload();
      }}
    >
      <p>${t('contacts.removeText')}</p>
    <//>`}
  <//>`;
}

function ContactDialog({ contact, admin, onClose, onChanged }) {
  const isNew = !contact.id;
  const [v, setV] = useState({
    name: contact.name || '',
    company: contact.company || '',
    numbers: (contact.numbers || []).join('\n'),
    emails: (contact.emails || []).join('\n'),
    shared: !!contact.shared,
  });
  const set = (k) => (x) => setV({ ...v, [k]: x });
  return html`<${FormDialog}
    title=${isNew ? t('contacts.add') : t('common.editWhat', { what: contact.name })}
    submitLabel=${t('common.save')}
    fields=${['name', 'company', 'numbers', 'emails', 'shared']}
    onClose=${onClose}
    onSubmit=${async () => {
      const body = { name: v.name.trim(), company: v.company.trim(), numbers: lines(v.numbers), emails: lines(v.emails) };
      if (isNew) {
        if (v.shared) body.shared = true;
        await api.post('/v1/contacts', body);
      } else {
        await api.patch(`/v1/contacts/${api.seg(contact.id)}`, body);
      }
      announce(t('common.saved'));
      onChanged();
      onClose();
    }}
  >
    ${(errors) => html`<${TextField} id="contact-name" name="name" label=${t('contacts.name')} value=${v.name} onInput=${set('name')} error=${errors.name} required autofocus />
      <${TextField} id="contact-company" name="company" label=${t('contacts.company')} value=${v.company} onInput=${set('company')} error=${errors.company} />
      <${TextField} id="contact-numbers" name="numbers" multiline label=${t('contacts.numbers')} value=${v.numbers} onInput=${set('numbers')} error=${errorFor(errors, 'numbers')} hint=${t('contacts.perLine')} />
      <${TextField} id="contact-emails" name="emails" multiline label=${t('contacts.emails')} value=${v.emails} onInput=${set('emails')} error=${errorFor(errors, 'emails')} hint=${t('contacts.perLine')} />
      ${isNew && admin && html`<${CheckField} id="contact-shared" name="shared" label=${t('contacts.shareLabel')} checked=${v.shared} onChange=${set('shared')} error=${errors.shared} />`}`}
  <//>`;
}
