/**
 * The bulk queue's consumer (SQS event source with reportBatchItemFailures; under `npm start`
 * the in-process LocalQueue). A message that must come back later (an item still failing in a
 * retryable way) is listed in batchItemFailures; a malformed one is dropped with a log line.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { JobStore } from '../../shared/adapters/dynamo/job-store';
import { accountGateways, gatewaySettingsFromEnv } from '../../shared/adapters/payment-gateways';
import { S3ExportWriter } from '../../shared/adapters/s3/export-writer';
import { env, setting } from '../../shared/config';
import { systemClock } from '../../shared/domain/dates';
import { log, withLogContext } from '../../shared/log';
import { correlate, observedHandler } from '../../shared/observe';
import { AccountPacers, AccountPools, rateLimitedGateway, Semaphore } from '../../shared/pacing';
import { parseBulkMessage } from '../../shared/usecases/bulk-messages';
import {
  type BulkWorkerDeps,
  DEFAULT_BULK_WORKER_SETTINGS,
  handleBulkMessage,
} from '../../shared/usecases/bulk-worker';
import { makeStores, perContainer, tablesConfig } from '../../shared/wiring';
import { accountDirectory, linkSettings } from '../../shared/wiring-links';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Wired once per container. The buckets and the concurrency pool are module-scoped on purpose:
 * every invocation this container runs shares them, so the container never exceeds
 * BULK_RATE_PER_SECOND toward any one payment account — each account has its own bucket, as
 * providers limit each merchant on its own — and each account's items wait in its own pool of
 * BULK_CONCURRENCY, so one account's queue never holds the slots of another's. The adapter's own retries pace through the same
 * account's bucket (its backoff `sleep` also takes a token).
 */
export function workerConfig() {
  return {
    tables: tablesConfig(),
    opsTable: env('OPS_TABLE'),
    exportsBucket: env('EXPORTS_BUCKET'),
    rate: setting('BULK_RATE_PER_SECOND'),
    concurrency: setting('BULK_CONCURRENCY'),
    maxItemAttempts: setting('BULK_MAX_ITEM_ATTEMPTS'),
    gateway: gatewaySettingsFromEnv(),
    link: linkSettings(),
  };
}

export function makeWorkerDeps(config: ReturnType<typeof workerConfig>): BulkWorkerDeps {
  const settings = { ...DEFAULT_BULK_WORKER_SETTINGS, maxItemAttempts: config.maxItemAttempts };
  const pacers = new AccountPacers(() => config.rate);
  const pools = new AccountPools(config.concurrency);
  const base = config.gateway;
  const stores = makeStores(config.tables);
  const gateways = accountGateways(
    accountDirectory(),
    (account) => ({
      ...base,
      sleep: async (ms) => {
        await sleep(ms);
        await pacers.of(account.accountId).take();
      },
    }),
    (gateway, account) =>
      rateLimitedGateway(gateway, pacers.of(account.accountId), settings.rateLimitPauseMs),
  );
  return {
    link: {
      emis: stores.emis,
      links: stores.links,
      ops: stores.ops,
      gateways,
      clock: systemClock,
      settings: config.link,
    },
    jobs: new JobStore(config.opsTable),
    exports: new S3ExportWriter(config.exportsBucket),
    pool: new Semaphore(config.concurrency),
    poolFor: async (lender) => pools.of((await gateways.accountFor(lender)).accountId),
    clock: systemClock,
    settings,
  };
}

/** The worker's dependencies in this container (its buckets and pools with them). */
export const workerDeps = perContainer(workerConfig, makeWorkerDeps);

/** `d`: the container's own unless a test hands in others. */
export async function main(
  event: SQSEvent,
  context?: Partial<Pick<Context, 'getRemainingTimeInMillis'>>,
  d: BulkWorkerDeps = workerDeps(),
): Promise<SQSBatchResponse> {
  const timeLeft = () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map((record) =>
      withLogContext({ messageId: record.messageId }, async () => {
        const message = parseBulkMessage(record.body);
        if (!message) {
          log.error('malformed bulk message dropped');
          return;
        }
        correlate({ jobId: message.jobId });
        try {
          if ((await handleBulkMessage(d, message, timeLeft)) === 'retry') {
            failures.push({ itemIdentifier: record.messageId });
          }
        } catch (err) {
          log.error('bulk message failed; it will be retried', { err });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    ),
  );
  return { batchItemFailures: failures };
}

export const handler = observedHandler('bulk-worker', (event: SQSEvent, context: Context) =>
  main(event, context),
);
