/**
 * Bulk jobs and their work items in the ops table. Named access patterns:
 * - createJob(job, items)            BatchWriteItem of the items (chunks of 25, parallel), then
 *                                    conditional PutItem of the job and its active-jobs entry
 * - getJob(jobId)                    GetItem JOB#id / #JOB (consistent)
 * - markRunning(jobId)               conditional UpdateItem: queued → running
 * - getItems(jobId, from, to)        Query JOB#id, sk BETWEEN ITEM#from AND ITEM#to (consistent)
 * - itemPages(jobId, pageSize)       Query JOB#id, sk begins_with ITEM#, page by page (the CSV)
 * - countFailedAttempt(jobId, seq)   UpdateItem ADD attempts, only while the item is not done
 * - completeItem(jobId, seq, result) TransactWriteItems: the item (only if not done yet) and
 *                                    the job's counters (ADD), so an item counts exactly once
 * - claimExport / releaseExport      conditional UpdateItem: one writer of the CSV at a time
 * - completeJob / failJob            UpdateItem, and DeleteItem of the active-jobs entry
 * - listActiveJobs()                 Query JOBS#ACTIVE (the stuck-job check; never a Scan)
 * - listRecentJobs(visible, n, key)  Query JOBS#RECENT newest first (an entry written with each
 *                                    job), keeping the jobs `visible` allows, bounded rounds
 * - noteStall(jobId, seen)           conditional UpdateItem on the last progress seen
 * Items expire through the table's TTL attribute `expiresAt` (epoch seconds).
 */
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type * as port from '../../domain/ports';
import type {
  ItemOutcome,
  ItemResult,
  JobCounts,
  JobItem,
  JobRecord,
  JobStatus,
  NewJobItem,
  PageKey,
} from '../../domain/ports';
import {
  documentClient,
  isConditionFailed,
  queryAll,
  transactionReasons,
  transactRetryingConflicts,
} from './client';
import { fromPageKey, keys, toPageKey } from './schema';

export type { ItemOutcome, ItemResult, JobCounts, JobItem, JobRecord, JobStatus, NewJobItem };

const JOB_TTL_SECONDS = 30 * 24 * 60 * 60;
const BATCH = 25;
const BATCH_PARALLEL = 8;
const ITEM_ATTRS = [
  'outcome',
  'linkId',
  'shortUrl',
  'linkStatus',
  'expireBy',
  'amount',
  'clientName',
  'phone',
  'email',
  'lender',
  'dueDate',
  'error',
] as const satisfies readonly (keyof ItemResult)[];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toJob(item: Record<string, unknown>): JobRecord {
  const { pk: _pk, sk: _sk, type: _t, expiresAt: _e, ...rest } = item;
  return rest as unknown as JobRecord;
}

function toItem(item: Record<string, unknown>): JobItem {
  const { pk: _pk, sk: _sk, type: _t, expiresAt: _e, completedAt: _c, ...rest } = item;
  return rest as unknown as JobItem;
}

export class JobStore implements port.JobStore {
  constructor(
    private readonly table: string,
    private readonly db = documentClient(),
  ) {}

