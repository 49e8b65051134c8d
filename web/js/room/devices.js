// The person's own camera and microphone. Kept outside any page so the stream chosen in the
// pre-join screen is the one the room sends (no second permission prompt, no flicker).

const CHOICE_KEY = 'kt.devices';

const local = {
  /** The MediaStream being previewed or sent (may lack audio, video or both). */
  stream: null,
  /** What went wrong getting a device: null, 'denied', 'missing' or 'failed', per kind. */
  problem: { audio: null, video: null },
  /** The person chose to start with microphone or camera off. */
  muted: { audio: false, video: false },
  /** The pre-join screen was passed: the room may join at once. */
  ready: false,
};

export function localMedia() {
  return local;
}

function saved() {
  try { return JSON.parse(localStorage.getItem(CHOICE_KEY)) || {}; } catch { return {}; }
}

export function saveChoice(kind, deviceId) {
  localStorage.setItem(CHOICE_KEY, JSON.stringify({ ...saved(), [kind]: deviceId }));
}

function classify(err) {
  if (!err) return null;
  if (err.name === 'NotAllowedError' || err.name === 'SecurityError') return 'denied';
  if (err.name === 'NotFoundError' || err.name === 'OverconstrainedError') return 'missing';
  return 'failed';
}

function constraints(kind) {
  const id = saved()[kind];
  const base = kind === 'video' ? { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } } : { echoCancellation: true, noiseSuppression: true };
  return id ? { ...base, deviceId: { ideal: id } } : base;
}

/**
 * Asks for microphone and camera; each kind is tried on its own when both together fail, so
 * a missing camera still lets the microphone through (and the other way round).
 */
export async function acquire() {
  stopLocal();
  local.problem = { audio: null, video: null };
  const stream = new MediaStream();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    local.problem = { audio: 'failed', video: 'failed' };
    local.stream = stream;
    return local;
  }
  try {
    const both = await navigator.mediaDevices.getUserMedia({ audio: constraints('audio'), video: constraints('video') });
    both.getTracks().forEach((track) => stream.addTrack(track));
  } catch {
    for (const kind of ['audio', 'video']) {
      try {
        const one = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(kind) });
        one.getTracks().forEach((track) => stream.addTrack(track));
      } catch (err) {
        local.problem[kind] = classify(err);
      }
    }
  }
  local.stream = stream;
  applyMute();
  return local;
}

/** Replaces one kind's track with another device; returns the new track. */
export async function switchDevice(kind, deviceId) {
  saveChoice(kind, deviceId);
  const fresh = await navigator.mediaDevices.getUserMedia({ [kind]: { ...constraints(kind), deviceId: { exact: deviceId } } });
  const track = kind === 'audio' ? fresh.getAudioTracks()[0] : fresh.getVideoTracks()[0];
  const stream = local.stream || new MediaStream();
  for (const old of kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks()) {
    old.stop();
    stream.removeTrack(old);
  }
  stream.addTrack(track);
  local.stream = stream;
  local.problem[kind] = null;
  applyMute();
  return track;
}

export async function listDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return { audio: [], video: [] };
  const all = await navigator.mediaDevices.enumerateDevices();
  return {
    audio: all.filter((d) => d.kind === 'audioinput'),
    video: all.filter((d) => d.kind === 'videoinput'),
  };
}

/** Muting disables the track: nothing leaves the computer, and unmuting is instant. */
export function setMuted(kind, muted) {
  local.muted[kind] = muted;
  applyMute();
}

function applyMute() {
  if (!local.stream) return;
  local.stream.getAudioTracks().forEach((track) => { track.enabled = !local.muted.audio; });
  local.stream.getVideoTracks().forEach((track) => { track.enabled = !local.muted.video; });
}

export function hasTrack(kind) {
  return Boolean(local.stream && (kind === 'audio' ? local.stream.getAudioTracks() : local.stream.getVideoTracks()).length);
}

export function stopLocal() {
  if (local.stream) local.stream.getTracks().forEach((track) => track.stop());
  local.stream = null;
  local.ready = false;
}
