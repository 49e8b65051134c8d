// The console's retention: the period, what it will delete when, and a purge on demand
// (counts and dates only: no case is named).

import { h } from '../dom.js';
import { t, formatDate, formatDateTime } from '../i18n.js';
import { get, post } from '../api.js';
import { errorBox } from '../ui/notice.js';
import { confirmDialog } from '../ui/dialog.js';
import { render } from '../router.js';
import { frame, requireAdmin, notAdmin } from './frame.js';

export async function adminRetentionPage() {
  if (!await requireAdmin()) return notAdmin();
  const r = await get('/api/admin/retention');
  const result = h('div', { role: 'status' });
  const run = h('button', { type: 'button', class: 'button danger', text: t('admin.retention.run') });
  run.addEventListener('click', async () => {
    if (!await confirmDialog({ title: t('admin.retention.run_title'), text: t('admin.retention.run_explain', { count: r.due_for_deletion }),
      confirm: t('admin.retention.run'), danger: true })) return;
    run.disabled = true;
    try {
      const done = await post('/api/admin/retention/run', {});
      await render();
      const status = document.querySelector('.retention-result');
      if (status) status.textContent = t('admin.retention.ran', { cases: done.cases, sessions: done.sessions });
    } catch (err) {
      run.disabled = false;
      result.replaceChildren(errorBox(err));
    }
  });
  result.classList.add('retention-result');
  const row = (key, value) => [h('dt', { text: t(key) }), h('dd', { text: value })];
  const days = (n) => (n === 1 ? t('admin.retention.one_day') : t('admin.retention.days', { days: n }));
  return frame('/admin/retention', 'admin.retention.title',
    h('p', { class: 'lead', text: t('admin.retention.lead', { days: r.retention_days }) }),
    h('section', { class: 'card', 'aria-labelledby': 'retention-figures' },
      h('h2', { id: 'retention-figures', text: t('admin.retention.now') }),
      h('dl', { class: 'facts retention-facts' },
        row('admin.retention.period', days(r.retention_days)),
        row('admin.retention.cases', String(r.cases)),
        row('admin.retention.closed', String(r.closed_cases)),
        row('admin.retention.due', String(r.due_for_deletion)),
        row('admin.retention.next', r.next_deletion_at ? formatDate(r.next_deletion_at) : t('admin.retention.none')),
        row('admin.retention.deleted', String(r.deleted_cases)),
        row('admin.retention.last', r.last_deletion_at ? formatDateTime(r.last_deletion_at) : t('admin.retention.never')),
        row('admin.retention.sessions', days(r.session_days))),
      h('p', { class: 'hint', text: t('admin.retention.setting') })),
    h('section', { class: 'card', 'aria-labelledby': 'retention-run' },
      h('h2', { id: 'retention-run', text: t('admin.retention.run_heading') }),
      h('p', { class: 'sub', text: t('admin.retention.run_hint') }),
      h('div', { class: 'form-buttons' }, run), result));
}

