// The screen before entering: see yourself, hear your microphone move, choose devices, start
// with microphone or camera off, read what the conference is for and (guests) accept the
// confidentiality statement. A denied or missing device is explained, and joining to listen
// stays possible.

import { h, uid } from '../dom.js';
import { t, formatDateTime } from '../i18n.js';
import { errorText } from '../api.js';
import { errorBox } from '../ui/notice.js';
import { localMedia, acquire, listDevices, switchDevice, setMuted, hasTrack, setCamera, saveChoice, savedChoice, canChooseOutput, playTestTone } from './devices.js';
import { levelMeter } from './level.js';
import { browserRelayForced } from './relay.js';
import { runCheck, resultKeys } from './netcheck.js';
import { unsupportedNotice } from './e2ee/view.js';
import { e2eeSupported } from './e2ee/index.js';

/**
 * `opts`: heading, name, organisation, purpose, scheduledAt, confidentiality (guests),
 * plain (the client's simpler words), checkBase (the API path of the network check, e.g.
 * `/api/meetings/{id}`; none: no check), onJoin() → Promise. Returns { el, dispose }.
 */
export function prejoin(opts) {
  const p = opts.plain ? 'client.prejoin.' : 'prejoin.';
  // `?relay=1` on the invite or room URL is remembered here, before the room's URL drops it.
  browserRelayForced();
  const video = h('video', { class: 'preview-video mirrored', autoplay: true, playsinline: true, muted: true });
  video.muted = true;
  const meter = levelMeter(t(`${p}mic_level`));
  const problems = h('div', { class: 'device-problems' });
  const selects = h('div', { class: 'device-selects' });
  const status = h('div', { class: 'form-status' });
  const toggles = {
    audio: toggle('audio', t(`${p}mic`)),
    video: toggle('video', t(`${p}camera`)),
  };
  const consentId = uid('consent');
  const consent = opts.confidentiality ? h('div', { class: 'field field-check confidentiality' },
    h('input', { type: 'checkbox', id: consentId, name: 'confidentiality', required: true }),
    h('label', { for: consentId, text: t('prejoin.confidentiality') })) : null;
  const join = h('button', { type: 'submit', class: 'button primary large', text: t(`${p}join`) });

  function toggle(kind, label) {
    const button = h('button', { type: 'button', class: 'button toggle', 'aria-pressed': String(!localMedia().muted[kind]) }, label);
    button.addEventListener('click', async () => {
      const on = button.getAttribute('aria-pressed') !== 'true';
      if (kind === 'video') {
        // Off means off: the camera stops (its light goes out) until switched on again.
        try {
          await setCamera(on);
        } catch {
          status.replaceChildren(errorBox(t('prejoin.switch_failed')));
          return;
        }
        video.srcObject = localMedia().stream;
      } else {
        setMuted(kind, !on);
      }
      button.setAttribute('aria-pressed', String(on));
    });
    return button;
  }

  // The speaker test: a short tone through the chosen speaker, and a plain question after it.
  const toneStatus = h('p', { class: 'speaker-status', role: 'status', dataset: { key: 'speaker-status' } });
  const toneButton = h('button', { type: 'button', class: 'button secondary', dataset: { key: 'speaker-test' }, text: t(`${p}speaker_test`) });
  toneButton.addEventListener('click', async () => {
    toneButton.disabled = true;
    toneStatus.textContent = t(`${p}speaker_playing`);
    try {
      await playTestTone();
      toneStatus.textContent = t(`${p}speaker_done`);
    } catch {
      toneStatus.textContent = t(`${p}speaker_failed`);
    } finally {
      toneButton.disabled = false;
    }
  });
  const speaker = h('div', { class: 'speaker-test' }, toneButton, toneStatus);

  // The connection test: camera, microphone and a real ICE connection to the media server,
  // read out by screen readers when the result is in (a polite live region).
  const checkList = h('ul', { class: 'check-list' });
  const checkSteps = h('ul', { class: 'check-steps' });
  const checkStatus = h('div', { class: 'network-check-result', role: 'status', 'aria-live': 'polite', dataset: { key: 'network-check' } }, checkList, checkSteps);
  const checkAgain = h('button', { type: 'button', class: 'button secondary', dataset: { key: 'network-check-again' }, text: t('prejoin.check.again') });
  const checkBox = opts.checkBase ? h('section', { class: 'network-check', 'aria-labelledby': 'network-check-title' },
    h('h2', { id: 'network-check-title', text: t('prejoin.check.title') }), checkStatus, checkAgain) : null;
  let checking = false;

  function showCheck(result) {
    const keys = resultKeys(result, opts.plain);
    checkStatus.dataset.result = result;
    checkList.replaceChildren(
      h('li', { text: t(hasTrack('video') ? 'prejoin.check.camera_ok' : 'prejoin.check.camera_bad') }),
      h('li', { text: t(hasTrack('audio') ? 'prejoin.check.mic_ok' : 'prejoin.check.mic_bad') }),
      h('li', { class: `check-connection ${result}` }, h('strong', { text: t(keys.headline) })));
    checkSteps.replaceChildren(...keys.steps.map((key) => h('li', { text: t(key) })));
  }

  async function check() {
    if (!checkBox || checking) return;
    checking = true;
    checkAgain.disabled = true;
    showCheck('running');
    try {
      showCheck(await runCheck(opts.checkBase));
    } catch (err) {
      showCheck('none');
      checkSteps.prepend(h('li', { text: t('prejoin.check.failed') }));
    } finally {
      checking = false;
      checkAgain.disabled = false;
    }
  }
  checkAgain.addEventListener('click', check);

  async function refresh() {
    const local = await acquire();
    video.srcObject = local.stream;
    meter.attach(local.stream);
    for (const kind of ['audio', 'video']) {
      toggles[kind].disabled = !hasTrack(kind);
      toggles[kind].setAttribute('aria-pressed', String(hasTrack(kind) && !local.muted[kind]));
    }
    video.hidden = !hasTrack('video');
    problems.replaceChildren(...explain(local.problem, p));
    const devices = await listDevices().catch(() => ({ audio: [], video: [], output: [] }));
    selects.replaceChildren(...[
      deviceSelect('audio', t('prejoin.choose_mic'), devices.audio, local.stream),
      deviceSelect('video', t('prejoin.choose_camera'), devices.video, local.stream),
      outputSelect(devices.output || [])].filter(Boolean));
  }

  function outputSelect(list) {
    if (list.length < 2 || !canChooseOutput()) return null;
    const id = uid('output');
    const chosen = savedChoice('output');
    const select = h('select', { id }, list.map((d, i) => h('option', {
      value: d.deviceId, selected: d.deviceId === chosen, text: d.label || `${t('prejoin.choose_speaker')} ${i + 1}`,
    })));
    select.addEventListener('change', () => saveChoice('output', select.value));
    return h('div', { class: 'field' }, h('label', { for: id, text: t('prejoin.choose_speaker') }), select);
  }

  function deviceSelect(kind, label, list, stream) {
    // A choice only helps when there is one, and never while the browser refuses access.
    if (list.length < 2 || !stream || localMedia().problem[kind] === 'denied') return null;
    const current = (kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks())[0];
    const currentId = current && current.getSettings().deviceId;
    const id = uid(kind);
    const select = h('select', { id }, list.map((d, i) => h('option', {
      value: d.deviceId, selected: d.deviceId === currentId, text: d.label || `${label} ${i + 1}`,
    })));
    select.addEventListener('change', async () => {
      try {
        await switchDevice(kind, select.value);
        video.srcObject = localMedia().stream;
        meter.attach(localMedia().stream);
      } catch (err) {
        status.replaceChildren(errorBox(t('prejoin.switch_failed')));
      }
    });
    return h('div', { class: 'field' }, h('label', { for: id, text: label }), select);
  }

  const formEl = h('form', { class: 'form prejoin-form', 'aria-labelledby': 'prejoin-title' },
    h('h1', { id: 'prejoin-title', text: opts.heading }),
    h('dl', { class: 'facts' },
      h('dt', { text: t(`${p}you_are`) }), h('dd', { text: opts.organisation ? `${opts.name} — ${opts.organisation}` : opts.name }),
      opts.scheduledAt ? [h('dt', { text: t(`${p}when`) }), h('dd', { text: formatDateTime(opts.scheduledAt) })] : null,
      opts.purpose ? [h('dt', { text: t(`${p}purpose`) }), h('dd', { class: 'prewrap', text: opts.purpose })] : null),
    // Said before joining: without encryption the chair decides whether he may come in.
    unsupportedNotice(e2eeSupported(), opts.plain),
    selects, consent, status, h('div', { class: 'form-buttons' }, join));
  formEl.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    join.disabled = true;
    try {
      localMedia().ready = true;
      await opts.onJoin({ confidentiality: consent ? consent.querySelector('input').checked : false });
    } catch (err) {
      localMedia().ready = false;
      status.replaceChildren(errorBox(errorText(err)));
    } finally {
      join.disabled = false;
    }
  });

  const el = h('section', { class: `page prejoin ${opts.plain ? 'plain' : ''}` },
    h('div', { class: 'prejoin-media' },
      h('div', { class: 'preview-frame' }, video, h('p', { class: 'preview-off', text: t(`${p}no_camera_preview`) })),
      meter.el,
      h('div', { class: 'toggle-row' }, toggles.audio, toggles.video),
      speaker,
      problems,
      checkBox),
    formEl);
  refresh().catch((err) => problems.replaceChildren(errorBox(errorText(err)))).finally(check);
  return { el, dispose: () => meter.detach() };
}

/** Why a device is missing, and that listening still works. */
function explain(problem, p) {
  const out = [];
  if (problem.audio === problem.video && problem.audio) {
    out.push(h('div', { class: 'warning-box', role: 'alert' },
      h('p', {}, h('strong', { text: t(`${p}problem.${problem.audio}.both`) })),
      h('p', { text: t(`${p}problem.help`) }),
      h('p', { text: t(`${p}problem.listen_only`) })));
    return out;
  }
  for (const kind of ['audio', 'video']) {
    if (!problem[kind]) continue;
    out.push(h('div', { class: 'warning-box', role: 'alert' },
      h('p', {}, h('strong', { text: t(`${p}problem.${problem[kind]}.${kind}`) })),
      h('p', { text: problem[kind] === 'denied' ? t(`${p}problem.help`) : t(`${p}problem.can_join`) })));
  }
  return out;
}
