// Who is using the client: an account, an invitee (guest or client, bound to one conference),
// or nobody yet. Loaded at start-up and after logging in or accepting an invite.

import { get, ApiError, setAudience } from './api.js';

let me = null;

export async function refreshMe() {
  try {
    me = await get('/api/me');
    // Only a known kind changes the words: an invitee whose session ended stays an invitee.
    if (me && me.kind) setAudience(me.kind);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) me = null;
    else throw err;
  }
  window.dispatchEvent(new CustomEvent('kt:me'));
  return me;
}

export function currentMe() {
  return me;
}

export function currentUser() {
  return me && me.kind === 'user' ? me.user : null;
}

/** Resolves with the account, or throws the 401 the router turns into a login. */
export async function requireUser() {
  const user = currentUser() || (await refreshMe(), currentUser());
  if (!user) throw new ApiError(401, { error: 'unauthorized' });
  return user;
}
