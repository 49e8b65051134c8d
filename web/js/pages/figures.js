// The dashboard for coordinators and the steering group ("meten = weten"): headline numbers,
// the server's four charts inline (each with its own text alternative), the on-time figures
// per period as a table, and every chart as CSV for the report to the mayor. The range and
// grouping live in the URL; applying them redraws in place so focus stays on the form.

import { h, replace } from '../dom.js';
import { t, currentLang, formatShortDate, formatDateTime } from '../i18n.js';
import { get, errorText } from '../api.js';
import { requireUser } from '../session.js';
import { domains } from '../vocabulary.js';
import { announce, errorBox } from '../ui/notice.js';
import { field } from '../ui/form.js';
import { inlineSvg } from '../ui/svg-image.js';
import { onTimeTable, headline } from '../escalation/model.js';

const CHARTS = ['on-time', 'escalation-age', 'decision-time', 'warnings'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function rangeFrom(query) {
  return {
    period: query.get('period') === 'quarter' ? 'quarter' : 'month',
    from: DATE.test(query.get('from') || '') ? query.get('from') : '',
    to: DATE.test(query.get('to') || '') ? query.get('to') : '',
  };
}

function queryString(range, extra = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...range, ...extra })) if (v && !(k === 'period' && v === 'month')) params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export default async function figuresPage({ query, stale }) {
  await requireUser();
  let range = rangeFrom(query);
  const results = h('div', { class: 'figures-results' });
  const load = async () => {
    results.setAttribute('aria-busy', 'true');
    try {
      const figures = await get(`/api/figures${queryString(range)}`);
      if (stale()) return;
      replace(results, await dashboard(figures, range));
    } catch (err) {
      replace(results, errorBox(errorText(err)));
    } finally {
      results.removeAttribute('aria-busy');
    }
  };
  const form = rangeForm(range, async (next) => {
    range = next;
    history.replaceState(null, '', `/figures${queryString(range)}`);
    await load();
    announce(t('figures.updated'));
  });
  await load();
  return h('section', { class: 'page figures-page' },
    h('h1', { text: t('figures.title') }),
    form, results);
}

function rangeForm(range, apply) {
  const el = h('form', { class: 'filter-form', 'aria-label': t('figures.range_label') },
    h('div', { class: 'filter-grid' },
      field({ label: t('figures.f.period'), name: 'period', kind: 'select', value: range.period,
        options: ['month', 'quarter'].map((p) => ({ value: p, label: t(`figures.period.${p}`) })) }),
      field({ label: t('figures.f.from'), name: 'from', kind: 'date', value: range.from, hint: t('figures.f.from_hint') }),
      field({ label: t('figures.f.to'), name: 'to', kind: 'date', value: range.to, hint: t('figures.f.to_hint') })),
    h('div', { class: 'form-buttons' }, h('button', { type: 'submit', class: 'button primary', text: t('figures.apply') })));
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    apply(rangeFrom(new URLSearchParams(new FormData(el))));
  });
  return el;
}

async function dashboard(figures, range) {
  const lang = currentLang();
  const svgs = await Promise.all(CHARTS.map((c) => inlineSvg(`/api/figures/${c}.svg${queryString(range, { lang })}`)
    .catch((err) => errorBox(t('figures.chart_failed', { error: err.message })))));
  const top = headline(figures);
  const number = (n) => (n === null ? t('figures.none') : new Intl.NumberFormat(lang === 'nl' ? 'nl-NL' : 'en-GB').format(n));
  return [
    h('p', { class: 'lead', text: t(figures.scope === 'all' ? 'figures.scope_all' : 'figures.scope_own', {
      from: formatShortDate(figures.from), to: formatShortDate(figures.to), at: formatDateTime(figures.generated_at) }) }),
    h('dl', { class: 'headline' },
      [['figures.h.open_cases', top.openCases], ['figures.h.open_escalations', top.openEscalations],
        ['figures.h.decisions', top.decisions], ['figures.h.on_time', top.onTimePercent === null ? null : `${number(top.onTimePercent)}%`],
        ['figures.h.warnings', top.warnings]].map(([key, value]) => h('div', { class: 'headline-item' },
        h('dt', { text: t(key) }), h('dd', { text: typeof value === 'string' ? value : number(value) })))),
    CHARTS.map((chart, i) => h('section', { class: 'card chart-card', 'aria-labelledby': `chart-${chart}` },
      h('h2', { id: `chart-${chart}`, text: t(`figures.chart.${chart}.title`) }),
      h('p', { class: 'sub', text: t(`figures.chart.${chart}.desc`) }),
      h('div', { class: 'chart' }, svgs[i]),
      chart === 'on-time' ? perPeriod(figures) : null,
      h('p', {}, h('a', { href: `/api/figures/${chart}.csv${queryString(range, { lang })}`, download: '', class: 'button secondary small' },
        t('figures.csv_download'), h('span', { class: 'sr-only', text: `: ${t(`figures.chart.${chart}.title`)}` }))))),
  ];
}

/** The on-time share per period and domain; the chart above shows the totals only. */
function perPeriod(figures) {
  const table = onTimeTable(figures);
  const cell = (c) => (c.percent === null ? t('figures.none') : `${String(c.percent).replace('.', currentLang() === 'nl' ? ',' : '.')}% (${c.on_time}/${c.judged})`);
  return h('details', { class: 'disclosure' },
    h('summary', { text: t('figures.per_period', { period: t(`figures.period.${figures.period}`).toLowerCase() }) }),
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('figures.per_period_table') },
      h('table', { class: 'data-table figures-table' },
        h('caption', { class: 'sr-only', text: t('figures.per_period_table') }),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('figures.col.period') }),
          table.domains.map((d) => h('th', { scope: 'col', text: domains.label(d) })))),
        h('tbody', {},
          table.rows.map((r) => h('tr', {}, h('th', { scope: 'row', text: r.period }), r.cells.map((c) => h('td', { text: cell(c) })))),
          h('tr', { class: 'total' }, h('th', { scope: 'row', text: t('figures.total') }), table.total.map((c) => h('td', { text: cell(c) })))))));
}
