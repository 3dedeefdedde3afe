/**
 * Tab 2, Generated Links: filter by status, lender, loan (any case; a phone number finds the
 * loan through GET /api/search), creation dates and "needs attention"; each row shows the link,
 * a status badge, attention in words and times in IST — a paid link its payment (time, method,
 * payment id) instead of an expiry; Refresh asks Razorpay for the latest (and updates the EMI's
 * other links shown, which a payment may have cancelled); Cancel closes an open link after a
 * confirmation; "Export CSV" writes the rows shown in the bulk CSV's columns.
 */
import { can } from './access';
import { api, errorText, type Link, type ListedLink } from './api';
import { byId, confirmDialog, h, notify, whileBusy } from './dom';
import { exportsModule } from './exports-loader';
import {
  attentionText,
  cancelReasonText,
  dateTimeParts,
  emiLabel,
  formatDateTime,
  formatDueDate,
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
  from: string;
  to: string;
}

let filters: Filters = { status: '', lender: '', loanId: '', attention: false, from: '', to: '' };
/** the links on screen, by id, in order (the CSV export) */
const shownLinks = new Map<string, ListedLink>();
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
    from: byId<HTMLInputElement>('links-from').value,
    to: byId<HTMLInputElement>('links-to').value,
  };
}

/** What a loan box holds that is a phone number rather than a loan id: digits, spaces, + and -. */
export function looksLikePhone(text: string): boolean {
  return /^\+?[\d][\d -]*$/.test(text) && text.replace(/\D/g, '').length >= 6;
}

/** The captured payments of a link, latest first. */
function captured(link: Link) {
  return link.payments
    .filter((p) => p.status === 'captured')
    .sort((a, b) => (a.capturedAt < b.capturedAt ? 1 : -1));
}

const METHODS: Record<string, string> = {
  upi: 'UPI',
  card: 'Card',
  netbanking: 'Net banking',
  wallet: 'Wallet',
  emi: 'EMI',
  bank_transfer: 'Bank transfer',
};

/** A paid link: when, how and which payment — never "Expires"; otherwise the expiry. */
function expiresOrPaid(link: Link): HTMLTableCellElement {
  const payments = captured(link);
  const last = payments[0];
  if (!last || (link.status !== 'paid' && link.status !== 'partially_paid')) {
    return timeCell('Expires', link.expireBy);
  }
  const label = link.status === 'paid' ? 'Paid' : 'Last paid';
  const parts = dateTimeParts(last.capturedAt);
  return cell(
    label,
    h(
      'div',
      { className: 'paid-info', 'data-testid': 'paid-info' },
      h('span', { className: 'muted small' }, `${label} `),
      h(
        'time',
        { datetime: last.capturedAt },
        h('span', { className: 'nowrap' }, parts?.[0] ?? ''),
        ' ',
        h('span', { className: 'nowrap' }, parts?.[1] ?? ''),
      ),
      h(
        'div',
        { className: 'small' },
        `${METHODS[last.method ?? ''] ?? last.method ?? 'Payment'} · `,
        h('span', { className: 'mono', 'data-testid': 'payment-id' }, last.paymentId),
      ),
      payments.length > 1
        ? h('div', { className: 'muted small' }, `${plural(payments.length, 'payment')}`)
        : null,
      link.status === 'partially_paid' && link.expireBy
        ? h('div', { className: 'muted small' }, `Expires ${formatDateTime(link.expireBy)}`)
        : null,
    ),
  );
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
      h('span', { className: 'muted nowrap' }, ` · ${emiLabel(link)}`),
      h('div', { className: 'muted small' }, `${link.clientName} · ${link.lender}`),
      (link as ListedLink).phone
        ? h(
            'div',
            { className: 'muted small nowrap', 'data-testid': 'link-phone' },
            (link as ListedLink).phone,
          )
        : null,
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
    expiresOrPaid(link),
    cell('Actions', actions),
  );
  return tr;
}

function replaceRow(link: Link): void {
  const old = rows.get(link.id);
  if (!old) return;
  const before = shownLinks.get(link.id);
  // refresh and cancel answer a plain link: the contact shown stays
  const merged = { ...link, phone: before?.phone, email: before?.email, dueDate: before?.dueDate };
  shownLinks.set(link.id, merged);
  const fresh = renderRow(merged);
  old.replaceWith(fresh);
  rows.set(link.id, fresh);
}

