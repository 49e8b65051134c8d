// Start-up: the translation table, who is logged in, the header, and the routes.

import { loadStrings } from './i18n.js';
import { del } from './api.js';
import { route, start, navigate, relabel } from './router.js';
import { refreshMe, currentUser, currentMe } from './session.js';
import { renderHeader, markCurrent } from './ui/header.js';
import { isWithoutCases } from './vocabulary.js';
import loginPage from './pages/login.js';
import activatePage from './pages/activate.js';
import casesPage from './pages/cases.js';
import casePage from './pages/case.js';
import caseNewPage from './pages/case-new.js';
import { adminAccountsPage } from './admin/accounts.js';
import { adminOrganisationsPage } from './admin/organisations.js';
import { adminRetentionPage } from './admin/retention.js';
import { adminAuditPage } from './admin/audit.js';
import schedulePage from './pages/schedule.js';
import meetingPage from './pages/meeting.js';
import joinPage from './pages/join.js';
import roomPage, { leftPage } from './pages/room.js';
import minutesPage from './pages/minutes.js';
import planPage from './pages/plan.js';
import { watchTables } from './ui/stack-tables.js';
import queuePage from './pages/queue.js';
import escalationPage from './pages/escalation.js';
import obstaclesPage from './pages/obstacles.js';
import obstaclePage from './pages/obstacle.js';
import figuresPage from './pages/figures.js';
import notificationsPage, { notificationRedirect } from './pages/notifications.js';

/**
 * The start page: the administrator's work is the console; the steering group has no cases,
 * so its work is the queue; everyone else starts at their cases.
 */
function home(ctx) {
  const user = currentUser();
  if (user && user.role === 'admin') return adminAccountsPage(ctx);
  return user && isWithoutCases(user.role) ? queuePage(ctx) : casesPage(ctx);
}

route('/', home);
route('/login', loginPage);
route('/activate/:token', activatePage);
route('/cases', casesPage);
route('/cases/new', caseNewPage);
route('/cases/:id', casePage);
route('/cases/:id/schedule', schedulePage);
route('/meetings/:id', meetingPage);
route('/meetings/:id/room', roomPage);
route('/meetings/:id/minutes', minutesPage);
route('/meetings/:id/plan', planPage);
route('/meetings/:id/left', leftPage);
route('/join/:token', joinPage);
route('/escalations', queuePage);
route('/escalations/:id', escalationPage);
route('/obstacles', obstaclesPage);
route('/obstacles/:id', obstaclePage);
route('/figures', figuresPage);
route('/notifications', notificationsPage);
route('/admin', adminAccountsPage);
route('/admin/organisations', adminOrganisationsPage);
route('/admin/retention', adminRetentionPage);
route('/admin/audit', adminAuditPage);
route('/notifications/:id', notificationRedirect);

async function logout() {
  const before = currentMe();
  try { await del('/api/session'); } catch { /* the session may be gone already */ }
  await refreshMe();
  const invitee = before && before.kind === 'invitee';
  navigate(invitee ? `/meetings/${before.meeting_id}/left` : '/login', { replace: true });
}

const header = () => renderHeader({ onLogout: logout });
window.addEventListener('kt:me', header);
window.addEventListener('kt:rendered', markCurrent);
window.addEventListener('kt:lang', () => {
  header();
  relabel();
});

await loadStrings();
await refreshMe().catch(() => null);
header();
// Every table's cells carry their column's name, for the stacked rows of narrow screens.
watchTables(document.getElementById('main'));
start();
