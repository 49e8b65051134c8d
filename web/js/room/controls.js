// The buttons of the room: own microphone, camera, hand and leaving for everyone; for chairs
// the lobby (admit, turn away), asking someone to mute, removing someone, the client out and
// back, and ending. Rebuilt from the session state on every change (they are cheap).

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { isChair, others, handQueue, myHandPlace, isLockedOut } from './state.js';
import { localMedia, hasTrack } from './devices.js';
import { confirmDialog } from '../ui/dialog.js';
import { roles, inviteKinds } from '../vocabulary.js';


/**
 * Microphone and camera: the label says what pressing does ("turn off"), the look shows the
 * state; a pressed-state would make "microphone off, pressed" ambiguous for screen readers.
 */
function deviceButton({ kind, off, available, p, onclick, locked = false }) {
  const name = kind === 'audio' ? 'mic' : 'camera';
  return h('button', {
    type: 'button', class: `button control control-${name} ${off ? 'is-off' : 'is-on'}`, dataset: { key: name },
    disabled: !available || locked, onclick,
    text: locked ? t(`${p}mic_locked`) : t(`${p}${name}_turn_${off ? 'on' : 'off'}`),
  });
}

/** Own controls. `plain` uses the client's simpler words. `onLeave` after leaving. */
export function ownControls(session, { plain = false, onLeave }) {
  const p = plain ? 'client.room.' : 'room.';
  const local = localMedia();
  const s = session.state;
  const micOff = !hasTrack('audio') || local.muted.audio;
  const camOff = !hasTrack('video') || local.muted.video;
  const hand = Boolean(s.you && s.you.hand_raised);
  const place = myHandPlace(s);
  // The hand button says what pressing does; while the hand is up, a status says so (and
  // where you are in the queue), so nobody has to guess whether it worked.
  const handButton = s.phase === 'in' ? h('button', {
    type: 'button', class: `button control control-hand ${hand ? 'is-raised' : ''}`, dataset: { key: 'control-hand' },
    text: t(hand ? `${p}lower_hand` : `${p}raise_hand`), onclick: () => session.raiseHand(!hand),
  }) : null;
  const handStatus = s.phase === 'in' && hand ? h('p', { class: 'hand-status', role: 'status', dataset: { key: 'hand-status' },
    text: place ? t(`${p}hand_is_up_place`, { place }) : t(`${p}hand_is_up`) }) : null;
  return h('div', { class: 'controls', role: 'toolbar', 'aria-label': t('room.controls') },
    h('div', { class: 'controls-main' },
      deviceButton({ kind: 'audio', off: micOff, available: hasTrack('audio'), p, locked: isLockedOut(s), onclick: () => session.toggle('audio') }),
      deviceButton({ kind: 'video', off: camOff, available: hasTrack('video'), p, onclick: () => session.toggle('video') }),
      handButton, handStatus),
    // Leaving sits apart from the rest, so it is not pressed by mistake.
    h('div', { class: 'controls-leave' },
      h('button', {
        type: 'button', class: 'button control danger', dataset: { key: 'leave' }, text: t(`${p}leave`),
        onclick: async () => {
          if (await confirmDialog({ title: t(`${p}leave_title`), confirm: t(`${p}leave`), danger: true })) onLeave();
        },
      })));
}

/** The chair's queue of raised hands, first raised first, each with a button to lower it. */
function handQueuePanel(s, send) {
  const queue = handQueue(s);
  return h('div', { class: 'hand-queue' },
    h('h3', { id: 'hands-title' }, t('room.hands'), ' ', h('span', { class: queue.length ? 'count attention' : 'count', text: String(queue.length) })),
    queue.length ? h('ol', { class: 'people-list hand-list', 'aria-labelledby': 'hands-title' }, queue.map((p) => h('li', { dataset: { participantId: p.id } },
      h('span', {}, h('strong', { text: p.name }), p.organisation ? ` — ${p.organisation}` : ''),
      h('button', { type: 'button', class: 'button secondary small', 'aria-label': t('room.lower_hand_who', { name: p.name }), text: t('room.lower_hand_of'), onclick: () => send({ type: 'lower_hand', participant_id: p.id }) }))))
      : h('p', { class: 'empty', text: t('room.hands_empty') }));
}

/** Per person: mute for real (the server stops their audio) or allow them to speak again. */
function muteButtons(p, send) {
  if (p.audio_locked) {
    return h('button', { type: 'button', class: 'button primary small', 'aria-label': t('room.allow_speak_who', { name: p.name }), text: t('room.allow_speak'), onclick: () => send({ type: 'allow_speak', participant_id: p.id }) });
  }
  return [
    p.audio_muted ? null : h('button', { type: 'button', class: 'button secondary small', 'aria-label': t('room.ask_mute_who', { name: p.name }), text: t('room.ask_mute'), onclick: () => send({ type: 'request_mute', participant_id: p.id, kind: 'audio' }) }),
    h('button', { type: 'button', class: 'button secondary small', 'aria-label': t('room.force_mute_who', { name: p.name }), text: t('room.force_mute'), onclick: () => send({ type: 'force_mute', participant_id: p.id }) }),
  ];
}

