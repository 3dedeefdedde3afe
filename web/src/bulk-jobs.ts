/**
 * "Recent exports" under the Pending EMIs filters: the latest bulk generate & export jobs of the
 * person's lenders (GET /api/payment-links/bulk-jobs, newest first), each with when and by whom
 * it was started, its counts and, once done, its CSV. Loaded when the list is opened and after
 * each job; a CSV link that has (nearly) expired is fetched fresh from the job before use.
 */
import { api, type BulkJob, errorText } from './api';
import { byId, h, notify } from './dom';
import { formatDateTime, plural } from './format';

const SHOWN = 10;

const STATE: Record<string, string> = {
  queued: 'Waiting to start',
  running: 'Running',
  completed: 'Done',
  failed: 'Failed',
};

function csvLink(job: BulkJob): HTMLElement {
  if (job.status !== 'completed' || !job.csvUrl) return h('span', { className: 'muted' }, '—');
  const a = h(
    'a',
    { href: job.csvUrl, download: `payment-links-${job.jobId}.csv`, 'data-testid': 'recent-job-csv' },
    'Download CSV',
  );
  a.addEventListener('click', (ev) => {
    if (!job.csvExpiresAt || Date.parse(job.csvExpiresAt) - Date.now() > 30_000) return;
    ev.preventDefault();
    void api.bulkJob(job.jobId).then(
      (res) => {
        if (res.data.csvUrl) window.location.assign(res.data.csvUrl);
      },
      (err: unknown) => notify(`Could not get a fresh download link: ${errorText(err)}`, 'error'),
    );
  });
  return a;
}

function renderJob(job: BulkJob): HTMLLIElement {
  const counts = `${job.processed} of ${plural(job.total, 'EMI')} · ${job.created} new · ${job.reused} reused · ${job.failed} failed`;
  return h(
    'li',
    { className: 'recent-job', 'data-testid': 'recent-job', 'data-job-id': job.jobId },
    h('strong', {}, STATE[job.status] ?? job.status),
    ' ',
    h('span', { className: 'muted small' }, formatDateTime(job.createdAt ?? null)),
    job.createdBy ? h('span', { className: 'muted small' }, ` · by ${job.createdBy.name}`) : null,
    h('div', { className: 'small' }, counts),
    csvLink(job),
  );
}

let loading: Promise<void> | undefined;

export function reloadRecentJobs(): Promise<void> {
  const box = byId('bulk-recent');
  if (!(box as HTMLDetailsElement).open) return Promise.resolve();
  loading ??= api
    .bulkJobs(SHOWN)
    .then(
      ({ data }) => {
        byId('bulk-recent-list').replaceChildren(
          ...(data.items.length === 0
            ? [h('li', { className: 'muted', 'data-testid': 'recent-none' }, 'No exports yet.')]
            : data.items.map(renderJob)),
        );
      },
      (err: unknown) => {
        byId('bulk-recent-list').replaceChildren(
          h('li', { className: 'warn' }, `Could not load the recent exports: ${errorText(err)}`),
        );
      },
    )
    .finally(() => {
      loading = undefined;
    });
  return loading;
}

export function initRecentJobs(): void {
  const box = byId<HTMLDetailsElement>('bulk-recent');
  box.hidden = false;
  box.addEventListener('toggle', () => {
    if (box.open) void reloadRecentJobs();
  });
}
