/**
 * Reading a loans file (architecture §4e): CSV with a header or JSON Lines, UTF-8 with an optional
 * BOM, one row per EMI. Yields each row with its line number (the header is line 1), already
 * checked against the same schema as `POST /api/loans` (shared/usecases/upsert-loans.ts); a row
 * that fails yields its problems instead. Problems that make the rest of the file unreadable (no
 * header, unknown or missing columns, a line over the size limit, broken quoting) end the file
 * with a `fatal` item.
 */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import * as z from 'zod/mini';
import type { ImportError } from '../domain/ports';
import { loanInputSchema } from './upsert-loans';

export const IMPORT_COLUMNS = [
  'loan_id',
  'lender',
  'client_name',
  'phone',
  'email',
  'emi_number',
  'due_date',
  'amount_due_inr',
  'amount_paid_inr',
] as const;
type Column = (typeof IMPORT_COLUMNS)[number];
/** columns a file may leave out (their cells count as empty) */
const OPTIONAL_COLUMNS: ReadonlySet<string> = new Set(['email', 'amount_paid_inr']);

/** One line longer than this is refused: a 50 MB line is never buffered whole. */
export const MAX_LINE_BYTES = 64 * 1024;

export type FileFormat = 'csv' | 'jsonl';

export interface ImportRow {
  line: number;
  loanId: string;
  lender: string;
  clientName: string;
  phone: string;
  email?: string;
  emiNumber: number;
  dueDate: string;
  amount: number;
  amountPaid: number;
}

export type RowItem =
  | { kind: 'row'; row: ImportRow }
  | { kind: 'invalid'; line: number; errors: ImportError[] }
  | { kind: 'fatal'; error: ImportError };

export function formatOf(key: string): FileFormat | null {
  if (/\.csv$/i.test(key)) return 'csv';
  if (/\.jsonl$/i.test(key)) return 'jsonl';
  return null;
}

/** Rupees with at most two decimals (`1234.50`), as in the bulk CSV, to exact integer paise. */
export function rupeesToPaise(text: string): number | string {
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) {
    if (/,/.test(text)) return 'must be rupees without thousands separators, e.g. 1234.50';
    if (/^\d+\.\d{3,}$/.test(text)) return 'must have at most two decimals (paise)';
    return 'must be rupees with at most two decimals, e.g. 1234.50';
  }
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

const FIELD_OF: Record<string, Column> = {
  loanId: 'loan_id',
  lender: 'lender',
  clientName: 'client_name',
  phone: 'phone',
  email: 'email',
  emiNumber: 'emi_number',
  dueDate: 'due_date',
  amount: 'amount_due_inr',
  amountPaid: 'amount_paid_inr',
};

/** Checks one row's cells (strings) against the loans schema; the field named is the column. */
export function checkRow(line: number, cells: Record<string, string>): RowItem {
  const errors: ImportError[] = [];
  const err = (field: string, message: string) => errors.push({ row: line, field, message });
  for (const [col, value] of Object.entries(cells)) {
    if (value.includes('\uFFFD')) err(col, 'is not valid UTF-8');
  }
  const text = (col: Column) => (cells[col] ?? '').trim();
  let amount: number | undefined;
  const due = rupeesToPaise(text('amount_due_inr'));
  if (typeof due === 'string') err('amount_due_inr', text('amount_due_inr') === '' ? 'is required' : due);
  else amount = due;
  let amountPaid = 0;
  if (text('amount_paid_inr') !== '') {
    const paid = rupeesToPaise(text('amount_paid_inr'));
    if (typeof paid === 'string') err('amount_paid_inr', paid);
    else amountPaid = paid;
  }
  const emiText = text('emi_number');
  const emiNumber = /^\d{1,6}$/.test(emiText) ? Number(emiText) : Number.NaN;
  if (Number.isNaN(emiNumber)) err('emi_number', emiText === '' ? 'is required' : 'must be a whole number');
  if (errors.length > 0) return { kind: 'invalid', line, errors };

  const candidate = {
    loanId: text('loan_id'),
    lender: text('lender'),
    clientName: text('client_name'),
    phone: text('phone'),
    email: text('email') === '' ? undefined : text('email'),
    emis: [{ emiNumber, dueDate: text('due_date'), amount, amountPaid }],
  };
  const parsed = z.safeParse(loanInputSchema, candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p) => typeof p === 'string') as string[];
      const key = path[path.length - 1] ?? 'row';
      err(FIELD_OF[key] ?? key, issue.message);
    }
    return { kind: 'invalid', line, errors };
  }
  const emi = parsed.data.emis[0]!;
  if ((emi.amountPaid ?? 0) > emi.amount) err('amount_paid_inr', 'must not exceed amount_due_inr');
  if (errors.length > 0) return { kind: 'invalid', line, errors };
  return {
    kind: 'row',
    row: {
      line,
      loanId: parsed.data.loanId,
      lender: parsed.data.lender,
      clientName: parsed.data.clientName,
      phone: parsed.data.phone,
      email: parsed.data.email,
      emiNumber: emi.emiNumber,
      dueDate: emi.dueDate,
      amount: emi.amount,
      amountPaid: emi.amountPaid ?? 0,
    },
  };
}

