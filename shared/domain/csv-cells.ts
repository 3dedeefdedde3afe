/**
 * The CSV rules both exports share (architecture §4): the bulk CSV's columns, and cells a
 * spreadsheet shows as text and never evaluates. Used by the server's bulk CSV
 * (shared/usecases/bulk-csv.ts) and by the page's "Export CSV" (web/src/csv.ts); no Node here.
 */
export const CSV_COLUMNS = [
  'loan_id',
  'client_name',
  'phone',
  'email',
  'lender',
  'emi_number',
  'due_date',
  'amount_inr',
  'payment_link',
  'link_id',
  'link_status',
  'expires_at',
  'error',
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell a spreadsheet will show as text, never evaluate (`=`, `+`, `-`, `@`, tab, CR get a `'`). */
export function safeCell(value: string | number | undefined | null): string {
  if (value === undefined || value === null || value === '') return '';
  const s = String(value);
  return FORMULA_START.test(s) ? `'${s}` : s;
}

/** Phone numbers are always text (`'+919876543210`): the `+` and every digit survive a spreadsheet. */
export function phoneCell(phone: string | undefined | null): string {
  return phone ? `'${phone}` : '';
}
