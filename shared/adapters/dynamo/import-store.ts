/**
 * File imports (architecture §4e) in the ops table, one item per import (`IMPORT#<importId>`).
 * Named access patterns:
 * - createWaiting(rec)           conditional Put: `POST /api/imports` reserves an id before the upload
 * - get(importId)                consistent read (progress, resume)
 * - startRun(...)                conditional Update: a new upload (S3 sequencer) starts a run;
 *                                a repeated notification of the same upload changes nothing
 * - claim(...)                   conditional Update: the run's lease, so one worker at a time reads a file
 * - checkpoint(...)              conditional Update (same run, lease held): the line every row up to
 *                                which is written, and the counts so far
 * - finish(...)                  the final counts and status
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type * as port from '../../domain/ports';
import {
  type ImportCounts,
  type ImportError,
  type ImportRecord,
  MAX_ERRORS_IN_RECORD,
  MAX_WRITE_ERRORS,
} from '../../domain/ports';
import { documentClient, isConditionFailed } from './client';
import { keys } from './schema';

export type { ImportCounts, ImportError, ImportRecord, ImportStatus } from '../../domain/ports';

const RECORD_DAYS = 90;

const zeroCounts: ImportCounts = { rows: 0, processed: 0, created: 0, updated: 0, unchanged: 0, failed: 0 };

export class ImportStore implements port.ImportStore {
  constructor(
    private readonly table: string,
    private readonly db = documentClient(),
  ) {}

  async createWaiting(rec: {
    importId: string;
    bucketKey: string;
    fileName: string;
    requestedBy: { sub: string; name: string };
    lenders: readonly string[] | '*';
    now: string;
  }): Promise<void> {
    const item: ImportRecord = {
      ...zeroCounts,
      importId: rec.importId,
      bucketKey: rec.bucketKey,
      fileName: rec.fileName,
      status: 'waiting',
      checkpointLine: 0,
      writeErrors: [],
      errors: [],
      requestedBy: rec.requestedBy,
      lenders: rec.lenders === '*' ? '*' : [...rec.lenders],
      createdAt: rec.now,
      updatedAt: rec.now,
      expiresAt: expiry(rec.now),
    };
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...keys.importFile(rec.importId), type: 'IMPORT', ...item },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(importId: string): Promise<ImportRecord | null> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.importFile(importId), ConsistentRead: true }),
    );
    if (!out.Item) return null;
    const { pk: _pk, sk: _sk, type: _t, ...rec } = out.Item;
    return rec as ImportRecord;
  }

  /**
   * Starts reading an upload. True when this upload's run is new (or the record waited for it);
   * false when the run already exists (a repeated notification) or a newer upload replaced it.
   */
  async startRun(rec: {
    importId: string;
    bucketKey: string;
    fileName: string;
    runId: string;
    etag: string;
    now: string;
  }): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand(
          withNames({
            TableName: this.table,
            Key: keys.importFile(rec.importId),
            UpdateExpression:
              'SET #type = :type, #importId = :id, #bucketKey = :key, #fileName = :name, #status = :running, ' +
              '#runId = :run, #etag = :etag, #checkpointLine = :zero, #writeErrors = :empty, #writeFailedRows = :zero, #errors = :empty, ' +
              '#rows = :zero, #processed = :zero, #created = :zero, #updated = :zero, #unchanged = :zero, ' +
              '#failed = :zero, #createdAt = if_not_exists(#createdAt, :now), #updatedAt = :now, #expiresAt = :exp ' +
              'REMOVE #leaseOwner, #leaseUntil',
            ConditionExpression: 'attribute_not_exists(#runId) OR #runId < :run',
            ExpressionAttributeValues: {
              ':type': 'IMPORT',
              ':id': rec.importId,
              ':key': rec.bucketKey,
              ':name': rec.fileName,
              ':running': 'running',
              ':run': rec.runId,
              ':etag': rec.etag,
              ':zero': 0,
              ':empty': [],
              ':now': rec.now,
              ':exp': expiry(rec.now),
            },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  /** Takes the run's lease (free, lapsed, or already ours). False: another worker holds it. */
  async claim(importId: string, runId: string, owner: string, nowMs: number, leaseMs: number) {
    try {
      await this.db.send(
        new UpdateCommand(
          withNames({
            TableName: this.table,
            Key: keys.importFile(importId),
            UpdateExpression: 'SET #leaseOwner = :owner, #leaseUntil = :until',
            ConditionExpression:
              '#runId = :run AND #status = :running AND ' +
              '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :now OR #leaseOwner = :owner)',
            ExpressionAttributeValues: {
              ':owner': owner,
              ':until': nowMs + leaseMs,
              ':run': runId,
              ':running': 'running',
              ':now': nowMs,
            },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  /** Records progress; false when the run or the lease is no longer ours (stop reading). */
  async checkpoint(
    importId: string,
    runId: string,
    owner: string,
    state: ImportCounts & {
      checkpointLine: number;
      writeErrors: ImportError[];
      writeFailedRows: number;
      errors: ImportError[];
    },
    nowMs: number,
    leaseMs: number,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand(
          withNames({
            TableName: this.table,
            Key: keys.importFile(importId),
            UpdateExpression:
              'SET #checkpointLine = :line, #rows = :rows, #processed = :processed, #created = :created, ' +
              '#updated = :updated, #unchanged = :unchanged, #failed = :failed, #writeErrors = :werr, #writeFailedRows = :wfr, ' +
              '#errors = :errors, #leaseUntil = :until, #updatedAt = :now',
            ConditionExpression: '#runId = :run AND #leaseOwner = :owner AND #status = :running',
            ExpressionAttributeValues: {
              ':line': state.checkpointLine,
              ':rows': state.rows,
              ':processed': state.processed,
              ':created': state.created,
              ':updated': state.updated,
              ':unchanged': state.unchanged,
              ':failed': state.failed,
              ':werr': state.writeErrors.slice(0, MAX_WRITE_ERRORS),
              ':wfr': state.writeFailedRows,
              ':errors': state.errors.slice(0, MAX_ERRORS_IN_RECORD),
              ':until': nowMs + leaseMs,
              ':now': new Date(nowMs).toISOString(),
              ':run': runId,
              ':owner': owner,
              ':running': 'running',
            },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async finish(
    importId: string,
    runId: string,
    owner: string,
    status: 'completed' | 'failed',
    state: ImportCounts & { errors: ImportError[] },
    now: string,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand(
          withNames({
            TableName: this.table,
            Key: keys.importFile(importId),
            UpdateExpression:
              'SET #status = :status, #rows = :rows, #processed = :processed, #created = :created, ' +
              '#updated = :updated, #unchanged = :unchanged, #failed = :failed, #errors = :errors, ' +
              '#updatedAt = :now REMOVE #leaseOwner, #leaseUntil',
            ConditionExpression: '#runId = :run AND #leaseOwner = :owner',
            ExpressionAttributeValues: {
              ':status': status,
              ':rows': state.rows,
              ':processed': state.processed,
              ':created': state.created,
              ':updated': state.updated,
              ':unchanged': state.unchanged,
              ':failed': state.failed,
              ':errors': state.errors.slice(0, MAX_ERRORS_IN_RECORD),
              ':now': now,
              ':run': runId,
              ':owner': owner,
            },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }
}

/** Every `#name` in the expressions, mapped to itself without the `#` (DynamoDB refuses unused ones). */
function withNames<T extends { UpdateExpression?: string; ConditionExpression?: string }>(
  input: T,
): T & { ExpressionAttributeNames: Record<string, string> } {
  const text = `${input.UpdateExpression ?? ''} ${input.ConditionExpression ?? ''}`;
  const names: Record<string, string> = {};
  for (const m of text.matchAll(/#(\w+)/g)) names[m[0]] = m[1]!;
  return { ...input, ExpressionAttributeNames: names };
}

function expiry(nowIso: string): number {
  return Math.floor(Date.parse(nowIso) / 1000) + RECORD_DAYS * 24 * 60 * 60;
}
