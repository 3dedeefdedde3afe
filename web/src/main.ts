/**
 * The operator page: two tabs (Pending EMIs, Generated Links) over the HTTP API.
 * Tabs follow the WAI-ARIA tabs pattern: arrow keys, Home and End move between them.
 */
import { byId, notify } from './dom';
import { initLinks, reloadLinks } from './links';
import { initPending } from './pending';
import { loadLenders } from './shared-ui';

type TabName = 'pending' | 'links';

const TABS: TabName[] = ['pending', 'links'];

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
  const fromHash = window.location.hash.slice(1);
  selectTab(fromHash === 'links' ? 'links' : 'pending');
}

function main(): void {
  initPending();
  initLinks();
  initTabs();
  void loadLenders(
    [byId<HTMLSelectElement>('pending-lender'), byId<HTMLSelectElement>('links-lender')],
    (m) => notify(m, 'error'),
  );
  window.addEventListener('offline', () =>
    notify('You are offline: the page cannot reach the server.', 'error'),
  );
  document.body.dataset.ready = 'true';
}

main();
