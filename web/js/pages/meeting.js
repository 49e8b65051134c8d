// A scheduled conference: its purpose and time, the way in, moving it, and (for the chair) the
// invites: a member of the case, a guest with name and organisation, or the client. Every
// invite stays in the list with its state (not opened, opened, in the lobby, in the room,
// expired, withdrawn) and, while it works, its link: to copy, to e-mail (when the server has a
// mail server), to print for the prison terminal, or to replace by a new one.

import { h } from '../dom.js';
import { t, formatDateTime, formatDate, currentLang, dutchTimeToIso } from '../i18n.js';
import { get, post, del, patch, errorText } from '../api.js';
import { requireUser } from '../session.js';
import { field, form } from '../ui/form.js';
import { codeBadge, announce, infoBox, errorBox } from '../ui/notice.js';
import { meetingStatuses, meetingStatus, inviteKinds, chairInviteStates, isLiveInvite } from '../vocabulary.js';
import { confirmDialog, promptDialog } from '../ui/dialog.js';
import { clientWordsSection } from '../ui/client-words.js';

export default async function meetingPage({ params }) {
  const user = await requireUser();
  const page = await get(`/api/meetings/${params.id}`);
  const { meeting, minutes } = page;
  const closed = Boolean(meeting.finalised_at);
  return h('article', { class: 'page' },
    h('p', { class: 'breadcrumb' }, h('a', { href: `/cases/${meeting.case_id}`, text: minutes.case.client_pseudonym })),
    h('h1', { text: t('meeting.title', { when: formatDateTime(meeting.scheduled_at) }) }),
    h('dl', { class: 'facts' },
      h('dt', { text: t('minutes.purpose') }), h('dd', { class: 'prewrap', text: meeting.purpose }),
      h('dt', { text: t('minutes.chair') }), h('dd', { text: meeting.chair_name }),
      h('dt', { text: t('minutes.release') }), h('dd', { text: formatDate(minutes.case.expected_release) }),
      h('dt', { text: t('minutes.status') }), h('dd', {}, codeBadge(meetingStatuses, meetingStatus(meeting)))),
    h('div', { class: 'button-row' },
      closed
        ? h('a', { class: 'button primary', href: `/meetings/${meeting.id}/minutes`, text: t('meeting.open_minutes') })
        : h('a', { class: 'button primary large', href: `/meetings/${meeting.id}/room`, text: page.may_chair ? t('meeting.start') : t('meeting.join') })),
    !closed && meeting.status === 'scheduled' && (page.may_chair || user.role === 'casemanager' || user.role === 'coordinator') ? rescheduleSection(meeting) : null,
    page.may_chair && !closed ? clientWordsSection(page) : null,
    page.may_chair && !closed ? await invitesSection(meeting, user) : null);
}

