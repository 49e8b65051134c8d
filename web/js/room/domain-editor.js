// One life domain in the live minutes: the situation, the client's own wish and notes (the
// chair writes, everyone sees the saved text at once), the actions carried over with their
// status, and the actions agreed now with owner and due date.

import { h, uid, replace } from '../dom.js';
import { t, formatDateTime, dutchDate } from '../i18n.js';
import { post, put, errorText, ApiError } from '../api.js';
import { domains, isPendingAction } from '../vocabulary.js';
import { domainHeading, actionsTable, textBlock } from '../ui/domains.js';
import { actionStatusSelect } from '../ui/action-status.js';
import { field, form } from '../ui/form.js';
import { announce, errorBox } from '../ui/notice.js';
import { ActionWordsCache } from '../ui/client-words.js';

const TEXTS = ['situation', 'client_wish', 'notes'];

export class DomainEditor {
  /** `ctx`: meetingId, caseId, mayWrite, mayChair, owners [{value,label}], reload(). */
  constructor(section, ctx) {
    this.domain = section.domain;
    this.ctx = ctx;
    // The chair writes each action's text for the client on its row.
    this.words = ctx.mayChair ? new ActionWordsCache(section.domain) : null;
    this.revision = section.revision;
    this.saved = {};
    this.inputs = {};
    this.status = h('p', { class: 'save-status', role: 'status' });
    this.texts = h('div', { class: 'domain-texts' });
    this.carried = h('div', {});
    this.agreed = h('div', {});
    const summaryCount = h('span', { class: 'summary-count' });
    this.summaryCount = summaryCount;
    this.el = h('details', { class: 'domain-editor', dataset: { domain: this.domain } },
      h('summary', {}, domainHeading(this.domain, 'h3'), summaryCount),
      this.texts,
      h('h4', { text: t('minutes.carried_over') }), this.carried,
      h('h4', { text: t('minutes.actions') }), this.agreed,
      ctx.mayWrite ? this.actionForm() : null);
    if (ctx.mayWrite) this.buildEditor();
    this.update(section);
  }

  buildEditor() {
    const labels = { situation: t('minutes.situation'), client_wish: t('minutes.client_wish'), notes: t('minutes.notes') };
    for (const name of TEXTS) {
      const id = uid(`${this.domain}-${name}`);
      const input = h('textarea', { id, name, rows: name === 'notes' ? 2 : 3, maxlength: name === 'client_wish' ? 4000 : 8000 });
      input.addEventListener('input', () => this.markDirty());
      input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) this.save(); });
      this.inputs[name] = input;
      this.texts.append(h('div', { class: 'field' }, h('label', { for: id, text: labels[name] }), input));
    }
    this.saveButton = h('button', { type: 'button', class: 'button primary', text: t('minutes.save'), onclick: () => this.save() });
    this.texts.append(h('div', { class: 'form-buttons' }, this.saveButton, this.status));
  }

  dirty() {
    return TEXTS.some((n) => this.inputs[n] && this.inputs[n].value !== (this.saved[n] || ''));
  }

  /** Shows "not saved yet" while the text differs from the saved one, else the last fact. */
  markDirty() {
    const dirty = this.dirty();
    if (dirty) this.status.textContent = t('minutes.unsaved');
    else if (this.status.textContent === t('minutes.unsaved')) this.status.textContent = this.lastFact || '';
    this.el.classList.toggle('dirty', dirty);
  }

  fact(text) {
    this.lastFact = text;
    this.status.textContent = text;
  }

  /** New data from the server: texts are replaced unless the writer has unsaved changes. */
  update(section) {
    const theirs = section.revision !== this.revision;
    this.revision = section.revision;
    if (this.ctx.mayWrite) {
      const keep = this.dirty();
      for (const n of TEXTS) {
        this.saved[n] = section[n];
        if (!keep) this.inputs[n].value = section[n];
      }
      if (keep && theirs) {
        this.status.textContent = t('minutes.changed_meanwhile', { name: section.updated_by_name || '' });
      } else if (section.updated_at) {
        this.fact(t('minutes.saved_by', { name: section.updated_by_name, at: formatDateTime(section.updated_at) }));
      }
      this.el.classList.toggle('dirty', keep);
    } else {
      replace(this.texts,
        textBlock(t('minutes.situation'), section.situation, 'live-situation'),
        textBlock(t('minutes.client_wish'), section.client_wish, 'client-wish'),
        section.notes ? textBlock(t('minutes.notes'), section.notes) : null);
    }
    // The writer records here what happened to the actions agreed earlier; others see badges.
    const statusCell = this.ctx.mayWrite ? actionStatusSelect : null;
    const detail = this.words ? (a) => (a.status === 'cancelled' ? null : this.words.row(a)) : null;
    this.carried.replaceChildren(actionsTable(section.carried_over, { caption: t('minutes.carried_over'), statusCell, detail }));
    this.agreed.replaceChildren(actionsTable(section.agreed, { caption: t('minutes.actions'), detail }));
    const open = section.carried_over.filter((a) => isPendingAction(a.status)).length;
    this.summaryCount.textContent = t('minutes.summary_count', { agreed: section.agreed.length, open });
  }

  async save() {
    if (!this.ctx.mayWrite) return;
    const body = Object.fromEntries(TEXTS.map((n) => [n, this.inputs[n].value]));
    this.saveButton.disabled = true;
    try {
      const entry = await put(`/api/meetings/${this.ctx.meetingId}/domains/${this.domain}`, { ...body, base_revision: this.revision });
      this.revision = entry.revision;
      for (const n of TEXTS) this.saved[n] = entry[n];
      this.fact(t('minutes.saved'));
      this.markDirty();
      announce(t('minutes.saved'));
    } catch (err) {
      const stale = err instanceof ApiError && err.code === 'stale_revision';
      this.status.replaceChildren(errorBox(stale ? t('minutes.stale') : errorText(err)));
    } finally {
      this.saveButton.disabled = false;
    }
  }

  actionForm() {
    const today = dutchDate(0);
    return h('details', { class: 'disclosure add-action' },
      h('summary', { text: t('action.add') }),
      form({
        label: t('action.add_in', { domain: domains.label(this.domain) }),
        submit: t('action.add'),
        children: [
          field({ label: t('action.description'), name: 'description', kind: 'textarea', required: true, attrs: { rows: 2, maxlength: 1000 } }),
          field({ label: t('action.owner'), name: 'owner', kind: 'select', required: true, options: this.ctx.owners }),
          field({ label: t('action.due'), name: 'due_date', kind: 'date', required: true, value: dutchDate(14), attrs: { min: today } }),
        ],
        onSubmit: async ({ description, owner, due_date }, el) => {
          await post(`/api/cases/${this.ctx.caseId}/actions`, {
            domain: this.domain, description: description.trim(), due_date, meeting_id: this.ctx.meetingId,
            ...(owner === 'client' ? { owner_is_client: true } : { owner_organisation_id: owner }),
          });
          el.reset();
          el.querySelector('[name="due_date"]').value = dutchDate(14);
          announce(t('action.added'));
          await this.ctx.reload();
        },
      }));
  }
}
