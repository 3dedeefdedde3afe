/**
 * The dbt staging model (warehouse/models/stg_razorpay__payments.sql) run by DuckDB over local
 * copies of the raw webhook archive, compared with the curated feed, for a randomized scenario:
 * payments reported by payment.captured and payment_link.(partially_)paid, some redelivered under
 * new event ids, failed attempts and unrelated events mixed in. The archive is written by the
 * webhook path's own adapter (S3RawWebhookArchive, into the S3 emulator); the credits by the link
 * store's transaction, and the feed by the stream poller and the feed worker.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as feedWorker } from '../../functions/feed-worker/handler';
import { ROOT } from '../../local/aws-local';
import { startStreamPoller } from '../../local/stream-poller';
import type { StoredLink } from '../../shared/adapters/dynamo/link-store';
import { S3RawWebhookArchive } from '../../shared/adapters/s3/raw-archive';
import { stores } from '../../shared/wiring';
import { useLocalAws } from '../support/local-aws';

const links = () => stores().links;

let names: Awaited<ReturnType<typeof useLocalAws>>;
let s3: S3Client;
const dir = mkdtempSync(join(tmpdir(), 'emi-dbt-'));

beforeAll(async () => {
  names = await useLocalAws('dbt');
  s3 = new S3Client({
    endpoint: names.s3,
    region: 'ap-south-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function allKeys(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(out.Contents ?? []).map((c) => c.Key!));
    token = out.NextContinuationToken;
  } while (token);
  return keys;
}

async function text(bucket: string, key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

const rnd = (n: number) => Math.floor(Math.random() * n);

describe('dbt staging model stg_razorpay__payments', () => {
  it('turns the raw webhooks into exactly the curated feed’s payments', async () => {
    const archive = new S3RawWebhookArchive(names.RAW_WEBHOOKS_BUCKET);
    const base = Math.floor(Date.parse('2026-11-30T10:00:00Z') / 1000);
    let eventSeq = 0;
    const deliver = async (event: string, payload: Record<string, unknown>, at: number) => {
      const body = Buffer.from(
        JSON.stringify({
          entity: 'event',
          account_id: 'acc_TestAccount01',
          event,
          contains: Object.keys(payload),
          payload,
          created_at: at,
        }),
      );
      eventSeq++;
      await archive.put({
        eventId: `evt_${eventSeq.toString(36).padStart(8, '0')}`,
        accountId: 'default',
        event,
        receivedAt: new Date(at * 1000),
        headers: { 'content-type': 'application/json' },
        body,
      });
    };

    // 1,000 payments over five days (each day's listing stays under the S3 emulator's 1,000-key
    // page), eight written at a time
    const n = 1000;
    const DAYS = 5;
    const one = async (i: number) => {
      const linkId = `lnk_dbt_${i}`;
      const plink = `plink_dbt${i}`;
      const notes = {
        link_id: linkId,
        loan_id: `DBT-${i % 17}`,
        emi_number: String((i % 9) + 1),
        lender: ['Acme', 'Bharat'][i % 2]!,
      };
      const at = base + rnd(DAYS * 86_400);
      const amount = 100 + rnd(2_000_000);
      const method = ['upi', 'card', 'netbanking'][rnd(3)]!;
      const paymentId = `pay_dbt${i.toString(36)}${rnd(1e9).toString(36)}`;
      // a failed attempt first, sometimes: archived, never credited
      if (rnd(4) === 0) {
        await deliver(
          'payment.failed',
          {
            payment: {
              entity: {
                id: `pay_fail${i}`,
                entity: 'payment',
                amount,
                currency: 'INR',
                status: 'failed',
                method,
                notes,
                created_at: at - 60,
              },
            },
          },
          at - 50,
        );
      }
      const payment = {
        id: paymentId,
        entity: 'payment',
        amount,
        currency: 'INR',
        status: 'captured',
        method,
        notes,
        created_at: at,
      };
      await deliver('payment.captured', { payment: { entity: payment } }, at + 1);
      const linkEvent = rnd(3) === 0 ? 'payment_link.partially_paid' : 'payment_link.paid';
      await deliver(
        linkEvent,
        { payment_link: { entity: { id: plink, notes } }, payment: { entity: { ...payment, notes: [] } } },
        at + 2,
      );
      if (rnd(3) === 0) await deliver('payment.captured', { payment: { entity: payment } }, at + 30); // redelivered
      if (rnd(5) === 0)
        await deliver(
          'refund.created',
          { refund: { entity: { id: `rfnd_${i}`, payment_id: paymentId } } },
          at + 40,
        );

      const creditedAt = new Date((at + 3) * 1000).toISOString();
      const link: StoredLink = {
        id: linkId,
        razorpayLinkId: plink,
        referenceId: `ref-dbt-${i}`,
        loanId: notes.loan_id,
        emiNumber: Number(notes.emi_number),
        lender: notes.lender,
        clientName: 'Dbt Person',
        amount,
        amountPaid: amount,
        currency: 'INR',
        status: 'paid',
        expireBy: 2_000_000_000,
        acceptPartial: false,
        createdAt: creditedAt,
        updatedAt: creditedAt,
        failedAttempts: 0,
        rev: 0,
        payments: [
          { paymentId, amount, method, status: 'captured', capturedAt: new Date(at * 1000).toISOString() },
        ],
      };
      const credit = {
        paymentId,
        linkId,
        loanId: link.loanId,
        emiNumber: link.emiNumber,
        amount,
        creditedAt,
      };
      expect(await links().commit({ link: { link, expectedRev: 0 }, credit })).toBe('ok');
    };
    let nextPayment = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (nextPayment < n) await one(nextPayment++);
      }),
    );
    // the days the scenario spans, for listing one day at a time
    const days = Array.from({ length: DAYS + 2 }, (_, d) =>
      new Date((base + (d - 1) * 86_400) * 1000).toISOString().slice(0, 10),
    );
    const byDay = async (prefix: (day: string) => string) =>
      (await Promise.all(days.map((day) => allKeys(names.RAW_WEBHOOKS_BUCKET, prefix(day))))).flat();

    const poller = startStreamPoller({
      endpoint: names.dynamodb,
      table: names.EMIS_TABLE,
      handler: feedWorker,
      everyMs: 60_000,
    });
    while ((await poller.drain()) > 0) {}
    poller.stop();

    // local copies of the archive, as a warehouse loader would have them
    const rawKeys = await byDay((day) => `raw/razorpay/webhooks/account=default/dt=${day}/`);
    expect(rawKeys.length).toBeGreaterThanOrEqual(2 * n);
    let nextKey = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (nextKey < rawKeys.length) {
          const key = rawKeys[nextKey++]!;
          const file = join(dir, key);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, await text(names.RAW_WEBHOOKS_BUCKET, key));
        }
      }),
    );
    const model = readFileSync(
      join(ROOT, 'warehouse', 'models', 'stg_razorpay__payments.sql'),
      'utf8',
    ).replace(
      "{{ source('razorpay', 'raw_webhooks') }}",
      `read_json_auto('${join(dir, 'raw', 'razorpay', 'webhooks')}/*/*/*.json', union_by_name = true)`,
    );
    const duck = await DuckDBInstance.create(':memory:');
    const conn = await duck.connect();
    const reader = await conn.runAndReadAll(
      `select payment_id, link_id, provider, provider_link_id, loan_id, lender, emi_number, amount, currency, method from (${model}) order by payment_id`,
    );
    const staged = reader
      .getRowObjectsJS()
      .map((r) => ({ ...r, emi_number: Number(r.emi_number), amount: Number(r.amount) }));
    conn.closeSync();

    const feed = [];
    for (const key of await byDay((day) => `curated/payments/dt=${day}/`)) {
      for (const line of (await text(names.RAW_WEBHOOKS_BUCKET, key)).trim().split('\n'))
        feed.push(JSON.parse(line));
    }
    const fromFeed = feed
      .filter((l) => l.kind === 'credit')
      .map((l) => ({
        payment_id: l.payment_id,
        link_id: l.link_id,
        provider: l.provider,
        provider_link_id: l.provider_link_id,
        loan_id: l.loan_id,
        lender: l.lender,
        emi_number: l.emi_number,
        amount: l.amount,
        currency: l.currency,
        method: l.method,
      }))
      .sort((a, b) => (a.payment_id < b.payment_id ? -1 : a.payment_id > b.payment_id ? 1 : 0));
    expect(fromFeed).toHaveLength(n);
    expect(staged).toEqual(fromFeed);
  }, 600_000);
});
