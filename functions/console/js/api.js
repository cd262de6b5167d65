// The console's client of the public /v1 API. The session token lives in
// sessionStorage: it is gone when the tab closes, and it is never sent
// anywhere but this origin's API.

const SESSION_KEY = 'switchboard.session';

// Problem is an RFC 9457 problem document answered by the API (status 0:
// the API could not be reached).
export class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.title = body?.title || '';
    this.detail = body?.detail || '';
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
  }
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY));
  } catch {
    return null;
  }
}

export function setSession(s) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token: s.token, userId: s.userId, accountId: s.accountId, expiresAt: s.expiresAt }));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

let unauthorized = () => {};

// onUnauthorized sets what happens when the API no longer accepts the
// session (expired, logged out elsewhere, user locked).
export function onUnauthorized(fn) {
  unauthorized = fn;
}

export async function request(method, path, body) {
  const headers = { Accept: 'application/json, application/problem+json' };
  const s = session();
  if (s) headers.Authorization = 'Bearer ' + s.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new Problem(0, null);
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const p = new Problem(res.status, data);
    if (res.status === 401 && s && !path.startsWith('/v1/sessions')) {
      clearSession();
      unauthorized();
    }
    throw p;
  }
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body ?? {});
export const patch = (path, body) => request('PATCH', path, body);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);

// all reads every page of a cursor-paginated list.
export async function all(path) {
  const items = [];
  let cursor = '';
  for (let page = 0; page < 100; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await get(path + sep + 'limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...(res.items || []));
    if (!res.next) break;
    cursor = res.next;
  }
  return items;
}

export const seg = encodeURIComponent;
