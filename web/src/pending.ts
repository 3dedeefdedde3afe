/**
 * Tab 1, Pending EMIs: filter by lender and overdue/upcoming, sort by due date, amount or days
 * past due, page through with "Load more" (the summary says how many EMIs and how much the whole
 * filter holds), export what is shown as CSV, generate one link per row (shown at once,
 * copyable; "Reuse link" when an open one exists), and "Generate all & export" for what the
 * filters show — confirmed with its count and ₹ total — with a progress bar while the bulk job
 * runs and the CSV link when it is done. The last job's panel survives a reload; past jobs are
 * listed by bulk-jobs.ts.
 */
import { daysBetween } from '../../shared/domain/dates';
import { can } from './access';
import { ApiError, api, type BulkJob, errorText, type Link, newIdempotencyKey, type PendingEmi } from './api';
import { reloadRecentJobs } from './bulk-jobs';
import { byId, confirmDialog, h, notify, whileBusy } from './dom';
import { exportsModule } from './exports-loader';
import { emiLabel, formatDateTime, formatDueDate, formatPaise, plural, statusLabel } from './format';
import { amountCell, cell, linkWithCopy, messageRow, statusBadge } from './shared-ui';

const COLUMNS = 9;
const PAGE_SIZE = 50;
const POLL_MS = 1000;
const JOB_KEY = 'emi-links.bulk-job';

interface Filters {
  lender: string;
  bucket: 'overdue' | 'upcoming' | 'all';
  withinDays: number;
  sort: string;
}

/** The orders the API serves (GET pending-emis `sort`), in words. */
export const SORTS: Record<string, string> = {
  dueDate: 'due date, oldest first',
  '-dueDate': 'due date, latest first',
  '-amount': 'amount outstanding, largest first',
  amount: 'amount outstanding, smallest first',
  '-daysPastDue': 'days past due, most first',
  daysPastDue: 'days past due, fewest first',
};

interface Row {
  emi: PendingEmi;
  /** kept across a retry after a network error or 5xx, so the server resumes the same link */
  idempotencyKey?: string;
  generated?: { link: Link; reused: boolean };
}

let filters: Filters = { lender: '', bucket: 'all', withinDays: 7, sort: 'dueDate' };
let today = '';
let cursor: string | null = null;
let generation = 0;
let shown = 0;
/** the rows on screen, in order (the CSV export) */
let rowsShown: Row[] = [];
/** every pending EMI the filter matches (from the first page), not only those shown */
let total: { count: number; outstanding: number } | null = null;

function readFilters(): Filters {
  const bucket = (byId<HTMLSelectElement>('pending-bucket').value || 'all') as Filters['bucket'];
  const raw = byId<HTMLInputElement>('pending-within').value.trim();
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : 7;
  const sort = byId<HTMLSelectElement>('pending-sort').value;
  return {
    lender: byId<HTMLSelectElement>('pending-lender').value,
    bucket,
    withinDays: Math.min(n, 365),
    sort: sort in SORTS ? sort : 'dueDate',
  };
}

function dueCell(emi: PendingEmi): HTMLTableCellElement {
  let tag: HTMLElement;
  if (emi.bucket === 'overdue') {
    tag = h(
      'span',
      { className: 'tag tag-overdue', 'data-testid': 'overdue' },
      `Overdue · ${plural(emi.daysPastDue, 'day')}`,
    );
  } else {
    const d = today ? daysBetween(today, emi.dueDate) : Number.NaN;
    const text =
      d === 0 ? 'Due today' : d === 1 ? 'Due tomorrow' : Number.isNaN(d) ? 'Upcoming' : `Due in ${d} days`;
    tag = h('span', { className: 'tag tag-upcoming' }, text);
  }
  return cell('Due date', h('span', { className: 'nowrap' }, formatDueDate(emi.dueDate)), ' ', tag);
}

