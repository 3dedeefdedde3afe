/**
 * The bulk export's CSV: UTF-8, RFC 4180 (CRLF records, quotes doubled, fields with commas,
 * quotes or line breaks quoted), header row first, one row per work item in selection order.
 *
 * Spreadsheet safety:
 * - a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so Excel, Calc and
 *   Sheets show it as text instead of running it as a formula (`=HYPERLINK(…)`, `@SUM(…)`);
 * - phone numbers are always written as text the same way (`'+919876543210`): a bare
 *   `+919876543210` would be read as a formula (= 919876543210, shown as 9.19877E+11, the `+`
 *   lost on save), and a bare `9876543210` as a number (leading zeros lost). With the leading
 *   apostrophe every spreadsheet keeps the exact digits as text and hides the apostrophe; a tool
 *   reading the raw file strips one leading `'` from the phone column (documented for the
 *   SMS/WhatsApp import).
 * - no byte-order mark: the first bytes are the header row, as the contract says.
 */
import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { CSV_COLUMNS, phoneCell, safeCell } from '../domain/csv-cells';
import { LOAN_SCOPE_EMI_NUMBER } from '../domain/model';
import { paiseToRupeesString } from '../domain/money';
import type { JobItem } from '../domain/ports';

export { CSV_COLUMNS, phoneCell, safeCell };

export function csvRow(item: JobItem): string[] {
  const failed = item.outcome === 'failed' || item.outcome === 'skipped';
  const expires = item.expireBy && item.expireBy > 0 ? new Date(item.expireBy * 1000).toISOString() : '';
  return [
    safeCell(item.loanId),
    safeCell(item.clientName),
    phoneCell(item.phone),
    safeCell(item.email),
    safeCell(item.lender),
    // a loan link's row (scope loan) names no EMI
    item.emiNumber === LOAN_SCOPE_EMI_NUMBER ? '' : String(item.emiNumber),
    safeCell(item.dueDate),
    item.amount === undefined ? '' : paiseToRupeesString(item.amount),
    failed ? '' : safeCell(item.shortUrl),
    safeCell(item.linkId),
    safeCell(item.linkStatus),
    failed ? '' : expires,
    safeCell(item.error),
  ];
}

async function* rows(pages: AsyncIterable<JobItem[]>): AsyncGenerator<string[]> {
  for await (const page of pages) for (const item of page) yield csvRow(item);
}

/**
 * The CSV as a byte stream, pulled page by page from `pages`: backpressure from the consumer
 * (the S3 upload) reaches the Query, so memory holds one page and one upload part at most.
 */
export function csvStream(pages: AsyncIterable<JobItem[]>): Readable {
  const stringifier = stringify({
    header: true,
    columns: [...CSV_COLUMNS],
    record_delimiter: 'windows',
    // csv-stringify quotes a field holding the record delimiter (CRLF) but not a lone LF or CR;
    // RFC 4180 readers need those quoted too
    quoted_match: /[\r\n]/,
  });
  // pipeline destroys every stream on an error, so the upload fails instead of hanging
  return pipeline(Readable.from(rows(pages)), stringifier, () => {});
}
