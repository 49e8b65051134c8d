// The closed sets of codes the API speaks, written once: the five life domains in the order of
// the agenda, the statuses of actions, conferences, cases, escalations and obstacles, the
// reasons and decisions of escalation, roles and kinds. For each code: its place in the order,
// its label (through the translation table, Dutch and English) and the tone of its badge. Every
// other module takes codes, options and labels from here, so a status reads the same on every
// screen and a new code is added in one place (and in strings.json). The codes follow the CHECK
// constraints of migrations/; tests/web/vocabulary.test.mjs checks every label exists.

import { t } from './i18n.js';

/**
 * One vocabulary: `codes` in the order the client shows them, `key(code)` the translation key
 * of a code's label, and the badge tone of the codes that have one (the rest are neutral).
 */
function vocabulary(codes, key, tones = {}) {
  const label = (code) => t(key(code));
  return Object.freeze({
    codes: Object.freeze([...codes]),
    key,
    label,
    /** The badge colour (`neutral`, `info`, `success`, `danger`, `muted`); the label says it in words too. */
    tone: (code) => tones[code] || 'neutral',
    includes: (code) => codes.includes(code),
    /** The codes as options of `field({ kind: 'select' })`, in order. */
    options: () => codes.map((value) => ({ value, label: label(value) })),
  });
}

/** The five life domains, in the order of the agenda, the case page and the figures. */
export const domains = vocabulary(['id', 'housing', 'work_income', 'debts', 'care'], (d) => `domain.${d}`);

/** The same domains in the client's own plain words (his screen in the conference). */
export const clientDomains = vocabulary(domains.codes, (d) => `client.domain.${d}`);

/** An agreed action's status; the owner or the chair changes it (blocked needs a reason). */
export const actionStatuses = vocabulary(['open', 'in_progress', 'done', 'blocked', 'cancelled'], (s) => `status.${s}`,
  { in_progress: 'info', done: 'success', blocked: 'danger', cancelled: 'muted' });

/** The action statuses that still ask for work: such an action can be overdue, counted as open and escalated. */
export const PENDING_ACTION_STATUSES = Object.freeze(['open', 'in_progress', 'blocked']);

export const isPendingAction = (status) => PENDING_ACTION_STATUSES.includes(status);

/** Done or cancelled: the action no longer asks for work. */
export const isFinishedAction = (status) => actionStatuses.includes(status) && !isPendingAction(status);

/**
 * A conference's status. The API knows scheduled, live and closed; `finalised` is the client's
 * name for a closed conference whose minutes are final (see `meetingStatus`).
 */
export const meetingStatuses = vocabulary(['scheduled', 'live', 'closed', 'finalised'], (s) => `meeting.status.${s}`,
  { live: 'success' });

/** The status to show for a meeting: finalised minutes say more than "closed". */
export const meetingStatus = (meeting) => (meeting.finalised_at ? 'finalised' : meeting.status);

/** A case is open, or closed (read-only until it is reopened). */
export const caseStatuses = vocabulary(['open', 'closed'], (s) => `case.status_${s}`);

/** An escalation's status, in the order of its life; open asks for attention. */
export const escalationStatuses = vocabulary(['open', 'under_review', 'decided', 'closed'], (s) => `escalation.status.${s}`,
  { open: 'danger', under_review: 'info', decided: 'success', closed: 'muted' });

/** The escalation statuses that still ask for work of the steering group. */
export const ACTIVE_ESCALATION_STATUSES = Object.freeze(['open', 'under_review']);

/** Why an escalation was opened: by the rules (overdue, blocked, carried over too often) or by hand. */
export const escalationReasons = vocabulary(['overdue', 'blocked', 'carried_over', 'manual'], (r) => `reason.${r}`);

/** The steering group's four kinds of decision. */
export const decisions = vocabulary(['assigned', 'resolved', 'returned', 'obstacle'], (d) => `decision.${d}`);

/** An obstacle of the register; open asks for attention. */
export const obstacleStatuses = vocabulary(['open', 'in_progress', 'resolved'], (s) => `obstacle.status.${s}`,
  { open: 'danger', in_progress: 'info', resolved: 'success' });

/** Account roles, then the roles of people in a conference without an account (guest, client). */
export const roles = vocabulary(['casemanager', 'coordinator', 'partner', 'steering', 'admin', 'guest', 'client'], (r) => `role.${r}`);

/**
 * The steering group and the administrator are on no case: no case list, no bell (they get no
 * notifications), no link into a case, and they cannot be added to one.
 */
export const isWithoutCases = (role) => role === 'steering' || role === 'admin';

/** Casemanagers and coordinators open cases and manage who is on them. */
export const mayOpenCases = (role) => role === 'casemanager' || role === 'coordinator';

/** The kinds of organisation in the chain (the administrator's organisations list). */
export const organisationKinds = vocabulary(
  ['pi', 'municipality', 'probation', 'police', 'housing', 'social_services', 'debt_counselling', 'care', 'zvh', 'other'],
  (k) => `admin.kind.${k}`);

/** What an administrator asked for that waits for a second administrator. */
export const accountRequestKinds = vocabulary(['create', 'reset', 'change'], (k) => `admin.request.${k}`);

/** Coordinators and the steering group keep the obstacles register and link escalations to it. */
export const keepsRegister = (role) => role === 'coordinator' || role === 'steering';

/** How someone was invited to a conference. */
export const inviteKinds = vocabulary(['member', 'guest', 'client'], (k) => `invite.kind.${k}`);

/** Where an invite link stands (the API's preview state; the chair's list works it out the same way). */
export const inviteStates = vocabulary(['valid', 'used', 'expired', 'revoked', 'removed'], (s) => `invite.state.${s}`,
  { valid: 'info', used: 'success', expired: 'muted', revoked: 'muted', removed: 'danger' });

/** Where an invite stands in the chair's list: from the room (lobby, in the room) and from the link. */
export const chairInviteStates = vocabulary(['not_opened', 'opened', 'lobby', 'room', 'expired', 'revoked', 'removed'], (s) => `invite.state.${s}`,
  { not_opened: 'neutral', opened: 'info', lobby: 'info', room: 'success', expired: 'muted', revoked: 'muted', removed: 'danger' });

/** An invite in the chair's list whose link still works. */
export const isLiveInvite = (state) => ['not_opened', 'opened', 'lobby', 'room'].includes(state);

/** An invite that still lets its holder in (again): not yet used, or used by the same person. */
export const isUsableInvite = (state) => state === 'valid' || state === 'used';

/** What a notification is about. */
export const notificationKinds = vocabulary(['action_assigned', 'action_due', 'escalation', 'decision'], (k) => `notification.${k}`);

/** The municipality of origin is the one organisation kind the client tells apart (the queue filters on it). */
export const isMunicipality = (organisation) => organisation.kind === 'municipality';
