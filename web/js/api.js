// The one way the client talks to the REST API: JSON in, JSON out, and every refusal becomes
// an ApiError whose text the user can read in their own language.

import { t, has } from './i18n.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || (status === 0 ? 'network' : `http_${status}`);
    this.field = body && body.field;
  }
}

/** Calls the API; resolves with the parsed body (null for 204), rejects with an ApiError. */
export async function api(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (res.status === 204) return null;
  const isJson = (res.headers.get('content-type') || '').includes('json');
  const data = isJson ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) throw new ApiError(res.status, isJson ? data : null);
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
/** A DELETE; `body` carries e.g. the reason for taking someone off a case. */
export const del = (path, body) => api('DELETE', path, body);

/** Like `get`, but a 404 (an API that does not exist yet, or nothing there) gives `fallback`. */
export async function getOptional(path, fallback = null) {
  try {
    return await get(path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return fallback;
    throw err;
  }
}

/**
 * Who is using the client, for the words of an error: an invitee (guest or client) has an
 * invite link and no password, so a refused session is explained without one.
 */
let audience = 'user';
export function setAudience(kind) {
  audience = kind === 'invitee' ? 'invitee' : 'user';
}

/**
 * A sentence for the user. Known codes have their own translated text; otherwise the status
 * class decides. The server's own English message is never shown raw to a Dutch reader.
 */
export function errorText(err) {
  if (!(err instanceof ApiError)) return t('error.unexpected');
  if (audience === 'invitee' && (err.code === 'unauthorized' || err.status === 401)) return t('error.unauthorized_invite');
  if (has(`error.${err.code}`)) return t(`error.${err.code}`);
  if (err.status === 0) return t('error.network');
  if (err.status >= 500) return t('error.server');
  return t('error.refused');
}