  /**
   * Writes the items first, then the job: a crash in between leaves only orphan items (they
   * expire), never a job whose items are missing.
   */
  async createJob(job: JobRecord, items: NewJobItem[], nowSeconds: number): Promise<void> {
    const expiresAt = nowSeconds + JOB_TTL_SECONDS;
    const requests = items.map((it) => ({
      PutRequest: {
        Item: {
          ...keys.jobItem(job.jobId, it.seq),
          type: 'JOB_ITEM',
          ...it,
          jobId: job.jobId,
          attempts: 0,
          expiresAt,
        },
      },
    }));
    const chunks: (typeof requests)[] = [];
    for (let i = 0; i < requests.length; i += BATCH) chunks.push(requests.slice(i, i + BATCH));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        await this.batchWrite(chunk);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_PARALLEL, chunks.length) }, worker));
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.table,
              Item: { ...keys.job(job.jobId), type: 'JOB', ...job, expiresAt },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: this.table,
              Item: { ...keys.activeJob(job.jobId), type: 'ACTIVE_JOB', jobId: job.jobId, expiresAt },
            },
          },
          {
            Put: {
              TableName: this.table,
              Item: {
                ...keys.recentJob(job.createdAt, job.jobId),
                type: 'RECENT_JOB',
                jobId: job.jobId,
                lenders: job.lenders ?? '*',
                expiresAt,
              },
            },
          },
        ],
      }),
    );
  }

  /** BatchWriteItem with the unprocessed remainder retried (DynamoDB may throttle part of a batch). */
  private async batchWrite(requests: { PutRequest: { Item: Record<string, unknown> } }[]): Promise<void> {
    let pending: typeof requests = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.random() * Math.min(1000, 50 * 2 ** attempt));
      if (attempt > 10) throw new Error('DynamoDB left bulk job items unprocessed after 10 retries');
      const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
      pending = (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
    }
  }

  /**
   * Recent jobs, newest first, that `visible(lenders)` allows: Query the listing partition in
   * rounds (bounded) until the page is full; the page key is the last listed entry's key.
   */
  async listRecentJobs(
    visible: (lenders: string[] | '*') => boolean,
    limit: number,
    startKey?: PageKey,
  ): Promise<{ jobs: JobRecord[]; lastKey?: PageKey }> {
    const names = ['pk', 'sk'];
    const picked: Record<string, unknown>[] = [];
    let next = fromPageKey(names, startKey);
    let lastKey: Record<string, unknown> | undefined;
    for (let round = 0; round < 10 && picked.length < limit; round++) {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.recentJob('', '').pk },
          ScanIndexForward: false,
          Limit: Math.max(limit + 1, 25),
          ExclusiveStartKey: next,
        }),
      );
      const items = out.Items ?? [];
      let i = 0;
      for (; i < items.length && picked.length < limit; i++) {
        const item = items[i]!;
        if (visible(item.lenders as string[] | '*')) picked.push(item);
        lastKey = { pk: item.pk, sk: item.sk };
      }
      // stopped inside this page, or DynamoDB has more: there is a next page from lastKey
      next = out.LastEvaluatedKey;
      if (i < items.length) break;
      if (!next) {
        lastKey = undefined;
        break;
      }
    }
    const jobs = await Promise.all(picked.map((e) => this.getJob(String(e.jobId))));
    return {
      jobs: jobs.filter((j): j is JobRecord => j !== null),
      lastKey: lastKey ? toPageKey(names, lastKey) : undefined,
    };
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.job(jobId), ConsistentRead: true }),
    );
    return out.Item ? toJob(out.Item) : null;
  }

  async markRunning(jobId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.job(jobId),
          UpdateExpression: 'SET #status = :running',
          ConditionExpression: '#status = :queued',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued' },
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }

  /** Items `from`..`to` (inclusive), in order. */
  async getItems(jobId: string, from: number, to: number): Promise<JobItem[]> {
    const items: JobItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': keys.job(jobId).pk,
            ':from': keys.jobItem(jobId, from).sk,
            ':to': keys.jobItem(jobId, to).sk,
          },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const it of out.Items ?? []) items.push(toItem(it));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Every item in order, one Query page at a time: memory holds one page, whatever the job's size. */
  async *itemPages(jobId: string, pageSize = 500): AsyncGenerator<JobItem[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.job(jobId).pk, ':prefix': keys.jobItemPrefix },
          ConsistentRead: true,
          Limit: pageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      const page = (out.Items ?? []).map(toItem);
      if (page.length > 0) yield page;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  }

  /** Counts one more delivery that left the item unfinished; null when it is done after all. */
  async countFailedAttempt(jobId: string, seq: number): Promise<number | null> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.jobItem(jobId, seq),
          UpdateExpression: 'ADD attempts :one',
          ConditionExpression: 'attribute_exists(pk) AND #state <> :done',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':one': 1, ':done': 'done' },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.attempts ?? 1);
    } catch (err) {
      if (isConditionFailed(err)) return null;
      throw err;
    }
  }

  /**
   * Records an item's result and counts it on the job, in one transaction that only goes
   * through while the item is not done: a redelivered or duplicated item is never counted
   * twice. 'already-done' when another worker (or an earlier delivery) finished it first.
   */
  async completeItem(
    jobId: string,
    seq: number,
    result: ItemResult,
    now: string,
  ): Promise<'recorded' | 'already-done'> {
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = { ':done': 'done', ':now': now };
    const sets = ['#state = :done', 'completedAt = :now'];
    for (const attr of ITEM_ATTRS) {
      const value = result[attr];
      if (value === undefined) continue;
      names[`#${attr}`] = attr;
      values[`:${attr}`] = value;
      sets.push(`#${attr} = :${attr}`);
    }
    const input = {
      TransactItems: [
        {
          Update: {
            TableName: this.table,
            Key: keys.jobItem(jobId, seq),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(pk) AND #state <> :done',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        {
          Update: {
            TableName: this.table,
            Key: keys.job(jobId),
            UpdateExpression: 'ADD #processed :one, #counter :one SET lastProgressAt = :now',
            ConditionExpression: 'attribute_exists(pk)',
            // `processed` and `total` are DynamoDB reserved words: always through names
            ExpressionAttributeNames: { '#processed': 'processed', '#counter': result.outcome },
            ExpressionAttributeValues: { ':one': 1, ':now': now },
          },
        },
      ],
    };
    // many workers add to one job item: DynamoDB cancels a transaction that meets another one
    // in flight on the same item (TransactionConflict), which is worth retrying at once
    try {
      await transactRetryingConflicts(this.db, input, `Bulk job ${jobId}`, 20);
      return 'recorded';
    } catch (err) {
      if (transactionReasons(err)?.[0] === 'ConditionalCheckFailed') return 'already-done';
      throw err;
    }
  }

  /**
   * Takes the right to write the CSV: only once every item is counted, only while the job is
   * not finished, and only if no other worker holds a lease that has not lapsed.
   */
  async claimExport(jobId: string, nowMs: number, leaseMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.job(jobId),
          UpdateExpression: 'SET exportLeaseUntil = :until',
          ConditionExpression:
            '#processed >= #total AND #status IN (:queued, :running) AND ' +
            '(attribute_not_exists(exportLeaseUntil) OR exportLeaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status', '#processed': 'processed', '#total': 'total' },
          ExpressionAttributeValues: {
            ':until': nowMs + leaseMs,
            ':now': nowMs,
            ':queued': 'queued',
            ':running': 'running',
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  /** Gives the lease back after a failed export, so the next try need not wait for it to lapse. */
  async releaseExport(jobId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.job(jobId),
        UpdateExpression: 'REMOVE exportLeaseUntil',
      }),
    );
  }

  async completeJob(jobId: string, csvKey: string, now: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.job(jobId),
        UpdateExpression:
          'SET #status = :completed, csvKey = :key, completedAt = :now REMOVE exportLeaseUntil',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':completed': 'completed', ':key': csvKey, ':now': now },
      }),
    );
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: keys.activeJob(jobId) }));
  }

  async failJob(jobId: string, error: string, now: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.job(jobId),
        UpdateExpression:
          'SET #status = :failed, #error = :error, completedAt = :now REMOVE exportLeaseUntil',
        ConditionExpression: '#status <> :completed',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':failed': 'failed',
          ':completed': 'completed',
          ':error': error,
          ':now': now,
        },
      }),
    );
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: keys.activeJob(jobId) }));
  }

  /** Ids of jobs not yet completed or failed. */
  async listActiveJobs(): Promise<string[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.activeJob('').pk },
    });
    return items.map((it) => String(it.jobId));
  }

  /**
   * Records that the stuck-job check acted on a stall: counts it and restarts the progress
   * clock. Conditional on the progress time it saw, so two checks never act on the same stall.
   */
  async noteStall(jobId: string, seenProgressAt: string, now: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.job(jobId),
          UpdateExpression: 'ADD stalls :one SET lastProgressAt = :now',
          ConditionExpression: 'lastProgressAt = :seen',
          ExpressionAttributeValues: { ':one': 1, ':now': now, ':seen': seenProgressAt },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }
}
