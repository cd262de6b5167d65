// The event list: the user's own calls (admins: every call of the account,
// with a user filter), filtered by direction, status, date range and
// number, with read, starred and archive per entry and a CSV download of
// what the filters show.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { formatCount, formatDateTime, t } from '../i18n.js';
import { announce, Badge, html, Loaded, Page, ProblemAlert, SelectField, TextField, useLoad } from '../ui.js';

const DIRECTIONS = { in: 'history.dir.in', out: 'history.dir.out', internal: 'history.dir.internal' };
const STATUSES = { answered: 'history.st.answered', missed: 'history.st.missed' };
const COLUMNS = ['history.col.time', 'history.col.direction', 'history.col.from', 'history.col.to', 'history.col.status', 'history.col.duration'];

const EMPTY = { direction: '', status: '', from: '', to: '', number: '', user: '', archived: false };

// query is the API's query string for the filters (dates are whole days
// in the user's time zone).
function query(f) {
  const q = new URLSearchParams();
  if (f.direction) q.set('direction', f.direction);
  if (f.status) q.set('status', f.status);
  if (f.from) q.set('from', new Date(f.from + 'T00:00:00').toISOString());
  if (f.to) q.set('to', new Date(f.to + 'T23:59:59.999').toISOString());
  if (f.number.trim()) q.set('number', f.number.trim());
  if (f.user) q.set('user', f.user);
  if (f.archived) q.set('archived', 'true');
  return q.toString();
}

function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const pad = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m % 60)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

