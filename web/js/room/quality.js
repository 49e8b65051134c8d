// Connection quality from real `getStats` figures, as plain functions: no DOM, no WebRTC, so
// the thresholds and the retry rule are unit-tested in Node (tests/web/room-quality.test.mjs).
//
// Levels, from best to worst: 'good', 'connecting', 'poor', 'lost'; 'off' when nothing is
// expected (the person muted that microphone or camera, so no media is the right answer).

export const THRESHOLDS = {
  /** Share of packets lost over the last interval from which a stream is poor. */
  poorLoss: 0.05,
  /** Inter-arrival jitter (RFC 3550, in milliseconds) from which a stream is poor. */
  poorJitterMs: 60,
  /** Round-trip time to the server from which the connection is poor. */
  poorRttMs: 500,
  /** No new bytes (or, for video, no decoded frames) for this long: the media is lost. */
  lostAfterMs: 5000,
  /** Never any media this long after it was expected: the media does not arrive. */
  connectingGraceMs: 10000,
  /** Own media lost this long before the client reconnects by itself. */
  retryAfterMs: 6000,
  /** The longest pause between automatic reconnects. */
  maxRetryDelayMs: 16000,
};

const ORDER = ['off', 'good', 'connecting', 'poor', 'lost'];

/** The worse of two levels ('off' counts as nothing). */
export function worse(a, b) {
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

/** The level of a person from the levels of their streams: the worst one that is expected. */
export function combine(levels) {
  return levels.reduce((acc, level) => worse(acc, level), 'off');
}

/** A fresh tracker for one stream, started at `now` (ms). */
export function tracker(now) {
  return { since: now, lastProgress: null, prev: null, level: 'connecting', loss: 0, expected: true };
}

/**
 * One step for a received stream. `sample` (or null when the browser has no such stream):
 * { bytes, packets, lost, jitter (seconds), frames (video: framesDecoded) } — cumulative, as
 * `inbound-rtp` reports them. `rttMs`: the connection's round trip (candidate-pair), or null.
 * `expected`: whether the sender has this microphone or camera on. Returns the new tracker.
 */
export function stepInbound(prev, sample, { now, rttMs = null, expected = true, th = THRESHOLDS } = {}) {
  const t = { ...prev };
  if (!expected) return { ...t, expected: false, level: 'off', prev: sample || null };
  if (!prev.expected) {
    // Just switched on: judge it from now, not from when it was off.
    t.since = now;
    t.lastProgress = null;
    t.prev = null;
  }
  t.expected = true;
  let loss = 0;
  if (sample) {
    const before = t.prev;
    const bytesMoved = before ? sample.bytes > before.bytes : sample.bytes > 0;
    const framesMoved = sample.frames == null || (before ? sample.frames > (before.frames || 0) : sample.frames > 0);
    if (bytesMoved && framesMoved) t.lastProgress = now;
    if (before) {
      const got = Math.max(0, sample.packets - before.packets);
      const lost = Math.max(0, (sample.lost || 0) - (before.lost || 0));
      loss = got + lost > 0 ? lost / (got + lost) : 0;
    }
    t.prev = sample;
  }
  t.loss = loss;
  const jitterMs = sample && sample.jitter != null ? sample.jitter * 1000 : 0;
  t.level = judge(t, { now, loss, jitterMs, rttMs, th });
  return t;
}

/**
 * One step for the own sending side. `sample`: { bytes (bytesSent), fractionLost (0..1 from
 * remote-inbound-rtp, or null) }; `state`: the peer connection's connectionState; `expected`:
 * the microphone or camera is on (a muted track still sends, a stopped camera does not).
 */
export function stepOutbound(prev, sample, { now, rttMs = null, state = 'connected', expected = true, th = THRESHOLDS } = {}) {
  const t = { ...prev };
  if (state === 'failed' || state === 'disconnected' || state === 'closed') {
    return { ...t, level: 'lost', expected, lastProgress: t.lastProgress };
  }
  if (!expected) {
    // Nothing to send: the connection itself decides (the server answers ICE and RTCP).
    return { ...t, expected: false, since: now, lastProgress: null, prev: sample || null, level: state === 'connected' ? rttLevel(rttMs, th) : 'connecting' };
  }
  if (!prev.expected) {
    t.since = now;
    t.lastProgress = null;
    t.prev = null;
  }
  t.expected = true;
  if (sample) {
    const moved = t.prev ? sample.bytes > t.prev.bytes : sample.bytes > 0;
    if (moved) t.lastProgress = now;
    t.prev = sample;
  }
  const loss = sample && sample.fractionLost != null ? sample.fractionLost : 0;
  t.loss = loss;
  t.level = state === 'connected' || t.lastProgress != null ? judge(t, { now, loss, jitterMs: 0, rttMs, th }) : (now - t.since >= th.connectingGraceMs ? 'lost' : 'connecting');
  return t;
}

function rttLevel(rttMs, th) {
  return rttMs != null && rttMs >= th.poorRttMs ? 'poor' : 'good';
}

function judge(t, { now, loss, jitterMs, rttMs, th }) {
  if (t.lastProgress == null) return now - t.since >= th.connectingGraceMs ? 'lost' : 'connecting';
  if (now - t.lastProgress >= th.lostAfterMs) return 'lost';
  if (loss >= th.poorLoss || jitterMs >= th.poorJitterMs || (rttMs != null && rttMs >= th.poorRttMs)) return 'poor';
  return 'good';
}

/**
 * Whether to reconnect now: the own media has been lost for `retryAfterMs`, and the pause
 * after the previous attempt (growing: 1, 2, 4, 8, 16 s) is over. `retry`: { attempt, lastAt }.
 */
export function shouldRetry({ level, lostSince, retry, now, th = THRESHOLDS }) {
  if (level !== 'lost' || lostSince == null) return false;
  if (now - lostSince < th.retryAfterMs) return false;
  if (retry.lastAt == null) return true;
  return now - retry.lastAt >= retryDelay(retry.attempt, th);
}

/** The pause before reconnect attempt `attempt` (0-based), capped. */
export function retryDelay(attempt, th = THRESHOLDS) {
  return Math.min(th.maxRetryDelayMs, 1000 * 2 ** attempt);
}

/**
 * The figures one `getStats` report gives, by kind of stream: inbound streams by `mid`, own
 * outbound streams by kind, and the round trip of the selected candidate pair (ms).
 */
export function readReport(report) {
  const stats = [...report.values()];
  const byId = new Map(stats.map((s) => [s.id, s]));
  const inbound = new Map();
  const outbound = {};
  let rttMs = null;
  for (const s of stats) {
    if (s.type === 'inbound-rtp') {
      inbound.set(s.mid != null ? String(s.mid) : s.trackIdentifier, {
        kind: s.kind,
        track: s.trackIdentifier || null,
        bytes: s.bytesReceived || 0,
        packets: s.packetsReceived || 0,
        lost: s.packetsLost || 0,
        jitter: s.jitter != null ? s.jitter : null,
        frames: s.kind === 'video' ? (s.framesDecoded || 0) : null,
      });
    } else if (s.type === 'outbound-rtp') {
      const remote = s.remoteId ? byId.get(s.remoteId) : stats.find((r) => r.type === 'remote-inbound-rtp' && r.localId === s.id);
      const prior = outbound[s.kind];
      outbound[s.kind] = {
        bytes: (prior ? prior.bytes : 0) + (s.bytesSent || 0),
        fractionLost: remote && remote.fractionLost != null ? remote.fractionLost : (prior ? prior.fractionLost : null),
      };
    } else if (s.type === 'candidate-pair' && (s.nominated || s.selected) && s.state === 'succeeded' && s.currentRoundTripTime != null) {
      rttMs = s.currentRoundTripTime * 1000;
    }
  }
  return { inbound, outbound, rttMs };
}
