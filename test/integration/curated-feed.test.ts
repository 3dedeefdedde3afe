/**
 * The curated payments feed (architecture §4e) driven by the credit ledger: credits written
 * through the link store's transaction (the path every credit takes) reach DynamoDB Local's
 * stream; the local stream poller hands them to the feed worker, which writes one line per
 * payment under curated/payments/dt=…/ in the S3 emulator. Replaying the whole stream, and a
 * second credit of the same payment, add nothing.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as feedWorker } from '../../functions/feed-worker/handler';
import { startStreamPoller } from '../../local/stream-poller';
import type { StoredLink } from '../../shared/adapters/dynamo/link-store';
import { stores } from '../../shared/wiring';
import { useLocalAws } from '../support/local-aws';

const links = () => stores().links;

let names: Awaited<ReturnType<typeof useLocalAws>>;
let s3: S3Client;

beforeAll(async () => {
  names = await useLocalAws('feed');
  s3 = new S3Client({
    endpoint: names.s3,
    region: 'ap-south-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});

/** The feed's objects, listed day by day (s3rver fails a listing of more than 1,000 keys). */
async function feedObjects(days: Iterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for (const day of new Set(days)) {
    const out = await s3.send(
      new ListObjectsV2Command({ Bucket: names.RAW_WEBHOOKS_BUCKET, Prefix: `curated/payments/dt=${day}/` }),
    );
    expect(out.IsTruncated).toBe(false);
    keys.push(...(out.Contents ?? []).map((c) => c.Key!));
  }
  return keys;
}

function link(i: number, paymentId: string, amount: number, capturedAt: string): StoredLink {
  return {
    id: `lnk_feed_${i}`,
    razorpayLinkId: `plink_feed${i}`,
    referenceId: `ref-feed-${i}`,
    loanId: `FEED-${i % 37}`,
    emiNumber: (i % 12) + 1,
    lender: ['Acme', 'Bharat', 'Chola'][i % 3]!,
    clientName: 'Feed Person',
    amount,
    amountPaid: amount,
    currency: 'INR',
    status: 'paid',
    expireBy: 2_000_000_000,
    acceptPartial: false,
    createdAt: capturedAt,
    updatedAt: capturedAt,
    payments: [
      { paymentId, amount, method: ['upi', 'card', 'netbanking'][i % 3]!, status: 'captured', capturedAt },
    ],
    failedAttempts: 0,
    rev: 0,
  };
}

