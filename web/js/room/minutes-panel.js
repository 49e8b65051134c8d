// The agenda and minutes beside the video: one section per life domain, in the agenda's
// order. Whoever may write edits here; everyone else sees every saved change at once (the
// room reloads the panel on each `minutes_changed`).

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { get, post, errorText } from '../api.js';
import { errorBox, announce } from '../ui/notice.js';
import { confirmDialog } from '../ui/dialog.js';
import { DomainEditor } from './domain-editor.js';

export class MinutesPanel {
  constructor(meetingId) {
    this.meetingId = meetingId;
    this.editors = new Map();
    this.body = h('div', { class: 'minutes-body' });
    this.problem = h('div', {});
    this.footer = h('div', { class: 'minutes-footer' });
    this.el = h('section', { class: 'minutes-panel', 'aria-labelledby': 'minutes-panel-title' },
      h('h2', { id: 'minutes-panel-title', text: t('room.minutes') }),
      this.problem, this.body, this.footer);
    this.loading = null;
  }

  /** First load: decides who may write and which owners can be chosen. */
  async load() {
    const page = await get(`/api/meetings/${this.meetingId}`);
    this.page = page;
    let owners = [];
    if (page.may_write) {
      const detail = await get(`/api/cases/${page.meeting.case_id}`);
      const orgs = new Map();
      for (const m of detail.members) orgs.set(m.organisation_id, m.organisation_name);
      owners = [{ value: '', label: t('action.choose_owner') },
        ...[...orgs].map(([value, label]) => ({ value, label })),
        { value: 'client', label: t('minutes.the_client') }];
    }
    // Final minutes are read, never written: no editors, no "save", no new actions, no client texts.
    const final = Boolean(this.readOnly || page.meeting.finalised_at);
    const ctx = {
      meetingId: this.meetingId, caseId: page.meeting.case_id, mayWrite: page.may_write && !final, owners, reload: () => this.reload(),
      mayChair: page.may_chair && !final,
    };
    this.editors.clear();
    this.body.replaceChildren(...[h('p', { class: 'purpose prewrap', text: page.meeting.purpose }),
      final ? h('p', { class: 'info-box', role: 'status', dataset: { key: 'minutes-final' }, text: t('room.minutes_final') }) : null].filter(Boolean));
    for (const section of page.minutes.domains) {
      const editor = new DomainEditor(section, ctx);
      this.editors.set(section.domain, editor);
      this.body.append(editor.el);
    }
    // The first domain that has anything to discuss starts open.
    const first = page.minutes.domains.find((d) => d.carried_over.length || d.situation) || page.minutes.domains[0];
    if (first) this.editors.get(first.domain).el.open = true;
    this.renderFooter();
    return page;
  }

  /**
   * The minutes are final: from now on the panel only shows them. When they cannot be loaded
   * again (a guest's invite ends with the conference), the writing controls are taken away.
   */
  async lock() {
    if (this.readOnly) return;
    this.readOnly = true;
    try {
      await this.load();
    } catch {
      for (const el of this.el.querySelectorAll('form, .form-buttons, .add-action, select, textarea, .minutes-footer button')) el.remove();
      this.body.prepend(h('p', { class: 'info-box', role: 'status', dataset: { key: 'minutes-final' }, text: t('room.minutes_final') }));
    }
    this.footer.querySelectorAll('button').forEach((b) => b.remove());
  }

  /** Reloads after a change; overlapping reloads collapse into one more. */
  async reload() {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        const page = await get(`/api/meetings/${this.meetingId}`);
        this.page = page;
        for (const section of page.minutes.domains) {
          const editor = this.editors.get(section.domain);
          if (editor) editor.update(section);
        }
        this.problem.replaceChildren();
        this.renderFooter();
      } catch (err) {
        this.problem.replaceChildren(errorBox(errorText(err)));
      }
    })();
    await this.loading;
    this.loading = null;
    if (this.again) {
      this.again = false;
      await this.reload();
    }
  }

  renderFooter() {
    const page = this.page;
    const links = [h('a', { href: `/api/meetings/${this.meetingId}/minutes?lang=${document.documentElement.lang}`, target: '_blank', rel: 'noopener', text: t('room.printable_draft') })];
    if (page.may_chair && !page.meeting.finalised_at && !this.readOnly) {
      links.push(h('button', { type: 'button', class: 'button secondary', text: t('room.finalise'), onclick: () => this.finalise() }));
    }
    this.footer.replaceChildren(...links);
  }

  async finalise() {
    const dirty = [...this.editors.values()].some((e) => e.ctx.mayWrite && e.dirty());
    const ok = await confirmDialog({
      title: t('room.finalise_title'),
      text: dirty ? `${t('room.finalise_unsaved')} ${t('room.finalise_text')}` : t('room.finalise_text'),
      confirm: t('room.finalise'),
    });
    if (!ok) return;
    try {
      await post(`/api/meetings/${this.meetingId}/finalise`);
      announce(t('room.finalised'));
      this.el.dispatchEvent(new CustomEvent('finalised', { bubbles: true }));
    } catch (err) {
      this.problem.replaceChildren(errorBox(errorText(err)));
    }
  }
}
