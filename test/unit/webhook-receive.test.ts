/**
 * The receiver's use case with in-memory ports: the order of its checks, what is stored when,
 * and that nothing is acknowledged unless it is safely queued.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { signWebhookBody } from '../../shared/adapters/razorpay/signature';
import { type RawWebhook, rawWebhookEnvelope, rawWebhookKey } from '../../shared/adapters/s3/raw-archive';
import {
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  ValidationError,
} from '../../shared/domain/errors';
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

interface FakeRecord {
  state: string;
  leaseUntil: number;
  receivedAt: string;
  archiveKey: string;
  archived?: true;
  enqueued?: true;
}

/**
 * In-memory ports. The event store keeps the same rules as WebhookEventStore's conditional writes (tested
 * against DynamoDB Local in test/integration/webhook-events.test.ts); `calls` lists every
 * write, `take` is what the worker does when it takes an event from the queue.
 */
function fakes(
  opts: {
    secrets?: string[][];
    failArchive?: boolean;
    failQueue?: boolean;
    failRelease?: boolean;
    failComplete?: boolean;
  } = {},
) {
  const events = new Map<string, FakeRecord>();
  const calls: string[] = [];
  const archived: RawWebhook[] = [];
  const sent: string[] = [];
  const secretReads: boolean[] = [];
  const secretSets = opts.secrets ?? [[SECRET]];
  let now = NOW;
  const deps: ReceiveDeps = {
    events: {
      claimWebhookEvent: async (id, fields, nowSeconds, leaseSeconds = 60) => {
        calls.push(`claim ${id}`);
        const r = events.get(id);
        const claimable =
          !r || (r.leaseUntil < nowSeconds && (r.state === 'received' || !!r.archived || !!r.enqueued));
        if (!claimable) return 'duplicate';
        const next: FakeRecord = {
          receivedAt: fields.receivedAt,
          archiveKey: fields.archiveKey,
          state: 'received',
          ...r,
          leaseUntil: nowSeconds + leaseSeconds,
        };
        events.set(id, next);
        return {
          receivedAt: next.receivedAt,
          archiveKey: next.archiveKey,
          archived: next.archived === true,
          enqueued: next.enqueued === true,
        };
      },
      releaseWebhookEvent: async (id, done) => {
        calls.push(`release ${id}`);
        if (opts.failRelease) throw new Error('DynamoDB is down');
        const r = events.get(id)!;
        events.set(id, {
          ...r,
          leaseUntil: 0,
          ...(done.archived ? { archived: true } : {}),
          ...(done.enqueued ? { enqueued: true } : {}),
        });
      },
      completeWebhookEvent: async (id, state) => {
        calls.push(`complete ${id}`);
        if (opts.failComplete) throw new Error('DynamoDB is down');
        const { archived: _a, enqueued: _e, ...r } = events.get(id)!;
        events.set(id, { ...r, state: state ?? r.state });
      },
    },
    archive: {
      keyOf: rawWebhookKey,
      put: async (raw) => {
        if (opts.failArchive) throw new Error('S3 is down');
        archived.push(raw);
        return rawWebhookKey(raw.eventId, raw.receivedAt, raw.accountId);
      },
    },
    queue: {
      send: async (body) => {
        if (opts.failQueue) throw new Error('SQS is down');
        sent.push(body);
      },
    },
    secrets: async (accountId, o) => {
      if (accountId !== 'default') return null;
      secretReads.push(Boolean(o?.refresh));
      return secretSets[Math.min(secretReads.length - 1, secretSets.length - 1)]!;
    },
    clock: { now: () => now },
  };
  return {
    deps,
    opts,
    events,
    calls,
    archived,
    sent,
    secretReads,
    /** the worker took the event from the queue (WebhookEventStore.markWebhookEventQueued) */
    take: (id: string) => {
      const r = events.get(id);
      if (r) events.set(id, { ...r, state: 'queued' });
    },
    advance: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
}

const BODY = Buffer.from('{"entity":"event","event":"payment.captured","payload":{}}');

function delivery(body: Buffer = BODY, headers: Record<string, string | undefined> = {}) {
  return {
    accountId: 'default',
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
  it('claims, archives and queues a signed event with one write to the event store', async () => {
    const f = fakes();
    const result = await receiveWebhook(f.deps, delivery());
    expect(result).toEqual({ outcome: 'queued', eventId: 'EvtAbc123XYZ01', event: 'payment.captured' });
    expect(f.calls).toEqual(['claim EvtAbc123XYZ01']);
    expect(f.events.get('EvtAbc123XYZ01')).toEqual({
      state: 'received',
      leaseUntil: Math.floor(NOW.getTime() / 1000) + 60,
      receivedAt: NOW.toISOString(),
      archiveKey: 'raw/razorpay/webhooks/account=default/dt=2026-03-31/EvtAbc123XYZ01.json',
    });
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
      archiveKey: 'raw/razorpay/webhooks/account=default/dt=2026-03-31/EvtAbc123XYZ01.json',
      receivedAt: NOW.toISOString(),
      accountId: 'default',
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

  it('acknowledges a duplicate for good once the worker has taken the event, lease or not', async () => {
    const f = fakes();
    await receiveWebhook(f.deps, delivery());
    f.take('EvtAbc123XYZ01');
    f.advance(3600);
    expect((await receiveWebhook(f.deps, delivery())).outcome).toBe('duplicate');
    expect(f.archived).toHaveLength(1);
    expect(f.sent).toHaveLength(1);
  });

  it('claims again a receipt that died before the worker took it, once its lease has run out', async () => {
    const f = fakes();
    // a receipt that crashed right after its claim: nothing archived, nothing queued
    await f.deps.events.claimWebhookEvent(
      'EvtAbc123XYZ01',
      {
        event: 'payment.captured',
        receivedAt: NOW.toISOString(),
        archiveKey: rawWebhookKey('EvtAbc123XYZ01', NOW, 'default'),
      },
      Math.floor(NOW.getTime() / 1000),
    );
    f.advance(30);
    expect((await receiveWebhook(f.deps, delivery())).outcome).toBe('duplicate');
    f.advance(31);
    expect((await receiveWebhook(f.deps, delivery())).outcome).toBe('queued');
    expect(f.archived.map((a) => a.receivedAt)).toEqual([NOW]);
    expect(decodeWebhookMessage(f.sent[0]!).meta.receivedAt).toBe(NOW.toISOString());
  });

  it.each([
    ['archiving', { failArchive: true }, { archived: 0, sent: 1 }, { enqueued: true }],
    ['queueing', { failQueue: true }, { archived: 1, sent: 0 }, { archived: true }],
    ['both', { failArchive: true, failQueue: true }, { archived: 0, sent: 0 }, {}],
  ])('when %s fails: 5xx, the claim is released with what did finish', async (_n, failure, done, flags) => {
    const f = fakes(failure);
    await expect(receiveWebhook(f.deps, delivery())).rejects.toThrow(/is down/);
    expect(f.archived).toHaveLength(done.archived);
    expect(f.sent).toHaveLength(done.sent);
    expect(f.events.get('EvtAbc123XYZ01')).toEqual({
      state: 'received',
      leaseUntil: 0,
      receivedAt: NOW.toISOString(),
      archiveKey: 'raw/razorpay/webhooks/account=default/dt=2026-03-31/EvtAbc123XYZ01.json',
      ...flags,
    });
  });

  it.each([
    ['archiving', { failArchive: true }],
    ['queueing', { failQueue: true }],
    ['both', { failArchive: true, failQueue: true }],
  ])(
    'a retry after %s failed ends archived and queued exactly once, in the first object',
    async (_n, failure) => {
      const f = fakes(failure);
      await expect(receiveWebhook(f.deps, delivery())).rejects.toThrow(/is down/);
      // the worker may take what was queued before Razorpay retries, on another day
      if (f.sent.length > 0) f.take('EvtAbc123XYZ01');
      f.advance(24 * 3600);
      Object.assign(f.opts, { failArchive: false, failQueue: false });
      const retry = await receiveWebhook(f.deps, delivery());
      expect(retry.outcome).toBe('queued');
      expect(f.archived).toHaveLength(1);
      expect(f.sent).toHaveLength(1);
      expect(rawWebhookKey(f.archived[0]!.eventId, f.archived[0]!.receivedAt, 'default')).toBe(
        'raw/razorpay/webhooks/account=default/dt=2026-03-31/EvtAbc123XYZ01.json',
      );
      expect(decodeWebhookMessage(f.sent[0]!).meta).toMatchObject({
        archiveKey: 'raw/razorpay/webhooks/account=default/dt=2026-03-31/EvtAbc123XYZ01.json',
        receivedAt: NOW.toISOString(),
      });
      // done: the part-way marks are gone, and a later delivery is a duplicate
      expect(f.events.get('EvtAbc123XYZ01')).not.toHaveProperty('archived');
      expect(f.events.get('EvtAbc123XYZ01')).not.toHaveProperty('enqueued');
      f.take('EvtAbc123XYZ01');
      f.advance(3600);
      expect((await receiveWebhook(f.deps, delivery())).outcome).toBe('duplicate');
      expect(f.sent).toHaveLength(1);
    },
  );

  it('still answers 5xx when the claim cannot be released; the lease runs out and the retry redoes it', async () => {
    const f = fakes({ failQueue: true, failRelease: true });
    await expect(receiveWebhook(f.deps, delivery())).rejects.toThrow(/SQS is down/);
    Object.assign(f.opts, { failQueue: false, failRelease: false });
    expect((await receiveWebhook(f.deps, delivery())).outcome).toBe('duplicate');
    f.advance(61);
    expect((await receiveWebhook(f.deps, delivery())).outcome).toBe('queued');
    expect(f.sent).toHaveLength(1);
    // archived twice, to the same object
    expect(new Set(f.archived.map((a) => rawWebhookKey(a.eventId, a.receivedAt, a.accountId))).size).toBe(1);
  });

  it('acknowledges a retry whose marks cannot be cleared: it is archived and queued', async () => {
    const f = fakes({ failArchive: true });
    await expect(receiveWebhook(f.deps, delivery())).rejects.toThrow(/S3 is down/);
    Object.assign(f.opts, { failArchive: false, failComplete: true });
    expect((await receiveWebhook(f.deps, delivery())).outcome).toBe('queued');
    expect(f.archived).toHaveLength(1);
    expect(f.sent).toHaveLength(1);
  });

  it('archives a body that is not JSON without queueing it', async () => {
    const f = fakes();
    const garbage = Buffer.from('not json at all');
    const result = await receiveWebhook(f.deps, delivery(garbage));
    expect(result).toEqual({ outcome: 'archived', eventId: 'EvtAbc123XYZ01', event: null });
    expect(f.archived).toHaveLength(1);
    expect(f.sent).toEqual([]);
    // nothing for the worker to take: the record is final at once
    expect(f.events.get('EvtAbc123XYZ01')).toMatchObject({ state: 'archived' });
    f.advance(3600);
    expect((await receiveWebhook(f.deps, delivery(garbage))).outcome).toBe('duplicate');
    expect(f.archived).toHaveLength(1);
  });
});

describe('receiveWebhook on an account URL', () => {
  it('answers 404 for an account that does not exist, storing nothing', async () => {
    const f = fakes();
    await expect(receiveWebhook(f.deps, { ...delivery(), accountId: 'nobody' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(f.calls).toEqual([]);
    expect(f.archived).toEqual([]);
    expect(f.sent).toEqual([]);
  });

  it('archives under the account and tells the worker which account received it', async () => {
    const f = fakes();
    f.deps.secrets = async (accountId) => (accountId === 'sahyadri' ? [SECRET] : null);
    await receiveWebhook(f.deps, { ...delivery(), accountId: 'sahyadri' });
    expect(f.archived[0]?.accountId).toBe('sahyadri');
    expect(f.events.get('EvtAbc123XYZ01')?.archiveKey).toBe(
      'raw/razorpay/webhooks/account=sahyadri/dt=2026-03-31/EvtAbc123XYZ01.json',
    );
    expect(JSON.parse(f.sent[0]!).accountId).toBe('sahyadri');
  });
});

describe('the raw archive envelope', () => {
  it('keeps the exact body, its sha256 and only Razorpay’s headers, under the UTC receive date', () => {
    const body = Buffer.from('{ "event" : "payment.captured", "note": "₹ \\/ é" }');
    const envelope = rawWebhookEnvelope({
      eventId: 'E1',
      accountId: 'sahyadri',
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
    expect(envelope.accountId).toBe('sahyadri');
    expect(rawWebhookKey('E1', NOW, 'sahyadri')).toBe(
      'raw/razorpay/webhooks/account=sahyadri/dt=2026-03-31/E1.json',
    );
  });

  it('keeps bytes that are not UTF-8 as base64', () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const envelope = rawWebhookEnvelope({
      eventId: 'E2',
      accountId: 'default',
      event: null,
      receivedAt: NOW,
      headers: {},
      body,
    });
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

describe('EximPe deliveries', () => {
  const exBody = (seq: unknown) =>
    Buffer.from(
      JSON.stringify({ data: { payment_id: 'PR1' }, event_type: 'PAYMENT_SUCCESSFUL', sequence_number: seq }),
    );
  const exHeaders = (body: Buffer, secret = SECRET) => ({
    'x-webhook-signature': signWebhookBody(body, secret),
    'x-webhook-event': 'PAYMENT_SUCCESSFUL',
  });

  it('checks X-Webhook-Signature (never Razorpay’s header), keys the event by sequence_number, archives under raw/eximpe/', async () => {
    const f = fakes();
    const body = exBody('e40552bf-ed12-4f35-9a97-162d97e6fa34');
    const razorpayStyle = {
      'x-razorpay-signature': signWebhookBody(body, SECRET),
      'x-razorpay-event-id': 'evt_1',
    };
    await expect(
      receiveWebhook(f.deps, { accountId: 'default', provider: 'eximpe', body, headers: razorpayStyle }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(
      receiveWebhook(f.deps, {
        accountId: 'default',
        provider: 'eximpe',
        body,
        headers: exHeaders(body, 'wrong'),
      }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    expect(f.calls).toEqual([]);
    const ok = await receiveWebhook(f.deps, {
      accountId: 'default',
      provider: 'eximpe',
      body,
      headers: exHeaders(body),
    });
    expect(ok).toEqual({
      outcome: 'queued',
      eventId: 'eximpe-e40552bf-ed12-4f35-9a97-162d97e6fa34',
      event: 'PAYMENT_SUCCESSFUL',
    });
    expect(f.archived[0]?.provider).toBe('eximpe');
    expect(rawWebhookEnvelope(f.archived[0]!).source).toBe('eximpe');
    const { meta } = decodeWebhookMessage(f.sent[0]!);
    expect(meta).toMatchObject({ provider: 'eximpe', eventId: ok.eventId });
    expect(meta.archiveKey.startsWith('raw/eximpe/webhooks/account=default/dt=2026-03-31/')).toBe(true);
    // the same bytes again (a replay or a retry) are a duplicate
    const again = await receiveWebhook(f.deps, {
      accountId: 'default',
      provider: 'eximpe',
      body,
      headers: exHeaders(body),
    });
    expect(again.outcome).toBe('duplicate');
  });

  it('without a usable sequence_number, the body’s hash identifies the event', async () => {
    const f = fakes();
    const body = exBody({ not: 'a string' });
    const out = await receiveWebhook(f.deps, {
      accountId: 'default',
      provider: 'eximpe',
      body,
      headers: exHeaders(body),
    });
    expect(out.eventId).toBe(`eximpe-h${createHash('sha256').update(body).digest('hex').slice(0, 48)}`);
  });
});