function linkCell(row: Row): HTMLTableCellElement {
  const g = row.generated;
  if (g) {
    const fresh = g.link.shortUrl
      ? linkWithCopy(g.link.shortUrl)
      : h('span', { className: 'muted' }, g.link.error?.message ?? 'No URL yet');
    return cell(
      'Payment link',
      h(
        'div',
        { className: 'generated', 'data-testid': 'generated-link' },
        h(
          'span',
          { className: `tag ${g.reused ? 'tag-reused' : 'tag-new'}` },
          g.reused ? 'Reused open link' : 'New link',
        ),
        ' ',
        statusBadge(g.link.status),
        fresh,
      ),
    );
  }
  const a = row.emi.activeLink;
  if (!a) return cell('Payment link', h('span', { className: 'muted' }, 'No open link'));
  return cell(
    'Payment link',
    h(
      'div',
      { className: 'active-link' },
      statusBadge(a.status),
      ' ',
      formatPaise(a.amount),
      linkWithCopy(a.shortUrl),
    ),
  );
}

/** "Generate", or "Reuse link" when the EMI has an open link (the server answers it again). */
function labelAction(button: HTMLButtonElement, row: Row): void {
  const { emi } = row;
  // a loan link open on the EMI is not what "Generate" answers (that is the EMI's own link)
  const reuse = emi.activeLink !== null && emi.activeLink.scope !== 'loan';
  button.textContent = reuse ? 'Reuse link' : 'Generate';
  button.dataset.action = reuse ? 'reuse' : 'generate';
  button.setAttribute(
    'aria-label',
    reuse
      ? `Reuse the open link for EMI ${emi.emiNumber} of loan ${emi.loanId}`
      : `Generate a payment link for EMI ${emi.emiNumber} of loan ${emi.loanId}`,
  );
}

/** A phone number a collector can tap to call. */
function phoneLink(phone: string): HTMLElement {
  if (!phone) return h('span', { className: 'muted' }, '—');
  return h(
    'a',
    { href: `tel:${phone.replace(/[^\d+]/g, '')}`, className: 'nowrap phone', 'data-testid': 'phone' },
    phone,
  );
}

function renderRow(row: Row): HTMLTableRowElement {
  const { emi } = row;
  const tr = h('tr', {
    'data-testid': 'pending-row',
    'data-loan-id': emi.loanId,
    'data-emi-number': emi.emiNumber,
    'data-lender': emi.lender,
    className: emi.bucket === 'overdue' ? 'row-overdue' : '',
  });
  const button = !can('write')
    ? null
    : h('button', { type: 'button', className: 'btn btn-primary', 'data-testid': 'generate' });
  if (button) {
    labelAction(button, row);
    button.addEventListener('click', () => {
      void generate(row, tr, button);
    });
  }
  tr.append(
    cell(
      'Loan',
      h('strong', { className: 'nowrap' }, emi.loanId),
      h('div', { className: 'muted small' }, emi.lender),
    ),
    cell('Client', emi.clientName),
    cell('Phone', phoneLink(emi.phone)),
    cell('EMI', h('span', { className: 'num' }, String(emi.emiNumber))),
    dueCell(emi),
    amountCell('Amount due', h('span', { className: 'num' }, formatPaise(emi.amountDue))),
    amountCell(
      'Outstanding',
      h('span', { className: 'num strong' }, formatPaise(emi.amountOutstanding)),
      emi.amountPaid > 0
        ? h('div', { className: 'muted small' }, `${formatPaise(emi.amountPaid)} paid`)
        : null,
    ),
    linkCell(row),
    cell('Action', button, button && emi.bucket === 'overdue' ? loanButton(row) : null),
  );
  return tr;
}

