// An activation link (/activate/{token}): the holder of a new account, or of one whose password
// was reset, chooses his own password. The link works once; afterwards he logs in.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { post } from '../api.js';
import { field, form } from '../ui/form.js';

export default async function activatePage({ params }) {
  return h('section', { class: 'page narrow' },
    h('h1', { text: t('activate.title') }),
    h('p', { class: 'lead', text: t('activate.intro') }),
    form({
      label: t('activate.title'),
      submit: t('activate.submit'),
      children: [
        field({
          label: t('activate.password'), name: 'new_password', kind: 'password', required: true,
          hint: t('activate.hint'), attrs: { autocomplete: 'new-password', minlength: '12' },
        }),
      ],
      onSubmit: async ({ new_password: password }, el) => {
        await post('/api/activation', { token: params.token, new_password: password });
        el.replaceWith(h('div', { role: 'status' },
          h('p', { class: 'lead', text: t('activate.done') }),
          h('p', {}, h('a', { class: 'button primary', href: '/login', text: t('login.submit') }))));
      },
    }));
}
