/**
 * The operator page: tabs (Dashboard, Pending EMIs, Generated Links, and for admins Import loans)
 * over the HTTP API, shown once someone has logged in (auth.ts) with their name and role; what the
 * role may not do is hidden.
 * Tabs follow the WAI-ARIA tabs pattern: arrow keys, Home and End move between them.
 */
import { can, setPermissions } from './access';
import { initAccounts, reloadAccounts } from './accounts';
import { ApiError, api, errorText, type Me } from './api';
import { initAuth, LoginError, login, logout, onSessionEnd } from './auth';
import { initRecentJobs } from './bulk-jobs';
import { initDashboard, loadDashboard } from './dashboard';
import { byId, notify, whileBusy } from './dom';
import { initImports } from './imports';
import { initLinks, reloadLinks } from './links';
import { initPending } from './pending';
import { initSearch } from './search';
import { loadLenders } from './shared-ui';

type TabName = 'dashboard' | 'pending' | 'links' | 'import' | 'accounts';

const ALL_TABS: TabName[] = ['dashboard', 'pending', 'links', 'import', 'accounts'];
/** the tabs this person sees (Import loans needs the loans permission, Accounts admin) */
let TABS: TabName[] = ['dashboard', 'pending', 'links'];

function selectTab(name: TabName, focus = false): void {
  for (const t of TABS) {
    const tab = byId<HTMLButtonElement>(`tab-${t}`);
    const selected = t === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    byId(`panel-${t}`).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  if (window.location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  // links change on the other tab (generate, bulk, payments): show them fresh each time
  if (name === 'links') reloadLinks();
  if (name === 'dashboard') void loadDashboard();
  if (name === 'accounts') void reloadAccounts();
}

function initTabs(): void {
  for (const t of TABS) {
    const tab = byId<HTMLButtonElement>(`tab-${t}`);
    tab.addEventListener('click', () => selectTab(t));
    tab.addEventListener('keydown', (ev) => {
      const i = TABS.indexOf(t);
      let next: TabName | undefined;
      if (ev.key === 'ArrowRight') next = TABS[(i + 1) % TABS.length];
      else if (ev.key === 'ArrowLeft') next = TABS[(i - 1 + TABS.length) % TABS.length];
      else if (ev.key === 'Home') next = TABS[0];
      else if (ev.key === 'End') next = TABS[TABS.length - 1];
      if (next) {
        ev.preventDefault();
        selectTab(next, true);
      }
    });
  }
  const fromHash = window.location.hash.slice(1) as TabName;
  selectTab(TABS.includes(fromHash) ? fromHash : 'dashboard');
}

const ROLE_LABELS: Record<string, string> = { viewer: 'Viewer', collector: 'Collector', admin: 'Admin' };

/** Before login (or after the session ended): no data, no tabs, only the Log in button. */
function showSignedOut(message?: string): void {
  document.body.dataset.auth = 'out';
  byId('tabs').hidden = true;
  for (const t of ALL_TABS) byId(`panel-${t}`).hidden = true;
  byId('who').hidden = true;
  byId('search').hidden = true;
  byId('logout').hidden = true;
  byId('login').hidden = false;
  byId('signed-out').hidden = false;
  if (message) notify(message, 'error');
}

function showSignedIn(me: Me): void {
  document.body.dataset.auth = 'in';
  setPermissions(me.permissions);
  byId('who-name').textContent = me.name;
  byId('who-role').textContent = me.role ? (ROLE_LABELS[me.role] ?? me.role) : 'no role';
  const lenders = me.lenders === '*' ? 'all lenders' : me.lenders.join(', ');
  byId('who').title = `Works on ${lenders}`;
  byId('who').hidden = false;
  byId('logout').hidden = false;
  byId('login').hidden = true;
  byId('signed-out').hidden = true;
  byId('tabs').hidden = false;
  // the role may not generate, refresh or cancel: those controls are not shown at all
  byId('bulk-start').hidden = !can('write');
  TABS = [
    'dashboard',
    'pending',
    'links',
    ...(can('loans') ? (['import'] as const) : []),
    ...(can('admin') ? (['accounts'] as const) : []),
  ];
  byId('tab-import').hidden = !can('loans');
  byId('tab-accounts').hidden = !can('admin');
}

function initAccount(): void {
  byId<HTMLButtonElement>('login').addEventListener('click', (ev) => {
    void whileBusy(ev.currentTarget as HTMLButtonElement, 'Opening login…', () =>
      login().catch(() => notify('Could not reach the login page. Try again.', 'error')),
    );
  });
  byId<HTMLButtonElement>('logout').addEventListener('click', () => logout());
  onSessionEnd(() => showSignedOut('Your session has ended. Log in again to continue.'));
}

async function main(): Promise<void> {
  initAccount();
  window.addEventListener('offline', () =>
    notify('You are offline: the page cannot reach the server.', 'error'),
  );
  try {
    let me: Me | undefined;
    try {
      if (await initAuth()) me = (await api.me()).data;
    } catch (err) {
      // a 401 has already ended the session and said so (onSessionEnd)
      if (err instanceof ApiError && err.status === 401) return;
      showSignedOut(
        err instanceof LoginError
          ? err.message
          : err instanceof ApiError
            ? `Could not load who you are: ${errorText(err)}`
            : 'Cannot reach the login service. Check your connection and reload the page.',
      );
      return;
    }
    if (!me) {
      showSignedOut();
      return;
    }
    showSignedIn(me);
    initPending();
    initRecentJobs();
    initLinks();
    initDashboard();
    initSearch((loanId) => {
      byId<HTMLInputElement>('links-loan').value = loanId;
      selectTab('links', true);
    });
    if (can('loans')) initImports();
    if (can('admin')) initAccounts();
    initTabs();
    void loadLenders(
      [
        byId<HTMLSelectElement>('dashboard-lender'),
        byId<HTMLSelectElement>('pending-lender'),
        byId<HTMLSelectElement>('links-lender'),
      ],
      (m) => notify(m, 'error'),
    );
  } finally {
    document.body.dataset.ready = 'true';
  }
}

void main();
