// Logging in with e-mail and password; afterwards back to where the user was going.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { post, setAudience } from '../api.js';
import { field, form } from '../ui/form.js';
import { navigate } from '../router.js';
import { refreshMe } from '../session.js';

/** Only paths on this site: an open redirect through `next` would be a phishing aid. */
function safeNext(next) {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export default async function loginPage(ctx) {
  // Whoever logs in here has a password (an earlier invitee in this tab included).
  setAudience('user');
  const next = safeNext(ctx.query.get('next'));
  const invite = next.startsWith('/join/');
  return h('section', { class: 'page narrow' },
    h('h1', { text: t('login.title') }),
    h('p', { class: 'lead', text: invite ? t('login.for_invite') : t('login.intro') }),
    form({
      label: t('login.title'),
      submit: t('login.submit'),
      children: [
        field({ label: t('login.email'), name: 'email', kind: 'email', required: true, attrs: { autocomplete: 'username' } }),
        field({ label: t('login.password'), name: 'password', kind: 'password', required: true, attrs: { autocomplete: 'current-password' } }),
      ],
      onSubmit: async ({ email, password }) => {
        await post('/api/session', { email: email.trim(), password });
        await refreshMe();
        navigate(next, { replace: true });
      },
    }));
}
