/**
 * The DynamoDB document client, created once at module scope and reused across invocations.
 * Locally the SDK finds DynamoDB Local through AWS_ENDPOINT_URL_DYNAMODB; no code switch.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { setting } from '../../config';
import { ConflictError } from '../../domain/errors';
import { traced } from '../../tracing';

let shared: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  // DynamoDB Local also answers 500 "timed out waiting for a lock" under contention, which DynamoDB
  // never does: the local runtime and the tests give the SDK more attempts (DYNAMODB_MAX_ATTEMPTS)
  const maxAttempts = setting('DYNAMODB_MAX_ATTEMPTS');
  shared ??= DynamoDBDocumentClient.from(traced(new DynamoDBClient({ maxAttempts })), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  return shared;
}

export { isConditionFailed } from './plain-client';

/** For a cancelled transaction: the per-item reasons (`ConditionalCheckFailed`, `None`, …). */
export function transactionReasons(err: unknown): string[] | undefined {
  if (!(err instanceof Error) || err.name !== 'TransactionCanceledException') return undefined;
  const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}

/**
 * A transaction that DynamoDB may cancel because another one was in flight on one of its items
 * (TransactionConflict): tried again after a short random wait, `attempts` times in all, then a
 * 409 CONCURRENT_UPDATE — never a 500. Any other cancellation is the caller's to handle.
 */
export async function transactRetryingConflicts(
  db: DynamoDBDocumentClient,
  input: TransactWriteCommandInput,
  what: string,
  attempts = 8,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand(input));
      return;
    } catch (err) {
      if (!transactionReasons(err)?.includes('TransactionConflict')) throw err;
      if (attempt >= attempts) {
        throw new ConflictError(
          'CONCURRENT_UPDATE',
          `${what} is changing too often right now; retry the request`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(500, 10 * 2 ** attempt)));
    }
  }
}

/** Every item a Query matches, page by page (for bounded partitions: a loan, an EMI's links). */
export async function queryAll(
  db: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}
