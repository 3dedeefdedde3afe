/**
 * Importing a loans file from the imports bucket (architecture §4e).
 *
 * A run reads one upload of one file from its first line. Rows are checked as they stream
 * (shared/usecases/import-rows.ts), grouped by loan, and written in batches through the same
 * use case as `POST /api/loans` (merge mode: a file adds and changes EMIs, it never removes
 * one). After each batch the run records a checkpoint: the line up to which every row is
 * written, and the counts. When the invocation runs short of time (or of its row budget), it
 * stops at a checkpoint and asks for a continuation; a crashed invocation's message comes back
 * and resumes at the last checkpoint too. A resume reads the file again from the top but writes
 * nothing up to the checkpoint: those rows are only checked again, which rebuilds the per-file
 * state (each loan's lender, the EMI numbers seen) and the validation errors exactly.
 *
 * Per-file rules besides the schema: a loan's rows must agree on its lender (a row naming
 * another lender fails), and one EMI appears once (a repeat fails, naming the first line).
 * A row that fails fails alone; a file that cannot be read on (no header, an unknown or missing
 * column, a line over 64 KB) ends the run as `failed` with the rows before it written.
 * The report `<name>.report.json` lands beside the file at the end.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Actor } from '../auth/actor';
import { mayAccessLender } from '../auth/scope';
import type { Clock } from '../domain/dates';
import { ConflictError, ForbiddenError, ValidationError } from '../domain/errors';
import { IMPORTS_PREFIX } from '../domain/objects';
import {
  type EmiStore,
  type ImportCounts,
  type ImportError,
  type ImportRecord,
  type ImportStore,
  MAX_ERRORS_IN_RECORD,
} from '../domain/ports';
import { type FileFormat, formatOf, type ImportRow, readRows } from './import-rows';
import { type LoanInput, MAX_EMIS_PER_LOAN, upsertLoans } from './upsert-loans';

export const REPORT_SUFFIX = '.report.json';

export interface ImportFiles {
  /** the object's body as a stream, or null when it no longer exists */
  open(key: string): Promise<Readable | null>;
  putReport(key: string, report: ImportReport): Promise<void>;
}

export interface ImportReport extends ImportCounts {
  importId: string;
  file: string;
  status: 'completed' | 'failed';
  loans: number;
  errors: ImportError[];
}

export interface ImportDeps {
  emis: EmiStore;
  imports: ImportStore;
  files: ImportFiles;
  clock: Clock;
  /** asks for another invocation to go on from the checkpoint (a queue message) */
  continueLater(msg: { importId: string; runId: string }): Promise<void>;
  /** ms this invocation may still use; undefined = no limit (local run) */
  remainingMs?: () => number;
  /** rows to write per invocation before handing on (tests and very small Lambdas) */
  maxRowsPerInvocation?: number;
  batchLoans?: number;
  batchRows?: number;
  leaseMs?: number;
  owner: string;
}

