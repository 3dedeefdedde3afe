/**
 * The bulk queue's messages. One message names a chunk of one job's work items (`items`,
 * seq from..to) or asks for the job's export (`finalize`).
 *
 * Why chunks of 25 rather than one message per item: the event source hands the worker one
 * message per invocation (batchSize 1), so a chunk gives one invocation 25 items to spread
 * over its BULK_CONCURRENCY slots and its token bucket — per-item messages would leave the
 * pacing to Lambda's concurrency alone and pay an invocation, a job read and an SQS round trip
 * per link. 25 also matches BatchWriteItem's limit, and a chunk finishes in seconds at 20/s, far
 * inside the 300 s timeout. Redelivering a chunk costs little: finished items are skipped.
 */
import * as z from 'zod/mini';
import { jobIdSchema } from './bulk-job';

/** Work items per queue message (and per BatchWrite). */
export const CHUNK_SIZE = 25;

export const bulkMessageSchema = z.union([
  z.strictObject({
    kind: z.literal('items'),
    jobId: jobIdSchema,
    from: z.int().check(z.minimum(0)),
    to: z.int().check(z.minimum(0)),
  }),
  z.strictObject({ kind: z.literal('finalize'), jobId: jobIdSchema }),
]);

export type BulkMessage = z.infer<typeof bulkMessageSchema>;

/** Null for a body that can never be processed (it is dropped, with a log line). */
export function parseBulkMessage(body: string): BulkMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return null;
  }
  const parsed = bulkMessageSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** Messages covering the given item seqs, one per chunk of CHUNK_SIZE that holds any of them. */
export function chunkMessages(jobId: string, seqs: Iterable<number>): BulkMessage[] {
  const chunks = new Map<number, { from: number; to: number }>();
  for (const seq of seqs) {
    const c = Math.floor(seq / CHUNK_SIZE);
    const range = chunks.get(c);
    if (!range) chunks.set(c, { from: seq, to: seq });
    else {
      range.from = Math.min(range.from, seq);
      range.to = Math.max(range.to, seq);
    }
  }
  return [...chunks.keys()]
    .sort((a, b) => a - b)
    .map((c) => ({ kind: 'items' as const, jobId, ...chunks.get(c)! }));
}
