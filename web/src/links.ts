/**
 * Tab 2, Generated Links: filter by status, lender, loan and "needs attention"; each row shows
 * the link, a status badge, attention in words and local times; Refresh asks Razorpay for the
 * latest (and updates the EMI's other links shown, which a payment may have cancelled);
 * Cancel closes an open link after a confirmation.
 */
import { can } from './access';
import { api, errorText, type Link } from './api';
import { byId, confirmDialog, h, notify, whileBusy } from './dom';
import {
  attentionText,
  cancelReasonText,
  dateTimeParts,
  formatDateTime,
  formatPaise,
  plural,
  statusLabel,
} from './format';
import { openLinkDrawer } from './link-drawer';
import { amountCell, cell, linkWithCopy, messageRow, statusBadge } from './shared-ui';

const COLUMNS = 8;
const PAGE_SIZE = 50;

interface Filters {
  status: string;
  lender: string;
  loanId: string;
  attention: boolean;
}

let filters: Filters = { status: '', lender: '', loanId: '', attention: false };
let cursor: string | null = null;
let generation = 0;
let shown = 0;
const rows = new Map<string, HTMLTableRowElement>();

function readFilters(): Filters {
  return {
    status: byId<HTMLSelectElement>('links-status').value,
    lender: byId<HTMLSelectElement>('links-lender').value,
    loanId: byId<HTMLInputElement>('links-loan').value.trim(),
    attention: byId<HTMLInputElement>('links-attention').checked,
  };
}

function statusCell(link: Link): HTMLTableCellElement {
  const why = link.status === 'cancelled' ? cancelReasonText(link.cancelReason) : null;
  const failed = link.status === 'failed' && link.error ? link.error.message : null;
  return cell(
    'Status',
    statusBadge(link.status),
    why ? h('div', { className: 'muted small', 'data-testid': 'cancel-reason' }, why) : null,
    failed ? h('div', { className: 'warn small' }, failed) : null,
  );
}

function amountOf(link: Link): HTMLTableCellElement {
  return amountCell(
    'Amount',
    h('span', { className: 'num strong' }, formatPaise(link.amount)),
    link.amountPaid > 0
      ? h('div', { className: 'muted small' }, `${formatPaise(link.amountPaid)} paid`)
      : null,
  );
}

/** Date and time, allowed to break between the two (never inside either). */
function timeCell(label: string, iso: string | null): HTMLTableCellElement {
  const parts = dateTimeParts(iso);
  if (!parts) return cell(label, h('span', { className: 'muted' }, '—'));
  return cell(
    label,
    h(
      'time',
      { datetime: iso ?? '', title: formatDateTime(iso) },
      h('span', { className: 'nowrap' }, parts[0]),
      ' ',
      h('span', { className: 'nowrap' }, parts[1]),
    ),
  );
}

function renderRow(link: Link): HTMLTableRowElement {
  const attention = attentionText(link.attention);
  const tr = h('tr', {
    'data-testid': 'link-row',
    'data-link-id': link.id,
    'data-loan-id': link.loanId,
    'data-emi-number': link.emiNumber,
    'data-status': link.status,
    className: attention ? 'row-attention' : '',
  });
  // Details (the drawer: timeline, QR, resend…) for everyone who may read
  const details = h(
    'button',
    {
      type: 'button',
      className: 'btn',
      'data-testid': 'details',
      'aria-label': `Details of link ${link.id}`,
    },
    'Details',
  );
  details.addEventListener('click', () => {
    void openLinkDrawer(link.id, replaceRow);
  });
  // Refresh and Cancel change things (write): a role without it sees neither
  const actions = h('div', { className: 'actions' }, details);
  if (can('write')) {
    const refresh = h(
      'button',
      {
        type: 'button',
        className: 'btn',
        'data-testid': 'refresh',
        'aria-label': `Refresh the status of link ${link.id}`,
      },
      'Refresh',
    );
    refresh.addEventListener('click', () => {
      void refreshLink(link, refresh);
    });
    actions.append(refresh);
  }
  if (can('write') && link.status === 'created') {
    const cancel = h(
      'button',
      {
        type: 'button',
        className: 'btn btn-danger',
        'data-testid': 'cancel',
        'aria-label': `Cancel link ${link.id}`,
      },
      'Cancel',
    );
    cancel.addEventListener('click', () => {
      void cancelLink(link, cancel);
    });
    actions.append(cancel);
  }
  tr.append(
    cell(
      'Loan / EMI',
      h('strong', { className: 'nowrap' }, link.loanId),
      h('span', { className: 'muted nowrap' }, ` · EMI ${link.emiNumber}`),
      h('div', { className: 'muted small' }, `${link.clientName} · ${link.lender}`),
    ),
    amountOf(link),
    cell(
      'Link',
      link.shortUrl ? linkWithCopy(link.shortUrl) : h('span', { className: 'muted' }, 'No URL'),
      h('div', { className: 'muted small mono' }, link.id),
    ),
    statusCell(link),
    cell(
      'Attention',
      attention
        ? h(
            'span',
            { className: 'attention', 'data-testid': 'attention' },
            h('span', { 'aria-hidden': 'true' }, '⚠ '),
            attention,
          )
        : h('span', { className: 'muted' }, '—'),
    ),
    timeCell('Created', link.createdAt),
    timeCell('Expires', link.expireBy),
    cell('Actions', actions),
  );
  return tr;
}

