// A voice for a fake microphone. Chromium's own fake microphone beeps for a few milliseconds
// twice a second and is silent in between; an Opus encoder codes silence without in-band
// redundancy (it adds it only to frames its voice detector finds active), so a story that
// measures how much of a listener's audio is concealed would measure mostly silence. This
// writes a WAV (48 kHz, mono, 16 bit) of a voice-like sound without pauses: a pulse train
// whose pitch glides around 140 Hz, shaped by two vowel formants that move, and a syllable
// rhythm of four a second. Chromium plays it, looped, with
// `--use-file-for-fake-audio-capture=<path>`.

import { writeFileSync } from 'node:fs';

const RATE = 48_000;

/** Writes `seconds` of the voice to `path`. */
export function writeVoice(path, seconds = 8) {
  const n = RATE * seconds;
  const wave = new Float64Array(n);
  let phase = 0;
  // Two-pole resonators for the formants.
  const formant = () => ({ y1: 0, y2: 0 });
  const f1 = formant();
  const f2 = formant();
  const resonate = (state, x, freq, bandwidth) => {
    const r = Math.exp((-Math.PI * bandwidth) / RATE);
    const a1 = 2 * r * Math.cos((2 * Math.PI * freq) / RATE);
    const a2 = -r * r;
    const y = (1 - r) * x + a1 * state.y1 + a2 * state.y2;
    state.y2 = state.y1;
    state.y1 = y;
    return y;
  };
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    const pitch = 140 + 25 * Math.sin(2 * Math.PI * 0.7 * t) + 10 * Math.sin(2 * Math.PI * 2.3 * t);
    phase += pitch / RATE;
    // A glottal pulse: a short decaying burst at the start of each period.
    const within = phase % 1;
    const pulse = Math.exp(-within * 12) - 0.1;
    const vowel = 0.5 + 0.5 * Math.sin(2 * Math.PI * 1.3 * t);
    const y = resonate(f1, pulse, 500 + 300 * vowel, 90) + 0.6 * resonate(f2, pulse, 1200 + 900 * (1 - vowel), 120);
    // Syllables, never quite silent.
    const syllable = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t) ** 2;
    wave[i] = y * syllable;
  }
  // At half of full scale: a voice that speaks up, not one that clips.
  const peak = wave.reduce((m, x) => Math.max(m, Math.abs(x)), 0) || 1;
  const samples = Int16Array.from(wave, (x) => Math.round((x / peak) * 16_000));
  const data = Buffer.from(samples.buffer);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}
