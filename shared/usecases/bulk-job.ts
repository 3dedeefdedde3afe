/**
 * A bulk job as the contract shows it, and the read of one job.
 *
 * Steps of getBulkJob: read the job (consistent); unknown, or touching a lender the caller may
 * not see → the same 404; once completed, sign a fresh short-lived GET URL for its CSV (a URL is
 * never stored: each call signs a new one, and only for someone who may see the job).
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import type { Actor } from '../auth/actor';
import { mayAccessScope } from '../auth/scope';
import type { Clock } from '../domain/dates';
import { NotFoundError } from '../domain/errors';
import { CSV_URL_TTL_SECONDS } from '../domain/objects';
import type { ExportReader, JobRecord, JobStore } from '../domain/ports';
import { correlate } from '../observe';
import type { BulkJob } from '../schemas/responses';

export const jobIdSchema = z
  .string()
  .check(z.regex(/^job_[a-z0-9]{20}$/, 'must be a bulk job id such as job_0123456789abcdefghij'));

export const bulkJobPathSchema = z.strictObject({ jobId: jobIdSchema });

export function newJobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(20);
  let id = 'job_';
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return id;
}

/** The shape is declared once, as a zod schema (shared/schemas/responses.ts). */
export type BulkJobView = BulkJob;

export interface BulkJobDeps {
  jobs: JobStore;
  exports: ExportReader;
  clock: Clock;
}

export function csvFilename(jobId: string): string {
  return `bulk-${jobId}.csv`;
}

export async function toJobView(deps: BulkJobDeps, job: JobRecord): Promise<BulkJobView> {
  let csvUrl: string | null = null;
  let csvExpiresAt: string | null = null;
  if (job.status === 'completed' && job.csvKey) {
    const signedAt = deps.clock.now().getTime();
    csvUrl = await deps.exports.presignGet(job.csvKey, csvFilename(job.jobId), CSV_URL_TTL_SECONDS);
    csvExpiresAt = new Date(signedAt + CSV_URL_TTL_SECONDS * 1000).toISOString();
  }
  return {
    jobId: job.jobId,
    status: job.status,
    total: job.total,
    processed: job.processed,
    created: job.created,
    reused: job.reused,
    failed: job.failed,
    skipped: job.skipped,
    csvUrl,
    csvExpiresAt,
    createdAt: job.createdAt,
    completedAt: job.completedAt ?? null,
    error: job.error ?? null,
    createdBy: job.createdBy ?? null,
  };
}

export async function getBulkJob(
  deps: BulkJobDeps,
  jobId: string,
  actor: Pick<Actor, 'lenders'>,
): Promise<BulkJobView> {
  correlate({ jobId });
  const job = await deps.jobs.getJob(jobId);
  if (!job || !mayAccessScope(actor, job.lenders ?? '*'))
    throw new NotFoundError(`Bulk job ${jobId} not found`);
  return toJobView(deps, job);
}