describe('curated payments feed', () => {
  it('400 randomized credits end as exactly 400 credit lines and one surplus line per flagged one, replays and repeats included', async () => {
    // 1,000 payments through the feed are the dbt test's scenario (warehouse-dbt.test.ts)
    const n = 400;
    const expected = new Map<
      string,
      { amount: number; lender: string; creditedAt: string; surplus: number }
    >();
    const base = Date.parse('2026-11-28T18:00:00Z');
    for (let i = 0; i < n; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const k = i + j;
          const paymentId = `pay_${k.toString(36).padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`;
          const amount = 100 + Math.floor(Math.random() * 5_000_000);
          const at = new Date(base + Math.floor(Math.random() * 4 * 86_400_000)).toISOString();
          const l = link(k, paymentId, amount, at);
          // about one in ten is flagged: overpaid by some of it, or paid after the EMI was settled
          // (all of it), or paid on a cancelled link the EMI still needed (flagged, no surplus money)
          const flag =
            Math.random() < 0.1 ? (['overpaid', 'paid_after_cancel', 'none'] as const)[k % 3]! : null;
          const surplus =
            flag === 'overpaid' ? Math.ceil(amount / 3) : flag === 'paid_after_cancel' ? amount : 0;
          const credit = {
            paymentId,
            linkId: l.id,
            loanId: l.loanId,
            emiNumber: l.emiNumber,
            amount,
            creditedAt: at,
            ...(flag === null
              ? {}
              : flag === 'none'
                ? { surplusReason: 'paid_after_cancel' as const, surplusAmount: 0 }
                : { surplusReason: flag, surplusAmount: surplus }),
          };
          expect(await links().commit({ link: { link: l, expectedRev: 0 }, credit })).toBe('ok');
          // the same payment reported again (another webhook, a refresh): the ledger refuses it
          expect(await links().commit({ credit })).toBe('already-credited');
          expected.set(paymentId, { amount, lender: l.lender, creditedAt: at, surplus });
        }),
      );
    }

    const poller = startStreamPoller({
      endpoint: names.dynamodb,
      table: names.EMIS_TABLE,
      handler: feedWorker,
      everyMs: 60_000,
    });
    while ((await poller.drain()) > 0) {}
    poller.stop();
    const days = [...expected.values()].map((e) => e.creditedAt.slice(0, 10));
    const all = await feedObjects(days);
    const keys = all.filter((k) => k.includes('/credit-'));
    const surplusKeys = all.filter((k) => k.includes('/surplus-'));
    const flagged = [...expected.entries()].filter(([, e]) => e.surplus > 0);
    expect(keys).toHaveLength(n);
    expect(surplusKeys.length).toBe(flagged.length);
    expect(all).toHaveLength(n + flagged.length);

    // a second reader from the stream's start (a retried or replayed batch) rewrites, never adds
    const replay = startStreamPoller({
      endpoint: names.dynamodb,
      table: names.EMIS_TABLE,
      handler: feedWorker,
      everyMs: 60_000,
    });
    expect(await replay.drain()).toBeGreaterThanOrEqual(n);
    replay.stop();
    expect(await feedObjects(days)).toHaveLength(n + flagged.length);

    // each surplus line: the credit's fields, the surplus money as its amount
    for (const [paymentId, want] of flagged.slice(0, 50)) {
      const key = `curated/payments/dt=${want.creditedAt.slice(0, 10)}/surplus-${paymentId}.jsonl`;
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: names.RAW_WEBHOOKS_BUCKET, Key: key }))
      ).Body!.transformToString();
      expect(JSON.parse(body)).toMatchObject({
        payment_id: paymentId,
        kind: 'surplus',
        amount: want.surplus,
        lender: want.lender,
        credited_at: want.creditedAt,
      });
    }

    const seen = new Set<string>();
    for (const key of keys.slice(0, 200)) {
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: names.RAW_WEBHOOKS_BUCKET, Key: key }))
      ).Body!.transformToString();
      const lines = body.trim().split('\n');
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]!);
      const want = expected.get(line.payment_id)!;
      expect(line).toMatchObject({
        provider: 'razorpay',
        // links made without an account (as these) belong to the default account
        account_id: 'default',
        kind: 'credit',
        amount: want.amount,
        lender: want.lender,
        currency: 'INR',
        credited_at: want.creditedAt,
        captured_at: want.creditedAt,
      });
      expect(Object.keys(line).sort()).toEqual(
        [
          'payment_id',
          'link_id',
          'provider',
          'provider_link_id',
          'account_id',
          'loan_id',
          'lender',
          'emi_number',
          'amount',
          'currency',
          'method',
          'captured_at',
          'credited_at',
          'kind',
          'refund_id',
        ].sort(),
      );
      expect(key).toBe(`curated/payments/dt=${want.creditedAt.slice(0, 10)}/credit-${line.payment_id}.jsonl`);
      seen.add(line.payment_id);
    }
    expect(seen.size).toBe(200);
  }, 600_000);

  it('writes one refund line per processed refund (two refunds of one payment: two lines), replays included', async () => {
    const at = '2026-10-15T09:00:00.000Z';
    const paymentId = `pay_rf${Math.random().toString(36).slice(2, 14).padEnd(12, '0')}`;
    const l = { ...link(9001, paymentId, 300_000, at), attention: 'overpaid' as const };
    const credit = {
      paymentId,
      linkId: l.id,
      loanId: l.loanId,
      emiNumber: l.emiNumber,
      amount: 300_000,
      creditedAt: at,
      surplusReason: 'overpaid' as const,
      surplusAmount: 200_000,
    };
    expect(await links().commit({ link: { link: l, expectedRev: 0 }, credit })).toBe('ok');
    const refund = (refundId: string, amount: number) => ({
      refundId,
      paymentId,
      linkId: l.id,
      loanId: l.loanId,
      emiNumber: l.emiNumber,
      amount,
      refundedAt: '2026-10-16T10:00:00.000Z',
    });
    expect(await links().commit({ refund: refund('rfd_feedaaaaaaaaaaaaaaaa', 120_000) })).toBe('ok');
    expect(await links().commit({ refund: refund('rfd_feedbbbbbbbbbbbbbbbb', 80_000) })).toBe('ok');
    // the same refund settled again (a duplicate webhook): the ledger refuses it
    expect(await links().commit({ refund: refund('rfd_feedaaaaaaaaaaaaaaaa', 120_000) })).toBe(
      'already-credited',
    );

    for (let pass = 0; pass < 2; pass++) {
      const poller = startStreamPoller({
        endpoint: names.dynamodb,
        table: names.EMIS_TABLE,
        handler: feedWorker,
        everyMs: 60_000,
      });
      while ((await poller.drain()) > 0) {}
      poller.stop();
    }
    const refundKeys = (await feedObjects(['2026-10-16'])).filter((k) => k.includes('/refund-'));
    expect(refundKeys.sort()).toEqual([
      'curated/payments/dt=2026-10-16/refund-rfd_feedaaaaaaaaaaaaaaaa.jsonl',
      'curated/payments/dt=2026-10-16/refund-rfd_feedbbbbbbbbbbbbbbbb.jsonl',
    ]);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: names.RAW_WEBHOOKS_BUCKET, Key: refundKeys[0]! }))
    ).Body!.transformToString();
    expect(JSON.parse(body)).toMatchObject({
      payment_id: paymentId,
      link_id: l.id,
      kind: 'refund',
      refund_id: 'rfd_feedaaaaaaaaaaaaaaaa',
      amount: 120_000,
      lender: l.lender,
      credited_at: '2026-10-16T10:00:00.000Z',
      captured_at: at,
    });
  }, 600_000);
});
