// Problems the API answers (RFC 9457): which field each error names, its
// message in the user's language, and the summary a form shows.
import { t } from './i18n.js';
import { html } from './html.js';

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
