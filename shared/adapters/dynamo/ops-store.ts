/**
 * Operational records in the ops table. Named access patterns:
 * - claimIdempotency / completeIdempotency / releaseIdempotency   conditional Put/Update/Delete on IDEMP#scope#key
 * - claimWebhookEvent(eventId)                                     conditional Update on EVENT#id (dedupe and record, with a lease)
 * - releaseWebhookEvent / completeWebhookEvent                     Update EVENT#id when a receipt fails / finishes a retry
 * - markWebhookEventQueued(eventId)                                Update EVENT#id when the worker takes the event
 * Items expire through the table's TTL attribute `expiresAt` (epoch seconds).
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, isConditionFailed } from './client';
import { keys } from './schema';

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

export type IdempotencyClaim =
  | { state: 'new' }
  | { state: 'completed'; response: StoredResponse }
  | { state: 'in_progress' }
  | { state: 'mismatch' };

const DAY_SECONDS = 24 * 60 * 60;

/** What the receiver learns when it claims a webhook event id. */
export interface WebhookClaim {
  /** the first receipt's: every attempt archives to the same object */
  receivedAt: string;
  archiveKey: string;
  /** what an earlier attempt finished before it failed (so this one does not do it again) */
  archived: boolean;
  enqueued: boolean;
}

export class OpsStore {
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

  /**
   * Claims a webhook event id for one receipt: one conditional write that both dedupes and
   * records (the receiver's only write when all goes well). The first delivery of an event, and a
   * redelivery whose earlier receipt did not finish, get the claim — with the first receipt's time
   * and archive key, so every attempt archives to the same object, and what an earlier attempt
   * finished before failing (so it is not done twice). Anything else is 'duplicate'.
   *
   * A receipt holds the claim for `leaseSeconds`. The record stays `received` until the worker
   * takes the message from the queue and marks it `queued` (markWebhookEventQueued); a receipt that
   * died mid-way (a crashed or timed-out invocation) thus leaves a `received` record whose lease
   * runs out, and the next delivery of that event is claimed again — otherwise Razorpay's retries
   * would all be acknowledged as duplicates of an event never queued. A receipt that failed
   * part-way (releaseWebhookEvent) can be claimed again at once, whatever the worker did.
   */
  async claimWebhookEvent(
    eventId: string,
    fields: { event: string; receivedAt: string; archiveKey: string },
    nowSeconds: number,
    leaseSeconds = 60,
  ): Promise<WebhookClaim | 'duplicate'> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.webhookEvent(eventId),
          UpdateExpression:
            'SET #type = :type, eventId = :eventId, #event = if_not_exists(#event, :event), ' +
            'receivedAt = if_not_exists(receivedAt, :receivedAt), ' +
            'archiveKey = if_not_exists(archiveKey, :archiveKey), ' +
            '#state = if_not_exists(#state, :received), leaseUntil = :lease, expiresAt = :expires',
          ConditionExpression:
            'attribute_not_exists(pk) OR (leaseUntil < :now AND ' +
            '(#state = :received OR attribute_exists(archived) OR attribute_exists(enqueued)))',
          ExpressionAttributeNames: { '#type': 'type', '#event': 'event', '#state': 'state' },
          ExpressionAttributeValues: {
            ':type': 'WEBHOOK_EVENT',
            ':eventId': eventId,
            ':event': fields.event,
            ':receivedAt': fields.receivedAt,
            ':archiveKey': fields.archiveKey,
            ':received': 'received',
            ':lease': nowSeconds + leaseSeconds,
            ':expires': nowSeconds + 30 * DAY_SECONDS,
            ':now': nowSeconds,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = out.Attributes ?? {};
      return {
        receivedAt: String(item.receivedAt ?? fields.receivedAt),
        archiveKey: String(item.archiveKey ?? fields.archiveKey),
        archived: item.archived === true,
        enqueued: item.enqueued === true,
      };
    } catch (err) {
      if (isConditionFailed(err)) return 'duplicate';
      throw err;
    }
  }

  /**
   * A receipt failed (the caller answers 5xx): remember what it did finish and end its claim now,
   * so Razorpay's retry is claimed at once and does only what is left.
   */
  async releaseWebhookEvent(eventId: string, done: { archived: boolean; enqueued: boolean }): Promise<void> {
    const set = ['leaseUntil = :released'];
    const values: Record<string, unknown> = { ':released': 0 };
    if (done.archived) {
      set.push('archived = :true');
      values[':true'] = true;
    }
    if (done.enqueued) {
      set.push('enqueued = :true');
      values[':true'] = true;
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.webhookEvent(eventId),
        UpdateExpression: `SET ${set.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: values,
      }),
    );
  }

  /**
   * A receipt finished without the worker's help: after a retry that completed what an earlier
   * attempt left (the part-way marks go), or for a body with nothing to queue (`archived`, final).
   */
  async completeWebhookEvent(eventId: string, state?: 'archived'): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.webhookEvent(eventId),
        UpdateExpression: `${state ? 'SET #state = :state ' : ''}REMOVE archived, enqueued`,
        ConditionExpression: 'attribute_exists(pk)',
        ...(state
          ? {
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':state': state },
            }
          : {}),
      }),
    );
  }

  /**
   * The worker took the event from the queue: later deliveries of it are duplicates for good
   * (unless a receipt still owes its archive: then its retry is claimed all the same). Answers
   * false when there is no record (it expired, or the message was replayed from elsewhere).
   */
  async markWebhookEventQueued(eventId: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.webhookEvent(eventId),
          UpdateExpression: 'SET #state = :queued',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':queued': 'queued' },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }
}
