// Webhooks for admins: where call events go (incoming and outgoing URL,
// format, events), the signing secret (shown once, when it is made), a
// test event and the delivery log with resend.
import { useState } from 'preact/hooks';
import * as api from '../api.js';
import { formatCount, formatDateTime, t } from '../i18n.js';
import { announce, Badge, CheckField, CopyButton, html, Loaded, Page, ProblemAlert, SelectField, TextField, useLoad } from '../ui.js';
import { useSubmit } from './auth.js';

const EVENTS = ['newCall', 'answer', 'hangup'];
const DIRECTIONS = ['incoming', 'outgoing'];
const LABELS = {
  incoming: { legend: 'webhooks.incoming', url: 'webhooks.url.incoming', format: 'webhooks.format.incoming', events: 'webhooks.events.incoming' },
  outgoing: { legend: 'webhooks.outgoing', url: 'webhooks.url.outgoing', format: 'webhooks.format.outgoing', events: 'webhooks.events.outgoing' },
};
const EVENT_LABELS = { newCall: 'webhooks.event.newCall', answer: 'webhooks.event.answer', hangup: 'webhooks.event.hangup' };
const COLUMNS = [
  ['time', 'webhooks.col.time'],
  ['event', 'webhooks.col.event'],
  ['url', 'webhooks.col.url'],
  ['status', 'webhooks.col.status'],
  ['latency', 'webhooks.col.latency'],
  ['attempt', 'webhooks.col.attempt'],
  ['error', 'webhooks.col.error'],
];

export function Webhooks() {
  const state = useLoad(() => api.get('/v1/webhooks'));
  const [secret, setSecret] = useState('');
  const [logKey, setLogKey] = useState(0);
  const shown = (info) => {
    if (info?.signingSecret) setSecret(info.signingSecret);
  };
  return html`<${Page} title=${t('webhooks.title')} intro=${t('webhooks.intro')}>
    ${secret && html`<${SecretBox} secret=${secret} onHide=${() => setSecret('')} />`}
    <${Loaded} state=${state}>
      ${(info) => html`<div class="grid">
        <${HooksForm} info=${info} onSaved=${(next) => (shown(next), state.reload())} />
        <${SecretCard} info=${info} onRotated=${(next) => (shown(next), state.reload())} onTested=${() => setLogKey(logKey + 1)} />
      </div>`}
    <//>
    <${DeliveryLog} key=${logKey} />
  <//>`;
}

function SecretBox({ secret, onHide }) {
  return html`<div class="secret-box" role="status">
    <p><strong>${t('webhooks.secretTitle')}</strong></p>
    <p>${t('webhooks.secretOnce')}</p>
    <p><code class="mono" data-webhook-secret>${secret}</code> <${CopyButton} text=${secret} what=${t('webhooks.secret')} /></p>
    <button type="button" class="small" onClick=${onHide}>${t('webhooks.secretHide')}</button>
  </div>`;
}

function hookState(h) {
  return { url: h?.url || '', format: h?.format || 'form', events: h?.events?.length ? [...h.events] : ['newCall'] };
}

function HooksForm({ info, onSaved }) {
  const [v, setV] = useState({ incoming: hookState(info.incoming), outgoing: hookState(info.outgoing) });
  const set = (dir, k) => (x) => setV({ ...v, [dir]: { ...v[dir], [k]: x } });
  const toggle = (dir, ev) => (on) => {
    const events = EVENTS.filter((e) => (e === ev ? on : v[dir].events.includes(e)));
    setV({ ...v, [dir]: { ...v[dir], events } });
  };
  const f = useSubmit(async () => {
    const body = { overrides: info.overrides || [] };
    for (const dir of DIRECTIONS) {
      const url = v[dir].url.trim();
      if (url) body[dir] = { ...(info[dir] || {}), url, format: v[dir].format, events: v[dir].events };
    }
    const next = await api.put('/v1/webhooks', body);
    announce(t('common.saved'));
    onSaved(next);
  });
  const formats = [
    { value: 'form', label: t('webhooks.formatForm') },
    { value: 'json', label: t('webhooks.formatJson') },
  ];
  return html`<section class="card" aria-labelledby="sec-hooks">
    <h2 id="sec-hooks">${t('webhooks.urls')}</h2>
    <form ref=${f.ref} onSubmit=${f.onSubmit} novalidate>
      ${DIRECTIONS.map(
        (dir) => html`<fieldset>
          <legend>${t(LABELS[dir].legend)}</legend>
          <${TextField} name=${dir + '.url'} type="url" label=${t(LABELS[dir].url)} value=${v[dir].url} onInput=${set(dir, 'url')} error=${f.errors[dir + '.url'] || f.errors[dir]} hint=${t('webhooks.urlHint')} />
          <${SelectField} name=${dir + '.format'} label=${t(LABELS[dir].format)} value=${v[dir].format} onChange=${set(dir, 'format')} options=${formats} error=${f.errors[dir + '.format']} />
          <fieldset>
            <legend>${t(LABELS[dir].events)}</legend>
            ${EVENTS.map((ev) => html`<${CheckField} name=${dir + '.events.' + ev} label=${t(EVENT_LABELS[ev])} checked=${v[dir].events.includes(ev)} onChange=${toggle(dir, ev)} />`)}
            ${f.errors[dir + '.events'] && html`<p class="error">${f.errors[dir + '.events']}</p>`}
          </fieldset>
        </fieldset>`,
      )}
      <${ProblemAlert} problem=${f.problem} fields=${['incoming.url', 'incoming.format', 'incoming.events', 'outgoing.url', 'outgoing.format', 'outgoing.events']} />
      <div class="buttons"><button type="submit" class="primary" disabled=${f.busy}>${t('common.save')}</button></div>
    </form>
  </section>`;
}

