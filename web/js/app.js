// Start-up: the translation table, who is logged in, the header, and the routes.

import { h, replace } from './dom.js';
import { loadStrings, t, setLang, currentLang } from './i18n.js';
import { del } from './api.js';
import { route, start, navigate, relabel } from './router.js';
import { refreshMe, currentMe } from './session.js';
import loginPage from './pages/login.js';
import casesPage from './pages/cases.js';
import casePage from './pages/case.js';
import schedulePage from './pages/schedule.js';
import meetingPage from './pages/meeting.js';
import joinPage from './pages/join.js';
import roomPage, { leftPage } from './pages/room.js';
import minutesPage from './pages/minutes.js';

route('/', casesPage);
route('/login', loginPage);
route('/cases', casesPage);
route('/cases/:id', casePage);
route('/cases/:id/schedule', schedulePage);
route('/meetings/:id', meetingPage);
route('/meetings/:id/room', roomPage);
route('/meetings/:id/minutes', minutesPage);
route('/meetings/:id/left', leftPage);
route('/join/:token', joinPage);

/** The header: who you are, where to go, the language, logging out. Guests get no navigation. */
function renderHeader() {
  const me = currentMe();
  const user = me && me.kind === 'user' ? me.user : null;
  const other = currentLang() === 'nl' ? 'en' : 'nl';
  const header = document.getElementById('site-header');
  replace(header,
    h('div', { class: 'header-inner' },
      h('a', { class: 'brand', href: user ? '/' : location.pathname },
        h('img', { src: '/icons/favicon.svg', alt: '', width: 32, height: 32 }),
        h('span', { text: t('app.name') })),
      user ? h('nav', { 'aria-label': t('nav.label') }, h('a', { href: '/', text: t('nav.cases') })) : null,
      h('div', { class: 'header-tools' },
        user ? h('span', { class: 'who', text: `${user.name} · ${user.organisation_name}` }) : null,
        h('button', {
          type: 'button', class: 'button link', lang: other, onclick: () => setLang(other),
          text: t(`lang.switch_to_${other}`),
        }),
        user ? h('button', { type: 'button', class: 'button link', onclick: logout, text: t('nav.logout') }) : null)));
  document.querySelector('.skip-link').textContent = t('nav.skip');
}

async function logout() {
  try { await del('/api/session'); } catch { /* the session may be gone already */ }
  await refreshMe();
  navigate('/login', { replace: true });
}

window.addEventListener('kt:me', renderHeader);
window.addEventListener('kt:lang', () => {
  renderHeader();
  relabel();
});

await loadStrings();
await refreshMe().catch(() => null);
renderHeader();
start();