function checkHeader(names: string[]): ImportError | null {
  const known = new Set<string>(IMPORT_COLUMNS);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    return {
      row: 1,
      field: unknown[0]!,
      message: `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u.slice(0, 40)}"`).join(', ')}; expected ${IMPORT_COLUMNS.join(', ')}`,
    };
  }
  const missing = IMPORT_COLUMNS.filter((c) => !names.includes(c) && !OPTIONAL_COLUMNS.has(c));
  if (missing.length > 0) {
    return {
      row: 1,
      field: missing[0]!,
      message: `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    };
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) return { row: 1, field: dup, message: 'column appears twice' };
  return null;
}

/** CSV (RFC 4180: quotes, commas and line breaks inside quotes, CRLF) through csv-parse. */
async function* csvRows(body: Readable): AsyncGenerator<RowItem> {
  const parser = body.pipe(
    parse({
      bom: true,
      encoding: 'utf8',
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_LINE_BYTES,
      info: true,
    }),
  );
  body.on('error', (e) => parser.destroy(e));
  let header: string[] | null = null;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = rec.info.lines;
      if (!header) {
        header = rec.record.map((h) => h.trim().toLowerCase());
        const bad = checkHeader(header);
        if (bad) {
          yield { kind: 'fatal', error: { ...bad, row: line } };
          return;
        }
        continue;
      }
      if (rec.record.length !== header.length) {
        yield {
          kind: 'invalid',
          line,
          errors: [
            {
              row: line,
              field: 'row',
              message: `has ${rec.record.length} cells, the header has ${header.length}`,
            },
          ],
        };
        continue;
      }
      const cells: Record<string, string> = {};
      header.forEach((h, i) => {
        cells[h] = rec.record[i]!;
      });
      yield checkRow(line, cells);
    }
  } catch (err) {
    const e = err as { code?: string; lines?: number; message?: string };
    const line = (e.lines ?? 0) + 1;
    const message =
      e.code === 'CSV_MAX_RECORD_SIZE'
        ? `a row is longer than ${MAX_LINE_BYTES} bytes; the file is read no further`
        : `is not readable CSV here (${(e.code ?? 'parse error').toLowerCase()}); the file is read no further`;
    yield { kind: 'fatal', error: { row: line, field: 'file', message } };
    return;
  }
  if (!header) yield { kind: 'fatal', error: { row: 1, field: 'file', message: 'is empty: no header row' } };
}

/** Lines of at most MAX_LINE_BYTES, split on \n (a trailing \r dropped), as they stream in. */
async function* lines(
  body: Readable,
): AsyncGenerator<{ line: number; text: string } | { line: number; tooLong: true }> {
  let buf: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  let line = 0;
  let skipping = false;
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  for await (const chunk of body as AsyncIterable<Buffer>) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) break;
      line++;
      const raw = buf.subarray(0, nl);
      buf = buf.subarray(nl + 1);
      if (skipping) {
        skipping = false;
        yield { line, tooLong: true };
        continue;
      }
      yield { line, text: decoder.decode(raw).replace(/\r$/, '') };
    }
    if (buf.length > MAX_LINE_BYTES) {
      skipping = true;
      buf = Buffer.alloc(0);
    }
  }
  if (skipping) yield { line: line + 1, tooLong: true };
  else if (buf.length > 0) yield { line: line + 1, text: decoder.decode(buf).replace(/\r$/, '') };
}

async function* jsonlRows(body: Readable): AsyncGenerator<RowItem> {
  let any = false;
  for await (const l of lines(body)) {
    if ('tooLong' in l) {
      yield {
        kind: 'invalid',
        line: l.line,
        errors: [{ row: l.line, field: 'row', message: `is longer than ${MAX_LINE_BYTES} bytes` }],
      };
      any = true;
      continue;
    }
    const text = l.line === 1 ? l.text.replace(/^\uFEFF/, '') : l.text;
    if (text.trim() === '') continue;
    any = true;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield {
        kind: 'invalid',
        line: l.line,
        errors: [{ row: l.line, field: 'row', message: 'is not a JSON object' }],
      };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield {
        kind: 'invalid',
        line: l.line,
        errors: [{ row: l.line, field: 'row', message: 'is not a JSON object' }],
      };
      continue;
    }
    const known = new Set<string>(IMPORT_COLUMNS);
    const unknown = Object.keys(value).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      yield {
        kind: 'invalid',
        line: l.line,
        errors: unknown.map((u) => ({
          row: l.line,
          field: u.slice(0, 40),
          message: 'is not a known column',
        })),
      };
      continue;
    }
    const cells: Record<string, string> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === null || v === undefined) cells[k] = '';
      else if (typeof v === 'string' || typeof v === 'number') cells[k] = String(v);
      else cells[k] = '\u0000object';
    }
    const missing = IMPORT_COLUMNS.filter((c) => !(c in cells) && !OPTIONAL_COLUMNS.has(c));
    if (missing.length > 0) {
      yield {
        kind: 'invalid',
        line: l.line,
        errors: missing.map((m) => ({ row: l.line, field: m, message: 'is required' })),
      };
      continue;
    }
    yield checkRow(l.line, cells);
  }
  if (!any) yield { kind: 'fatal', error: { row: 1, field: 'file', message: 'is empty: no rows' } };
}

export function readRows(body: Readable, format: FileFormat): AsyncGenerator<RowItem> {
  return format === 'csv' ? csvRows(body) : jsonlRows(body);
}