function SecretCard({ info, onRotated, onTested }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const [results, setResults] = useState(null);
  async function run(fn) {
    setBusy(true);
    setProblem(null);
    try {
      await fn();
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  }
  const rotate = () =>
    run(async () => {
      const next = await api.post('/v1/webhooks/secret/rotate');
      announce(t('webhooks.rotated'));
      onRotated(next);
    });
  const test = () =>
    run(async () => {
      const res = await api.post('/v1/webhooks/test');
      const items = res.items || [];
      setResults(items);
      announce(t('webhooks.tested', { n: formatCount(items.length) }));
      onTested();
    });
  const configured = !!(info.incoming?.url || info.outgoing?.url);
  return html`<section class="card" aria-labelledby="sec-secret">
    <h2 id="sec-secret">${t('webhooks.signing')}</h2>
    <p>${info.secret?.set ? t('webhooks.secretSet', { date: formatDateTime(info.secret.createdAt) }) : t('webhooks.secretNone')}</p>
    <p class="hint">${t('webhooks.signingHint')}</p>
    <div class="buttons">
      <button type="button" onClick=${rotate} disabled=${busy}>${info.secret?.set ? t('webhooks.rotate') : t('webhooks.create')}</button>
      <button type="button" onClick=${test} disabled=${busy || !configured}>${t('webhooks.test')}</button>
    </div>
    ${!configured && html`<p class="hint">${t('webhooks.testNeedsUrl')}</p>`}
    ${results &&
    html`<ul class="plain" data-test-results>
      ${results.map((d) => html`<li><${Badge} kind=${d.ok ? 'online' : 'off'}>${d.ok ? t('webhooks.ok') : t('webhooks.failed')}<//> <span class="mono">${d.url}</span> ${d.status ? `HTTP ${d.status}` : ''} ${d.error || ''}</li>`)}
    </ul>`}
    <${ProblemAlert} problem=${problem} />
  </section>`;
}

function DeliveryLog() {
  const [pages, setPages] = useState([]);
  const [next, setNext] = useState('');
  const [problem, setProblem] = useState(null);
  const first = useLoad(async () => {
    const res = await api.get('/v1/webhooks/deliveries?limit=25');
    setPages([res.items || []]);
    setNext(res.next || '');
    return true;
  });
  async function more() {
    setProblem(null);
    try {
      const res = await api.get('/v1/webhooks/deliveries?limit=25&cursor=' + encodeURIComponent(next));
      setPages([...pages, res.items || []]);
      setNext(res.next || '');
    } catch (err) {
      setProblem(err);
    }
  }
  async function resend(d) {
    setProblem(null);
    try {
      const res = await api.post(`/v1/webhooks/deliveries/${api.seg(d.id)}/resend`);
      announce(res.ok ? t('webhooks.resent') : t('webhooks.resentFailed'), res.ok ? 'ok' : 'error');
      first.reload();
    } catch (err) {
      setProblem(err);
    }
  }
  const items = pages.flat();
  return html`<section class="card" aria-labelledby="sec-log">
    <h2 id="sec-log">${t('webhooks.log')}</h2>
    <div class="buttons"><button type="button" class="small" onClick=${first.reload}>${t('webhooks.refresh')}</button></div>
    <${Loaded} state=${first}>
      ${() =>
        items.length === 0
          ? html`<p>${t('webhooks.logEmpty')}</p>`
          : html`<table class="list">
              <caption class="sr">${t('webhooks.log')}</caption>
              <thead><tr>${COLUMNS.map(([, k]) => html`<th scope="col">${t(k)}</th>`)}<th scope="col"><span class="sr">${t('numbers.actions')}</span></th></tr></thead>
              <tbody>
                ${items.map(
                  (d) => html`<tr data-delivery=${d.id}>
                    <td data-label=${t('webhooks.col.time')} class="nowrap">${formatDateTime(d.time)}</td>
                    <td data-label=${t('webhooks.col.event')}>${d.event}</td>
                    <td data-label=${t('webhooks.col.url')} class="mono">${d.url}</td>
                    <td data-label=${t('webhooks.col.status')}><${Badge} kind=${d.ok ? 'online' : 'off'}>${d.status ? String(d.status) : t('webhooks.noAnswer')}<//></td>
                    <td data-label=${t('webhooks.col.latency')} class="nowrap">${t('webhooks.ms', { n: formatCount(d.latencyMs) })}</td>
                    <td data-label=${t('webhooks.col.attempt')}>${formatCount(d.attempt)}</td>
                    <td data-label=${t('webhooks.col.error')}>${d.error || '–'}</td>
                    <td><button type="button" class="small" onClick=${() => resend(d)} aria-label=${t('webhooks.resendWhat', { event: d.event, time: formatDateTime(d.time) })}>${t('webhooks.resend')}</button></td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
    <//>
    ${next && html`<div class="buttons"><button type="button" onClick=${more}>${t('webhooks.more')}</button></div>`}
    <${ProblemAlert} problem=${problem} />
  </section>`;
}
