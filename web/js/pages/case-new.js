// Opening a case (casemanager, coordinator): the client's pseudonym — never a BSN — the prison,
// the dates of detention and expected release, and the municipality of origin. The creator is on
// the case's need-to-know list from the start; the case page then adds the others.

import { h } from '../dom.js';
import { t, dutchDate } from '../i18n.js';
import { get, post } from '../api.js';
import { requireUser } from '../session.js';
import { field, form } from '../ui/form.js';
import { announce } from '../ui/notice.js';
import { navigate } from '../router.js';
import { mayOpenCases } from '../vocabulary.js';

export default async function caseNewPage() {
  const user = await requireUser();
  if (!mayOpenCases(user.role)) {
    return h('section', { class: 'page narrow' },
      h('h1', { text: t('casenew.title') }),
      h('p', { class: 'error-box', role: 'alert', text: t('casenew.not_allowed') }),
      h('p', {}, h('a', { href: '/', text: t('nav.cases') })));
  }
  const organisations = await get('/api/organisations');
  const ofKind = (kind) => [{ value: '', label: t('case.choose_member') },
    ...organisations.filter((o) => o.kind === kind).map((o) => ({ value: o.id, label: o.name }))];
  // The own organisation is the likely prison (a PI casemanager) or municipality (a coordinator).
  const own = (kind) => (organisations.some((o) => o.id === user.organisation_id && o.kind === kind) ? user.organisation_id : '');
  return h('section', { class: 'page narrow' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '/cases', text: t('nav.cases') })),
    h('h1', { text: t('casenew.title') }),
    h('p', { class: 'lead', text: t('casenew.lead') }),
    form({
      label: t('casenew.title'),
      submit: t('casenew.submit'),
      className: 'case-new-form',
      children: [
        field({ label: t('casenew.pseudonym'), name: 'client_pseudonym', required: true, hint: t('casenew.pseudonym_hint'),
          attrs: { maxlength: 120, autocomplete: 'off' } }),
        field({ label: t('minutes.prison'), name: 'prison_id', kind: 'select', options: ofKind('pi'), value: own('pi'), required: true }),
        h('div', { class: 'field-row' },
          field({ label: t('case.detention_start'), name: 'detention_start', kind: 'date', required: true, attrs: { max: dutchDate() } }),
          field({ label: t('minutes.release'), name: 'expected_release', kind: 'date', required: true, hint: t('casenew.release_hint') })),
        field({ label: t('minutes.municipality'), name: 'municipality_id', kind: 'select', options: ofKind('municipality'),
          value: own('municipality'), required: true, hint: t('casenew.municipality_hint') }),
      ],
      onSubmit: async (v) => {
        const created = await post('/api/cases', {
          client_pseudonym: v.client_pseudonym.trim(),
          prison_id: v.prison_id,
          detention_start: v.detention_start,
          expected_release: v.expected_release,
          municipality_id: v.municipality_id,
        });
        announce(t('casenew.created'));
        await navigate(`/cases/${created.id}`);
      },
    }));
}
