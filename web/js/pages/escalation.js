// One escalation: what it is about (the case context the steering group may see without
// opening the case: pseudonym, municipality, domain, the action and its history, the reason),
// who did what when, the decision, and for the steering group the next step of the workflow.
// Case members reach this page from their case or a notification, read-only.

import { h } from '../dom.js';
import { t, formatDate, formatDateTime, formatShortDate } from '../i18n.js';
import { get, post, errorText } from '../api.js';
import { requireUser } from '../session.js';
import { render } from '../router.js';
import { domains, actionStatuses, escalationStatuses, escalationReasons, isFinishedAction, isWithoutCases, keepsRegister } from '../vocabulary.js';
import { announce, errorBox, infoBox, codeBadge } from '../ui/notice.js';
import { confirmDialog } from '../ui/dialog.js';
import { field, form } from '../ui/form.js';
import { decisionForm } from '../escalation/decision-form.js';
import { ageText, actionOwner, decisionBlock } from '../escalation/view.js';
import { timeline, nextSteps } from '../escalation/model.js';

export default async function escalationPage({ params }) {
  const user = await requireUser();
  const e = await get(`/api/escalations/${params.id}`);
  const keeper = keepsRegister(user.role);
  const needsRegister = keeper || (e.may_decide && e.status !== 'decided');
  const [organisations, obstacles] = await Promise.all([
    e.may_decide && e.status !== 'decided' ? get('/api/organisations') : [],
    needsRegister ? get('/api/obstacles') : [],
  ]);
  const back = isWithoutCases(user.role) || user.role === 'coordinator'
    ? h('a', { href: '/escalations', text: t('queue.title') })
    : h('a', { href: `/cases/${e.case_id}`, text: e.client_pseudonym });
  return h('article', { class: 'page escalation-page' },
    h('p', { class: 'breadcrumb' }, back),
    h('h1', { text: t('esc.title', { client: e.client_pseudonym, domain: domains.label(e.domain) }) }),
    h('p', { class: 'status-line' }, codeBadge(escalationStatuses, e.status), ' ', h('span', { class: 'sub', text: `${escalationReasons.label(e.reason)} · ${ageText(e.created_at)}` })),
    about(e, user),
    actionSection(e),
    e.decision ? h('section', { class: 'card', 'aria-labelledby': 'decision-title' },
      h('h2', { id: 'decision-title', text: t('esc.decision') }), decisionBlock(e)) : null,
    history(e),
    e.may_decide ? workflow(e, organisations, obstacles) : null,
    keeper ? linkObstacle(e, obstacles) : null);
}

function about(e, user) {
  const mayOpenCase = !isWithoutCases(user.role);
  return h('section', { class: 'card', 'aria-labelledby': 'about-title' },
    h('h2', { id: 'about-title', text: t('esc.about') }),
    h('dl', { class: 'facts' },
      h('dt', { text: t('minutes.client') }),
      h('dd', {}, mayOpenCase ? h('a', { href: `/cases/${e.case_id}`, text: e.client_pseudonym }) : e.client_pseudonym),
      h('dt', { text: t('minutes.municipality') }), h('dd', { text: e.municipality_name }),
      h('dt', { text: t('esc.col.domain') }), h('dd', { text: domains.label(e.domain) }),
      h('dt', { text: t('esc.col.reason') }), h('dd', { text: escalationReasons.label(e.reason) }),
      h('dt', { text: t('esc.note') }), h('dd', { class: 'prewrap', text: e.note || '—' }),
      h('dt', { text: t('esc.col.opened') }),
      h('dd', { text: `${formatDateTime(e.created_at)} · ${e.raised_by_name || t('esc.engine')}` })),
    mayOpenCase ? null : h('p', { class: 'sub', text: t('esc.no_case_access') }));
}

function actionSection(e) {
  if (!e.action_id) return null;
  const doneMeanwhile = isFinishedAction(e.action_status) && e.status !== 'closed';
  return h('section', { class: 'card', 'aria-labelledby': 'action-title' },
    h('h2', { id: 'action-title', text: t('esc.action') }),
    h('dl', { class: 'facts' },
      h('dt', { text: t('minutes.what') }), h('dd', { text: e.action_description }),
      h('dt', { text: t('minutes.who') }), h('dd', { text: actionOwner(e) }),
      h('dt', { text: t('minutes.due') }), h('dd', { text: formatDate(e.action_due_date) }),
      h('dt', { text: t('esc.action_now') }), h('dd', {}, codeBadge(actionStatuses, e.action_status))),
    doneMeanwhile ? infoBox(t('esc.done_meanwhile')) : null,
    h('h3', { text: t('esc.action_history') }),
    e.action_history.length ? h('table', { class: 'data-table' },
      h('caption', { class: 'sr-only', text: t('esc.action_history') }),
      h('thead', {}, h('tr', {}, [t('audit.when'), t('audit.who'), t('audit.what')].map((x) => h('th', { scope: 'col', text: x })))),
      h('tbody', {}, e.action_history.map((ev) => h('tr', {},
        h('td', { class: 'nowrap', text: formatShortDate(ev.at) }),
        h('td', { text: ev.actor_label }),
        h('td', {}, eventText(ev), ev.note ? h('div', { class: 'prewrap sub', text: ev.note }) : null)))))
      : h('p', { class: 'empty', text: t('minutes.nothing') }));
}

