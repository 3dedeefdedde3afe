/**
 * The Dashboard tab (architecture §4d): headline figures, loans by RBI DPD bucket and
 * collections per day — each chart beside a table of the same numbers — and links by status,
 * for all of the person's lenders or one. Charts come from charts.js (uPlot), loaded on first
 * show; the numbers never depend on it.
 */
import type { Dashboard } from '../../shared/usecases/dashboard';
import { api, errorText } from './api';
import type { ChartsModule } from './charts-api';
import { byId, h, notify } from './dom';
import { formatDateTime, formatDueDate, formatPaise, statusLabel } from './format';

const DPD_TEXT: Record<string, [string, string]> = {
  current: ['Current', 'not overdue'],
  'SMA-0': ['SMA-0', '1–30 days'],
  'SMA-1': ['SMA-1', '31–60 days'],
  'SMA-2': ['SMA-2', '61–90 days'],
  NPA: ['NPA', 'over 90 days'],
};

// a path the bundler leaves alone: charts.js is its own file, fetched only when needed
const CHARTS_URL = './charts.js';
let charts: Promise<ChartsModule | null> | undefined;

function loadCharts(): Promise<ChartsModule | null> {
  charts ??= (import(/* @vite-ignore */ CHARTS_URL) as Promise<ChartsModule>).catch(() => null);
  return charts;
}

function figure(label: string, value: string, sub: string, testid: string): HTMLElement {
  return h(
    'div',
    { className: 'figure', 'data-testid': testid },
    h('span', { className: 'figure-label' }, label),
    h('strong', { className: 'figure-value' }, value),
    h('span', { className: 'figure-sub muted' }, sub),
  );
}

function render(d: Dashboard): void {
  const overdue = d.dpd.filter((b) => b.bucket !== 'current');
  const overdueLoans = overdue.reduce((s, b) => s + b.loans, 0);
  const overdueAmount = overdue.reduce((s, b) => s + b.outstanding, 0);
  byId('dashboard-figures').replaceChildren(
    figure('Pending', formatPaise(d.pending.outstanding), `${d.pending.count} EMIs`, 'figure-pending'),
    figure('Overdue loans', String(overdueLoans), `${formatPaise(overdueAmount)} pending`, 'figure-overdue'),
    figure(
      'Collected today',
      formatPaise(d.collected.today.amount),
      `${d.collected.today.count} payments`,
      'figure-today',
    ),
    figure(
      'Last 7 days',
      formatPaise(d.collected.last7d.amount),
      `${d.collected.last7d.count} payments`,
      'figure-7d',
    ),
    figure(
      'Last 30 days',
      formatPaise(d.collected.last30d.amount),
      `${d.collected.last30d.count} payments`,
      'figure-30d',
    ),
    figure(
      'Links paid (30 days)',
      `${Math.round(d.conversion30d.rate * 100)}%`,
      `${d.conversion30d.linksPaid} of ${d.conversion30d.linksCreated} created`,
      'figure-conversion',
    ),
    figure(
      'Median time to pay',
      `${d.medianHoursToPay30d} h`,
      'links paid in the last 30 days',
      'figure-median',
    ),
  );
  byId('dpd-body').replaceChildren(
    ...d.dpd.map((b) => {
      const [name, days] = DPD_TEXT[b.bucket] ?? [b.bucket, ''];
      return h(
        'tr',
        { 'data-testid': 'dpd-row', 'data-bucket': b.bucket },
        h('th', { scope: 'row' }, name),
        h('td', {}, days),
        h('td', { className: 'right' }, String(b.loans)),
        h('td', { className: 'right' }, formatPaise(b.outstanding)),
      );
    }),
  );
  byId('daily-body').replaceChildren(
    ...[...d.daily]
      .reverse()
      .map((day) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, formatDueDate(day.date)),
          h('td', { className: 'right' }, String(day.count)),
          h('td', { className: 'right' }, formatPaise(day.amount)),
        ),
      ),
  );
  const statuses = ['created', 'partially_paid', 'paid', 'expired', 'cancelled', 'failed'] as const;
  byId('links-status-body').replaceChildren(
    ...statuses.map((s) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, statusLabel(s)),
        h('td', { className: 'right' }, String(d.links[s])),
      ),
    ),
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, 'Needs attention'),
      h('td', { className: 'right' }, String(d.links.attention)),
    ),
  );
  byId('dashboard-asof').textContent = `As of ${formatDateTime(d.asOf)}`;
  const dpdEl = byId('chart-dpd');
  const dailyEl = byId('chart-daily');
  dpdEl.setAttribute('role', 'img');
  dpdEl.setAttribute(
    'aria-label',
    `Bar chart of loans by days past due: ${d.dpd.map((b) => `${DPD_TEXT[b.bucket]?.[0]} ${b.loans}`).join(', ')}. The same numbers are in the table below.`,
  );
  dailyEl.setAttribute('role', 'img');
  dailyEl.setAttribute(
    'aria-label',
    `Bar chart of amounts collected on each of the last 30 days; ${formatPaise(d.collected.last30d.amount)} in all. The same numbers are in the table below.`,
  );
  void loadCharts().then((c) => {
    if (!c) {
      dpdEl.textContent = 'The chart could not be loaded; the table has the numbers.';
      return;
    }
    c.drawDpd(
      dpdEl,
      d.dpd.map((b) => ({ label: DPD_TEXT[b.bucket]?.[0] ?? b.bucket, loans: b.loans })),
    );
    c.drawDaily(dailyEl, d.daily);
    dpdEl.dataset.drawn = 'true';
    dailyEl.dataset.drawn = 'true';
  });
}

let generation = 0;

export async function loadDashboard(): Promise<void> {
  const mine = ++generation;
  const lender = byId<HTMLSelectElement>('dashboard-lender').value || undefined;
  byId('panel-dashboard').setAttribute('aria-busy', 'true');
  try {
    const { data } = await api.dashboard({ lender });
    if (mine === generation) render(data);
  } catch (err) {
    if (mine === generation) notify(`Could not load the dashboard: ${errorText(err)}`, 'error');
  } finally {
    if (mine === generation) byId('panel-dashboard').removeAttribute('aria-busy');
  }
}

export function initDashboard(): void {
  byId<HTMLSelectElement>('dashboard-lender').addEventListener('change', () => void loadDashboard());
  byId<HTMLFormElement>('dashboard-filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadDashboard();
  });
}
