// Scheduling a conference: when, and what for (everyone sees the purpose in the lobby).

import { h } from '../dom.js';
import { t, dutchTimeToIso, dutchDate } from '../i18n.js';
import { get, post } from '../api.js';
import { requireUser } from '../session.js';
import { field, form } from '../ui/form.js';
import { navigate } from '../router.js';

export default async function schedulePage({ params }) {
  await requireUser();
  const detail = await get(`/api/cases/${params.id}`);
  return h('section', { class: 'page narrow' },
    h('p', { class: 'breadcrumb' }, h('a', { href: `/cases/${detail.id}`, text: detail.client_pseudonym })),
    h('h1', { text: t('schedule.title') }),
    h('p', { class: 'lead', text: t('schedule.intro', { client: detail.client_pseudonym }) }),
    form({
      label: t('schedule.title'),
      submit: t('schedule.submit'),
      children: [
        h('div', { class: 'field-row' },
          field({ label: t('schedule.date'), name: 'date', kind: 'date', value: dutchDate(1), required: true, attrs: { min: dutchDate(0) } }),
          field({ label: t('schedule.time'), name: 'time', kind: 'time', value: '10:00', required: true, hint: t('schedule.time_hint') })),
        field({ label: t('schedule.purpose'), name: 'purpose', kind: 'textarea', value: t('schedule.default_purpose'), required: true, hint: t('schedule.purpose_hint'), attrs: { rows: 3, maxlength: 500 } }),
        field({ label: t('schedule.partners_may_edit'), name: 'partners_may_edit', kind: 'checkbox', hint: t('schedule.partners_may_edit_hint') }),
      ],
      onSubmit: async ({ date, time, purpose, partners_may_edit }) => {
        const meeting = await post(`/api/cases/${detail.id}/meetings`, {
          scheduled_at: dutchTimeToIso(date, time), purpose: purpose.trim(), partners_may_edit,
        });
        navigate(`/meetings/${meeting.id}`);
      },
    }));
}