function replaceRow(link: Link): void {
  const old = rows.get(link.id);
  if (!old) return;
  const fresh = renderRow(link);
  old.replaceWith(fresh);
  rows.set(link.id, fresh);
}

/** After money moved on one link, the EMI's other links may have been cancelled: show that too. */
async function refreshSiblings(link: Link): Promise<number> {
  const res = await api.links({ loanId: link.loanId, emiNumber: link.emiNumber, limit: 50 });
  let changed = 0;
  for (const other of res.data.items) {
    if (other.id === link.id) continue;
    const tr = rows.get(other.id);
    if (tr && tr.dataset.status !== other.status) {
      replaceRow(other);
      changed++;
    }
  }
  return changed;
}

async function refreshLink(link: Link, button: HTMLButtonElement): Promise<void> {
  await whileBusy(button, 'Refreshing…', async () => {
    try {
      const updated = (await api.refresh(link.id)).data;
      replaceRow(updated);
      let siblings = 0;
      if (updated.amountPaid > 0) siblings = await refreshSiblings(updated).catch(() => 0);
      const moved = updated.status !== link.status;
      notify(
        `Link ${link.id} is ${statusLabel(updated.status).toLowerCase()}${moved ? ` (was ${statusLabel(link.status).toLowerCase()})` : ''}.` +
          (siblings > 0 ? ` ${plural(siblings, 'other link')} for this EMI updated too.` : ''),
        'success',
      );
      rows.get(updated.id)?.querySelector<HTMLButtonElement>('[data-testid="refresh"]')?.focus();
    } catch (err) {
      notify(`Could not refresh link ${link.id}: ${errorText(err)}`, 'error');
    }
  });
}

async function cancelLink(link: Link, button: HTMLButtonElement): Promise<void> {
  const ok = await confirmDialog(
    'Cancel this payment link?',
    `The borrower (${link.clientName}) will no longer be able to pay ${formatPaise(link.amount)} for EMI ${link.emiNumber} of loan ${link.loanId} with ${link.shortUrl ?? link.id}. This cannot be undone.`,
    'Cancel link',
    true,
  );
  if (!ok) return;
  await whileBusy(button, 'Cancelling…', async () => {
    try {
      const updated = (await api.cancel(link.id)).data;
      replaceRow(updated);
      notify(`Link ${link.id} is cancelled.`, 'success');
    } catch (err) {
      notify(`Could not cancel link ${link.id}: ${errorText(err)}`, 'error');
    }
  });
}

function describeFilters(f: Filters): string {
  const parts = [
    f.attention ? 'needing attention' : '',
    f.status ? `status ${statusLabel(f.status).toLowerCase()}` : '',
    f.lender ? `lender ${f.lender}` : '',
    f.loanId ? `loan ${f.loanId}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'all links';
}

async function loadPage(reset: boolean): Promise<void> {
  const tbody = byId<HTMLTableSectionElement>('links-body');
  const more = byId<HTMLButtonElement>('links-more');
  const summary = byId('links-summary');
  const mine = reset ? ++generation : generation;
  if (reset) {
    filters = readFilters();
    cursor = null;
    shown = 0;
    rows.clear();
    tbody.replaceChildren(messageRow(COLUMNS, 'Loading payment links…', 'loading'));
    more.hidden = true;
    summary.textContent = '';
  }
  byId('links-table').setAttribute('aria-busy', 'true');
  try {
    // filtered queries may return short or empty pages before the last one: read on a little
    let added = 0;
    for (let pages = 0; pages < 5; pages++) {
      const res = await api.links({
        status: filters.status || undefined,
        lender: filters.lender || undefined,
        loanId: filters.loanId || undefined,
        attention: filters.attention,
        cursor,
        limit: PAGE_SIZE,
      });
      if (mine !== generation) return;
      if (reset && pages === 0) tbody.replaceChildren();
      cursor = res.data.nextCursor;
      for (const link of res.data.items) {
        if (rows.has(link.id)) continue;
        const tr = renderRow(link);
        rows.set(link.id, tr);
        tbody.append(tr);
        added++;
      }
      if (added > 0 || cursor === null) break;
    }
    shown += added;
    if (shown === 0) {
      tbody.replaceChildren(messageRow(COLUMNS, `No payment links (${describeFilters(filters)}).`, 'empty'));
    }
    more.hidden = cursor === null;
    summary.textContent =
      shown === 0
        ? ''
        : `${plural(shown, 'link')} shown, newest first${cursor ? ' — more below' : ''} · ${describeFilters(filters)}`;
  } catch (err) {
    if (mine !== generation) return;
    const text = `Could not load payment links: ${errorText(err)}`;
    if (reset) tbody.replaceChildren(messageRow(COLUMNS, text, 'error'));
    notify(text, 'error');
  } finally {
    if (mine === generation) byId('links-table').removeAttribute('aria-busy');
  }
}

export function initLinks(): void {
  const form = byId<HTMLFormElement>('links-filters');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadPage(true);
  });
  form.addEventListener('change', (ev) => {
    if (ev.target === byId('links-loan')) return; // typed: applied on Enter or the Show button
    void loadPage(true);
  });
  byId<HTMLButtonElement>('links-more').addEventListener('click', (ev) => {
    void whileBusy(ev.currentTarget as HTMLButtonElement, 'Loading…', () => loadPage(false));
  });
}

export function reloadLinks(): void {
  void loadPage(true);
}
