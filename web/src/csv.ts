/**
 * "Export CSV" of what a list shows on screen, built in the page (no request): UTF-8, RFC 4180
 * (CRLF records, quotes doubled, fields with commas, quotes or line breaks quoted), header row
 * first, in the contract's column style (architecture §4: snake_case names, `*_inr` rupees with
 * two decimals, ISO-8601 instants). Spreadsheet safety as in the bulk CSV: a cell starting with
 * `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, and phone numbers are always written as text
 * (`'+919876543210`) so the `+` and every digit survive a round trip through a spreadsheet.
 * No DOM here except `downloadCsv`, so the rules run in Node tests too.
 */
import { phoneCell, safeCell } from '../../shared/domain/csv-cells';
import { paiseToDecimal } from './format';

export { phoneCell, safeCell };

/** Integer paise → rupees with two decimals ("1234.50"), as `amount_inr` in the bulk CSV. */
export function rupeesCell(paise: number | null | undefined): string {
  return paise === null || paise === undefined ? '' : paiseToDecimal(paise);
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** Header and rows (cells already made safe) as one RFC 4180 document. */
export function toCsv(header: readonly string[], rows: readonly string[][]): string {
  return `${[header, ...rows].map((r) => r.map(quote).join(',')).join('\r\n')}\r\n`;
}

/** Offers `text` as a file download named `fileName`. */
export function downloadCsv(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** "pending-emis-2026-12-03.csv" */
export function csvFileName(what: string, today: string): string {
  return `${what}-${today}.csv`;
}
