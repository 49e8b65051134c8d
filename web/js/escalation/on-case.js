// What escalation adds to a case page: readiness warnings before the release, the case's
// escalations with the steering group's decisions, and escalating an action by hand.

import { h } from '../dom.js';
import { t, formatShortDate } from '../i18n.js';
import { post, errorText } from '../api.js';
import { render } from '../router.js';
import { domains, isPendingAction } from '../vocabulary.js';
import { announce, errorBox } from '../ui/notice.js';
import { promptDialog } from '../ui/dialog.js';
import { escalationTable } from './view.js';
import { isActive } from './model.js';

/** One warning in words: days to (or since) the release and the domain's lead time. */
export function readinessText(w) {
  const vars = { domain: domains.label(w.domain), days: Math.abs(w.days_left), lead: w.lead_days, date: formatShortDate(w.due_by) };
  return t(w.days_left >= 0 ? 'readiness.warning' : 'readiness.warning_after', vars);
}

/** The warnings at the top of the case, each linking to its domain below. */
export function readinessBox(warnings) {
  if (!warnings.length) return null;
  return h('section', { class: 'warning-box readiness', 'aria-labelledby': 'readiness-title' },
    h('h2', { id: 'readiness-title', text: t('readiness.title') }),
    h('p', { class: 'sub', text: t('readiness.explain') }),
    h('ul', {}, warnings.map((w) => h('li', {}, h('a', { href: `#domain-${w.domain}`, text: readinessText(w) })))));
}

/** The short note under a domain's heading when it warns. */
export function readinessNote(warning) {
  if (!warning) return null;
  return h('p', { class: 'readiness-note' },
    h('span', { class: 'badge badge-danger', text: t('readiness.badge') }), ' ',
    t('readiness.in_domain', { date: formatShortDate(warning.due_by), lead: warning.lead_days }));
}

/**
 * The cell of an action's "steering group" column: a link to the escalation that is still
 * with the steering group, or a button to escalate by hand. While one is pending a second
 * would only duplicate it in the queue, so the button waits until it is decided.
 */
export function escalateCell(action, escalations) {
  const pending = escalations.find((e) => e.action_id === action.id && isActive(e));
  if (pending) {
    return h('a', { href: `/escalations/${pending.id}`, text: t('escalate.pending'),
      'aria-label': t('escalate.pending_what', { what: action.description }) });
  }
  if (!isPendingAction(action.status)) return null;
  const button = h('button', { type: 'button', class: 'button small secondary', text: t('escalate.button'),
    'aria-label': t('escalate.button_what', { what: action.description }) });
  button.addEventListener('click', async () => {
    const note = await promptDialog({ title: t('escalate.title'), text: t('escalate.explain'), label: t('escalate.reason'), confirm: t('escalate.confirm') });
    if (!note) return;
    try {
      await post(`/api/actions/${action.id}/escalations`, { note });
      announce(t('escalate.done'));
      await render();
    } catch (err) {
      button.after(errorBox(errorText(err)));
    }
  });
  return button;
}

/** The case's escalations, with each decision in full. */
export function escalationsSection(escalations) {
  return h('section', { class: 'card', 'aria-labelledby': 'esc-title' },
    h('h2', { id: 'esc-title', text: t('case.escalations') }),
    h('p', { class: 'sub', text: t('case.escalations_hint') }),
    escalations.length ? escalationTable(escalations, { caption: t('case.escalations'), showCase: false })
      : h('p', { class: 'empty', text: t('case.no_escalations') }));
}
