// A case: who is on it, readiness warnings before the release, the five domains with their
// actions (each can be escalated by hand), its conferences, its escalations with the steering
// group's decisions and, for those allowed, the audit trail.

import { h } from '../dom.js';
import { t, formatDate, formatDateTime, daysUntil } from '../i18n.js';
import { get, post, del, errorText } from '../api.js';
import { requireUser } from '../session.js';
import { domains, actionStatuses, caseStatuses, meetingStatuses, meetingStatus, roles, isWithoutCases } from '../vocabulary.js';
import { domainHeading, actionsTable } from '../ui/domains.js';
import { actionStatusSelect } from '../ui/action-status.js';
import { badge, codeBadge, announce, errorBox } from '../ui/notice.js';
import { field, form } from '../ui/form.js';
import { confirmDialog, promptDialog } from '../ui/dialog.js';
import { render } from '../router.js';
import { readinessBox, readinessNote, escalateCell, escalationsSection } from '../escalation/on-case.js';

export default async function casePage({ params }) {
  const user = await requireUser();
  const detail = await get(`/api/cases/${params.id}`);
  const days = daysUntil(detail.expected_release);
  const warning = (d) => detail.readiness.find((w) => w.domain === d);
  const closed = detail.status === 'closed';
  // A closed case is read-only until it is reopened; the server refuses changes anyway.
  const manage = detail.may_manage && !closed;
  return h('article', { class: 'page' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '/cases', text: t('nav.cases') })),
    h('h1', { text: detail.client_pseudonym }),
    h('dl', { class: 'facts' },
      h('dt', { text: t('minutes.prison') }), h('dd', { text: detail.prison_name }),
      h('dt', { text: t('minutes.municipality') }), h('dd', { text: detail.municipality_name }),
      h('dt', { text: t('case.detention_start') }), h('dd', { text: formatDate(detail.detention_start) }),
      h('dt', { text: t('minutes.release') }),
      h('dd', {}, formatDate(detail.expected_release), ' ',
        badge(days >= 0 ? t('cases.in_days', { days }) : t('cases.released'), days <= 14 ? 'danger' : 'info'))),
    caseStatus(detail),
    closed ? null : readinessBox(detail.readiness),
    conferences(detail, manage),
    h('section', { class: 'card', 'aria-labelledby': 'domains-title' },
      h('h2', { id: 'domains-title', text: t('case.domains') }),
      domains.codes.map((d) => h('div', { class: 'domain-block' },
        domainHeading(d, 'h3'),
        readinessNote(warning(d)),
        actionsTable(detail.actions.filter((a) => a.domain === d), {
          caption: domains.label(d),
          anchors: true,
          // Owners change their action's status here between conferences.
          statusCell: (a) => !closed && mayUpdate(user, detail, a) ? actionStatusSelect(a) : codeBadge(actionStatuses, a.status),
          extra: closed ? null : { header: t('escalate.column'), cell: (a) => escalateCell(a, detail.escalations) },
        })))),
    escalationsSection(detail.escalations),
    members(detail, manage),
    detail.may_read_audit ? auditSection(detail.id) : null);
}

/**
 * Whether the case is open, and for its manager the way to close it (once the client is out and
 * the plan is done) or to reopen it before the retention period deletes it.
 */
