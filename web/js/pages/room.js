// /meetings/{id}/room: the pre-join screen (unless it was just passed on the invite page),
// then the conference itself — the professionals' room or the client's own view.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { get, ApiError } from '../api.js';
import { refreshMe } from '../session.js';
import { RoomSession } from '../room/session.js';
import { prejoin } from '../room/prejoin.js';
import { proView } from '../room/pro-view.js';
import { clientView } from '../room/client-view.js';
import { localMedia, stopLocal } from '../room/devices.js';
import { hideConnection } from '../room/banner.js';
import { purposeText } from '../client-words.js';

export default async function roomPage({ params, onLeave, onLang }) {
  const meetingId = params.id;
  const me = await refreshMe();
  if (!me) throw new ApiError(401, { error: 'unauthorized' });
  if (me.kind === 'invitee' && me.meeting_id !== meetingId) throw new ApiError(404, { error: 'not_found' });
  const isClient = me.kind === 'invitee' && me.invite_kind === 'client';
  const info = isClient ? await clientInfo(meetingId) : await proInfo(meetingId, me);
  if (info.closed) {
    return h('section', { class: 'page narrow' },
      h('h1', { text: t('room.closed') }),
      isClient ? null : h('p', {}, h('a', { class: 'button primary', href: `/meetings/${meetingId}/minutes`, text: t('room.to_minutes') })));
  }
  const holder = h('div', { class: 'room-holder' });
  let session = null;
  let view = null;

  function enter() {
    session = new RoomSession(meetingId);
    // The socket opens while the room is built: nothing it brings is handled before this
    // function returns, so the view still hears every event.
    session.start();
    view = (isClient ? clientView : proView)(session, info);
    holder.replaceChildren(view.el);
    onLang(() => view.relabel());
  }

  onLeave(() => {
    if (session) session.close({ leave: true });
    if (view) view.dispose();
    stopLocal();
    hideConnection();
  });

  // Passed the pre-join screen (the invite's, or this one before a reload): straight in, also
  // while the browser is still giving the camera and microphone (they are sent once it has).
  if (localMedia().ready && (localMedia().stream || localMedia().acquiring)) {
    enter();
  } else {
    const pre = prejoin({
      heading: t(isClient ? 'client.prejoin.title' : 'prejoin.title'),
      name: info.name,
      organisation: info.organisation,
      purpose: info.purpose,
      scheduledAt: info.scheduledAt,
      plain: isClient,
      checkBase: `/api/meetings/${meetingId}`,
      onJoin: async () => {
        pre.dispose();
        enter();
      },
    });
    onLeave(pre.dispose);
    holder.append(pre.el);
  }
  return holder;
}

async function proInfo(meetingId, me) {
  if (me.kind === 'invitee') {
    // A guest reads the minutes only once the chair has let him in; until then his invite
    // tells him enough (the minutes panel loads when he is in).
    return {
      closed: false,
      client: null,
      name: me.name,
      organisation: me.organisation_name,
      purpose: me.purpose,
      scheduledAt: me.scheduled_at,
      afterLeave: `/meetings/${meetingId}/left`,
    };
  }
  const page = await get(`/api/meetings/${meetingId}`);
  const user = me.kind === 'user' ? me.user : null;
  return {
    closed: Boolean(page.meeting.finalised_at),
    client: page.minutes.case.client_pseudonym,
    name: user ? user.name : me.name,
    organisation: user ? user.organisation_name : me.organisation_name,
    purpose: page.meeting.purpose,
    scheduledAt: page.meeting.scheduled_at,
    afterLeave: user ? `/meetings/${meetingId}` : `/meetings/${meetingId}/left`,
  };
}

async function clientInfo(meetingId) {
  const plan = await get(`/api/meetings/${meetingId}/plan`);
  const me = await refreshMe();
  return {
    closed: false,
    plan,
    name: me.name,
    purpose: purposeText(plan.client_purpose),
    scheduledAt: plan.scheduled_at,
    afterLeave: `/meetings/${meetingId}/left`,
  };
}

/** After leaving, invitees (who have no case pages) get a plain goodbye. */
export function leftPage() {
  return h('section', { class: 'page narrow' },
    h('h1', { text: t('room.left_title') }),
    h('p', { class: 'lead', text: t('room.left_text') }));
}

