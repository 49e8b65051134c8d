// The chair's editor of the client's own words: a short text in plain language (B1) for an
// action or for the conference's purpose, written or picked from suggestions per life domain,
// with what the client reads now (his default when nothing is written). Used on the action
// rows of the live minutes and on the meeting page.

import { h, uid, replace } from '../dom.js';
import { t } from '../i18n.js';
import { put, errorText } from '../api.js';
import { announce, errorBox } from './notice.js';
import { suggestions, defaultText, purposeText } from '../client-words.js';
import { domains } from '../vocabulary.js';

/** Longest text, as the server checks it. */
const MAX = 300;

/**
 * One editor. `kind`: a domain code (for an action) or `purpose`; `value`: the text written so
 * far; `mine`: for an action, whether it is the client's own (its default differs);
 * `label`: the field's label; `save(text)`: stores it and resolves with the stored text.
 */
export class ClientWordsEditor {
  constructor({ kind, value, mine = false, label, save }) {
    this.kind = kind;
    this.mine = mine;
    this.saveText = save;
    this.saved = value || '';
    const id = uid('client-words');
    const hintId = `${id}-hint`;
    this.input = h('textarea', { id, name: 'client_text', rows: 2, maxlength: MAX, 'aria-describedby': hintId, class: 'client-words-input' });
    this.input.value = this.saved;
    this.input.addEventListener('input', () => this.showState());
    this.now = h('p', { class: 'client-words-now' });
    this.status = h('p', { class: 'save-status', role: 'status' });
    this.problem = h('div', {});
    this.button = h('button', { type: 'button', class: 'button secondary small', text: t('client_words.save'), onclick: () => this.save() });
    const picks = suggestions(kind).map((text) => h('button', {
      type: 'button', class: 'button small suggestion', text, 'aria-label': t('client_words.use', { text }),
      onclick: () => {
        this.input.value = text;
        this.showState();
        this.input.focus();
      },
    }));
    this.el = h('div', { class: 'client-words', dataset: { kind } },
      h('label', { for: id, text: label }),
      h('p', { class: 'hint', id: hintId, text: t('client_words.hint') }),
      this.input,
      h('div', { class: 'suggestions', role: 'group', 'aria-label': t('client_words.suggestions') },
        h('span', { class: 'sub', 'aria-hidden': 'true', text: t('client_words.suggestions') }), picks),
      this.now,
      h('div', { class: 'form-buttons' }, this.button, this.status),
      this.problem);
    this.showState();
  }

  dirty() {
    return this.input.value.trim() !== this.saved.trim();
  }

  /** What the client reads now (the saved text or his default), and whether edits are unsaved. */
  showState() {
    const fallback = this.kind === 'purpose' ? purposeText('') : defaultText(this.kind, this.mine);
    replace(this.now,
      h('span', { class: 'sub', text: `${t('client_words.sees')} ` }),
      h('q', { class: 'client-words-read', text: this.saved.trim() ? this.saved : fallback }),
      this.saved.trim() ? null : h('span', { class: 'sub', text: ` ${t('client_words.default_note')}` }));
    if (this.dirty()) this.status.textContent = t('minutes.unsaved');
    else if (this.status.textContent === t('minutes.unsaved')) this.status.textContent = '';
  }

  /** New data from the server: taken unless the chair is typing. */
  update(value) {
    const keep = this.dirty();
    this.saved = value || '';
    if (!keep) this.input.value = this.saved;
    this.showState();
  }

  async save() {
    this.button.disabled = true;
    this.problem.replaceChildren();
    try {
      this.saved = (await this.saveText(this.input.value.trim())) || '';
      this.input.value = this.saved;
      this.status.textContent = t('client_words.saved');
      announce(t('client_words.saved'));
      this.showState();
    } catch (err) {
      this.problem.replaceChildren(errorBox(errorText(err)));
    } finally {
      this.button.disabled = false;
    }
  }
}

/** The editor of an action's client text; `domain` is the action's life domain. */
export function actionWordsEditor(action, domain) {
  return new ClientWordsEditor({
    kind: domain,
    value: action.client_text,
    mine: action.owner_is_client,
    label: t('client_words.label'),
    save: async (text) => (await put(`/api/actions/${action.id}/client-text`, { text })).client_text,
  });
}

/** The editor of a conference's purpose for the client. */
export function purposeWordsEditor(meeting) {
  return new ClientWordsEditor({
    kind: 'purpose',
    value: meeting.client_purpose,
    label: t('client_words.purpose_label'),
    save: async (text) => (await put(`/api/meetings/${meeting.id}/client-purpose`, { text })).client_purpose,
  });
}

/**
 * Keeps one editor per action across reloads of a table (a change by someone else must not
 * throw away what the chair is typing), inside a disclosure on the action's row.
 */
export class ActionWordsCache {
  constructor(domain) {
    this.domain = domain;
    this.rows = new Map();
  }

  /** The disclosure for `action`'s row, new or kept (its editor updated). */
  row(action) {
    let row = this.rows.get(action.id);
    if (!row) {
      const editor = actionWordsEditor(action, this.domain);
      const el = h('details', { class: 'client-words-row' },
        h('summary', { text: t('client_words.label'), 'aria-label': t('client_words.edit_for', { what: action.description }) }),
        editor.el);
      row = { editor, el };
      this.rows.set(action.id, row);
    } else {
      row.editor.update(action.client_text);
    }
    return row.el;
  }
}

/**
 * The meeting page's section for the chair: the purpose and every action on the table in the
 * client's words.
 */
export function clientWordsSection(page) {
  const { meeting, minutes } = page;
  const blocks = minutes.domains.map((section) => {
    const actions = [...section.carried_over, ...section.agreed].filter((a) => a.status !== 'cancelled');
    if (!actions.length) return null;
    return h('section', { class: 'client-words-domain', 'aria-labelledby': `cw-${section.domain}` },
      h('h4', { id: `cw-${section.domain}`, text: domains.label(section.domain) }),
      h('ul', { class: 'client-words-list' }, actions.map((a) => {
        const editor = actionWordsEditor(a, section.domain);
        // Collapsed: the action and what the client reads now; open: the editor.
        return h('li', {},
          h('p', { class: 'client-words-what' }, h('span', { class: 'sub', text: `${t('minutes.what')}: ` }), a.description),
          h('details', { class: 'client-words-row' },
            h('summary', { text: t('client_words.label'), 'aria-label': t('client_words.edit_for', { what: a.description }) }),
            editor.el),
          editor.now);
      })));
  }).filter(Boolean);
  return h('section', { class: 'card client-words-card', 'aria-labelledby': 'client-words-title' },
    h('h2', { id: 'client-words-title', text: t('client_words.section') }),
    h('p', { class: 'sub', text: t('client_words.intro') }),
    purposeWordsEditor(meeting).el,
    h('h3', { text: t('client_words.actions') }),
    blocks.length ? blocks : h('p', { class: 'empty', text: t('client_words.no_actions') }),
    h('p', {}, h('a', { href: `/meetings/${meeting.id}/plan`, text: t('client_words.open_plan') })));
}
