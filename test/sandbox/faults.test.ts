/**
 * Fault injection on the /v1 API (never on /_sandbox): 429 beyond the rate limit, 500s that
 * change nothing, hangs where the work is done but the answer comes late, added latency, and
 * seeded determinism.
 */
import type Razorpay from 'razorpay';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox/server';
import { control, gatewayError, linkBody, rejectionOf, sdkFor } from './helpers';

type CreateBody = Parameters<Razorpay['paymentLink']['create']>[0];
type ListParams = Parameters<Razorpay['paymentLink']['all']>[0];

let sandbox: Sandbox;
let rzp: Razorpay;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, webhookUrl: '', seed: 7 });
  rzp = sdkFor(sandbox);
});

afterEach(() => {
  sandbox.config = { latencyMs: 0, rateLimitPerSecond: 0, errorRate: 0, hangRate: 0, hangMs: 10_000 };
  sandbox.reset();
});

afterAll(async () => {
  await sandbox.close();
});

const findByReference = async (referenceId: string) =>
  (await rzp.paymentLink.all({ reference_id: referenceId } as unknown as ListParams)).payment_links;

describe('rate limit', () => {
  it('answers 429 with Razorpay’s body beyond rateLimitPerSecond requests in a second', async () => {
    sandbox.config = { rateLimitPerSecond: 5 };
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => rzp.paymentLink.create(linkBody() as CreateBody)),
    );
    const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(refused).toHaveLength(5);
    for (const reason of refused) {
      expect(reason).toEqual({ statusCode: 429, error: gatewayError('Too many requests') });
    }
    expect(sandbox.links).toBe(5);
  });

  it('does not limit the control API', async () => {
    sandbox.config = { rateLimitPerSecond: 1 };
    for (let i = 0; i < 5; i++) expect((await control(sandbox, 'GET', '/_sandbox/stats')).status).toBe(200);
  });
});

describe('errorRate', () => {
  it('answers 500 SERVER_ERROR and creates nothing', async () => {
    sandbox.config = { errorRate: 1 };
    const body = linkBody();
    expect(await rejectionOf(rzp.paymentLink.create(body as CreateBody))).toEqual({
      statusCode: 500,
      error: gatewayError(
        'We are facing some trouble completing your request at the moment. Please try again shortly.',
        'SERVER_ERROR',
      ),
    });
    expect(sandbox.links).toBe(0);
    sandbox.config = { errorRate: 0 };
    // the reference id was never attempted
    expect(await findByReference(body.reference_id)).toEqual([]);
    await rzp.paymentLink.create(body as CreateBody);
    expect(sandbox.links).toBe(1);
  });

  it('changes nothing on cancel either', async () => {
    const link = await rzp.paymentLink.create(linkBody() as CreateBody);
    sandbox.config = { errorRate: 1 };
    expect((await rejectionOf(rzp.paymentLink.cancel(link.id))).statusCode).toBe(500);
    sandbox.config = { errorRate: 0 };
    expect((await rzp.paymentLink.fetch(link.id)).status).toBe('created');
  });

  it('picks the same requests to fail for the same seed', async () => {
    const outcomes = async (seed: number) => {
      const seeded = await startSandbox({ port: 0, webhookUrl: '', seed, config: { errorRate: 0.5 } });
      try {
        const client = sdkFor(seeded);
        const statuses: number[] = [];
        for (let i = 0; i < 12; i++) {
          statuses.push(
            await client.paymentLink.all().then(
              () => 200,
              (e: { statusCode: number }) => e.statusCode,
            ),
          );
        }
        return statuses;
      } finally {
        await seeded.close();
      }
    };
    const first = await outcomes(1234);
    expect(await outcomes(1234)).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
  });
});

describe('hangRate', () => {
  it('creates the link but answers only after hangMs, so a client with a timeout gives up', async () => {
    sandbox.config = { hangRate: 1, hangMs: 400 };
    const impatient = sdkFor(sandbox, undefined, 100);
    const body = linkBody();
    // the SDK's normalizeError cannot read a response that never came: a TypeError
    await expect(impatient.paymentLink.create(body as CreateBody)).rejects.toThrow(TypeError);
    sandbox.config = { hangRate: 0 };
    const found = await findByReference(body.reference_id);
    expect(found.map((l) => l.reference_id)).toEqual([body.reference_id]);
  });

  it('answers eventually for a patient client', async () => {
    sandbox.config = { hangRate: 1, hangMs: 50 };
    const started = Date.now();
    const link = await rzp.paymentLink.create(linkBody() as CreateBody);
    expect(link.status).toBe('created');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});

describe('latency', () => {
  it('adds latencyMs to /v1 answers', async () => {
    sandbox.config = { latencyMs: 120 };
    const started = Date.now();
    await rzp.paymentLink.all();
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('never delays the control API', async () => {
    sandbox.config = { latencyMs: 60_000 };
    // a delayed answer would outlive this abort by far; the control API answers at once
    const res = await Promise.race([
      control(sandbox, 'GET', '/_sandbox/stats'),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the control API was delayed')), 30_000),
      ),
    ]);
    expect(res.status).toBe(200);
  });
});
