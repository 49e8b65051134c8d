// The client's own words (issue 14): what his plan says, built only from the plain-language
// texts the chair wrote for him (`client_text` of an action, `client_purpose` of a
// conference) or, where none was written, a plain default per life domain from the
// translation table. Never the professionals' description or purpose: the server does not
// even send those to him (GET /api/meetings/{id}/plan). The chair's suggestions per domain
// live here too, so the editor and the plan speak the same words.

import { t } from './i18n.js';

/** How many suggestions the translation table holds per domain and for the purpose. */
export const SUGGESTIONS = 3;

/** What the conference is for, in the client's words. */
export function purposeText(clientPurpose) {
  return clientPurpose && clientPurpose.trim() ? clientPurpose : t('client.plan.default_purpose');
}

/** Whose item it is in his plan: his own ("mine") or someone else's ("theirs"). */
const side = (mine) => (mine ? 'mine' : 'theirs');

/** The plain default of a domain, for an item without a text of its own. */
export function defaultText(domain, mine) {
  return t(`client.plan.default.${domain}.${side(mine)}`);
}

/** One item of his plan, in his words. */
export function itemText(item, domain, mine) {
  return item.client_text && item.client_text.trim() ? item.client_text : defaultText(domain, mine);
}

/**
 * The lines under an item: who does it (for the others' items), the date, and "done"; an
 * overdue item gets a kind explanation of its own instead of a red "te laat".
 */
export function itemMeta(item, withWho, formatDate) {
  return [
    withWho && item.who ? t('client.plan.who', { who: item.who }) : null,
    t('client.plan.before', { date: formatDate(item.due_date) }),
    item.done ? t('client.plan.done') : null,
  ].filter(Boolean).join(' · ');
}

/** The kind explanation of an overdue item, or null. */
export function overdueNote(item) {
  return item.overdue && !item.done ? t('client.plan.overdue') : null;
}

/** The chair's suggestions for a domain's actions (or `purpose`), in the current language. */
export function suggestions(domainOrPurpose) {
  return Array.from({ length: SUGGESTIONS }, (_, i) => t(`client_words.suggest.${domainOrPurpose}.${i + 1}`));
}

/** What the client reads for an action (for the chair's preview). */
export function actionClientText(action) {
  return itemText(action, action.domain, action.owner_is_client);
}
