// The console's accounts: the requests that wait for a second administrator (the other one
// approves or rejects, the one who asked sees that it waits), every account with its changes,
// and a new account. A one-time activation link is shown once, to the approver, to hand over.

import { h, uid } from '../dom.js';
import { t, formatDateTime } from '../i18n.js';
import { get, post, patch } from '../api.js';
import { field, form } from '../ui/form.js';
import { badge, announce, errorBox, infoBox } from '../ui/notice.js';
import { confirmDialog } from '../ui/dialog.js';
import { render } from '../router.js';
import { roles, accountRequestKinds } from '../vocabulary.js';
import { frame, requireAdmin, notAdmin, ACCOUNT_ROLES } from './frame.js';

export async function adminAccountsPage() {
  const me = await requireAdmin();
  if (!me) return notAdmin();
  const [users, organisations, pending, recent] = await Promise.all([
    get('/api/admin/users'), get('/api/organisations'), get('/api/admin/requests?pending=true'), get('/api/admin/requests'),
  ]);
  const orgName = (id) => (organisations.find((o) => o.id === id) || {}).name || id;
  const handed = h('div', { id: 'handed-link' });
  return frame('/admin', 'admin.accounts.title',
    h('p', { class: 'lead', text: t('admin.accounts.lead') }),
    requestsSection(me, pending, orgName, handed),
    handed,
    accountsSection(me, users, organisations, pending),
    createAccountSection(organisations),
    decidedSection(recent.filter((r) => r.approved !== null).slice(0, 20), orgName));
}

/** What a request asks for, in words. */
function describeRequest(r, orgName) {
  const parts = [];
  if (r.kind === 'create' || r.kind === 'change') {
    if (r.role) parts.push(t('admin.request.role', { role: roles.label(r.role) }));
    if (r.organisation_id) parts.push(t('admin.request.organisation', { organisation: orgName(r.organisation_id) }));
    if (r.active) parts.push(t('admin.request.reactivate'));
  }
  return parts.join(' · ');
}

function requestsSection(me, pending, orgName, handed) {
  const rows = pending.map((r) => {
    const mine = r.requested_by === me.id;
    const cell = h('td', { class: 'request-buttons' });
    if (mine) {
      const withdraw = h('button', { type: 'button', class: 'button secondary', text: t('admin.request.withdraw'),
        'aria-label': t('admin.request.withdraw_label', { name: r.user_name }) });
      withdraw.addEventListener('click', () => decide(r, 'reject', withdraw, handed));
      cell.append(badge(t('admin.request.waits'), 'info'), ' ', withdraw);
    } else {
      const approve = h('button', { type: 'button', class: 'button primary', text: t('admin.request.approve'),
        'aria-label': t('admin.request.approve_label', { name: r.user_name }) });
      const reject = h('button', { type: 'button', class: 'button secondary', text: t('admin.request.reject'),
        'aria-label': t('admin.request.reject_label', { name: r.user_name }) });
      approve.addEventListener('click', () => decide(r, 'approve', approve, handed));
      reject.addEventListener('click', () => decide(r, 'reject', reject, handed));
      cell.append(approve, ' ', reject);
    }
    return h('tr', { dataset: { request: r.id } },
      h('th', { scope: 'row' }, h('span', { text: r.user_name }), h('div', { class: 'sub', text: r.user_email })),
      h('td', {}, accountRequestKinds.label(r.kind), h('div', { class: 'sub', text: describeRequest(r, orgName) })),
      h('td', {}, r.requested_by_name, h('div', { class: 'sub', text: formatDateTime(r.requested_at) })),
      cell);
  });
  return h('section', { class: 'card', 'aria-labelledby': 'requests-title' },
    h('h2', { id: 'requests-title', text: t('admin.requests.title', { count: pending.length }) }),
    h('p', { class: 'sub', text: t('admin.requests.hint') }),
    pending.length ? h('table', { class: 'data-table requests-table' },
      h('caption', { class: 'sr-only', text: t('admin.requests.caption') }),
      h('thead', {}, h('tr', {}, ['admin.col.account', 'admin.col.request', 'admin.col.asked_by', 'admin.col.decision']
        .map((k) => h('th', { scope: 'col', text: t(k) })))),
      h('tbody', {}, rows)) : h('p', { class: 'empty', text: t('admin.requests.none') }));
}

