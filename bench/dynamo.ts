/** Loading benchmark data straight into DynamoDB Local: BatchWriteItem, 6 writers, retrying unprocessed items. */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
