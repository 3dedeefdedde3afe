/**
 * DynamoDB Streams on one machine: reads the EMI table's stream from DynamoDB Local (which
 * implements the Streams API) and hands batches to a handler in the shape Lambda's DynamoDB
 * event source delivers, like the event source mapping on AWS: shard by shard, from the oldest
 * record, a failed batch retried (the iterator only moves on after the handler succeeds).
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS } from './aws-local';

export interface StreamPoller {
  /** one pass over every shard: resolves when the stream has nothing new */
  drain(): Promise<number>;
  stop(): void;
}

export function startStreamPoller(opts: {
  endpoint: string;
  table: string;
  handler: (event: DynamoDBStreamEvent) => Promise<unknown>;
  everyMs?: number;
  onError?: (err: unknown) => void;
}): StreamPoller {
  const client = { endpoint: opts.endpoint, region: 'ap-south-1', credentials: LOCAL_CREDENTIALS };
  const ddb = new DynamoDBClient(client);
  const streams = new DynamoDBStreamsClient(client);
  const iterators = new Map<string, string | null>();
  /** the last record handled per shard: an expired iterator is made again just after it */
  const lastSeq = new Map<string, string>();
  let streamArn: string | undefined;
  let stopped = false;
  let running: Promise<number> | undefined;

  async function pass(): Promise<number> {
    streamArn ??= (await ddb.send(new DescribeTableCommand({ TableName: opts.table }))).Table
      ?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${opts.table} has no stream`);
    const shards =
      (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ??
      [];
    let delivered = 0;
    for (const shard of shards) {
      const id = shard.ShardId!;
      if (!iterators.has(id)) {
        const it = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: id,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        );
        iterators.set(id, it.ShardIterator ?? null);
      }
      for (;;) {
        const iterator = iterators.get(id);
        if (!iterator) break; // a closed shard read to its end
        let out: GetRecordsCommandOutput;
        try {
          out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
        } catch (err) {
          if ((err as Error).name !== 'ExpiredIteratorException') throw err;
          const seq = lastSeq.get(id);
          const it = await streams.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn,
              ShardId: id,
              ...(seq
                ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: seq }
                : { ShardIteratorType: 'TRIM_HORIZON' }),
            }),
          );
          iterators.set(id, it.ShardIterator ?? null);
          continue;
        }
        const records = out.Records ?? [];
        if (records.length > 0) {
          await opts.handler({ Records: records } as unknown as DynamoDBStreamEvent);
          delivered += records.length;
          lastSeq.set(id, records[records.length - 1]!.dynamodb!.SequenceNumber!);
        }
        iterators.set(id, out.NextShardIterator ?? null);
        if (records.length === 0) break;
      }
    }
    return delivered;
  }

  const drain = () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => {
    if (stopped || running) return;
    drain().catch((err) => opts.onError?.(err));
  }, opts.everyMs ?? 1000);
  timer.unref();

  return {
    drain,
    stop() {
      stopped = true;
      clearInterval(timer);
      ddb.destroy();
      streams.destroy();
    },
  };
}
