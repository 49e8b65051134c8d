// A microphone level meter, so a person can see that the microphone hears them before they
// join. Uses the Web Audio API; drawn through the CSSOM (allowed by the CSP).

import { h } from '../dom.js';

export function levelMeter(label) {
  const bar = h('span', { class: 'level-bar' });
  const el = h('div', { class: 'level-meter', role: 'img', 'aria-label': label }, bar);
  let ctx = null;
  let frame = 0;

  function detach() {
    cancelAnimationFrame(frame);
    if (ctx) ctx.close().catch(() => {});
    ctx = null;
    bar.style.width = '0%';
  }

  function attach(stream) {
    detach();
    if (!stream || !stream.getAudioTracks().length || !window.AudioContext) return;
    ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    const tick = () => {
      analyser.getByteTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
      bar.style.width = `${Math.min(100, Math.round((peak / 128) * 250))}%`;
      frame = requestAnimationFrame(tick);
    };
    tick();
  }

  return { el, attach, detach };
}