// download fetches the CSV with the session and hands it to the browser
// as a file.
async function download(path) {
  const s = api.session();
  const res = await fetch(path, { headers: s ? { Authorization: 'Bearer ' + s.token } : {} });
  if (!res.ok) throw new api.Problem(res.status, await res.json().catch(() => null));
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = 'calls.csv';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function History({ me }) {
  const admin = me.user.admin;
  const [f, setF] = useState(EMPTY);
  const [pages, setPages] = useState([]);
  const [next, setNext] = useState('');
  const [problem, setProblem] = useState(null);
  const q = query(f);
  const users = useLoad(() => (admin ? api.all('/v1/users') : Promise.resolve([])), [admin]);
  const first = useLoad(async () => {
    const res = await api.get('/v1/history?limit=50' + (q ? '&' + q : ''));
    setPages([res.items || []]);
    setNext(res.next || '');
    return true;
  }, [q]);
  const set = (k) => (x) => setF({ ...f, [k]: x });
  async function more() {
    setProblem(null);
    try {
      const res = await api.get('/v1/history?limit=50&cursor=' + encodeURIComponent(next) + (q ? '&' + q : ''));
      setPages([...pages, res.items || []]);
      setNext(res.next || '');
    } catch (err) {
      setProblem(err);
    }
  }
  async function change(e, body, note) {
    setProblem(null);
    try {
      const updated = await api.patch(`/v1/history/${api.seg(e.id)}`, body);
      if (body.archived !== undefined) {
        setPages(pages.map((p) => p.filter((x) => x.id !== e.id)));
      } else {
        setPages(pages.map((p) => p.map((x) => (x.id === e.id ? { ...x, ...(updated || body) } : x))));
      }
      if (note) announce(note);
    } catch (err) {
      setProblem(err);
    }
  }
  const csv = '/v1/history.csv' + (q ? '?' + q : '');
  async function onDownload(ev) {
    ev.preventDefault();
    setProblem(null);
    try {
      await download(csv);
    } catch (err) {
      setProblem(err);
    }
  }
  const name = new Map((users.data || []).map((u) => [u.id, u.name]));
  const options = (labels) => [{ value: '', label: t('history.all') }, ...Object.entries(labels).map(([v, k]) => ({ value: v, label: t(k) }))];
  const items = pages.flat();
  const filtered = q !== '';
  return html`<${Page} title=${t('history.title')} intro=${admin ? t('history.introAdmin') : t('history.intro')}
    actions=${html`<a class="button" href=${csv} download="calls.csv" onClick=${onDownload}>${t('history.csv')}</a>`}>
    <form class="filters" aria-label=${t('history.filters')} onSubmit=${(e) => e.preventDefault()}>
      <div class="row">
        <${SelectField} name="direction" label=${t('history.direction')} value=${f.direction} onChange=${set('direction')} options=${options(DIRECTIONS)} />
        <${SelectField} name="status" label=${t('history.status')} value=${f.status} onChange=${set('status')} options=${options(STATUSES)} />
        <${TextField} name="from" type="date" label=${t('history.fromDate')} value=${f.from} onInput=${set('from')} />
        <${TextField} name="to" type="date" label=${t('history.toDate')} value=${f.to} onInput=${set('to')} />
        <${TextField} name="number" type="search" inputmode="tel" label=${t('history.number')} value=${f.number} onInput=${set('number')} />
        ${admin &&
        html`<${SelectField} name="user" label=${t('history.user')} value=${f.user} onChange=${set('user')}
          options=${[{ value: '', label: t('history.allUsers') }, ...(users.data || []).map((u) => ({ value: u.id, label: u.name }))]} />`}
      </div>
      <div class="buttons">
        <button type="button" class="small" aria-pressed=${f.archived ? 'true' : 'false'} onClick=${() => set('archived')(!f.archived)}>${f.archived ? t('history.showCurrent') : t('history.showArchived')}</button>
        ${filtered && html`<button type="button" class="small" onClick=${() => setF(EMPTY)}>${t('history.reset')}</button>`}
      </div>
    </form>
    <${Loaded} state=${first}>
      ${() =>
        items.length === 0
          ? html`<p data-history-empty>${filtered ? t('history.noMatch') : t('history.none')}</p>`
          : html`<table class="list">
              <caption class="sr">${t('history.title')}</caption>
              <thead><tr>${COLUMNS.map((k) => html`<th scope="col">${t(k)}</th>`)}${admin && html`<th scope="col">${t('history.col.users')}</th>`}<th scope="col"><span class="sr">${t('numbers.actions')}</span></th></tr></thead>
              <tbody>
                ${items.map(
                  (e) => html`<tr data-entry=${e.id} class=${e.read ? '' : 'unread'}>
                    <td data-label=${t('history.col.time')} class="nowrap">${formatDateTime(e.start)}</td>
                    <td data-label=${t('history.col.direction')}>${t(DIRECTIONS[e.direction] || 'history.dir.in')}</td>
                    <td data-label=${t('history.col.from')} class="mono">${e.from || '–'}</td>
                    <td data-label=${t('history.col.to')} class="mono">${e.to || '–'}</td>
                    <td data-label=${t('history.col.status')}><${Badge} kind=${e.status === 'missed' ? 'off' : ''}>${t(STATUSES[e.status] || 'history.st.answered')}<//></td>
                    <td data-label=${t('history.col.duration')} class="nowrap">${formatDuration(e.duration)}</td>
                    ${admin && html`<td data-label=${t('history.col.users')}>${(e.users || []).map((u) => name.get(u) || u).join(', ') || '–'}</td>`}
                    <td>
                      <span class="row-actions">
                        <button type="button" class="small" aria-pressed=${e.read ? 'true' : 'false'} onClick=${() => change(e, { read: !e.read })}>${e.read ? t('history.markUnread') : t('history.markRead')}</button>
                        <button type="button" class="small" aria-pressed=${e.starred ? 'true' : 'false'} aria-label=${t('history.star')} onClick=${() => change(e, { starred: !e.starred })}>${e.starred ? '★' : '☆'}</button>
                        <button type="button" class="small" onClick=${() => change(e, { archived: !e.archived }, e.archived ? t('history.unarchived') : t('history.archivedNote'))}>${e.archived ? t('history.unarchive') : t('history.archive')}</button>
                      </span>
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>
            <p class="hint">${t('history.count', { n: formatCount(items.length) })}</p>`}
    <//>
    ${next && html`<div class="buttons"><button type="button" onClick=${more}>${t('history.more')}</button></div>`}
    <${ProblemAlert} problem=${problem} />
  <//>`;
}
