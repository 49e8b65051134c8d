// The conference room of the professionals and guests: tiles, own controls, the chair's
// panel and the live minutes beside the video.

import { h, rerender } from '../dom.js';
import { t } from '../i18n.js';
import { TileGrid } from './tiles.js';
import { PauseAnnouncer } from './paused.js';
import { ownControls, chairPanel } from './controls.js';
import { MinutesPanel } from './minutes-panel.js';
import { showConnection } from './banner.js';
import { encryptionStatus } from './e2ee/view.js';
import { localMedia } from './devices.js';
import { tilePeople, isLockedOut, nameOf } from './state.js';
import { announce, errorBox } from '../ui/notice.js';
import { navigate } from '../router.js';

export function proView(session, info) {
  const grid = new TileGrid(t('room.participants'), { onViewChange: () => session.videoViews.changed() });
  session.videoViews.read = () => grid.views();
  const pauses = new PauseAnnouncer(announce);
  const phaseBox = h('div', { class: 'phase-box' });
  const notices = h('div', { class: 'room-notices' });
  const hints = h('div', { class: 'room-hints' });
  const encryption = encryptionStatus(session);
  const controls = h('div', { class: 'controls-holder' });
  const chair = h('div', {});
  const minutes = new MinutesPanel(session.meetingId);
  // Focus lands here once in the conference (not on <body>): the name of the place you are.
  const heading = h('h1', { class: 'room-title', tabindex: -1 });
  const el = h('div', { class: 'room', dataset: { phase: 'connecting' } },
    h('div', { class: 'room-main' },
      h('div', { class: 'room-head' }, heading),
      phaseBox, encryption.el, hints, notices,
      // Focusable so keyboard users can scroll it when many tiles overflow.
      h('div', { class: 'stage', tabindex: 0, role: 'region', 'aria-label': t('room.participants') }, grid.el),
      controls),
    h('aside', { class: 'room-side', 'aria-label': t('room.side') }, chair, minutes.el));
  let minutesLoaded = false;
  let waitingBefore = 0;
  let focused = false;
  let locked = false;
  let lastHints = '';

  function render() {
    const s = session.state;
    el.dataset.phase = s.phase;
    heading.textContent = info.client ? t('room.title', { client: info.client }) : t('room.title_plain');
    showConnection(session.connection);
    const local = localMedia();
    grid.sync(tilePeople(s), s.you && s.you.id, s.speaker, session.remote, local.stream, session.quality, session.ownQuality, s.videoPaused);
    pauses.update(s.videoPaused, (id) => nameOf(s, id));
    rerender(phaseBox, phaseMessage(s));
    encryption.update();
    const hintKey = hintsKey(session);
    if (hintKey !== lastHints) {
      lastHints = hintKey;
      rerender(hints, roomHints(session, false));
    }
    if (s.phase === 'in' && !focused) {
      focused = true;
      heading.focus();
    }
    // Final minutes: the room offers nothing to write any more.
    if (s.phase === 'ended' && s.endReason === 'finalised' && !locked) {
      locked = true;
      if (minutesLoaded) minutes.lock();
    }
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
    // Back after a dropped connection: what was written meanwhile was not announced to us.
    if ((msg.type === 'minutes_changed' || msg.type === 'admitted') && minutesLoaded) minutes.reload();
    if (msg.type === 'error' && msg.code !== 'replaced') notices.replaceChildren(errorBox(t(msg.code === 'e2ee_required' ? 'e2ee.error_required' : 'room.refused')));
    if (msg.type === 'force_muted') announce(t('room.you_are_muted_by_chair'));
    if (msg.type === 'speak_allowed') announce(t('room.you_may_speak'));
    if (msg.type === 'participant_joined') announce(t('room.joined', { name: msg.participant.name }));
  });
  el.addEventListener('finalised', () => {
    // The server ends the room (meeting_ended follows); the panel is final from now on.
    locked = true;
    minutes.lock();
  });
  render();
  return { el, relabel: () => { lastHints = ''; encryption.relabel(); render(); }, dispose: () => { pauses.dispose(); grid.dispose(); } };
}

/**
 * What the person must know about themselves, from the state as it is now (so nothing stale
 * stays): a chair's request or enforced mute, being allowed to speak, and their own connection
 * being lost (with what the client does about it). `plain`: the client's words.
 */
/** What the hints depend on: they are rebuilt (and read out) only when it changes. */
export function hintsKey(session) {
  const s = session.state;
  const lost = session.ownQuality === 'lost' || session.connection === 'lost' || session.connection === 'reconnecting';
  return JSON.stringify([s.phase, lost, session.ownQuality === 'poor', isLockedOut(s), s.speakAllowed && Boolean(s.you && s.you.audio_muted), s.muteRequested]);
}

export function roomHints(session, plain) {
  const s = session.state;
  if (s.phase !== 'in') return null;
  const p = plain ? 'client.room.' : 'room.';
  const out = [];
  if (session.ownQuality === 'lost' || session.connection === 'lost' || session.connection === 'reconnecting') {
    out.push(h('div', { class: 'warning-box own-lost', role: 'alert', dataset: { key: 'own-lost' } },
      h('p', {}, h('strong', { text: t(`${p}own_lost_title`) })),
      h('p', { text: t(`${p}own_lost_text`) })));
  } else if (session.ownQuality === 'poor') {
    out.push(h('p', { class: 'info-box', role: 'status', dataset: { key: 'own-poor' }, text: t(`${p}own_poor`) }));
  }
  if (isLockedOut(s)) {
    out.push(h('p', { class: 'warning-box', role: 'status', dataset: { key: 'force-muted' }, text: t(`${p}muted_by_chair_hint`) }));
  } else if (s.speakAllowed && s.you && s.you.audio_muted) {
    out.push(h('div', { class: 'info-box', role: 'status', dataset: { key: 'speak-allowed' } },
      h('p', { text: t(`${p}may_speak_hint`) }),
      h('button', { type: 'button', class: 'button primary', text: t(`${p}mic_turn_on`), onclick: () => session.toggle('audio') })));
  }
  if (s.muteRequested && !isLockedOut(s)) {
    const kind = s.muteRequested;
    out.push(h('div', { class: 'warning-box', role: 'alert', dataset: { key: 'mute-requested' } },
      h('p', { text: t(`room.mute_requested.${kind}`) }),
      h('button', {
        type: 'button', class: 'button primary',
        text: t(kind === 'video' ? `${p}camera_turn_off` : `${p}mic_turn_off`),
        onclick: () => {
          if (!localMedia().muted[kind]) session.toggle(kind);
          session.onMessage({ type: 'mute_request_dismissed' });
        },
      }),
      h('button', { type: 'button', class: 'button secondary', text: t('form.close'), onclick: () => session.onMessage({ type: 'mute_request_dismissed' }) })));
  }
  return out.length ? out : null;
}