async function decide(request, how, button, handed) {
  button.disabled = true;
  try {
    const result = await post(`/api/admin/requests/${request.id}/${how}`, {});
    if (how === 'approve' && result.activation_url) {
      await render();
      showLink(document.getElementById('handed-link'), request, result.activation_url);
      return;
    }
    announce(t(how === 'approve' ? (result.link_sent_to_holder ? 'admin.request.approved_mailed' : 'admin.request.approved')
      : 'admin.request.rejected', { name: request.user_name }));
    await render();
  } catch (err) {
    button.disabled = false;
    handed.replaceChildren(errorBox(err));
  }
}

/** The one-time activation link, shown once to the approving administrator to hand over. */
function showLink(holder, request, url) {
  if (!holder) return;
  const id = uid('activation');
  const input = h('input', { id, type: 'text', readonly: true, value: url, class: 'link-input' });
  const copied = h('span', { class: 'sub', role: 'status' });
  const copy = h('button', { type: 'button', class: 'button secondary', text: t('invite.copy') });
  copy.addEventListener('click', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(url);
      copied.textContent = t('invite.copied');
    } catch {
      copied.textContent = t('invite.copy_manually');
    }
  });
  const box = infoBox(t('admin.link.for', { name: request.user_name, email: request.user_email }),
    h('div', { class: 'field' },
      h('label', { for: id, text: t('admin.link.label') }),
      h('div', { class: 'inline' }, input, copy), copied,
      h('p', { class: 'hint', text: t('admin.link.once') })));
  box.setAttribute('tabindex', '-1');
  holder.replaceChildren(box);
  box.focus();
}

function accountsSection(me, users, organisations, pending) {
  const waiting = new Set(pending.map((r) => r.user_id));
  // A new account whose request waits has no way in yet: it is not shown as active.
  const created = new Set(pending.filter((r) => r.kind === 'create').map((r) => r.user_id));
  return h('section', { class: 'card', 'aria-labelledby': 'accounts-title' },
    h('h2', { id: 'accounts-title', text: t('admin.accounts.list', { count: users.length }) }),
    h('table', { class: 'data-table accounts-table' },
      h('caption', { class: 'sr-only', text: t('admin.accounts.list', { count: users.length }) }),
      h('thead', {}, h('tr', {}, ['admin.col.name', 'admin.col.organisation', 'admin.col.role', 'admin.col.status', 'admin.col.manage']
        .map((k) => h('th', { scope: 'col', text: t(k) })))),
      h('tbody', {}, users.map((u) => h('tr', { dataset: { email: u.email } },
        h('th', { scope: 'row' }, h('span', { text: u.name }), h('div', { class: 'sub', text: u.email })),
        h('td', { text: u.organisation_name }),
        h('td', { text: roles.label(u.role) }),
        h('td', {}, created.has(u.id) ? badge(t('admin.status.not_yet'), 'neutral')
          : badge(t(u.active ? 'admin.status.active' : 'admin.status.inactive'), u.active ? 'success' : 'muted'),
          waiting.has(u.id) ? [' ', badge(t('admin.request.waits'), 'info')] : null),
        h('td', {}, manageAccount(me, u, organisations)))))));
}

