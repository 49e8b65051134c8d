// A scheduled conference: its purpose and time, the way in, and (for the chair) the invites:
// a member of the case, a guest with name and organisation, or the client. Each link is shown
// once, to copy and send through the organisation's own secure channel.

import { h } from '../dom.js';
import { t, formatDateTime, formatDate } from '../i18n.js';
import { get, post, del } from '../api.js';
import { requireUser } from '../session.js';
import { field, form } from '../ui/form.js';
import { codeBadge, announce, infoBox } from '../ui/notice.js';
import { meetingStatuses, meetingStatus, inviteKinds, inviteStates, isUsableInvite } from '../vocabulary.js';
import { confirmDialog } from '../ui/dialog.js';
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
    page.may_chair && !closed ? clientWordsSection(page) : null,
    page.may_chair && !closed ? await invitesSection(meeting, user) : null);
}

async function invitesSection(meeting, user) {
  const [invites, detail] = await Promise.all([get(`/api/meetings/${meeting.id}/invites`), get(`/api/cases/${meeting.case_id}`)]);
  const list = h('div', {});
  const created = h('div', { class: 'created-link', 'aria-live': 'polite' });
  const refresh = async () => list.replaceChildren(inviteList(await get(`/api/meetings/${meeting.id}/invites`), meeting, refresh));
  list.append(inviteList(invites, meeting, refresh));
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
    h('h3', { text: t('invite.list') }),
    list);
}

/** The new link, once: a read-only field to select and a button that copies it. */
function linkBox(result) {
  const input = h('input', { id: 'invite-link', type: 'text', readonly: true, value: result.url, class: 'link-input' });
  const copied = h('span', { class: 'sub', role: 'status' });
  const copy = h('button', { type: 'button', class: 'button secondary', text: t('invite.copy') });
  copy.addEventListener('click', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(result.url);
      copied.textContent = t('invite.copied');
    } catch {
      copied.textContent = t('invite.copy_manually');
    }
  });
  return infoBox(t('invite.link_for', { name: result.invite.name, until: formatDateTime(result.expires_at) }),
    h('div', { class: 'field' },
      h('label', { for: 'invite-link', text: t('invite.link') }),
      h('div', { class: 'inline' }, input, copy), copied,
      h('p', { class: 'hint', text: t('invite.once') })));
}

function inviteState(i) {
  if (i.revoked_at) return 'revoked';
  if (i.removed_at) return 'removed';
  if (Date.parse(i.expires_at) <= Date.now()) return 'expired';
  if (i.used_at) return 'used';
  return 'valid';
}

function inviteList(invites, meeting, refresh) {
  if (!invites.length) return h('p', { class: 'empty', text: t('invite.none') });
  return h('table', { class: 'data-table' },
    h('thead', {}, h('tr', {}, [t('invite.name'), t('invite.kind'), t('minutes.status'), ''].map((x) => h('th', { scope: 'col', text: x })))),
    h('tbody', {}, invites.map((i) => {
      const state = inviteState(i);
      const revoke = isUsableInvite(state) ? h('button', {
        type: 'button', class: 'button link danger-text', text: t('invite.revoke'),
        'aria-label': t('invite.revoke_who', { name: i.name }),
        onclick: async () => {
          if (!(await confirmDialog({ title: t('invite.revoke_who', { name: i.name }), text: t('invite.revoke_text'), confirm: t('invite.revoke'), danger: true }))) return;
          await del(`/api/meetings/${meeting.id}/invites/${i.id}`);
          announce(t('invite.revoked'));
          await refresh();
        },
      }) : null;
      return h('tr', {},
        h('td', {}, i.name, i.organisation_name ? h('div', { class: 'sub', text: i.organisation_name }) : null),
        h('td', { text: inviteKinds.label(i.kind) }),
        h('td', {}, codeBadge(inviteStates, state)),
        h('td', {}, revoke));
    })));
}
