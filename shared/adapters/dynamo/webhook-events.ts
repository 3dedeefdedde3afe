/**
 * The webhook event records in the ops table (EVENT#id), the receiver's dedupe:
 * - claimWebhookEvent        conditional Update: dedupes and records, with a lease (the receipt's one write)
 * - releaseWebhookEvent      Update when a receipt fails part-way: what it finished, lease ended
 * - completeWebhookEvent     Update when a receipt finishes without the worker (a retry, or nothing to queue)
 * - markWebhookEventQueued   Update when the worker takes the event from the queue
 * Items expire through the table's TTL attribute `expiresAt` (epoch seconds).
 *
 * Written with the plain client and attribute values by hand: the webhook function loads no
 * document client, and each receipt costs one cheap call (plain-client.ts).
 */
import { type AttributeValue, type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type * as port from '../../domain/ports';
import type { WebhookClaim } from '../../domain/ports';
import { isConditionFailed, plainDynamoClient } from './plain-client';
import { keys } from './schema';

export type { WebhookClaim };

const DAY_SECONDS = 24 * 60 * 60;

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

export class WebhookEventStore implements port.WebhookEventStore {
  constructor(
    private readonly table: string,
    private readonly db: DynamoDBClient = plainDynamoClient(),
  ) {}

  private key(eventId: string): Record<string, AttributeValue> {
    const { pk, sk } = keys.webhookEvent(eventId);
    return { pk: S(pk), sk: S(sk) };
  }

  /**
   * Claims a webhook event id for one receipt: one conditional write that both dedupes and
   * records (the receiver's only write when all goes well). The first delivery of an event, and a
   * redelivery whose earlier receipt did not finish, get the claim — with the first receipt's time
   * and archive key, so every attempt archives to the same object, and what an earlier attempt
   * finished before failing (so it is not done twice). Anything else is 'duplicate'.
   *
   * A receipt holds the claim for `leaseSeconds`. The record stays `received` until the worker
   * takes the message from the queue and marks it `queued`; a receipt that died mid-way (a crashed
   * or timed-out invocation) thus leaves a `received` record whose lease runs out, and the next
   * delivery of that event is claimed again — otherwise Razorpay's retries would all be
   * acknowledged as duplicates of an event never queued. A receipt that failed part-way
   * (releaseWebhookEvent) can be claimed again at once, whatever the worker did meanwhile.
   */
  async claimWebhookEvent(
    eventId: string,
    fields: { event: string; receivedAt: string; archiveKey: string },
    nowSeconds: number,
    leaseSeconds = 60,
  ): Promise<WebhookClaim | 'duplicate'> {
    try {
      const out = await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: this.key(eventId),
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
            ':type': S('WEBHOOK_EVENT'),
            ':eventId': S(eventId),
            ':event': S(fields.event),
            ':receivedAt': S(fields.receivedAt),
            ':archiveKey': S(fields.archiveKey),
            ':received': S('received'),
            ':lease': N(nowSeconds + leaseSeconds),
            ':expires': N(nowSeconds + 30 * DAY_SECONDS),
            ':now': N(nowSeconds),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = out.Attributes ?? {};
      return {
        receivedAt: item.receivedAt?.S ?? fields.receivedAt,
        archiveKey: item.archiveKey?.S ?? fields.archiveKey,
        archived: item.archived?.BOOL === true,
        enqueued: item.enqueued?.BOOL === true,
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
    const values: Record<string, AttributeValue> = { ':released': N(0) };
    if (done.archived) set.push('archived = :true');
    if (done.enqueued) set.push('enqueued = :true');
    if (done.archived || done.enqueued) values[':true'] = { BOOL: true };
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: this.key(eventId),
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
      new UpdateItemCommand({
        TableName: this.table,
        Key: this.key(eventId),
        UpdateExpression: `${state ? 'SET #state = :state ' : ''}REMOVE archived, enqueued`,
        ConditionExpression: 'attribute_exists(pk)',
        ...(state
          ? {
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':state': S(state) },
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
        new UpdateItemCommand({
          TableName: this.table,
          Key: this.key(eventId),
          UpdateExpression: 'SET #state = :queued',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':queued': S('queued') },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }
}
