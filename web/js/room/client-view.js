// The client's own conference screen, different on purpose: large, calm, plain Dutch (B1),
// an icon per life domain, his own wishes and "what I will do / what they will do". It never
// shows the professionals' minutes; while he is sent out he sees a calm pause screen and
// receives no media at all.

import { h, icon, rerender } from '../dom.js';
import { t, formatDate } from '../i18n.js';
import { get, del } from '../api.js';
import { TileGrid } from './tiles.js';
import { PauseAnnouncer } from './paused.js';
import { ownControls } from './controls.js';
import { showConnection } from './banner.js';
import { encryptionStatus } from './e2ee/view.js';
import { localMedia } from './devices.js';
import { tilePeople, nameOf } from './state.js';
import { roomHints, hintsKey } from './pro-view.js';
import { announce } from '../ui/notice.js';
import { clientDomains } from '../vocabulary.js';
import { purposeText, itemText, itemMeta, overdueNote } from '../client-words.js';
import { navigate } from '../router.js';

// The client never gets the professionals' minutes (docs/signalling.md); he hears only that his
// plan changed (`plan_changed`), and fetches it again then and when he comes back in.

export function clientView(session, info) {
  const grid = new TileGrid(t('client.room.people'), { youKey: 'client.room.you', plain: true, onViewChange: () => session.videoViews.changed() });
  session.videoViews.read = () => grid.views();
  const pauses = new PauseAnnouncer(announce, { plain: true });
  const phaseBox = h('div', { class: 'phase-box' });
  const hints = h('div', { class: 'room-hints' });
  const encryption = encryptionStatus(session, { plain: true });
  const controls = h('div', { class: 'controls-holder' });
  const heading = h('h1', { class: 'room-title', tabindex: -1, text: t('client.room.title') });
  const planBox = h('div', { class: 'plan' });
  const el = h('div', { class: 'room client-room', dataset: { phase: 'connecting' } },
    h('div', { class: 'room-main' },
      heading,
      phaseBox, encryption.el, hints,
      h('div', { class: 'stage', tabindex: 0, role: 'region', 'aria-label': t('client.room.people') }, grid.el),
      controls),
    // Focusable: the plan scrolls, and keyboard users must be able to scroll it.
    h('aside', { class: 'room-side plan-side', 'aria-labelledby': 'plan-title', tabindex: 0 },
      h('h2', { id: 'plan-title', text: t('client.plan.title') }), planBox));
  let plan = info.plan;
  let lastPhase = null;
  let lastHints = '';
  let focused = false;

  async function refreshPlan() {
    try {
      plan = await get(`/api/meetings/${session.meetingId}/plan`);
      rerender(planBox, planView(plan));
    } catch { /* keep the plan he has; the next refresh tries again */ }
  }
  session.addEventListener('message', (e) => { if (e.detail.type === 'plan_changed') refreshPlan(); });

  function render() {
    const s = session.state;
    el.dataset.phase = s.phase;
    showConnection(session.connection, true);
    grid.sync(tilePeople(s), s.you && s.you.id, s.speaker, session.remote, localMedia().stream, session.quality, session.ownQuality, s.videoPaused);
    pauses.update(s.videoPaused, (id) => nameOf(s, id));
    encryption.update();
    const hintKey = hintsKey(session);
    if (hintKey !== lastHints) {
      lastHints = hintKey;
      rerender(hints, roomHints(session, true));
    }
    if (s.phase === 'in' && !focused) {
      focused = true;
      heading.focus();
    }
    if (s.phase !== lastPhase) {
      rerender(phaseBox, phaseMessage(s));
      if (s.phase === 'out') announce(t('client.room.out_title'));
      if (['ended', 'removed', 'denied'].includes(s.phase)) endSession();
      if (s.phase === 'in' && lastPhase === 'out') {
        announce(t('client.room.back'));
        refreshPlan();
      }
      lastPhase = s.phase;
    }
    rerender(controls, ['ended', 'denied', 'removed'].includes(s.phase) ? null : ownControls(session, { plain: true, onLeave: leave }));
  }

  function phaseMessage(s) {
    const box = (title, text, role = 'status') => h('div', { class: `phase calm phase-${s.phase}`, role },
      h('h2', { text: title }), text ? h('p', { text }) : null);
    switch (s.phase) {
      case 'connecting': return box(t('client.room.connecting'));
      case 'lobby': return box(t('client.room.lobby_title'), t('client.room.lobby_text'));
      case 'out': return box(t('client.room.out_title'), t('client.room.out_text'));
      case 'ended': return box(t('client.room.ended_title'), t('client.room.ended_text'));
      case 'denied': return box(t('client.room.denied'), null, 'alert');
      case 'removed': return box(t('client.room.removed'), null, 'alert');
      default: return null;
    }
  }

  // He often joins from a shared terminal in the prison: leaving ends his session there.
  async function leave() {
    session.leave();
    await endSession();
    navigate(info.afterLeave);
  }

  rerender(planBox, planView(plan));
  session.addEventListener('change', render);
  render();
  return {
    el,
    relabel: () => { lastPhase = null; lastHints = ''; encryption.relabel(); render(); rerender(planBox, planView(plan)); },
    dispose: () => { pauses.dispose(); grid.dispose(); },
  };
}

/**
 * What the conference is for, then per domain: his wish, what he will do, what the others will
 * do — only in the words written for him (or a plain default), never the professionals'.
 */
export function planView(plan) {
  if (!plan) return null;
  return h('div', {},
    h('div', { class: 'plan-about' },
      h('h3', { text: t('client.plan.about') }),
      h('p', { class: 'prewrap plan-purpose', text: purposeText(plan.client_purpose) })),
    h('p', { class: 'plan-intro', text: t('client.plan.release', { date: formatDate(plan.expected_release) }) }),
    h('ul', { class: 'plan-domains' }, plan.domains.map((d) => h('li', { class: 'plan-domain' },
      h('h3', { class: 'plan-heading' }, icon(d.domain, 'icon plan-icon'), h('span', { text: clientDomains.label(d.domain) })),
      h('div', { class: 'plan-part' }, h('h4', { text: t('client.plan.my_wish') }),
        h('p', { class: 'prewrap', text: d.my_wish || t('client.plan.no_wish') })),
      items(t('client.plan.i_will'), d.i_will, d.domain, true),
      items(t('client.plan.they_will'), d.they_will, d.domain, false)))));
}

function items(title, list, domain, mine) {
  return h('div', { class: 'plan-part' }, h('h4', { text: title }),
    list.length ? h('ul', { class: 'plan-items' }, list.map((i) => {
      const note = overdueNote(i);
      return h('li', { class: [i.done ? 'done' : '', note ? 'late' : ''] },
        h('span', { class: 'plan-text prewrap', text: itemText(i, domain, mine) }),
        h('span', { class: 'plan-meta', text: itemMeta(i, !mine, formatDate) }),
        note ? h('span', { class: 'plan-late', text: note }) : null);
    }))
      : h('p', { class: 'empty', text: t('client.plan.nothing') }));
}

/** Ends the client's session (the server ends it anyway when the minutes are final). */
async function endSession() {
  try { await del('/api/session'); } catch { /* already ended */ }
}
