/** Loading benchmark data straight into DynamoDB Local: BatchWriteItem, 6 writers, retrying unprocessed items. */
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { main as workerMain } from '../functions/bulk-worker/handler';
import { dynamoClient } from '../local/aws-local';
import { LocalQueue } from '../local/queue';
import { toEmiItem } from '../shared/adapters/dynamo/emi-store';
import { istDate } from '../shared/domain/dates';
import { emi } from './bulk';

export async function batchPut(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: Record<string, unknown>[],
): Promise<void> {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let c = next++; c < chunks.length; c = next++) {
        let req: Record<string, unknown>[] | undefined = chunks[c]!.map((Item) => ({ PutRequest: { Item } }));
        while (req && req.length > 0) {
          const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: req } }));
          req = out.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
        }
      }
    }),
  );
}

/** A document client on DynamoDB Local, as the benches load data with it. */
export function benchDocumentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamoClient(endpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** `count` pending EMIs per lender (bench/bulk.ts's `emi`), straight into the emis table. */
export async function seedPendingEmis(
  endpoint: string,
  table: string,
  perLender: readonly (readonly [lender: string, count: number])[],
): Promise<void> {
  const doc = benchDocumentClient(endpoint);
  const today = istDate(new Date());
  for (const [lender, count] of perLender) {
    await batchPut(
      doc,
      table,
      Array.from(
        { length: count },
        (_, i) => toEmiItem(emi(i, lender, today)) as unknown as Record<string, unknown>,
      ),
    );
  }
}

/** The bulk queue as `npm start` runs it: the bulk worker's handler, one message per call. */
export function bulkWorkerQueue(name: string, concurrency: number): LocalQueue {
  return new LocalQueue({
    name,
    handler: (event) => workerMain(event),
    batchSize: 1,
    concurrency,
    maxReceiveCount: 5,
    visibilityTimeoutMs: 1000,
  });
}
