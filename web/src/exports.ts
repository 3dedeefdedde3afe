/**
 * "Export CSV" of what the lists show, bundled on its own as exports.js and fetched the first
 * time someone exports (like charts.js and refund.js): the page's script stays within its budget.
 * Pure over the rows it is given (no page state), so a second copy of nothing stateful is made.
 */
import { CSV_COLUMNS } from '../../shared/domain/csv-cells';
import type { ListedLink, PendingEmi } from './api';
import { csvFileName, downloadCsv, phoneCell, rupeesCell, safeCell, toCsv } from './csv';

/** The pending list's columns (architecture §4's style). */
const PENDING_COLUMNS = [
  'loan_id',
  'client_name',
  'phone',
  'email',
  'lender',
  'emi_number',
  'due_date',
  'days_past_due',
  'amount_due_inr',
  'amount_paid_inr',
  'amount_outstanding_inr',
  'payment_link',
  'link_id',
  'link_status',
];

/** The links list's columns: the bulk CSV's, then what a list of links adds. */
export const LINKS_CSV_COLUMNS = [
  ...CSV_COLUMNS,
  'created_at',
  'amount_paid_inr',
  'paid_at',
  'payment_method',
  'payment_id',
];

/** Downloads the pending EMIs shown; answers how many rows. */
export function exportPending(emis: readonly PendingEmi[], today: string): number {
  const rows = emis.map((emi) => [
    safeCell(emi.loanId),
    safeCell(emi.clientName),
    phoneCell(emi.phone),
    safeCell(emi.email),
    safeCell(emi.lender),
    String(emi.emiNumber),
    emi.dueDate,
    String(emi.daysPastDue),
    rupeesCell(emi.amountDue),
    rupeesCell(emi.amountPaid),
    rupeesCell(emi.amountOutstanding),
    safeCell(emi.activeLink?.shortUrl),
    safeCell(emi.activeLink?.id),
    safeCell(emi.activeLink?.status),
  ]);
  downloadCsv(csvFileName('pending-emis', today || 'today'), toCsv(PENDING_COLUMNS, rows));
  return rows.length;
}

/** Downloads the links shown (the last captured payment's details on paid ones); answers how many. */
export function exportLinks(links: readonly ListedLink[]): number {
  const rows = links.map((link) => {
    const last = link.payments
      .filter((p) => p.status === 'captured')
      .sort((a, b) => (a.capturedAt < b.capturedAt ? 1 : -1))[0];
    return [
      safeCell(link.loanId),
      safeCell(link.clientName),
      phoneCell(link.phone),
      safeCell(link.email),
      safeCell(link.lender),
      link.emiNumber === null || link.emiNumber === undefined ? '' : String(link.emiNumber),
      safeCell(link.dueDate),
      rupeesCell(link.amount),
      safeCell(link.shortUrl),
      safeCell(link.id),
      safeCell(link.status),
      safeCell(link.expireBy),
      safeCell(link.error?.message),
      safeCell(link.createdAt),
      rupeesCell(link.amountPaid),
      safeCell(link.status === 'paid' ? last?.capturedAt : ''),
      safeCell(last?.method),
      safeCell(last?.paymentId),
    ];
  });
  const day = new Date(Date.now() + 5.5 * 3_600_000).toISOString().slice(0, 10);
  downloadCsv(csvFileName('payment-links', day), toCsv(LINKS_CSV_COLUMNS, rows));
  return rows.length;
}

export interface ExportsModule {
  exportPending: typeof exportPending;
  exportLinks: typeof exportLinks;
}
