// How the content of a life domain looks everywhere: case page, minutes panel, finalised
// minutes. The domains, the action statuses and their labels come from vocabulary.js.

import { h, icon } from '../dom.js';
import { t, formatShortDate, daysUntil } from '../i18n.js';
import { domains, actionStatuses, decisions, isPendingAction } from '../vocabulary.js';
import { codeBadge } from './notice.js';

/** A domain's heading with its icon. */
export function domainHeading(domain, level = 'h3') {
  return h(level, { class: 'domain-heading', id: `domain-${domain}` }, icon(domain, 'icon domain-icon'), h('span', { text: domains.label(domain) }));
}

/** Who does an action: the client himself, or organisation (and person). */
export function ownerText(action) {
  if (action.owner_is_client) return t('minutes.the_client');
  const org = action.owner_organisation_name || '—';
  return action.owner_user_name ? `${org} (${action.owner_user_name})` : org;
}

/** Whether an action still asks for work and its due date has passed. */
export function isOverdue(action) {
  return isPendingAction(action.status) && daysUntil(action.due_date) < 0;
}

/**
 * A table of actions. `statusCell(action)` may replace the status badge (an editable select
 * for those allowed to change it); `extra` adds a column (`{ header, cell(action) }`).
 * With `anchors` each row gets the id `action-<id>`, so a notification can point at it; only
 * where an action appears once on the page. `detail(action)` adds a row under the action's
 * row, across the whole table (the chair's editor of the client's text).
 */
export function actionsTable(actions, { caption, statusCell, extra, anchors = false, detail } = {}) {
  if (!actions.length) return h('p', { class: 'empty', text: t('minutes.nothing') });
  return h('table', { class: extra ? 'actions-table with-extra' : 'actions-table' },
    caption ? h('caption', { class: 'sr-only', text: caption }) : null,
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('minutes.what') }),
      h('th', { scope: 'col', text: t('minutes.who') }),
      h('th', { scope: 'col', text: t('minutes.due') }),
      h('th', { scope: 'col', text: t('minutes.status') }),
      extra ? h('th', { scope: 'col', text: extra.header }) : null)),
    h('tbody', {}, actions.map((a) => {
      const more = detail ? detail(a) : null;
      return [h('tr', { dataset: { actionId: a.id }, id: anchors ? `action-${a.id}` : null, class: more ? 'has-detail' : null },
        h('td', { class: 'what' }, h('span', { class: 'prewrap', text: a.description })),
        h('td', { text: ownerText(a) }),
        h('td', { class: 'due' }, formatShortDate(a.due_date), isOverdue(a) ? h('span', { class: 'overdue', text: ` ${t('action.overdue')}` }) : null),
        h('td', {}, statusCell ? statusCell(a) : codeBadge(actionStatuses, a.status)),
        extra ? h('td', { class: 'extra' }, extra.cell(a)) : null),
      // The detail spans the row below, so an editor gets the table's whole width.
      more ? h('tr', { class: 'action-detail', dataset: { detailOf: a.id } }, h('td', { colspan: extra ? 5 : 4 }, more)) : null];
    })));
}

/** A labelled block of text that keeps its line breaks; empty text says so. */
export function textBlock(label, text, className = '') {
  return h('div', { class: `text-block ${className}` },
    h('h4', { text: label }),
    text ? h('p', { class: 'prewrap', text }) : h('p', { class: 'empty', text: t('minutes.nothing') }));
}

/** One domain of the minutes, read-only (finalised minutes, guests, case history). */
export function minutesSection(section, { showNotes = true, level = 'h2' } = {}) {
  return h('section', { class: 'domain-section', 'aria-labelledby': `domain-${section.domain}` },
    domainHeading(section.domain, level),
    textBlock(t('minutes.situation'), section.situation),
    textBlock(t('minutes.client_wish'), section.client_wish, 'client-wish'),
    showNotes && section.notes ? textBlock(t('minutes.notes'), section.notes) : null,
    section.decisions && section.decisions.length ? decisionsBlock(section.decisions) : null,
    h('h4', { text: t('minutes.carried_over') }),
    actionsTable(section.carried_over, { caption: t('minutes.carried_over') }),
    h('h4', { text: t('minutes.actions') }),
    actionsTable(section.agreed, { caption: t('minutes.actions') }));
}

/** The steering group's decisions on this domain, each in words with its organisation and note. */
function decisionsBlock(taken) {
  return h('div', { class: 'text-block' },
    h('h4', { text: t('minutes.decisions') }),
    h('ul', {}, taken.map((d) => h('li', {},
      h('strong', { text: decisions.label(d.decision) }),
      d.assigned_organisation_name ? ` — ${d.assigned_organisation_name}` : '',
      d.note ? `: ${d.note}` : ''))));
}
