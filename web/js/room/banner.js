// The connection banner at the top of every room: a lost connection shows itself, and so
// does its recovery (briefly), without moving focus.

import { t } from '../i18n.js';

let hideTimer = 0;
let last = 'open';

export function showConnection(status, plain = false) {
  const banner = document.getElementById('connection-banner');
  if (!banner || status === last) return;
  const was = last;
  last = status;
  clearTimeout(hideTimer);
  const p = plain ? 'client.connection.' : 'connection.';
  if (status === 'lost' || status === 'reconnecting') {
    banner.textContent = t(`${p}lost`);
    banner.className = 'connection-banner lost';
    banner.hidden = false;
  } else if (status === 'open' && (was === 'lost' || was === 'reconnecting')) {
    banner.textContent = t(`${p}restored`);
    banner.className = 'connection-banner restored';
    banner.hidden = false;
    hideTimer = setTimeout(() => { banner.hidden = true; }, 4000);
  } else if (status !== 'connecting') {
    banner.hidden = true;
  }
}

export function hideConnection() {
  const banner = document.getElementById('connection-banner');
  clearTimeout(hideTimer);
  last = 'open';
  if (banner) banner.hidden = true;
}