/** "Whole overdue": one link for all the loan's overdue EMIs (scope loan), shown on each row it covers. */
function loanButton(row: Row): HTMLButtonElement {
  const { loanId } = row.emi;
  const b = h(
    'button',
    {
      type: 'button',
      className: 'btn',
      'data-testid': 'generate-loan',
      title: `One link for all overdue EMIs of loan ${loanId}`,
    },
    'Whole overdue',
  );
  b.addEventListener('click', () =>
    whileBusy(b, 'Generating…', async () => {
      try {
        const res = await api.generate({ loanId, scope: 'loan' }, newIdempotencyKey());
        const covered = new Set((res.data.covers ?? []).map((c) => c.emiNumber));
        for (const r of rowsShown) {
          if (r.emi.loanId !== loanId || !covered.has(r.emi.emiNumber)) continue;
          r.generated = { link: res.data, reused: res.status === 200 };
          document
            .querySelector(
              `tr[data-loan-id="${CSS.escape(loanId)}"][data-emi-number="${r.emi.emiNumber}"] td[data-label="Payment link"]`,
            )
            ?.replaceWith(linkCell(r));
        }
        notify(`Link for ${emiLabel(res.data)} of ${loanId}: ${formatPaise(res.data.amount)}.`, 'success');
      } catch (err) {
        notify(`Could not generate a link for the overdue EMIs of ${loanId}: ${errorText(err)}`, 'error');
      }
    }),
  );
  return b;
}

async function generate(row: Row, tr: HTMLTableRowElement, button: HTMLButtonElement): Promise<void> {
  const { emi } = row;
  row.idempotencyKey ??= newIdempotencyKey();
  await whileBusy(button, 'Generating…', async () => {
    try {
      const res = await api.generate({ loanId: emi.loanId, emiNumber: emi.emiNumber }, row.idempotencyKey!);
      row.idempotencyKey = undefined;
      const reused = res.data.reused === true || res.status === 200;
      row.generated = { link: res.data, reused };
      if (res.data.shortUrl && (res.data.status === 'created' || res.data.status === 'partially_paid')) {
        emi.activeLink = {
          id: res.data.id,
          shortUrl: res.data.shortUrl,
          status: res.data.status,
          amount: res.data.amount,
          scope: res.data.scope,
        };
      }
      tr.querySelector('td[data-label="Payment link"]')?.replaceWith(linkCell(row));
      notify(
        reused
          ? `EMI ${emi.emiNumber} of ${emi.loanId} already had an open link for ${formatPaise(res.data.amount)}; it is shown.`
          : `New link for EMI ${emi.emiNumber} of ${emi.loanId}: ${formatPaise(res.data.amount)}, ${statusLabel(res.data.status).toLowerCase()}.`,
        'success',
        tr,
      );
    } catch (err) {
      // a definite refusal ends this attempt; a network error, 5xx, 409 or 429 keeps the key for a retry
      if (
        err instanceof ApiError &&
        err.status >= 400 &&
        err.status < 500 &&
        err.status !== 409 &&
        err.status !== 429
      ) {
        row.idempotencyKey = undefined;
      }
      notify(
        `Could not generate a link for EMI ${emi.emiNumber} of ${emi.loanId}: ${errorText(err)}`,
        'error',
        tr,
      );
    }
  });
  if (button.isConnected) labelAction(button, row);
}

function describeFilters(f: Filters): string {
  const who = f.lender || 'all lenders';
  if (f.bucket === 'overdue') return `${who}, overdue`;
  if (f.bucket === 'upcoming') return `${who}, due within ${plural(f.withinDays, 'day')}`;
  return `${who}, overdue or due within ${plural(f.withinDays, 'day')}`;
}

function updateSummary(hasMore: boolean): void {
  const summary = byId('pending-summary');
  byId('pending-csv').hidden = shown === 0;
  if (shown === 0) {
    summary.textContent = '';
    return;
  }
  const counted =
    total === null
      ? `${plural(shown, 'EMI')} shown${hasMore ? ' — more below' : ''}`
      : `${shown} of ${plural(total.count, 'EMI')} shown${hasMore ? ' — more below' : ''} · ${formatPaise(total.outstanding)} outstanding in all`;
  summary.textContent = `${counted} · ${describeFilters(filters)} · by ${SORTS[filters.sort] ?? filters.sort}${today ? ` · today is ${formatDueDate(today)}` : ''}`;
}

/** What is on screen, as CSV (architecture §4's column style; phones kept as text). */
async function exportShown(): Promise<void> {
  try {
    const { exportPending } = await exportsModule();
    const count = exportPending(
      rowsShown.map((r) => r.emi),
      today,
    );
    notify(`Exported ${plural(count, 'EMI')} as shown (${describeFilters(filters)}).`, 'success');
  } catch (err) {
    notify(`Could not export: ${errorText(err)}`, 'error');
  }
}

