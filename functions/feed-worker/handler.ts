/**
 * The EMI table's stream consumer: new payment-credit ledger items → the curated feed
 * (shared/usecases/curated-feed.ts). On AWS the event source filters to INSERTs of `#CREDIT` and `#REFUND#…`
 * items; the use case checks again. A failure throws, and the stream hands the batch back.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { s3Client } from '../../shared/adapters/s3/client';
import { env } from '../../shared/config';
import { appendToFeed, type FeedDeps, type LedgerImage } from '../../shared/usecases/curated-feed';
import { makeStores, perContainer, tablesConfig } from '../../shared/wiring';

function config() {
  return { tables: tablesConfig(), bucket: env('RAW_WEBHOOKS_BUCKET') };
}

function makeDeps({ tables, bucket }: ReturnType<typeof config>): FeedDeps {
  return {
    links: makeStores(tables).links,
    putLine: async (key, body) => {
      await s3Client().send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }),
      );
    },
  };
}

const deps = perContainer(config, makeDeps);

export async function handler(event: DynamoDBStreamEvent): Promise<{ lines: number }> {
  const images: LedgerImage[] = [];
  for (const r of event.Records) {
    if (r.eventName !== 'INSERT' || !r.dynamodb?.NewImage) continue;
    images.push(unmarshall(r.dynamodb.NewImage as Parameters<typeof unmarshall>[0]) as LedgerImage);
  }
  return { lines: await appendToFeed(deps(), images) };
}