/**
 * Admits someone from the lobby. Someone whose browser cannot encrypt is let in only when the
 * chair confirms it: the whole conference is then sent unencrypted (docs/e2ee.md).
 */
async function admit(p, send) {
  if (p.e2ee_key) return send({ type: 'admit', participant_id: p.id });
  const sure = await confirmDialog({ title: t('e2ee.admit_title', { name: p.name }), text: t('e2ee.admit_text'), confirm: t('e2ee.admit_confirm'), danger: true });
  if (sure) send({ type: 'admit', participant_id: p.id, unencrypted: true });
  return sure;
}

// Whether the chair opened the list of people in the room; kept across re-renders.
let peopleOpen = false;

/** The chair's panel: who waits, who is in, and the conference as a whole. */
export function chairPanel(session) {
  const s = session.state;
  if (!isChair(s)) return null;
  const send = (msg) => session.send(msg);
  const client = s.participants.find((p) => p.kind === 'client');
  return h('section', { class: 'chair-panel', 'aria-labelledby': 'chair-title' },
    h('h2', { id: 'chair-title', text: t('room.chair_controls') }),
    handQueuePanel(s, send),
    h('h3', { id: 'lobby-title' }, t('room.lobby'), ' ', h('span', { class: s.waiting.length ? 'count attention' : 'count', text: String(s.waiting.length) })),
    s.waiting.length ? h('ul', { class: 'people-list', 'aria-labelledby': 'lobby-title' }, s.waiting.map((p) => h('li', { class: 'waiting', dataset: { participantId: p.id } },
      h('span', {}, h('strong', { text: p.name }), ` — ${p.kind === 'client' ? inviteKinds.label('client') : `${p.organisation || roles.label(p.role)} (${inviteKinds.label(p.kind)})`}`),
      h('span', { class: 'inline' },
        p.e2ee_key ? null : h('span', { class: 'badge badge-danger', dataset: { key: 'e2ee-cannot' }, text: t('e2ee.lobby_cannot') }),
        h('button', { type: 'button', class: 'button primary small', 'aria-label': t('room.admit_who', { name: p.name }), text: t('room.admit'), onclick: () => admit(p, send) }),
        h('button', { type: 'button', class: 'button secondary small', 'aria-label': t('room.deny_who', { name: p.name }), text: t('room.deny'), onclick: () => send({ type: 'deny', participant_id: p.id }) }))))) : h('p', { class: 'empty', text: t('room.lobby_empty') }),
    h('details', { class: 'disclosure people', open: peopleOpen, ontoggle: (e) => { peopleOpen = e.target.open; } },
      h('summary', { id: 'in-room-title', dataset: { key: 'people' }, text: t('room.in_room_count', { count: others(s).length }) }),
      h('ul', { class: 'people-list', 'aria-labelledby': 'in-room-title' }, others(s).map((p) => h('li', { dataset: { participantId: p.id } },
      h('span', {}, h('strong', { text: p.name }), p.organisation ? ` — ${p.organisation}` : ''),
      h('span', { class: 'inline' },
        muteButtons(p, send),
        h('button', {
          type: 'button', class: 'button secondary small danger-text', 'aria-label': t('room.remove_who', { name: p.name }), text: t('room.remove'),
          onclick: async () => {
            if (await confirmDialog({ title: t('room.remove_who', { name: p.name }), text: t('room.remove_text'), confirm: t('room.remove'), danger: true })) send({ type: 'remove', participant_id: p.id });
          },
        })))))),
    others(s).length ? h('p', {}, h('button', {
      type: 'button', class: 'button secondary', dataset: { key: 'mute-all' }, text: t('room.mute_all'),
      onclick: async () => {
        if (await confirmDialog({ title: t('room.mute_all_title'), text: t('room.mute_all_text'), confirm: t('room.mute_all') })) send({ type: 'mute_all' });
      },
    })) : null,
    h('div', { class: 'button-row' },
      s.clientOut
        ? h('button', { type: 'button', class: 'button primary', text: t('room.bring_back'), onclick: () => send({ type: 'bring_back_client' }) })
        : client ? h('button', { type: 'button', class: 'button secondary', text: t('room.send_out'), onclick: () => send({ type: 'send_out_client' }) }) : null,
      s.clientOut ? h('p', { class: 'notice-out', role: 'status', text: t('room.client_is_out') }) : null,
      h('button', {
        type: 'button', class: 'button danger', text: t('room.end'),
        onclick: async () => {
          if (await confirmDialog({ title: t('room.end_title'), text: t('room.end_text'), confirm: t('room.end'), danger: true })) send({ type: 'end_meeting' });
        },
      })));
}