/** Moving the conference to another time (before it starts); the invites move along. */
function rescheduleSection(meeting) {
  const local = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(meeting.scheduled_at)).reduce((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return h('details', { class: 'card reschedule' },
    h('summary', { text: t('meeting.reschedule_title') }),
    form({
      label: t('meeting.reschedule_title'),
      submit: t('meeting.reschedule'),
      children: [
        h('div', { class: 'field-row' },
          field({ label: t('schedule.date'), name: 'date', kind: 'date', value: `${local.year}-${local.month}-${local.day}`, required: true }),
          field({ label: t('schedule.time'), name: 'time', kind: 'time', value: `${local.hour}:${local.minute}`, required: true, hint: t('meeting.reschedule_hint') })),
      ],
      onSubmit: async ({ date, time }) => {
        const moved = await patch(`/api/meetings/${meeting.id}`, { scheduled_at: dutchTimeToIso(date, time) });
        announce(t('meeting.rescheduled', { when: formatDateTime(moved.scheduled_at) }));
        window.location.reload();
      },
    }));
}

async function invitesSection(meeting, user) {
  const [invites, detail] = await Promise.all([get(`/api/meetings/${meeting.id}/invites`), get(`/api/cases/${meeting.case_id}`)]);
  const list = h('div', { id: 'invite-list' });
  const created = h('div', { class: 'created-link', 'aria-live': 'polite' });
  const refresh = async () => list.replaceChildren(inviteList(await get(`/api/meetings/${meeting.id}/invites`), meeting, refresh, created));
  list.append(inviteList(invites, meeting, refresh, created));
  // Who is in the lobby or the room changes by itself: look again now and then, while shown.
  const timer = setInterval(() => {
    if (!list.isConnected) { clearInterval(timer); return; }
    if (!list.contains(document.activeElement)) refresh().catch(() => {});
  }, 5000);
  const members = detail.members.filter((m) => m.user_id && m.user_id !== user.id);
  const invite = async (body) => {
    const result = await post(`/api/meetings/${meeting.id}/invites`, body);
    created.replaceChildren(linkBox(result));
    announce(t('invite.created', { name: result.invite.name }));
    await refresh();
  };
  return h('section', { class: 'card', 'aria-labelledby': 'invites-title' },
    h('h2', { id: 'invites-title', text: t('invite.title') }),
    h('p', { class: 'sub', text: t('invite.intro') }),
    created,
    h('div', { class: 'invite-forms' },
      h('section', { class: 'invite-form', 'aria-labelledby': 'inv-member' },
        h('h3', { id: 'inv-member', text: t('invite.member') }),
        members.length ? form({
          label: t('invite.member'), submit: t('invite.create'),
          children: [field({ label: t('invite.who'), name: 'user_id', kind: 'select', required: true,
            options: members.map((m) => ({ value: m.user_id, label: `${m.user_name} — ${m.organisation_name}` })) })],
          onSubmit: ({ user_id }) => invite({ kind: 'member', user_id }),
        }) : h('p', { class: 'empty', text: t('invite.no_members') })),
      h('section', { class: 'invite-form', 'aria-labelledby': 'inv-guest' },
        h('h3', { id: 'inv-guest', text: t('invite.guest') }),
        form({
          label: t('invite.guest'), submit: t('invite.create'),
          children: [
            field({ label: t('invite.name'), name: 'name', required: true, attrs: { maxlength: 120, autocomplete: 'off' } }),
            field({ label: t('invite.organisation'), name: 'organisation', required: true, attrs: { maxlength: 120, autocomplete: 'off' } }),
          ],
          onSubmit: ({ name, organisation }, el) => invite({ kind: 'guest', name: name.trim(), organisation: organisation.trim() }).then(() => el.reset()),
        })),
      h('section', { class: 'invite-form', 'aria-labelledby': 'inv-client' },
        h('h3', { id: 'inv-client', text: t('invite.client') }),
        form({
          label: t('invite.client'), submit: t('invite.create'),
          children: [field({ label: t('invite.client_name'), name: 'name', value: detail.client_pseudonym, hint: t('invite.client_hint'), attrs: { maxlength: 120 } })],
          onSubmit: ({ name }) => invite({ kind: 'client', name: name.trim() || undefined }),
        }))),
    h('h3', { id: 'invite-list-title', text: t('invite.list') }),
    h('p', { class: 'sub', text: t('invite.always') }),
    list);
}

/** The new link: a read-only field to select and a button that copies it. */
function linkBox(result, heading = t('invite.link_for', { name: result.invite.name, until: formatDateTime(result.expires_at) })) {
  const input = h('input', { id: 'invite-link', type: 'text', readonly: true, value: result.url, class: 'link-input' });
  const copied = h('span', { class: 'sub', role: 'status' });
  const copy = h('button', { type: 'button', class: 'button secondary', text: t('invite.copy') });
  copy.addEventListener('click', () => copyLink(result.url, copied, input));
  return infoBox(heading,
    h('div', { class: 'field' },
      h('label', { for: 'invite-link', text: t('invite.link') }),
      h('div', { class: 'inline' }, input, copy), copied));
}

async function copyLink(url, status, input) {
  if (input) input.select();
  try {
    await navigator.clipboard.writeText(url);
    status.textContent = t('invite.copied');
  } catch {
    status.textContent = t('invite.copy_manually');
  }
}

/** Asks for the address to e-mail a link to; resolves with it ('' for a member's own), or null. */
function emailDialog(invite) {
  const member = invite.kind === 'member';
  return promptDialog({
    title: t('invite.email_who', { name: invite.name }), label: t('invite.email_to'), confirm: t('invite.email_send'),
    required: !member, input: { type: 'email', autocomplete: 'off' }, hint: member ? t('invite.email_hint') : null,
  });
}

function inviteList(invites, meeting, refresh, created) {
  if (!invites.length) return h('p', { class: 'empty', text: t('invite.none') });
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const act = (fn) => async () => {
    status.replaceChildren();
    try { await fn(); } catch (err) { status.replaceChildren(errorBox(errorText(err))); }
  };
  const smtpOff = invites.some((i) => i.url) && !invites.some((i) => i.may_email);
  const since = (i) => i.state === 'revoked' ? i.revoked_at : i.state === 'removed' ? i.removed_at : i.state === 'expired' ? i.expires_at : i.used_at;
  return h('div', {},
    smtpOff ? h('p', { class: 'sub', id: 'invite-no-smtp', text: t('invite.no_smtp') }) : null,
    status,
    h('div', { class: 'table-scroll' }, h('table', { class: 'data-table invite-table', 'aria-labelledby': 'invite-list-title' },
      h('thead', {}, h('tr', {}, [t('invite.name'), t('invite.kind'), t('minutes.status'), t('invite.actions')].map((x) => h('th', { scope: 'col', text: x })))),
      h('tbody', {}, invites.map((i) => {
        const live = isLiveInvite(i.state);
        const copied = h('span', { class: 'sub', role: 'status' });
        const buttons = live ? [
          i.url ? h('button', { type: 'button', class: 'button link', text: t('invite.copy'), 'aria-label': t('invite.copy_who', { name: i.name }), onclick: () => copyLink(i.url, copied) }) : h('span', { class: 'sub', text: t('invite.link_unknown') }),
          i.url ? h('a', { class: 'button link', href: `/api/meetings/${meeting.id}/invites/${i.id}/sheet?lang=${currentLang()}`, target: '_blank', rel: 'noopener', text: t('invite.print'), 'aria-label': t('invite.print_who', { name: i.name }) }) : null,
          i.may_email ? h('button', { type: 'button', class: 'button link', text: t('invite.email'), 'aria-label': t('invite.email_who', { name: i.name }),
            onclick: act(async () => {
              const to = await emailDialog(i);
              if (to === null) return;
              const sent = await post(`/api/meetings/${meeting.id}/invites/${i.id}/email`, to ? { to } : {});
              announce(t('invite.emailed', { to: sent.to }));
              copied.textContent = t('invite.emailed', { to: sent.to });
            }) }) : null,
          h('button', { type: 'button', class: 'button link', text: t('invite.reissue'), 'aria-label': t('invite.reissue_who', { name: i.name }),
            onclick: act(async () => {
              if (!(await confirmDialog({ title: t('invite.reissue_who', { name: i.name }), text: t('invite.reissue_text'), confirm: t('invite.reissue') }))) return;
              const result = await post(`/api/meetings/${meeting.id}/invites/${i.id}/reissue`, {});
              created.replaceChildren(linkBox(result));
              announce(t('invite.reissued', { name: i.name }));
              await refresh();
            }) }),
          h('button', { type: 'button', class: 'button link danger-text', text: t('invite.revoke'), 'aria-label': t('invite.revoke_who', { name: i.name }),
            onclick: act(async () => {
              if (!(await confirmDialog({ title: t('invite.revoke_who', { name: i.name }), text: t('invite.revoke_text'), confirm: t('invite.revoke'), danger: true }))) return;
              await del(`/api/meetings/${meeting.id}/invites/${i.id}`);
              announce(t('invite.revoked'));
              await refresh();
            }) }),
          copied,
        ] : [];
        return h('tr', { 'data-invite': i.id, 'data-state': i.state },
          h('td', {}, i.name, i.organisation_name ? h('div', { class: 'sub', text: i.organisation_name }) : null),
          h('td', { text: inviteKinds.label(i.kind) }),
          h('td', {}, codeBadge(chairInviteStates, i.state), since(i) ? h('div', { class: 'sub', text: t('invite.since', { at: formatDateTime(since(i)) }) }) : null),
          h('td', {}, h('div', { class: 'invite-actions' }, buttons)));
      })))));
}
