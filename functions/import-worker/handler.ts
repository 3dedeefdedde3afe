/**
 * The imports queue's consumer (architecture §4e): S3 events for files under `loans/` in the
 * imports bucket (on AWS S3's "Object Created" events through EventBridge; locally the S3
 * emulator's notifications in S3's own shape — both are read), queued so a burst of files waits
 * instead of being lost, and the
 * continuation messages a run sends itself when it stops at a checkpoint. A message whose work
 * failed for a reason worth retrying (DynamoDB or S3 unavailable) is listed in batchItemFailures
 * and comes back; it resumes from the last checkpoint.
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ImportStore } from '../../shared/adapters/dynamo/import-store';
import { queueSender } from '../../shared/adapters/queue/sender';
import { S3ImportFiles } from '../../shared/adapters/s3/imports';
import type { Actor } from '../../shared/auth/actor';
import { env, setting } from '../../shared/config';
import { systemClock } from '../../shared/domain/dates';
import { log } from '../../shared/log';
import { type ImportDeps, runImport, startImport } from '../../shared/usecases/import-loans';
import { makeStores, perContainer, tablesConfig } from '../../shared/wiring';

/** Files dropped straight into the bucket are the warehouse's: IAM decided who may write there. */
export const WAREHOUSE_ACTOR: Actor = {
  sub: 'imports-bucket',
  name: 'warehouse file import',
  kind: 'machine',
  permissions: new Set(['loans']),
  lenders: '*',
};

const owner = randomUUID();

function config() {
  return {
    tables: tablesConfig(),
    opsTable: env('OPS_TABLE'),
    importsBucket: env('IMPORTS_BUCKET'),
    queueUrl: env('IMPORT_QUEUE_URL'),
    maxRowsPerInvocation: setting('IMPORT_MAX_ROWS_PER_INVOCATION'),
  };
}

/** Everything but the invocation's own clock (`remainingMs`), which the handler adds. */
function makeDeps(c: ReturnType<typeof config>): ImportDeps {
  const queue = queueSender(c.queueUrl);
  return {
    emis: makeStores(c.tables).emis,
    imports: new ImportStore(c.opsTable),
    files: new S3ImportFiles(c.importsBucket),
    clock: systemClock,
    continueLater: (msg) => queue.send(JSON.stringify({ importContinue: msg })),
    maxRowsPerInvocation: c.maxRowsPerInvocation || undefined,
    owner,
  };
}

const deps = perContainer(config, makeDeps);

interface S3Record {
  eventName?: string;
  s3?: { object?: { key?: string; eTag?: string; sequencer?: string } };
}

/** S3 URL-encodes keys in notifications (a space as `+`). */
function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

export async function handleImportMessage(body: string, d: ImportDeps): Promise<void> {
  let msg: {
    Records?: S3Record[];
    importContinue?: { importId?: unknown; runId?: unknown };
    source?: string;
    'detail-type'?: string;
    detail?: { object?: { key?: string; etag?: string; sequencer?: string } };
  };
  try {
    msg = JSON.parse(body);
  } catch {
    log.warn('import message is not JSON; dropped');
    return;
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    log.warn('import message is not a JSON object; dropped');
    return;
  }
  if (msg.importContinue) {
    const { importId, runId } = msg.importContinue;
    if (typeof importId === 'string' && typeof runId === 'string') {
      await runImport(d, importId, runId, WAREHOUSE_ACTOR);
    }
    return;
  }
  if (msg.source === 'aws.s3' && msg['detail-type'] === 'Object Created') {
    const o = msg.detail?.object;
    if (!o?.key || !o.sequencer) return;
    const outcome = await startImport(
      d,
      { key: o.key, etag: o.etag ?? '', sequencer: o.sequencer },
      WAREHOUSE_ACTOR,
    );
    log.info('import event', { outcome });
    return;
  }
  for (const r of Array.isArray(msg.Records) ? msg.Records : []) {
    const o = r.s3?.object;
    if (!r.eventName?.startsWith('ObjectCreated:') || !o?.key || !o.sequencer) continue;
    const key = decodeKey(o.key);
    const outcome = await startImport(
      d,
      { key, etag: o.eTag ?? '', sequencer: o.sequencer },
      WAREHOUSE_ACTOR,
    );
    log.info('import notification', { outcome });
  }
}

export async function handler(event: SQSEvent, context: Partial<Context> = {}): Promise<SQSBatchResponse> {
  const d: ImportDeps = {
    ...deps(),
    remainingMs:
      typeof context.getRemainingTimeInMillis === 'function'
        ? () => context.getRemainingTimeInMillis!()
        : undefined,
  };
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      await handleImportMessage(record.body, d);
    } catch (err) {
      log.error('import failed; the message comes back and resumes from its checkpoint', {
        error: (err as Error).name,
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
