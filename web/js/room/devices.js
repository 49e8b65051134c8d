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
  /** The camera was switched off: its track is stopped (light off) and re-acquired when on. */
  cameraStopped: false,
  /** Asking for the devices now: resolves when they are there (or refused). */
  acquiring: null,
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
export function acquire() {
  const asking = acquireNow().finally(() => {
    if (local.acquiring === asking) local.acquiring = null;
  });
  local.acquiring = asking;
  return asking;
}

async function acquireNow() {
  const cameraWasOff = local.cameraStopped;
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
  if (cameraWasOff && stream.getVideoTracks().length) await setCamera(false);
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
    output: all.filter((d) => d.kind === 'audiooutput'),
  };
}

/** The device chosen before for `kind` ('audio', 'video', 'output'), if any. */
export function savedChoice(kind) {
  return saved()[kind] || null;
}

/** Whether this browser can choose where sound plays (Chromium can; Firefox only by flag). */
export function canChooseOutput() {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/** Plays sound of `el` through the chosen speaker, where the browser supports choosing. */
export async function useChosenOutput(el) {
  const sink = savedChoice('output');
  if (sink && canChooseOutput()) await el.setSinkId(sink).catch(() => {});
}

/**
 * A short two-note tone through the chosen speaker, to check it before joining. Resolves
 * when it has played.
 */
export async function playTestTone({ seconds = 1.2 } = {}) {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  const ctx = new Ctx();
  const out = ctx.createMediaStreamDestination();
  const gain = ctx.createGain();
  gain.gain.value = 0.2;
  gain.connect(out);
  const start = ctx.currentTime;
  for (const [i, freq] of [660, 880].entries()) {
    const osc = ctx.createOscillator();
    osc.frequency.value = freq;
    osc.connect(gain);
    osc.start(start + i * (seconds / 2));
    osc.stop(start + (i + 1) * (seconds / 2));
  }
  const el = new Audio();
  el.srcObject = out.stream;
  await useChosenOutput(el);
  await el.play();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 100));
  el.pause();
  el.srcObject = null;
  await ctx.close();
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

/** Whether the person has this device (a camera switched off still counts). */
export function hasTrack(kind) {
  if (kind === 'video' && local.cameraStopped) return true;
  return Boolean(local.stream && (kind === 'audio' ? local.stream.getAudioTracks() : local.stream.getVideoTracks()).length);
}

/**
 * Camera off stops the camera itself (its light goes out; nothing is captured); camera on asks
 * for it again with the chosen device. Returns the new video track, or null when off.
 */
export async function setCamera(on) {
  const stream = local.stream || new MediaStream();
  local.stream = stream;
  if (!on) {
    for (const track of stream.getVideoTracks()) {
      track.stop();
      stream.removeTrack(track);
    }
    local.cameraStopped = true;
    local.muted.video = true;
    return null;
  }
  const fresh = await navigator.mediaDevices.getUserMedia({ video: constraints('video') });
  const track = fresh.getVideoTracks()[0];
  stream.addTrack(track);
  local.cameraStopped = false;
  local.muted.video = false;
  local.problem.video = null;
  applyMute();
  return track;
}

/** The live camera track, if the camera is on. */
export function videoTrack() {
  return local.stream ? local.stream.getVideoTracks()[0] || null : null;
}

export function stopLocal() {
  if (local.stream) local.stream.getTracks().forEach((track) => track.stop());
  local.stream = null;
  local.ready = false;
  local.cameraStopped = false;
}