async function loadPage(reset: boolean): Promise<void> {
  const tbody = byId<HTMLTableSectionElement>('pending-body');
  const more = byId<HTMLButtonElement>('pending-more');
  const mine = reset ? ++generation : generation;
  if (reset) {
    filters = readFilters();
    cursor = null;
    shown = 0;
    rowsShown = [];
    total = null;
    tbody.replaceChildren(messageRow(COLUMNS, 'Loading pending EMIs…', 'loading'));
    more.hidden = true;
    updateSummary(false);
  }
  byId('pending-table').setAttribute('aria-busy', 'true');
  try {
    // the amount order filters by due date: a page may come back short, even empty, with a
    // cursor — read on a little before saying there is nothing
    let added = 0;
    for (let pages = 0; pages < 5; pages++) {
      const res = await api.pending({
        lender: filters.lender || undefined,
        bucket: filters.bucket,
        withinDays: filters.bucket === 'overdue' ? undefined : filters.withinDays,
        sort: filters.sort === 'dueDate' ? undefined : filters.sort,
        cursor,
        limit: PAGE_SIZE,
      });
      if (mine !== generation) return; // the filters changed meanwhile
      today = res.data.today;
      cursor = res.data.nextCursor;
      if (res.data.total) total = res.data.total;
      if (reset && pages === 0) tbody.replaceChildren();
      for (const emi of res.data.items) {
        const row: Row = { emi };
        rowsShown.push(row);
        tbody.append(renderRow(row));
      }
      added += res.data.items.length;
      if (added > 0 || cursor === null) break;
    }
    shown += added;
    if (shown === 0) {
      tbody.replaceChildren(messageRow(COLUMNS, `No pending EMIs for ${describeFilters(filters)}.`, 'empty'));
    }
    more.hidden = cursor === null;
    updateSummary(cursor !== null);
  } catch (err) {
    if (mine !== generation) return;
    const text = `Could not load pending EMIs: ${errorText(err)}`;
    if (reset) tbody.replaceChildren(messageRow(COLUMNS, text, 'error'));
    notify(text, 'error');
  } finally {
    if (mine === generation) byId('pending-table').removeAttribute('aria-busy');
  }
}

// ---- Generate all & export ----

let polling = false;

function renderJob(job: BulkJob, scope?: string): void {
  const box = byId('bulk-progress');
  box.hidden = false;
  if (scope !== undefined) byId('bulk-scope').textContent = scope ? ` · ${scope}` : '';
  const done = job.status === 'completed' || job.status === 'failed';
  byId('bulk-close').hidden = !done;
  const bar = byId<HTMLProgressElement>('bulk-bar');
  bar.max = Math.max(job.total, 1);
  bar.value = job.total === 0 && done ? 1 : job.processed;
  const pct = job.total > 0 ? Math.floor((job.processed / job.total) * 100) : done ? 100 : 0;
  bar.textContent = `${pct}%`;
  const state =
    job.status === 'queued'
      ? 'Waiting to start…'
      : job.status === 'running'
        ? `Generating links… ${pct}%`
        : job.status === 'completed'
          ? 'Done.'
          : 'The job failed.';
  byId('bulk-state').textContent = state;
  const skipped = job.skipped ?? 0;
  byId('bulk-counts').textContent =
    `${job.processed} of ${job.total} processed · ${job.created} new · ${job.reused} reused · ${job.failed} failed` +
    (skipped > 0 ? ` · ${skipped} skipped (already paid)` : '');
  const result = byId('bulk-result');
  result.replaceChildren();
  if (job.status === 'completed') {
    if (job.csvUrl) {
      const a = h(
        'a',
        {
          href: job.csvUrl,
          className: 'btn btn-primary',
          download: `payment-links-${job.jobId}.csv`,
          'data-testid': 'bulk-csv',
        },
        'Download CSV',
      );
      a.addEventListener('click', (ev) => {
        void freshCsvLink(ev, a, job);
      });
      result.append(a);
      if (job.csvExpiresAt) {
        result.append(
          h(
            'span',
            { className: 'muted small' },
            `Download link valid until ${formatDateTime(job.csvExpiresAt)}`,
          ),
        );
      }
    }
    const noLink = job.failed + (job.skipped ?? 0);
    if (noLink > 0) {
      result.append(
        h(
          'p',
          { className: 'warn', 'data-testid': 'bulk-failed' },
          `${plural(job.failed, 'row')} failed${job.skipped ? ` and ${job.skipped} skipped` : ''}: ${noLink === 1 ? 'that row has' : 'those rows have'} no link, and the reason is in the CSV's error column.`,
        ),
      );
    }
    if (job.total === 0) result.append(h('p', {}, 'There was nothing to generate for these filters.'));
  } else if (job.status === 'failed') {
    const reason = job.error;
    result.append(
      h('p', { className: 'warn' }, reason ? `The job failed: ${reason}` : 'The job failed. Try again.'),
    );
  }
}