/** After money moved on one link, the EMI's other links may have been cancelled: show that too. */
async function refreshSiblings(link: Link): Promise<number> {
  // a loan link's siblings are any of the loan's links
  const res = await api.links({ loanId: link.loanId, emiNumber: link.emiNumber ?? undefined, limit: 50 });
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
    `The borrower (${link.clientName}) will no longer be able to pay ${formatPaise(link.amount)} for ${emiLabel(link)} of loan ${link.loanId} with ${link.shortUrl ?? link.id}. This cannot be undone.`,
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
    f.from && f.to
      ? `created ${formatDueDate(f.from)} – ${formatDueDate(f.to)}`
      : f.from
        ? `created from ${formatDueDate(f.from)}`
        : f.to
          ? `created up to ${formatDueDate(f.to)}`
          : '',
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
    shownLinks.clear();
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
        from: filters.from || undefined,
        to: filters.to || undefined,
        cursor,
        limit: PAGE_SIZE,
      });
      if (mine !== generation) return;
      if (reset && pages === 0) tbody.replaceChildren();
      cursor = res.data.nextCursor;
      for (const link of res.data.items) {
        if (rows.has(link.id)) continue;
        shownLinks.set(link.id, link);
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
    byId('links-csv').hidden = shown === 0;
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

async function exportShown(): Promise<void> {
  try {
    const { exportLinks } = await exportsModule();
    const count = exportLinks([...shownLinks.values()]);
    notify(`Exported ${plural(count, 'link')} as shown (${describeFilters(filters)}).`, 'success');
  } catch (err) {
    notify(`Could not export: ${errorText(err)}`, 'error');
  }
}

/**
 * A phone number in the loan box: the loan(s) it belongs to, through GET /api/search. One loan
 * becomes the filter; several are offered to choose from; none is said.
 */
async function applyLoanBox(): Promise<void> {
  const input = byId<HTMLInputElement>('links-loan');
  const hits = byId('links-loan-hits');
  hits.hidden = true;
  hits.replaceChildren();
  const typed = input.value.trim();
  if (!looksLikePhone(typed)) {
    void loadPage(true);
    return;
  }
  try {
    const { data } = await api.search(typed);
    const loans = new Map<string, (typeof data.items)[number]>();
    for (const r of data.items) if (!loans.has(r.loanId)) loans.set(r.loanId, r);
    const exact = [...loans.values()].find((r) => r.loanId.toLowerCase() === typed.toLowerCase());
    const found = exact ? [exact] : [...loans.values()];
    if (found.length === 1) {
      input.value = found[0]!.loanId;
      notify(`${typed} is loan ${found[0]!.loanId} (${found[0]!.clientName}).`, 'info');
      void loadPage(true);
      return;
    }
    hits.hidden = false;
    if (found.length === 0) {
      hits.append(
        h(
          'p',
          { className: 'small', 'data-testid': 'loan-hits-none' },
          `No loan has the phone number ${typed}.`,
        ),
      );
      return;
    }
    hits.append(
      h('p', { className: 'small' }, `${plural(found.length, 'loan')} for ${typed}: choose one`),
      h(
        'ul',
        { 'aria-label': `Loans for ${typed}` },
        ...found.map((r) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                className: 'btn btn-small',
                'data-testid': 'loan-hit',
                onclick: () => {
                  input.value = r.loanId;
                  hits.hidden = true;
                  void loadPage(true);
                },
              },
              `${r.loanId} · ${r.clientName} · ${r.lender}`,
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    notify(`Could not look up ${typed}: ${errorText(err)}`, 'error');
  }
}

export function initLinks(): void {
  const form = byId<HTMLFormElement>('links-filters');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void applyLoanBox();
  });
  form.addEventListener('change', (ev) => {
    if (ev.target === byId('links-loan')) return; // typed: applied on Enter or the Show button
    const t = ev.target as HTMLInputElement;
    if ((t.id === 'links-from' || t.id === 'links-to') && !t.checkValidity()) return;
    void loadPage(true);
  });
  byId<HTMLButtonElement>('links-csv').addEventListener('click', () => void exportShown());
  byId<HTMLButtonElement>('links-more').addEventListener('click', (ev) => {
    void whileBusy(ev.currentTarget as HTMLButtonElement, 'Loading…', () => loadPage(false));
  });
}

export function reloadLinks(): void {
  void loadPage(true);
}
