/**
 * The receiver's use case with in-memory ports: the order of its checks, what is stored when,
 * and that nothing is acknowledged unless it is safely queued.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { signWebhookBody } from '../../shared/adapters/razorpay/signature';
import { type RawWebhook, rawWebhookEnvelope, rawWebhookKey } from '../../shared/adapters/s3/raw-archive';
import { PayloadTooLargeError, UnauthorizedError, ValidationError } from '../../shared/domain/errors';
import {
  decodeWebhookMessage,
  encodeWebhookMessage,
  MAX_QUEUE_MESSAGE_BYTES,
} from '../../shared/usecases/webhook-message';
import {
  MAX_WEBHOOK_BODY_BYTES,
  type ReceiveDeps,
  receiveWebhook,
} from '../../shared/usecases/webhook-receive';

const SECRET = 'current-secret';
const NOW = new Date('2026-03-31T23:59:59.500Z');

function fakes(opts: { secrets?: string[][]; failArchive?: boolean; failQueue?: boolean } = {}) {
  const events = new Map<string, { state: string }>();
  const archived: RawWebhook[] = [];
  const sent: string[] = [];
  const secretReads: boolean[] = [];
  const secretSets = opts.secrets ?? [[SECRET]];
  const deps: ReceiveDeps = {
    events: {
      recordWebhookEvent: async (id) => {
        if (events.has(id)) return 'duplicate';
        events.set(id, { state: 'received' });
        return 'new';
      },
      markWebhookEventQueued: async (id) => {
        events.set(id, { state: 'queued' });
      },
      forgetWebhookEvent: async (id) => {
        events.delete(id);
      },
    },
    archive: {
      put: async (raw) => {
        if (opts.failArchive) throw new Error('S3 is down');
        archived.push(raw);
        return rawWebhookKey(raw.eventId, raw.receivedAt);
      },
    },
    queue: {
      send: async (body) => {
        if (opts.failQueue) throw new Error('SQS is down');
        sent.push(body);
      },
    },
    secrets: async (o) => {
      secretReads.push(Boolean(o?.refresh));
      return secretSets[Math.min(secretReads.length - 1, secretSets.length - 1)]!;
    },
    clock: { now: () => NOW },
  };
  return { deps, events, archived, sent, secretReads };
}

const BODY = Buffer.from('{"entity":"event","event":"payment.captured","payload":{}}');

function delivery(body: Buffer = BODY, headers: Record<string, string | undefined> = {}) {
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-razorpay-event-id': 'EvtAbc123XYZ01',
      'x-razorpay-signature': signWebhookBody(body, SECRET),
      ...headers,
    },
  };
}

describe('receiveWebhook', () => {
  it('records, archives and queues a signed event, then marks it queued', async () => {
    const f = fakes();
    const result = await receiveWebhook(f.deps, delivery());
    expect(result).toEqual({ outcome: 'queued', eventId: 'EvtAbc123XYZ01', event: 'payment.captured' });
    expect(f.events.get('EvtAbc123XYZ01')).toEqual({ state: 'queued' });
    expect(f.archived[0]).toMatchObject({
      eventId: 'EvtAbc123XYZ01',
      event: 'payment.captured',
      receivedAt: NOW,
    });
    const { meta, body } = decodeWebhookMessage(f.sent[0]!);
    expect(meta).toEqual({
      v: 1,
      eventId: 'EvtAbc123XYZ01',
      event: 'payment.captured',
      archiveKey: 'raw/razorpay/webhooks/dt=2026-03-31/EvtAbc123XYZ01.json',
      receivedAt: NOW.toISOString(),
    });
    expect(body.equals(BODY)).toBe(true);
  });

  it('refuses an oversized body with 413 before looking at its signature', async () => {
    const f = fakes();
    const huge = Buffer.alloc(MAX_WEBHOOK_BODY_BYTES + 1, 0x20);
    await expect(
      receiveWebhook(f.deps, delivery(huge, { 'x-razorpay-signature': 'bad' })),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(f.secretReads).toEqual([]);
  });

  it.each([
    ['missing', undefined],
    ['wrong', signWebhookBody(BODY, 'another-secret')],
    ['not hex', 'sha256=abc'],
  ])('refuses a %s signature with 401 and stores nothing', async (_name, signature) => {
    const f = fakes();
    await expect(
      receiveWebhook(f.deps, delivery(BODY, { 'x-razorpay-signature': signature })),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    expect(f.events.size).toBe(0);
    expect(f.archived).toEqual([]);
    expect(f.sent).toEqual([]);
  });

  it('re-reads the secrets once when the cached ones do not match (a rotation)', async () => {
    const f = fakes({ secrets: [['stale-secret'], [SECRET, 'stale-secret']] });
    await expect(receiveWebhook(f.deps, delivery())).resolves.toMatchObject({ outcome: 'queued' });
    expect(f.secretReads).toEqual([false, true]);
  });

  it.each([
    [undefined, 'is required'],
    ['../../etc/passwd', 'must be an event id'],
  ])('refuses event id %s with 400 after checking the signature', async (eventId, message) => {
    const f = fakes();
    const err = await receiveWebhook(f.deps, delivery(BODY, { 'x-razorpay-event-id': eventId })).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.details).toEqual([{ field: 'header.x-razorpay-event-id', message }]);
    expect(f.events.size).toBe(0);
  });

  it('acknowledges a duplicate without archiving or queueing it again', async () => {
    const f = fakes();
    await receiveWebhook(f.deps, delivery());
    const again = await receiveWebhook(f.deps, delivery());
    expect(again.outcome).toBe('duplicate');
    expect(f.archived).toHaveLength(1);
    expect(f.sent).toHaveLength(1);
  });

  it.each([
    ['archiving', { failArchive: true }],
    ['queueing', { failQueue: true }],
  ])('forgets the event id and fails when %s fails, so the retry is accepted', async (_name, failure) => {
    const f = fakes(failure);
    await expect(receiveWebhook(f.deps, delivery())).rejects.toThrow(/is down/);
    expect(f.events.size).toBe(0);
    expect(f.sent).toEqual([]);
  });

  it('archives a body that is not JSON without queueing it', async () => {
    const f = fakes();
    const garbage = Buffer.from('not json at all');
    const result = await receiveWebhook(f.deps, delivery(garbage));
    expect(result).toEqual({ outcome: 'archived', eventId: 'EvtAbc123XYZ01', event: null });
    expect(f.archived).toHaveLength(1);
    expect(f.sent).toEqual([]);
    expect(f.events.get('EvtAbc123XYZ01')).toEqual({ state: 'queued' });
  });
});

describe('the raw archive envelope', () => {
  it('keeps the exact body, its sha256 and only Razorpay’s headers, under the UTC receive date', () => {
    const body = Buffer.from('{ "event" : "payment.captured", "note": "₹ \\/ é" }');
    const envelope = rawWebhookEnvelope({
      eventId: 'E1',
      event: 'payment.captured',
      receivedAt: NOW,
      headers: {
        'x-razorpay-signature': 'sig',
        'x-razorpay-event-id': 'E1',
        'request-id': 'E1',
        'user-agent': 'Razorpay-Webhook/v1',
        'content-type': 'application/json',
        authorization: 'Bearer secret',
        'x-forwarded-for': '10.0.0.1',
      },
      body,
    });
    expect(Buffer.from(JSON.parse(JSON.stringify(envelope)).body, 'utf8').equals(body)).toBe(true);
    expect(envelope.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(Object.keys(envelope.headers).sort()).toEqual([
      'content-type',
      'request-id',
      'user-agent',
      'x-razorpay-event-id',
      'x-razorpay-signature',
    ]);
    expect(rawWebhookKey('E1', NOW)).toBe('raw/razorpay/webhooks/dt=2026-03-31/E1.json');
  });

  it('keeps bytes that are not UTF-8 as base64', () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const envelope = rawWebhookEnvelope({ eventId: 'E2', event: null, receivedAt: NOW, headers: {}, body });
    expect(envelope.body).toBeUndefined();
    expect(Buffer.from(envelope.bodyBase64!, 'base64').equals(body)).toBe(true);
  });
});

describe('the queue message', () => {
  const meta = { eventId: 'E1', event: 'payment.captured', archiveKey: 'k', receivedAt: NOW.toISOString() };

  it('carries a body too big for SQS as gzip, and gives back the same bytes', () => {
    const body = Buffer.from(JSON.stringify({ event: 'payment.captured', pad: '"'.repeat(200 * 1024) }));
    const text = encodeWebhookMessage(meta, body);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_QUEUE_MESSAGE_BYTES);
    const parsed = JSON.parse(text);
    expect(parsed.body).toBeUndefined();
    expect(gunzipSync(Buffer.from(parsed.bodyGzip, 'base64')).equals(body)).toBe(true);
    expect(decodeWebhookMessage(text).body.equals(body)).toBe(true);
  });

  it('refuses what the receiver did not write', () => {
    expect(() => decodeWebhookMessage('nope')).toThrow(/not JSON/);
    expect(() => decodeWebhookMessage('{"v":2}')).toThrow(/not a webhook message/);
    expect(() => decodeWebhookMessage(JSON.stringify({ v: 1, ...meta }))).toThrow(/no body/);
  });
});
