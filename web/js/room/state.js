// What the conference looks like from one participant's seat, as a pure function of the
// signalling messages received (docs/signalling.md). No DOM and no WebRTC here, so the rules
// are unit-tested in Node (tests/web/room-state.test.mjs).

/** Phases: connecting → lobby → in ⇄ out (client) → ended | denied | removed. */
export function initialState() {
  return {
    phase: 'connecting',
    you: null,
    meeting: null,
    iceServers: [],
    participants: [],
    waiting: [],
    speaker: null,
    tracks: [],
    endReason: null,
    lastError: null,
    muteRequested: null,
    minutesVersion: 0,
    minutesEvent: null,
    /** For chairs: the client is out for the professionals-only part. */
    clientOut: false,
    /** Raised hands by participant id, first raised first (`hand_queue`). */
    hands: [],
    /** A chair allowed you to speak after muting you; you may unmute now. */
    speakAllowed: false,
    /** Whose video the server stopped sending us because our link is too weak (`video_state`). */
    videoPaused: [],
  };
}

/** Messages that end the conversation for good: do not reconnect after them. */
export const FINAL_PHASES = ['ended', 'denied', 'removed'];

function upsert(list, participant) {
  const rest = list.filter((p) => p.id !== participant.id);
  return [...rest, participant].sort(byArrival(list));
}

/** Keeps the order people arrived in, so tiles do not jump around. */
function byArrival(previous) {
  const order = new Map(previous.map((p, i) => [p.id, i]));
  return (a, b) => (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity);
}

/** The next state after one server message. Unknown types change nothing. */
export function reduce(state, msg) {
  switch (msg.type) {
    case 'welcome':
      return {
        ...state,
        muteRequested: null,
        speakAllowed: false,
        you: msg.you,
        meeting: msg.meeting,
        iceServers: msg.ice_servers || [],
        relayOnly: Boolean(msg.ice_relay_only),
        phase: msg.you.presence === 'out' ? 'out' : msg.you.presence === 'admitted' ? 'in' : 'lobby',
        participants: [],
        tracks: [],
        // A new session: the server starts forwarding everything afresh.
        videoPaused: [],
        lastError: null,
      };
    case 'lobby':
      return { ...state, phase: 'lobby' };
    case 'admitted': {
      const you = msg.participants.find((p) => state.you && p.id === state.you.id) || state.you;
      return { ...state, phase: 'in', you, participants: msg.participants };
    }
    case 'denied':
      return { ...state, phase: 'denied' };
    case 'removed':
      return { ...state, phase: 'removed' };
    case 'meeting_ended':
      return { ...state, phase: 'ended', endReason: msg.reason };
    case 'lobby_changed':
      return { ...state, waiting: msg.waiting };
    case 'participant_joined':
      return {
        ...state,
        participants: upsert(state.participants, msg.participant),
        // The server sends no `lobby_changed` when the last person waiting is admitted.
        waiting: state.waiting.filter((p) => p.id !== msg.participant.id),
        clientOut: msg.participant.kind === 'client' ? false : state.clientOut,
      };
    case 'participant_updated': {
      const mine = state.you && msg.participant.id === state.you.id;
      return {
        ...state,
        you: mine ? msg.participant : state.you,
        // A request to mute is answered once you are muted: no banner left standing.
        muteRequested: mine && msg.participant.audio_muted && state.muteRequested === 'audio' ? null
          : mine && msg.participant.video_muted && state.muteRequested === 'video' ? null : state.muteRequested,
        speakAllowed: mine && !msg.participant.audio_muted ? false : state.speakAllowed,
        participants: state.participants.some((p) => p.id === msg.participant.id)
          ? state.participants.map((p) => (p.id === msg.participant.id ? msg.participant : p))
          : state.participants,
      };
    }
    case 'participant_left': {
      // Someone whose connection dropped keeps a seat (`reconnecting`) for the room's grace
      // period; `connection_lost` comes after it, and they are gone like anyone who left.
      return {
        ...state,
        hands: state.hands.filter((id) => id !== msg.participant_id),
        participants: state.participants.filter((p) => p.id !== msg.participant_id),
        waiting: state.waiting.filter((p) => p.id !== msg.participant_id),
        speaker: state.speaker === msg.participant_id ? null : state.speaker,
        tracks: state.tracks.filter((tr) => tr.participant_id !== msg.participant_id),
        videoPaused: state.videoPaused.filter((id) => id !== msg.participant_id),
        clientOut: msg.reason === 'sent_out' ? true : state.clientOut,
      };
    }
    case 'hand_queue':
      return { ...state, hands: msg.queue };
    case 'force_muted':
      return { ...state, speakAllowed: false, muteRequested: null };
    case 'speak_allowed':
      return { ...state, speakAllowed: true };
    case 'subscribe_offer':
      return { ...state, tracks: msg.tracks };
    case 'video_state': {
      const rest = state.videoPaused.filter((id) => id !== msg.participant_id);
      return { ...state, videoPaused: msg.paused ? [...rest, msg.participant_id] : rest };
    }
    case 'active_speaker':
      return { ...state, speaker: msg.participant_id };
    case 'sent_out':
      // While out the client receives no media and sees nobody.
      return { ...state, phase: 'out', participants: [], tracks: [], speaker: null, hands: [], videoPaused: [] };
    case 'brought_back':
      return { ...state, phase: 'in' };
    case 'mute_requested': {
      // Already muted: nothing to ask.
      const muted = state.you && (msg.kind === 'video' ? state.you.video_muted : state.you.audio_muted);
      return { ...state, muteRequested: muted ? null : msg.kind };
    }
    case 'mute_request_dismissed':
      return { ...state, muteRequested: null };
    case 'minutes_changed':
      return { ...state, minutesVersion: state.minutesVersion + 1, minutesEvent: msg.event };
    case 'error':
      return { ...state, lastError: { code: msg.code, message: msg.message } };
    default:
      return state;
  }
}

/** The participant a subscribe-connection transceiver `mid` carries, from the last offer. */
export function ownerOfMid(state, mid) {
  const entry = state.tracks.find((tr) => tr.mid === mid);
  return entry ? entry.participant_id : null;
}

/** The name of someone in the room, or null when they are not (any more). */
export function nameOf(state, id) {
  const p = state.participants.find((x) => x.id === id);
  return p ? p.name : null;
}

/** Whether you may use the chair's controls. */
export function isChair(state) {
  return Boolean(state.you && state.you.chair && state.phase === 'in');
}

/** The others in the room (not you), in order of arrival. */
export function others(state) {
  return state.participants.filter((p) => !state.you || p.id !== state.you.id);
}

/** The client, if he is in the room or out (chairs need him to send out / bring back). */
export function clientPresent(state) {
  return state.participants.some((p) => p.kind === 'client');
}

/** The raised hands as people, first raised first (the server's order). */
export function handQueue(state) {
  return state.hands.map((id) => state.participants.find((p) => p.id === id)).filter(Boolean);
}

/** Your place in the hand queue (1 = next), or 0 when your hand is down. */
export function myHandPlace(state) {
  if (!state.you) return 0;
  return state.hands.indexOf(state.you.id) + 1;
}

/** A chair muted you and has not allowed you to speak yet. */
export function isLockedOut(state) {
  return Boolean(state.you && state.you.audio_locked);
}

/** Everyone to show a tile for: those in the room, those reconnecting included. */
export function tilePeople(state) {
  return state.phase === 'in' ? state.participants : [];
}

/** Others whose connection dropped and who may still come back to their seat. */
export function reconnecting(state) {
  return others(state).filter((p) => p.reconnecting);
}