function caseStatus(detail) {
  const closed = detail.status === 'closed';
  if (!closed && !detail.may_manage) return null;
  const button = h('button', { type: 'button', class: `button ${closed ? 'secondary' : 'danger'}`,
    text: t(closed ? 'case.reopen' : 'case.close') });
  const holder = h('div', { class: 'form-buttons' }, detail.may_manage ? button : null);
  button.addEventListener('click', async () => {
    const sure = closed || await confirmDialog({ title: t('case.close_title'), text: t('case.close_explain'), confirm: t('case.close'), danger: true });
    if (!sure) return;
    try {
      await post(`/api/cases/${detail.id}/${closed ? 'reopen' : 'close'}`, {});
      announce(t(closed ? 'case.reopened' : 'case.closed_done'));
      await render();
    } catch (err) {
      holder.after(errorBox(err));
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'status-title' },
    h('h2', { id: 'status-title', text: caseStatuses.label(detail.status) }),
    closed ? h('p', { text: t('case.closed_on', { date: formatDate(detail.closed_at) }) }) : h('p', { class: 'sub', text: t('case.close_hint') }),
    holder);
}

function conferences(detail, manage) {
  const rows = [...detail.meetings].sort((a, b) => b.scheduled_at.localeCompare(a.scheduled_at));
  return h('section', { class: 'card', 'aria-labelledby': 'meetings-title' },
    h('div', { class: 'card-head' },
      h('h2', { id: 'meetings-title', text: t('case.meetings') }),
      manage ? h('a', { class: 'button primary', href: `/cases/${detail.id}/schedule`, text: t('case.schedule') }) : null),
    rows.length ? h('ul', { class: 'meeting-list' }, rows.map((m) => h('li', {},
      h('a', { href: m.finalised_at ? `/meetings/${m.id}/minutes` : `/meetings/${m.id}`, text: formatDateTime(m.scheduled_at) }),
      ' ', codeBadge(meetingStatuses, meetingStatus(m)),
      h('p', { class: 'sub', text: m.purpose })))) : h('p', { class: 'empty', text: t('case.no_meetings') }));
}

function mayUpdate(user, detail, action) {
  return detail.may_manage || action.owner_user_id === user.id || action.owner_organisation_id === user.organisation_id;
}

function members(detail, manage) {
  return h('section', { class: 'card', 'aria-labelledby': 'members-title' },
    h('h2', { id: 'members-title', text: t('case.members') }),
    h('p', { class: 'sub', text: t('case.members_hint') }),
    h('ul', { class: 'member-list' }, detail.members.map((m) => h('li', {},
      h('span', { class: 'member-name' },
        h('strong', { text: m.user_name || t('case.whole_organisation') }),
        ` — ${m.organisation_name}`,
        m.user_role ? h('span', { class: 'sub', text: ` (${roles.label(m.user_role)})` }) : null),
      manage ? removeButton(detail, m) : null))),
    manage ? addMemberForm(detail) : null);
}

/** Takes an entry off the need-to-know list, after asking why (the reason goes into the audit trail). */
function removeButton(detail, member) {
  const who = member.user_name || `${member.organisation_name} (${t('case.whole_organisation')})`;
  const button = h('button', { type: 'button', class: 'button link danger-link', text: t('casework.remove'),
    'aria-label': t('casework.remove_label', { name: who }) });
  button.addEventListener('click', async () => {
    const reason = await promptDialog({ title: t('casework.remove_title', { name: who }), label: t('casework.reason'),
      text: t('casework.remove_explain'), confirm: t('casework.remove') });
    if (reason === null) {
      button.focus();
      return;
    }
    try {
      await del(`/api/cases/${detail.id}/members/${member.id}`, { reason });
      announce(t('casework.removed', { name: who }));
      await render();
      const heading = document.getElementById('members-title');
      if (heading) {
        heading.setAttribute('tabindex', '-1');
        heading.focus();
      }
    } catch (err) {
      button.closest('li').append(errorBox(err));
      button.focus();
    }
  });
  return button;
}

function addMemberForm(detail) {
  const holder = h('div', {});
  const known = new Set(detail.members.map((m) => m.user_id || `org:${m.organisation_id}`));
  Promise.all([get('/api/users'), get('/api/organisations')]).then(([users, orgs]) => {
    const options = [{ value: '', label: t('case.choose_member') },
      ...users.filter((u) => !known.has(u.id) && !isWithoutCases(u.role))
        .map((u) => ({ value: `user:${u.id}`, label: `${u.name} — ${u.organisation_name}` })),
      ...orgs.filter((o) => !known.has(`org:${o.id}`))
        .map((o) => ({ value: `org:${o.id}`, label: `${o.name} — ${t('case.whole_organisation')}` }))];
    holder.replaceChildren(h('details', { class: 'disclosure' },
      h('summary', { text: t('case.add_member') }),
      form({
        label: t('case.add_member'),
        submit: t('case.add_member'),
        children: [
          field({ label: t('case.member'), name: 'member', kind: 'select', options, required: true }),
          field({ label: t('casework.reason'), name: 'reason', kind: 'textarea', required: true, hint: t('casework.add_reason_hint'),
            attrs: { rows: 2, maxlength: 500 } }),
        ],
        onSubmit: async ({ member, reason }) => {
          const [kind, id] = member.split(':');
          const target = kind === 'user' ? { user_id: id } : { organisation_id: id };
          await post(`/api/cases/${detail.id}/members`, { ...target, reason: reason.trim() });
          announce(t('case.member_added'));
          render();
        },
      })));
  }).catch((err) => holder.replaceChildren(errorBox(errorText(err))));
  return holder;
}

function auditSection(caseId) {
  const body = h('div', {});
  const details = h('details', { class: 'disclosure' }, h('summary', { text: t('case.audit') }), body);
  details.addEventListener('toggle', async () => {
    if (!details.open || body.childElementCount) return;
    try {
      const events = await get(`/api/cases/${caseId}/audit`);
      body.append(h('table', { class: 'data-table' },
        h('thead', {}, h('tr', {}, [t('audit.when'), t('audit.who'), t('audit.what')].map((x) => h('th', { scope: 'col', text: x })))),
        h('tbody', {}, events.slice(0, 100).map((e) => h('tr', {},
          h('td', { text: formatDateTime(e.at) }), h('td', { text: e.actor_label }),
          h('td', { text: e.detail ? `${e.action} (${e.detail})` : e.action }))))));
    } catch (err) {
      body.append(errorBox(err));
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'audit-title' }, h('h2', { id: 'audit-title', text: t('case.audit_title') }), details);
}