/** A presigned URL is short-lived: when it has (nearly) expired, fetch the job for a fresh one. */
async function freshCsvLink(ev: MouseEvent, a: HTMLAnchorElement, job: BulkJob): Promise<void> {
  if (!job.csvExpiresAt || Date.parse(job.csvExpiresAt) - Date.now() > 30_000) return;
  ev.preventDefault();
  try {
    const res = await api.bulkJob(job.jobId);
    if (res.data.csvUrl) {
      a.href = res.data.csvUrl;
      job.csvUrl = res.data.csvUrl;
      job.csvExpiresAt = res.data.csvExpiresAt;
      window.location.assign(res.data.csvUrl);
    }
  } catch (err) {
    notify(`Could not get a fresh download link: ${errorText(err)}`, 'error');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function finishJob(job: BulkJob): void {
  // the panel stays (also after a reload) until closed; the job joins the recent ones
  void reloadRecentJobs();
  if (job.status === 'completed') {
    notify(
      `Export ready: ${plural(job.total, 'EMI')} — ${job.created} new, ${job.reused} reused, ${job.failed} failed.`,
      job.failed > 0 ? 'info' : 'success',
    );
    void loadPage(true); // the rows now show their links
  } else {
    notify('The export job failed.', 'error');
  }
}

async function pollJob(job: BulkJob): Promise<void> {
  if (polling) return;
  polling = true;
  const button = byId<HTMLButtonElement>('bulk-start');
  button.disabled = true;
  let failures = 0;
  try {
    let current = job;
    while (current.status === 'queued' || current.status === 'running') {
      await sleep(failures > 0 ? Math.min(POLL_MS * 2 ** failures, 10_000) : POLL_MS);
      try {
        current = (await api.bulkJob(current.jobId)).data;
        failures = 0;
        renderJob(current);
      } catch (err) {
        failures++;
        if (err instanceof ApiError && err.status === 404) {
          sessionStorage.removeItem(JOB_KEY);
          notify(`The export job ${current.jobId} no longer exists.`, 'error');
          return;
        }
        byId('bulk-state').textContent =
          `Lost contact while checking progress (${errorText(err)}); retrying…`;
        if (failures >= 8) {
          notify(
            `Stopped checking the export's progress: ${errorText(err)} Reload the page to check again.`,
            'error',
          );
          return;
        }
      }
    }
    finishJob(current);
  } finally {
    polling = false;
    button.disabled = false;
  }
}

/** Every pending EMI the filters match, counted by the API (its first page's total). */
async function countMatching(f: Filters): Promise<{ count: number; outstanding: number } | null> {
  const res = await api.pending({
    lender: f.lender || undefined,
    bucket: f.bucket,
    withinDays: f.bucket === 'overdue' ? undefined : f.withinDays,
    limit: 1,
  });
  return res.data.total;
}

async function startBulk(button: HTMLButtonElement): Promise<void> {
  const f = readFilters();
  let matching: { count: number; outstanding: number } | null;
  try {
    matching = await whileBusy(button, 'Counting…', () => countMatching(f));
  } catch (err) {
    notify(`Could not count the EMIs to generate links for: ${errorText(err)}`, 'error');
    return;
  }
  if (matching?.count === 0) {
    notify(`There are no pending EMIs for ${describeFilters(f)}: nothing to generate.`, 'info');
    return;
  }
  const what = matching ? plural(matching.count, 'pending EMI') : 'every pending EMI';
  // the scope choice lives in the dialog only while it asks about a bulk export
  const choice = byId('bulk-per-loan');
  choice.hidden = false;
  const ok = await confirmDialog(
    `Generate links for ${what}?`,
    `${matching ? `${what[0]!.toUpperCase()}${what.slice(1)}, ${formatPaise(matching.outstanding)} outstanding in all, match` : 'Every pending EMI matching'} ${describeFilters(f)}${matching && shown >= matching.count ? '' : ` — all of them, not only the ${plural(shown, 'row')} loaded on screen`}. Each gets a payment link (an open link of the same amount is reused), and a CSV of them all is prepared to download.`,
    matching ? `Generate ${plural(matching.count, 'link')} & export` : 'Generate all & export',
  );
  choice.hidden = true;
  const perLoan = byId<HTMLInputElement>('bulk-scope-loan').checked;
  if (!ok) return;
  const job = await whileBusy(button, 'Starting…', async () => {
    try {
      const res = await api.bulkStart({
        lender: f.lender || undefined,
        bucket: f.bucket,
        withinDays: f.bucket === 'overdue' ? undefined : f.withinDays,
        ...(perLoan ? { scope: 'loan' as const } : {}),
      });
      return res.data;
    } catch (err) {
      notify(`Could not start the export: ${errorText(err)}`, 'error');
      return null;
    }
  });
  if (!job) return;
  renderJob(job, describeFilters(f));
  // this tab shows the job's panel again after a reload, until it is closed
  sessionStorage.setItem(JOB_KEY, JSON.stringify({ jobId: job.jobId, scope: describeFilters(f) }));
  if (job.status === 'completed' || job.status === 'failed') {
    finishJob(job);
    return;
  }
  notify(`Export started for ${describeFilters(f)}.`, 'info');
  await pollJob(job);
}

/** After a reload: show the job this tab started again (and follow it while it runs). */
async function resumeJob(saved: string): Promise<void> {
  let jobId: string;
  let scope = '';
  try {
    ({ jobId, scope } = JSON.parse(saved) as { jobId: string; scope: string });
  } catch {
    sessionStorage.removeItem(JOB_KEY);
    return;
  }
  try {
    const job = (await api.bulkJob(jobId)).data;
    renderJob(job, scope);
    if (job.status === 'queued' || job.status === 'running') await pollJob(job);
  } catch {
    sessionStorage.removeItem(JOB_KEY);
  }
}

export function initPending(): void {
  const form = byId<HTMLFormElement>('pending-filters');
  const bucket = byId<HTMLSelectElement>('pending-bucket');
  const within = byId<HTMLInputElement>('pending-within');
  const syncWithin = () => {
    within.disabled = bucket.value === 'overdue';
  };
  syncWithin();
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadPage(true);
  });
  form.addEventListener('change', (ev) => {
    syncWithin();
    if (ev.target === within && !within.checkValidity()) return;
    void loadPage(true);
  });
  byId<HTMLButtonElement>('pending-more').addEventListener('click', (ev) => {
    void whileBusy(ev.currentTarget as HTMLButtonElement, 'Loading…', () => loadPage(false));
  });
  byId<HTMLButtonElement>('pending-csv').addEventListener('click', () => void exportShown());
  byId<HTMLButtonElement>('bulk-close').addEventListener('click', () => {
    sessionStorage.removeItem(JOB_KEY);
    byId('bulk-progress').hidden = true;
    byId<HTMLButtonElement>('bulk-start').focus();
  });
  byId<HTMLButtonElement>('bulk-start').addEventListener('click', (ev) => {
    void startBulk(ev.currentTarget as HTMLButtonElement);
  });
  const saved = sessionStorage.getItem(JOB_KEY);
  if (saved) void resumeJob(saved);
  void loadPage(true);
}

export function reloadPending(): void {
  void loadPage(true);
}
