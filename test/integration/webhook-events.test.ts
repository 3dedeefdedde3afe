/**
 * The webhook event record's conditional writes against DynamoDB Local: what the receiver's one
 * claim, its release after a failure, its completion of a retry and the worker's mark do, and
 * which delivery each lets through. test/unit/webhook-receive.test.ts relies on these rules.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../shared/adapters/dynamo/client';

import { keys } from '../../shared/adapters/dynamo/schema';
import { WebhookEventStore } from '../../shared/adapters/dynamo/webhook-events';
import { useLocalAws } from '../support/local-aws';

let table: string;
let store: WebhookEventStore;
const T = 1_774_000_000;
let n = 0;
const newId = () => `Evt${Date.now().toString(36)}${(n++).toString(36)}`;
const fields = (at: number) => ({
  event: 'payment.captured',
  receivedAt: new Date(at * 1000).toISOString(),
  archiveKey: `raw/razorpay/webhooks/dt=${new Date(at * 1000).toISOString().slice(0, 10)}/x.json`,
});
/** what a claim answers: the first receipt's time and key, and the parts finished */
const claimOf = (at: number, done: { archived?: boolean; enqueued?: boolean } = {}) => {
  const { receivedAt, archiveKey } = fields(at);
  return { receivedAt, archiveKey, archived: false, enqueued: false, ...done };
};
const record = async (id: string) =>
  (
    await documentClient().send(
      new GetCommand({ TableName: table, Key: keys.webhookEvent(id), ConsistentRead: true }),
    )
  ).Item;

beforeAll(async () => {
  ({ OPS_TABLE: table } = await useLocalAws('ops-webhooks'));
  store = new WebhookEventStore(table);
});

describe('the webhook event record', () => {
  it('is claimed by one write: the first delivery only, until its lease runs out', async () => {
    const id = newId();
    expect(await store.claimWebhookEvent(id, fields(T), T, 60)).toEqual(claimOf(T));
    expect(await record(id)).toMatchObject({
      type: 'WEBHOOK_EVENT',
      eventId: id,
      event: 'payment.captured',
      state: 'received',
      leaseUntil: T + 60,
      expiresAt: T + 30 * 86_400,
    });
    expect(await store.claimWebhookEvent(id, fields(T + 1), T + 1, 60)).toBe('duplicate');
    expect(await store.claimWebhookEvent(id, fields(T + 60), T + 60, 60)).toBe('duplicate');
    // a receipt that died: claimed again, keeping the first receipt's time and archive key
    expect(await store.claimWebhookEvent(id, fields(T + 86_400), T + 86_400, 60)).toEqual(claimOf(T));
  });

  it('is a duplicate for good once the worker has taken it', async () => {
    const id = newId();
    await store.claimWebhookEvent(id, fields(T), T, 60);
    expect(await store.markWebhookEventQueued(id)).toBe(true);
    expect(await store.claimWebhookEvent(id, fields(T + 86_400), T + 86_400, 60)).toBe('duplicate');
    expect(await record(id)).toMatchObject({ state: 'queued' });
  });

  it('is claimed again at once after a release, with what the failed receipt finished', async () => {
    const id = newId();
    await store.claimWebhookEvent(id, fields(T), T, 60);
    await store.releaseWebhookEvent(id, { archived: false, enqueued: true });
    // the worker takes what was queued: the archive is still owed, so the retry gets through
    await store.markWebhookEventQueued(id);
    expect(await store.claimWebhookEvent(id, fields(T + 5), T + 5, 60)).toEqual(
      claimOf(T, { enqueued: true }),
    );
    expect(await store.claimWebhookEvent(id, fields(T + 6), T + 6, 60)).toBe('duplicate');
    // the retry archived: its marks go, and the worker's state stays
    await store.completeWebhookEvent(id);
    const done = await record(id);
    expect(done).toMatchObject({ state: 'queued', leaseUntil: T + 65 });
    expect(done).not.toHaveProperty('archived');
    expect(done).not.toHaveProperty('enqueued');
    expect(await store.claimWebhookEvent(id, fields(T + 86_400), T + 86_400, 60)).toBe('duplicate');
  });

  it('remembers every part finished across failed attempts', async () => {
    const id = newId();
    await store.claimWebhookEvent(id, fields(T), T, 60);
    await store.releaseWebhookEvent(id, { archived: true, enqueued: false });
    await store.claimWebhookEvent(id, fields(T + 1), T + 1, 60);
    await store.releaseWebhookEvent(id, { archived: false, enqueued: false });
    expect(await store.claimWebhookEvent(id, fields(T + 2), T + 2, 60)).toMatchObject({
      archived: true,
      enqueued: false,
    });
  });

  it('is final at once for a body with nothing to queue', async () => {
    const id = newId();
    await store.claimWebhookEvent(id, fields(T), T, 60);
    await store.completeWebhookEvent(id, 'archived');
    expect(await record(id)).toMatchObject({ state: 'archived' });
    expect(await store.claimWebhookEvent(id, fields(T + 86_400), T + 86_400, 60)).toBe('duplicate');
  });

  it('treats a record written before the one-write receipt (queued, no lease) as done', async () => {
    const id = newId();
    await documentClient().send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.webhookEvent(id), type: 'WEBHOOK_EVENT', eventId: id, state: 'queued', expiresAt: T },
      }),
    );
    expect(await store.claimWebhookEvent(id, fields(T + 86_400), T + 86_400, 60)).toBe('duplicate');
  });

  it('is never created by the worker, a release or a completion', async () => {
    const id = newId();
    expect(await store.markWebhookEventQueued(id)).toBe(false);
    await expect(store.releaseWebhookEvent(id, { archived: true, enqueued: false })).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    await expect(store.completeWebhookEvent(id)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    expect(await record(id)).toBeUndefined();
  });
});
