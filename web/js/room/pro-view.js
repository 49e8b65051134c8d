// The conference room of the professionals and guests: tiles, own controls, the chair's
// panel and the live minutes beside the video.

import { h, rerender } from '../dom.js';
import { t } from '../i18n.js';
import { TileGrid } from './tiles.js';
import { ownControls, chairPanel } from './controls.js';
import { MinutesPanel } from './minutes-panel.js';
import { showConnection } from './banner.js';
import { localMedia } from './devices.js';
import { announce, errorBox } from '../ui/notice.js';
import { navigate } from '../router.js';

export function proView(session, info) {
  const grid = new TileGrid(t('room.participants'));
  const phaseBox = h('div', { class: 'phase-box' });
  const notices = h('div', { class: 'room-notices' });
  const controls = h('div', { class: 'controls-holder' });
  const chair = h('div', {});
  const minutes = new MinutesPanel(session.meetingId);
  const heading = h('h1', { class: 'room-title' });
  const el = h('div', { class: 'room', dataset: { phase: 'connecting' } },
    h('div', { class: 'room-main' },
      h('div', { class: 'room-head' }, heading),
      phaseBox, notices,
      // Focusable so keyboard users can scroll it when many tiles overflow.
      h('div', { class: 'stage', tabindex: 0, role: 'region', 'aria-label': t('room.participants') }, grid.el),
      controls),
    h('aside', { class: 'room-side', 'aria-label': t('room.side') }, chair, minutes.el));
  let minutesLoaded = false;
  let waitingBefore = 0;

  function render() {
    const s = session.state;
    el.dataset.phase = s.phase;
    heading.textContent = info.client ? t('room.title', { client: info.client }) : t('room.title_plain');
    showConnection(session.connection);
    const local = localMedia();
    grid.sync(s.phase === 'in' ? s.participants : [], s.you && s.you.id, s.speaker, session.remote, local.stream);
    rerender(phaseBox, phaseMessage(s));
    rerender(controls, ['ended', 'denied', 'removed'].includes(s.phase) ? null : ownControls(session, { onLeave: leave }));
    rerender(chair, chairPanel(session));
    minutes.el.hidden = s.phase !== 'in' && !minutesLoaded;
    if (s.phase === 'in' && !minutesLoaded) {
      minutesLoaded = true;
      minutes.load().catch((err) => minutes.problem.replaceChildren(errorBox(err)));
    }
    if (s.waiting.length > waitingBefore) announce(t('room.someone_waits', { name: s.waiting[s.waiting.length - 1].name }));
    waitingBefore = s.waiting.length;
  }

  function phaseMessage(s) {
    switch (s.phase) {
      case 'connecting': return h('p', { class: 'phase', role: 'status', text: t('room.connecting') });
      case 'lobby': return h('div', { class: 'phase lobby', role: 'status' },
        h('h2', { text: t('room.lobby_title') }), h('p', { text: t('room.lobby_text') }),
        s.meeting ? h('p', { class: 'prewrap purpose', text: s.meeting.purpose }) : null);
      case 'ended': return h('div', { class: 'phase', role: 'status' },
        h('h2', { text: t(`room.ended.${s.endReason === 'finalised' ? 'finalised' : 'ended'}`) }),
        h('p', {}, h('a', { class: 'button primary', href: s.endReason === 'finalised' ? `/meetings/${session.meetingId}/minutes` : `/meetings/${session.meetingId}`, text: t('room.to_minutes') })));
      case 'denied': return h('div', { class: 'phase', role: 'alert' }, h('h2', { text: t('room.denied') }));
      case 'removed': return h('div', { class: 'phase', role: 'alert' }, h('h2', { text: t('room.removed') }));
      default: return null;
    }
  }

  function leave() {
    session.leave();
    navigate(info.afterLeave);
  }

  session.addEventListener('change', render);
  session.addEventListener('message', (e) => {
    const msg = e.detail;
    if (msg.type === 'minutes_changed' && minutesLoaded) minutes.reload();
    if (msg.type === 'mute_requested') notices.replaceChildren(muteRequest(session, msg.kind));
    if (msg.type === 'error' && msg.code !== 'replaced') notices.replaceChildren(errorBox(t('room.refused')));
    if (msg.type === 'participant_joined') announce(t('room.joined', { name: msg.participant.name }));
  });
  el.addEventListener('finalised', () => { /* the server ends the room; meeting_ended follows */ });
  render();
  return { el, relabel: render, dispose: () => grid.clear() };
}

function muteRequest(session, kind) {
  const box = h('div', { class: 'warning-box', role: 'alert' },
    h('p', { text: t(`room.mute_requested.${kind}`) }),
    h('button', {
      type: 'button', class: 'button primary',
      text: t(kind === 'video' ? 'room.camera_turn_off' : 'room.mic_turn_off'),
      onclick: () => {
        if (!localMedia().muted[kind]) session.toggle(kind);
        box.remove();
      },
    }),
    h('button', { type: 'button', class: 'button secondary', text: t('form.close'), onclick: () => box.remove() }));
  return box;
}
