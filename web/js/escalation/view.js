// How an escalation looks wherever it appears: the steering group's queue, an obstacle's
// linked escalations and the case page. Its status, reason and decision are worded by
// vocabulary.js, so they read the same on every screen.

import { h } from '../dom.js';
import { t, formatShortDate, formatDateTime } from '../i18n.js';
import { codeBadge } from '../ui/notice.js';
import { domains, actionStatuses, escalationStatuses, escalationReasons, decisions } from '../vocabulary.js';
import { ageDays } from './model.js';

/** "today" or "12 days ago", counted as the server counts the age buckets. */
export function ageText(createdAt) {
  const days = ageDays(createdAt);
  return days === 0 ? t('esc.age_today') : t('esc.age_days', { days });
}

/** Who does the action: the client himself, or the owner the API names. */
export function actionOwner(e) {
  return e.action_owner_is_client ? t('minutes.the_client') : e.action_owner_name || '—';
}

/** The decision in words: its kind, to whom and by when, which obstacle, the note, who and when. */
export function decisionBlock(e) {
  if (!e.decision) return null;
  return h('div', { class: 'decision' },
    h('p', { class: 'decision-kind' },
      h('strong', { text: decisions.label(e.decision) }),
      e.assigned_organisation_name
        ? ` — ${t('esc.assigned_to', { org: e.assigned_organisation_name, date: formatShortDate(e.assigned_due_date) })}` : null,
      e.obstacle_id ? [' — ', h('a', { href: `/obstacles/${e.obstacle_id}`, text: e.obstacle_title || t('nav.obstacles') })] : null),
    e.decision_note ? h('p', { class: 'prewrap', text: e.decision_note }) : null,
    e.decided_at ? h('p', { class: 'sub', text: t('esc.decided_by', { name: e.decided_by_name || '—', at: formatDateTime(e.decided_at) }) }) : null);
}

/** The action in one cell: what, who, by when, and its status now (it may be done meanwhile). */
function actionCell(e) {
  if (!e.action_description) return h('td', { class: 'empty', text: t('esc.no_action') });
  return h('td', {},
    h('span', { text: e.action_description }),
    h('div', { class: 'sub', text: `${actionOwner(e)} · ${t('esc.due', { date: formatShortDate(e.action_due_date) })}` }),
    e.action_status ? h('div', {}, h('span', { class: 'sr-only', text: `${t('esc.action_now')} ` }), codeBadge(actionStatuses, e.action_status)) : null);
}

function openedCell(e) {
  return h('td', { class: 'nowrap' }, formatShortDate(e.created_at), h('div', { class: 'sub', text: ageText(e.created_at) }));
}

// The column the queue's sort order follows, told to screen readers with aria-sort.
const SORT_COLUMN = {
  oldest: ['opened', 'ascending'], newest: ['opened', 'descending'], due: ['action', 'ascending'],
  municipality: ['client', 'ascending'], domain: ['domain', 'ascending'], status: ['status', 'ascending'],
};

/**
 * A table of escalations. With `showCase` (queue, obstacle) each row starts with the client's
 * pseudonym and municipality; on the case page it starts with the action and shows the whole
 * decision, because that is what the case team comes for.
 */
export function escalationTable(list, { caption, showCase = true, sortedBy = null } = {}) {
  if (!list.length) return h('p', { class: 'empty', text: t('esc.none') });
  const [sortedColumn, direction] = SORT_COLUMN[sortedBy] || [];
  const col = (name) => h('th', { scope: 'col', 'aria-sort': name === sortedColumn ? direction : null, text: t(`esc.col.${name}`) });
  const head = (showCase ? ['client', 'opened', 'domain', 'reason', 'action', 'status'] : ['action', 'domain', 'opened', 'reason', 'decision']).map(col);
  return h('table', { class: ['data-table', 'escalation-table', showCase ? 'with-case' : 'on-case'] },
    caption ? h('caption', { class: 'sr-only', text: caption }) : null,
    h('thead', {}, h('tr', {}, head)),
    h('tbody', {}, list.map((e) => (showCase ? queueRow(e) : caseRow(e)))));
}

function queueRow(e) {
  return h('tr', { dataset: { escalationId: e.id, status: e.status } },
    h('th', { scope: 'row' },
      h('a', { href: `/escalations/${e.id}`, text: e.client_pseudonym }),
      h('div', { class: 'sub', text: e.municipality_name })),
    openedCell(e),
    h('td', { text: domains.label(e.domain) }),
    h('td', {}, escalationReasons.label(e.reason), e.raised_by_name ? h('div', { class: 'sub', text: t('esc.by', { name: e.raised_by_name }) }) : null),
    actionCell(e),
    h('td', {}, codeBadge(escalationStatuses, e.status), e.decision ? h('div', { class: 'sub', text: decisions.label(e.decision) }) : null));
}

function caseRow(e) {
  return h('tr', { dataset: { escalationId: e.id, status: e.status } },
    h('th', { scope: 'row' },
      h('a', { href: `/escalations/${e.id}`, text: e.action_description || domains.label(e.domain) }),
      e.action_description ? h('div', { class: 'sub', text: `${actionOwner(e)} · ${t('esc.due', { date: formatShortDate(e.action_due_date) })}` }) : null),
    h('td', { text: domains.label(e.domain) }),
    openedCell(e),
    h('td', {}, escalationReasons.label(e.reason), e.note ? h('div', { class: 'sub prewrap', text: e.note }) : null),
    h('td', {}, codeBadge(escalationStatuses, e.status), decisionBlock(e)));
}
