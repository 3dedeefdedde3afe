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
import { links } from '../../shared/wiring';
import { useLocalAws } from '../support/local-aws';

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

async function feedObjects(): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(
      new ListObjectsV2Command({
        Bucket: names.RAW_WEBHOOKS_BUCKET,
        Prefix: 'curated/payments/',
        ContinuationToken: token,
      }),
    );
    keys.push(...(out.Contents ?? []).map((c) => c.Key!));
    token = out.NextContinuationToken;
  } while (token);
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
  it('1,000 randomized credits end as exactly 1,000 credit lines, replays and repeats included', async () => {
    const n = 1000;
    const expected = new Map<string, { amount: number; lender: string; creditedAt: string }>();
    const base = Date.parse('2026-11-28T18:00:00Z');
    for (let i = 0; i < n; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const k = i + j;
          const paymentId = `pay_${k.toString(36).padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`;
          const amount = 100 + Math.floor(Math.random() * 5_000_000);
          const at = new Date(base + Math.floor(Math.random() * 4 * 86_400_000)).toISOString();
          const l = link(k, paymentId, amount, at);
          const credit = {
            paymentId,
            linkId: l.id,
            loanId: l.loanId,
            emiNumber: l.emiNumber,
            amount,
            creditedAt: at,
          };
          expect(await links().commit({ link: { link: l, expectedRev: 0 }, credit })).toBe('ok');
          // the same payment reported again (another webhook, a refresh): the ledger refuses it
          expect(await links().commit({ credit })).toBe('already-credited');
          expected.set(paymentId, { amount, lender: l.lender, creditedAt: at });
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
    const keys = await feedObjects();
    expect(keys).toHaveLength(n);

    // a second reader from the stream's start (a retried or replayed batch) rewrites, never adds
    const replay = startStreamPoller({
      endpoint: names.dynamodb,
      table: names.EMIS_TABLE,
      handler: feedWorker,
      everyMs: 60_000,
    });
    expect(await replay.drain()).toBeGreaterThanOrEqual(n);
    replay.stop();
    expect(await feedObjects()).toHaveLength(n);

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
        ].sort(),
      );
      expect(key).toBe(`curated/payments/dt=${want.creditedAt.slice(0, 10)}/credit-${line.payment_id}.jsonl`);
      seen.add(line.payment_id);
    }
    expect(seen.size).toBe(200);
  }, 120_000);
});