/** Changing one account: name, role and organisation; deactivating, reactivating; a reset. */
function manageAccount(me, user, organisations) {
  const self = user.id === me.id;
  const status = h('div', { role: 'status', class: 'sub' });
  const changeForm = form({
    label: t('admin.account.change_label', { name: user.name }),
    submit: t('form.save'),
    className: 'account-change',
    children: [
      field({ label: t('admin.col.name'), name: 'name', value: user.name, required: true, attrs: { maxlength: 120 } }),
      field({ label: t('admin.col.role'), name: 'role', kind: 'select', value: user.role, hint: self ? t('admin.account.own_role') : null,
        options: ACCOUNT_ROLES.map((r) => ({ value: r, label: roles.label(r) })), attrs: self ? { disabled: true } : {} }),
      field({ label: t('admin.col.organisation'), name: 'organisation_id', kind: 'select', value: user.organisation_id,
        options: organisations.map((o) => ({ value: o.id, label: o.name })) }),
    ],
    onSubmit: async (v) => {
      const body = {};
      if (v.name.trim() !== user.name) body.name = v.name.trim();
      if (v.role && v.role !== user.role) body.role = v.role;
      if (v.organisation_id !== user.organisation_id) body.organisation_id = v.organisation_id;
      if (!Object.keys(body).length) {
        status.textContent = t('admin.account.unchanged');
        return;
      }
      const result = await patch(`/api/admin/users/${user.id}`, body);
      announce(t(result.request ? 'admin.account.change_waits' : 'admin.account.changed', { name: user.name }));
      await render();
    },
  });
  const buttons = h('div', { class: 'inline' });
  if (!self) {
    const toggle = h('button', { type: 'button', class: `button ${user.active ? 'danger' : 'secondary'}`,
      text: t(user.active ? 'admin.account.deactivate' : 'admin.account.reactivate') });
    toggle.addEventListener('click', async () => {
      if (user.active && !await confirmDialog({ title: t('admin.account.deactivate_title', { name: user.name }),
        text: t('admin.account.deactivate_explain'), confirm: t('admin.account.deactivate'), danger: true })) return;
      try {
        const result = await patch(`/api/admin/users/${user.id}`, { active: !user.active });
        announce(t(result.request ? 'admin.account.change_waits' : 'admin.account.deactivated', { name: user.name }));
        await render();
      } catch (err) {
        status.replaceChildren(errorBox(err));
      }
    });
    buttons.append(toggle);
  }
  const reset = h('button', { type: 'button', class: 'button secondary', text: t('admin.account.reset') });
  reset.addEventListener('click', async () => {
    if (!await confirmDialog({ title: t('admin.account.reset_title', { name: user.name }), text: t('admin.account.reset_explain'),
      confirm: t('admin.account.reset'), danger: true })) return;
    try {
      await post(`/api/admin/users/${user.id}/reset`, {});
      announce(t('admin.account.reset_waits', { name: user.name }));
      await render();
    } catch (err) {
      status.replaceChildren(errorBox(err));
    }
  });
  if (!self) buttons.append(reset);
  return h('details', { class: 'disclosure account-manage' },
    h('summary', { text: t('admin.account.manage'), 'aria-label': t('admin.account.manage_label', { name: user.name }) }),
    changeForm,
    h('p', { class: 'hint', text: t('admin.account.four_eyes') }),
    buttons, status);
}

function createAccountSection(organisations) {
  return h('section', { class: 'card', 'aria-labelledby': 'create-title' },
    h('h2', { id: 'create-title', text: t('admin.create.title') }),
    h('p', { class: 'sub', text: t('admin.create.hint') }),
    form({
      label: t('admin.create.title'),
      submit: t('admin.create.submit'),
      className: 'account-create',
      children: [
        h('div', { class: 'field-row' },
          field({ label: t('admin.col.name'), name: 'name', required: true, attrs: { maxlength: 120, autocomplete: 'off' } }),
          field({ label: t('admin.col.email'), name: 'email', kind: 'email', required: true, attrs: { autocomplete: 'off' } })),
        h('div', { class: 'field-row' },
          field({ label: t('admin.col.organisation'), name: 'organisation_id', kind: 'select', required: true,
            options: [{ value: '', label: t('case.choose_member') }, ...organisations.map((o) => ({ value: o.id, label: o.name }))] }),
          field({ label: t('admin.col.role'), name: 'role', kind: 'select', required: true,
            options: [{ value: '', label: t('case.choose_member') }, ...ACCOUNT_ROLES.map((r) => ({ value: r, label: roles.label(r) }))] })),
      ],
      onSubmit: async (v) => {
        await post('/api/admin/users', { name: v.name.trim(), email: v.email.trim(), organisation_id: v.organisation_id, role: v.role });
        announce(t('admin.create.waits', { name: v.name.trim() }));
        await render();
      },
    }));
}

function decidedSection(decided, orgName) {
  if (!decided.length) return null;
  return h('section', { class: 'card', 'aria-labelledby': 'decided-title' },
    h('details', { class: 'disclosure' },
      h('summary', {}, h('span', { id: 'decided-title', text: t('admin.decided.title') })),
      h('table', { class: 'data-table' },
        h('caption', { class: 'sr-only', text: t('admin.decided.title') }),
        h('thead', {}, h('tr', {}, ['admin.col.account', 'admin.col.request', 'admin.col.asked_by', 'admin.col.decision']
          .map((k) => h('th', { scope: 'col', text: t(k) })))),
        h('tbody', {}, decided.map((r) => h('tr', {},
          h('th', { scope: 'row', text: r.user_name }),
          h('td', {}, accountRequestKinds.label(r.kind), h('div', { class: 'sub', text: describeRequest(r, orgName) })),
          h('td', { text: r.requested_by_name }),
          h('td', {}, badge(t(r.approved ? 'admin.decided.approved' : 'admin.decided.rejected'), r.approved ? 'success' : 'muted'),
            h('div', { class: 'sub', text: r.decided_at ? formatDateTime(r.decided_at) : '' }))))))));
}