/** The id of the import reading `key`: the one `POST /api/imports` put in the key, else from the key. */
export function importIdFor(key: string): string {
  const m = /^loans\/(imp_[0-9a-f]{20})\//.exec(key);
  if (m) return m[1]!;
  // a file dropped straight into the bucket: a stable id from its key (same key, same import)
  return `imp_${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
}

export function reportKeyFor(key: string): string {
  return `${key.replace(/\.[^./]*$/, '')}${REPORT_SUFFIX}`;
}

/** Which S3 keys start an import: anything under loans/ but the reports we write there. */
export function isImportKey(key: string): boolean {
  return key.startsWith(IMPORTS_PREFIX) && !key.endsWith(REPORT_SUFFIX) && !key.endsWith('/');
}

export function fileNameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** S3 sequencers compare as hex after left-padding to one length. */
export function runIdOf(sequencer: string): string {
  return sequencer.toUpperCase().padStart(32, '0');
}

/** An S3 notification for an upload: start (or ignore) the run it asks for, then run it. */
export async function startImport(
  deps: ImportDeps,
  upload: { key: string; etag: string; sequencer: string },
  systemActor: Actor,
): Promise<'started' | 'duplicate' | 'ignored'> {
  if (!isImportKey(upload.key)) return 'ignored';
  const importId = importIdFor(upload.key);
  const runId = runIdOf(upload.sequencer);
  const fresh = await deps.imports.startRun({
    importId,
    bucketKey: upload.key,
    fileName: fileNameOf(upload.key),
    runId,
    etag: upload.etag,
    now: deps.clock.now().toISOString(),
  });
  if (!fresh) {
    // the same notification again, or a run that crashed before its continuation was asked:
    // resume it if it is still this run's and unfinished (the lease keeps one reader)
    const rec = await deps.imports.get(importId);
    if (!rec || rec.runId !== runId || rec.status !== 'running') return 'duplicate';
  }
  await runImport(deps, importId, runId, systemActor);
  return fresh ? 'started' : 'duplicate';
}

interface LoanState {
  lender: string;
  line: number;
}

/**
 * Reads the run's file from the top, writing rows after its checkpoint. Returns when the file is
 * done (report written), when it handed on to a continuation, or when another worker holds it.
 */
export async function runImport(
  deps: ImportDeps,
  importId: string,
  runId: string,
  systemActor: Actor,
): Promise<void> {
  const leaseMs = deps.leaseMs ?? 5 * 60_000;
  const now = () => deps.clock.now().getTime();
  if (!(await deps.imports.claim(importId, runId, deps.owner, now(), leaseMs))) return;
  const rec = (await deps.imports.get(importId)) as ImportRecord;
  const actor = actorFor(rec, systemActor);
  const format = formatOf(rec.bucketKey);
  const state = {
    rows: 0,
    processed: 0,
    created: rec.created,
    updated: rec.updated,
    unchanged: rec.unchanged,
    failed: 0,
    checkpointLine: rec.checkpointLine,
    writeErrors: sortErrors([...rec.writeErrors]),
  };
  // rows whose write failed: those of earlier runs of this upload (counted in full even when their
  // errors were cut short in the record), and this run's
  const writeFailedBefore = rec.writeFailedRows ?? new Set(rec.writeErrors.map((e) => e.row)).size;
  const writeFailedNow = new Set<number>();
  const validationErrors: ImportError[] = [];
  const failedLines = new Set<number>();
  const loans = new Map<string, LoanState>();
  const seenEmis = new Map<string, number>();
  let batch: ImportRow[] = [];
  let batchLoans = new Set<string>();
  let written = 0;
  let fatal: ImportError | null = null;

  const fail = (line: number, errors: ImportError[]) => {
    failedLines.add(line);
    validationErrors.push(...errors);
  };
  // both lists are kept in row order (the file is read in order; each batch's write errors are
  // sorted as they come), so the errors by row are a merge, never a sort of everything so far
  const errorsSoFar = (limit = Number.POSITIVE_INFINITY) =>
    mergeByRow(validationErrors, state.writeErrors, limit);
  const counts = (): ImportCounts => ({
    rows: state.rows,
    processed: state.processed,
    created: state.created,
    updated: state.updated,
    unchanged: state.unchanged,
    failed: failedLines.size + writeFailedBefore + writeFailedNow.size,
  });

  const flush = async (): Promise<boolean> => {
    if (batch.length === 0) return true;
    const lastLine = batch[batch.length - 1]!.line;
    const result = await writeBatch(deps, batch, actor);
    state.created += result.created;
    state.updated += result.updated;
    state.unchanged += result.unchanged;
    for (const e of result.errors) writeFailedNow.add(e.row);
    // all of them for this run's report; the record keeps the first MAX_WRITE_ERRORS
    state.writeErrors.push(...sortErrors(result.errors));
    written += batch.length;
    batch = [];
    batchLoans = new Set();
    state.checkpointLine = lastLine;
    return deps.imports.checkpoint(
      importId,
      runId,
      deps.owner,
      {
        ...counts(),
        checkpointLine: lastLine,
        writeErrors: state.writeErrors,
        writeFailedRows: writeFailedBefore + writeFailedNow.size,
        errors: errorsSoFar(MAX_ERRORS_IN_RECORD),
      },
      now(),
      leaseMs,
    );
  };

  const finish = async (status: 'completed' | 'failed') => {
    const c = counts();
    const errors = errorsSoFar();
    const report: ImportReport = {
      importId,
      file: rec.bucketKey,
      status,
      ...c,
      loans: loans.size,
      errors,
    };
    await deps.files.putReport(reportKeyFor(rec.bucketKey), report);
    await deps.imports.finish(
      importId,
      runId,
      deps.owner,
      status,
      { ...c, errors },
      deps.clock.now().toISOString(),
    );
  };

  if (!format) {
    fail(1, [{ row: 1, field: 'file', message: 'is neither .csv nor .jsonl; nothing was imported' }]);
    await finish('failed');
    return;
  }
  const body = await deps.files.open(rec.bucketKey);
  if (!body) {
    fail(1, [{ row: 1, field: 'file', message: 'no longer exists in the bucket' }]);
    await finish('failed');
    return;
  }

  const checkpoint = rec.checkpointLine;
  try {
    for await (const item of readRows(body, format as FileFormat)) {
      if (item.kind === 'fatal') {
        fatal = item.error;
        break;
      }
      state.rows++;
      const line = item.kind === 'row' ? item.row.line : item.line;
      if (item.kind === 'invalid') {
        fail(line, item.errors);
        state.processed++;
        continue;
      }
      const row = item.row;
      const known = loans.get(row.loanId);
      if (known && known.lender !== row.lender) {
        fail(line, [
          {
            row: line,
            field: 'lender',
            message: `conflicts with line ${known.line}, which files loan ${row.loanId} under another lender`,
          },
        ]);
        state.processed++;
        continue;
      }
      if (!known) loans.set(row.loanId, { lender: row.lender, line });
      const seenKey = `${row.loanId}\u0000${row.emiNumber}`;
      const firstLine = seenEmis.get(seenKey);
      if (firstLine !== undefined) {
        fail(line, [
          {
            row: line,
            field: 'emi_number',
            message: `repeats EMI ${row.emiNumber} of this loan (line ${firstLine})`,
          },
        ]);
        state.processed++;
        continue;
      }
      seenEmis.set(seenKey, line);
      if (!mayAccessLender(actor, row.lender)) {
        fail(line, [
          { row: line, field: 'lender', message: 'is not one of the lenders of who asked for this import' },
        ]);
        state.processed++;
        continue;
      }
      if (line <= checkpoint) {
        state.processed++;
        continue; // written by an earlier invocation
      }
      const full =
        batch.length >= (deps.batchRows ?? 1000) ||
        (!batchLoans.has(row.loanId) && batchLoans.size >= (deps.batchLoans ?? 200));
      if (full) {
        if (!(await flush())) return; // the run is no longer ours
        if (outOfBudget(deps, written)) {
          await deps.continueLater({ importId, runId });
          return;
        }
      }
      state.processed++;
      batch.push(row);
      batchLoans.add(row.loanId);
    }
  } finally {
    body.destroy();
  }
  if (!(await flush())) return;
  if (fatal) {
    fail(fatal.row, [fatal]);
    await finish('failed');
    return;
  }
  await finish('completed');
}

function outOfBudget(deps: ImportDeps, written: number): boolean {
  if (deps.maxRowsPerInvocation !== undefined && written >= deps.maxRowsPerInvocation) return true;
  // keep a minute for the last batch, the checkpoint and the hand-over
  return deps.remainingMs !== undefined && deps.remainingMs() < 60_000;
}

/** Imports requested through the API run with their requester's lenders; dropped files as the system. */
function actorFor(rec: ImportRecord, systemActor: Actor): Actor {
  if (!rec.requestedBy) return systemActor;
  return {
    ...systemActor,
    sub: rec.requestedBy.sub,
    name: rec.requestedBy.name,
    lenders: rec.lenders ?? '*',
  };
}

/** What the use case refuses for a loan (its data, its lender, a busy loan): that loan's rows fail. */
function isRowRefusal(err: unknown): err is Error {
  return err instanceof ValidationError || err instanceof ForbiddenError || err instanceof ConflictError;
}

function sortErrors(errors: ImportError[]): ImportError[] {
  return errors.sort((a, b) => a.row - b.row);
}

/** The first `limit` errors of two lists already in row order, in row order (a stable merge). */
export function mergeByRow(a: ImportError[], b: ImportError[], limit: number): ImportError[] {
  const out: ImportError[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && a[i]!.row <= b[j]!.row)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

/** Groups rows by loan and upserts them; a batch the use case refuses is retried loan by loan. */
async function writeBatch(
  deps: ImportDeps,
  rows: ImportRow[],
  actor: Actor,
): Promise<{ created: number; updated: number; unchanged: number; errors: ImportError[] }> {
  const byLoan = new Map<string, { loan: LoanInput; lines: number[] }>();
  for (const r of rows) {
    let entry = byLoan.get(r.loanId);
    if (!entry || entry.loan.emis.length >= MAX_EMIS_PER_LOAN) {
      entry = {
        loan: {
          loanId: r.loanId,
          lender: r.lender,
          clientName: r.clientName,
          phone: r.phone,
          email: r.email,
          emis: [],
        },
        lines: [],
      };
      if (!byLoan.has(r.loanId)) byLoan.set(r.loanId, entry);
      else byLoan.set(`${r.loanId}\u0000${r.line}`, entry);
    }
    // a loan's own fields come from its last row in the batch (a re-export's latest spelling)
    Object.assign(entry.loan, { clientName: r.clientName, phone: r.phone, email: r.email });
    entry.loan.emis.push({
      emiNumber: r.emiNumber,
      dueDate: r.dueDate,
      amount: r.amount,
      amountPaid: r.amountPaid,
    });
    entry.lines.push(r.line);
  }
  const entries = [...byLoan.values()];
  const out = { created: 0, updated: 0, unchanged: 0, errors: [] as ImportError[] };
  const add = (r: { emis: { created: number; updated: number; unchanged: number } }) => {
    out.created += r.emis.created;
    out.updated += r.emis.updated;
    out.unchanged += r.emis.unchanged;
  };
  try {
    add(
      await upsertLoans(
        { emis: deps.emis, clock: deps.clock },
        { loans: entries.map((e) => e.loan) },
        actor,
        {
          removeMissing: false,
        },
      ),
    );
    return out;
  } catch (err) {
    if (!isRowRefusal(err)) throw err; // DynamoDB down etc.: the message retries from the checkpoint
  }
  for (const e of entries) {
    try {
      add(
        await upsertLoans({ emis: deps.emis, clock: deps.clock }, { loans: [e.loan] }, actor, {
          removeMissing: false,
        }),
      );
    } catch (err) {
      if (!isRowRefusal(err)) throw err;
      for (const line of e.lines) {
        out.errors.push({ row: line, field: 'loan_id', message: err.message.slice(0, 200) });
      }
    }
  }
  return out;
}