function eventText(ev) {
  if (ev.kind === 'created') return t('esc.event.created');
  if (ev.kind === 'status' && ev.to_status) {
    return ev.from_status
      ? t('esc.event.status', { from: actionStatuses.label(ev.from_status), to: actionStatuses.label(ev.to_status) })
      : t('esc.event.status_set', { to: actionStatuses.label(ev.to_status) });
  }
  return t('esc.event.note');
}

/** Who did what when: an ordered list, so the order is read out too. */
function history(e) {
  return h('section', { class: 'card', 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title', text: t('esc.history') }),
    h('ol', { class: 'timeline' }, timeline(e).map((s) => h('li', {},
      h('strong', { text: t(`esc.step.${s.step}`) }), ' ',
      h('span', { text: `${formatDateTime(s.at)} · ${s.by || (s.step === 'opened' ? t('esc.engine') : '—')}` })))));
}

/** The steering group's next step: take under review, decide, or close. */
function workflow(e, organisations, obstacles) {
  const steps = nextSteps(e.status);
  const status = h('div', { class: 'step-status' });
  // The button is passed in: after an await (the confirmation) the event no longer names it.
  const act = async (button, path, doneKey) => {
    button.disabled = true;
    try {
      await post(`/api/escalations/${e.id}/${path}`);
      announce(t(doneKey));
      await render();
    } catch (err) {
      button.disabled = false;
      status.replaceChildren(errorBox(errorText(err)));
    }
  };
  const close = async (event) => {
    const button = event.currentTarget;
    const ok = await confirmDialog({ title: t('esc.close_title'), text: t('esc.close_text'), confirm: t('esc.close') });
    if (ok) await act(button, 'close', 'esc.closed');
  };
  return h('section', { class: 'card workflow', 'aria-labelledby': 'workflow-title' },
    h('h2', { id: 'workflow-title', text: t('esc.workflow') }),
    status,
    steps.includes('review') ? h('div', { class: 'button-row' },
      h('button', { type: 'button', class: 'button secondary', onclick: (event) => act(event.currentTarget, 'review', 'esc.reviewed'), text: t('esc.review') }),
      h('p', { class: 'hint', text: t('esc.review_hint') })) : null,
    steps.includes('decide') ? [h('h3', { text: t('decide.title') }),
      decisionForm(e, { organisations, obstacles, onDone: async () => { announce(t('decide.done')); await render(); } })] : null,
    steps.includes('close') ? h('div', { class: 'button-row' },
      h('button', { type: 'button', class: 'button primary', onclick: close, text: t('esc.close') }),
      h('p', { class: 'hint', text: t('esc.close_hint') })) : null);
}

/** Coordinator and steering group: name the obstacle this escalation is an instance of. */
function linkObstacle(e, obstacles) {
  const options = obstacles.filter((o) => o.id !== e.obstacle_id).map((o) => ({ value: o.id, label: o.title }));
  return h('section', { class: 'card', 'aria-labelledby': 'link-title' },
    h('h2', { id: 'link-title', text: t('esc.link_title') }),
    e.obstacle_id
      ? h('p', {}, t('esc.linked_to'), ' ', h('a', { href: `/obstacles/${e.obstacle_id}`, text: e.obstacle_title }))
      : h('p', { class: 'sub', text: t('esc.link_hint') }),
    options.length ? form({
      label: t('esc.link_title'), submit: t('esc.link'),
      children: [field({ label: t('decide.obstacle'), name: 'obstacle_id', kind: 'select', required: true,
        options: [{ value: '', label: t('decide.choose_obstacle') }, ...options] })],
      onSubmit: async ({ obstacle_id: id }) => {
        await post(`/api/obstacles/${id}/escalations`, { escalation_id: e.id });
        announce(t('esc.linked'));
        await render();
      },
    }) : h('p', {}, h('a', { href: '/obstacles', text: t('obstacles.to_register') })));
}
