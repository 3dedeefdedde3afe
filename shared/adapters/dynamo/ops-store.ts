/**
 * Operational records in the ops table. Named access patterns:
 * - claimIdempotency / completeIdempotency / releaseIdempotency   conditional Put/Update/Delete on IDEMP#scope#key
 * Items expire through the table's TTL attribute `expiresAt` (epoch seconds). The webhook event
 * records (EVENT#id) live in the same table, written by webhook-events.ts.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type * as port from '../../domain/ports';
import type { IdempotencyClaim, StoredResponse } from '../../domain/ports';
import { documentClient, isConditionFailed } from './client';
import { keys } from './schema';

export type { IdempotencyClaim, StoredResponse };

const DAY_SECONDS = 24 * 60 * 60;

export class OpsStore implements port.OpsStore {
  constructor(
    private readonly table: string,
    private readonly db = documentClient(),
  ) {}

  /**
   * Claims an idempotency key for a request. A claim left `in_progress` by a crashed
   * invocation can be taken over once its lock has lapsed (`lockSeconds`).
   */
  async claimIdempotency(
    scope: string,
    key: string,
    requestHash: string,
    nowSeconds: number,
    lockSeconds = 60,
  ): Promise<IdempotencyClaim> {
    const k = keys.idempotency(scope, key);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...k,
            type: 'IDEMPOTENCY',
            state: 'in_progress',
            requestHash,
            lockedUntil: nowSeconds + lockSeconds,
            expiresAt: nowSeconds + DAY_SECONDS,
          },
          ConditionExpression:
            'attribute_not_exists(pk) OR (#state = :inprogress AND lockedUntil < :now AND requestHash = :hash)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':inprogress': 'in_progress',
            ':now': nowSeconds,
            ':hash': requestHash,
          },
        }),
      );
      return { state: 'new' };
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: k, ConsistentRead: true }));
    const item = out.Item;
    if (!item) return this.claimIdempotency(scope, key, requestHash, nowSeconds, lockSeconds);
    if (item.requestHash !== requestHash) return { state: 'mismatch' };
    if (item.state === 'completed') return { state: 'completed', response: item.response as StoredResponse };
    return { state: 'in_progress' };
  }

  async completeIdempotency(
    scope: string,
    key: string,
    requestHash: string,
    response: StoredResponse,
    nowSeconds: number,
  ): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...keys.idempotency(scope, key),
          type: 'IDEMPOTENCY',
          state: 'completed',
          requestHash,
          response,
          expiresAt: nowSeconds + DAY_SECONDS,
        },
      }),
    );
  }

  async releaseIdempotency(scope: string, key: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: keys.idempotency(scope, key) }));
  }
}
