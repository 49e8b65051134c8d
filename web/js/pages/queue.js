// The steering group's queue: every escalation, oldest first, with filters on status, reason,
// life domain, municipality and age, and a sort order. Filters live in the URL (a link to
// "blocked housing cases older than a month" can be shared and bookmarked); applying them
// updates the results in place, so keyboard focus stays on the filter form. Coordinators see
// the escalations of their cases and municipality here, read-only.

import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { get, post, errorText } from '../api.js';
import { requireUser } from '../session.js';
import { domains, escalationReasons, isMunicipality, isWithoutCases } from '../vocabulary.js';
import { announce, errorBox } from '../ui/notice.js';
import { field } from '../ui/form.js';
import { escalationTable } from '../escalation/view.js';
import {
  SORTS, STATUS_FILTERS, AGE_STEPS, filtersFromQuery, filtersToQuery, apiPath, narrow, sortEscalations, summarise,
} from '../escalation/model.js';

export default async function queuePage({ query, stale }) {
  const user = await requireUser();
  const steering = user.role === 'steering';
  const organisations = await get('/api/organisations');
  const municipalities = organisations.filter(isMunicipality).sort((a, b) => a.name.localeCompare(b.name, 'nl'));
  let filters = filtersFromQuery(query);
  const results = h('div', { class: 'queue-results' });
  const status = h('p', { class: 'queue-count', role: 'status' });

  const load = async () => {
    results.setAttribute('aria-busy', 'true');
    try {
      const list = narrow(await get(apiPath(filters)), filters);
      if (stale()) return;
      const sum = summarise(list);
      status.textContent = countText(sum, filters);
      replace(results, escalationTable(sortEscalations(list, filters.sort), { caption: t('queue.title'), sortedBy: filters.sort }));
    } catch (err) {
      replace(results, errorBox(errorText(err)));
    } finally {
      results.removeAttribute('aria-busy');
    }
  };

  const form = filterForm(filters, municipalities, async (next) => {
    filters = next;
    history.replaceState(null, '', `/escalations${filtersToQuery(filters)}`);
    await load();
    announce(status.textContent);
  });
  await load();
  return h('section', { class: 'page queue-page' },
    h('h1', { text: steering ? t('queue.title_steering') : t('queue.title') }),
    h('p', { class: 'lead', text: t(steering ? 'queue.lead_steering' : 'queue.lead_viewer') }),
    isWithoutCases(user.role) ? runEngine(load) : null,
    form, status, results);
}

/** "12 escalations; 8 open, 4 under review; the oldest has waited 45 days." */
function countText(sum, filters) {
  const parts = [t('queue.count', { count: sum.total })];
  if (['active', 'all'].includes(filters.status) && sum.total) {
    parts.push(t('queue.count_detail', { open: sum.counts.open, review: sum.counts.under_review }));
  }
  if (sum.oldestActiveDays !== null) parts.push(t('queue.oldest', { days: sum.oldestActiveDays }));
  return parts.join(' ');
}

function filterForm(filters, municipalities, apply) {
  const select = (label, name, options) => field({ label, name, kind: 'select', value: filters[name], options });
  const any = { value: '', label: t('queue.any') };
  const el = h('form', { class: 'filter-form', role: 'search', 'aria-label': t('queue.filters') },
    h('div', { class: 'filter-grid' },
      select(t('queue.f.status'), 'status', STATUS_FILTERS.map((s) => ({ value: s, label: t(`queue.status.${s}`) }))),
      select(t('queue.f.reason'), 'reason', [any, ...escalationReasons.options()]),
      select(t('queue.f.domain'), 'domain', [any, ...domains.options()]),
      select(t('queue.f.municipality'), 'municipality', [any, ...municipalities.map((m) => ({ value: m.id, label: m.name }))]),
      select(t('queue.f.age'), 'age', [any, ...AGE_STEPS.map((d) => ({ value: String(d), label: t('queue.age_at_least', { days: d }) }))]),
      select(t('queue.f.sort'), 'sort', SORTS.map((s) => ({ value: s, label: t(`queue.sort.${s}`) })))),
    h('div', { class: 'form-buttons' },
      h('button', { type: 'submit', class: 'button primary', text: t('queue.apply') }),
      h('button', { type: 'reset', class: 'button secondary', text: t('queue.reset') })));
  const read = () => Object.fromEntries([...el.elements].filter((c) => c.name).map((c) => [c.name, c.value]));
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    apply(filtersFromQuery(new URLSearchParams(read())));
  });
  // Reset goes back to the default view (not to the values the page was opened with).
  el.addEventListener('reset', (event) => {
    event.preventDefault();
    for (const c of el.elements) if (c.name) c.value = c.name === 'status' ? 'active' : c.name === 'sort' ? 'oldest' : '';
    apply(filtersFromQuery(new URLSearchParams()));
  });
  return el;
}

/** Steering and admin can run the rules now instead of waiting for the next scheduled run. */
function runEngine(reload) {
  const result = h('p', { class: 'sub', role: 'status' });
  const button = h('button', { type: 'button', class: 'button secondary', text: t('queue.run') });
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const report = await post('/api/admin/escalations/run');
      result.textContent = t('queue.run_done', { opened: report.opened.length, cases: report.cases });
      await reload();
    } catch (err) {
      result.textContent = errorText(err);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
  return h('div', { class: 'run-engine' }, button, h('p', { class: 'hint', text: t('queue.run_hint') }), result);
}
