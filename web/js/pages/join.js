// An invite link (/join/{token}): what the conference is for, the pre-join screen, and
// accepting the invite. Members log in first; guests accept the confidentiality statement;
// the client gets the plain-language version of every text.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { get, post, setAudience } from '../api.js';
import { navigate } from '../router.js';
import { refreshMe, currentMe } from '../session.js';
import { prejoin } from '../room/prejoin.js';
import { isUsableInvite } from '../vocabulary.js';
import { purposeText } from '../client-words.js';

export default async function joinPage({ params, onLeave }) {
  // Someone with an invite link has no password: errors must not speak of one.
  setAudience('invitee');
  const token = params.token;
  const preview = await get(`/api/invites/${encodeURIComponent(token)}`);
  const plain = preview.kind === 'client';
  if (!isUsableInvite(preview.state) || preview.meeting_status === 'closed') {
    const why = preview.meeting_status === 'closed' ? 'closed' : preview.state;
    return h('section', { class: `page narrow ${plain ? 'plain' : ''}` },
      h('h1', { text: t(plain ? 'client.join.unusable' : 'join.unusable') }),
      h('p', { class: 'lead', text: t(`join.state.${why}`) }));
  }
  let me = currentMe() || await refreshMe();
  if (preview.kind === 'member' && (!me || me.kind !== 'user')) {
    return h('section', { class: 'page narrow' },
      h('h1', { text: t('join.member_title') }),
      h('p', { class: 'lead', text: t('join.member_login', { name: preview.name }) }),
      h('p', {}, h('a', { class: 'button primary', href: `/login?next=${encodeURIComponent(`/join/${token}`)}`, text: t('login.submit') })));
  }
  const view = prejoin({
    heading: t(plain ? 'client.prejoin.title' : 'prejoin.title'),
    name: preview.name,
    organisation: preview.organisation_name,
    // The client's invite carries only the purpose written for him (maybe none yet).
    purpose: plain ? purposeText(preview.purpose) : preview.purpose,
    scheduledAt: preview.scheduled_at,
    confidentiality: preview.requires_confidentiality,
    plain,
    // Before the invite is accepted, the link itself is the credential for the check.
    checkBase: `/api/invites/${encodeURIComponent(token)}`,
    onJoin: async ({ confidentiality }) => {
      const accepted = await post(`/api/invites/${encodeURIComponent(token)}/accept`, { accept_confidentiality: confidentiality });
      me = await refreshMe();
      navigate(`/meetings/${accepted.meeting_id}/room`);
    },
  });
  onLeave(view.dispose);
  return view.el;
}
