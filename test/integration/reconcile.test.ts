/**
 * Reconciliation against DynamoDB Local and the sandbox, with webhooks going nowhere (so every
 * change at Razorpay is one reconciliation must find). Tests run in file order: the first one
 * relies on the table holding only its own links.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as generate } from '../../functions/generate-link/handler';
import { handler as upsert } from '../../functions/loans-upsert/handler';
import { main as reconcileMain } from '../../functions/reconcile/handler';
import type { StoredLink } from '../../shared/adapters/dynamo/link-store';
import { CURRENCY } from '../../shared/domain/money';
import type { LinkDeps } from '../../shared/usecases/link-deps';
import { withRef } from '../../shared/usecases/link-deps';
import { reconcile } from '../../shared/usecases/reconcile';
import { stores } from '../../shared/wiring';
import { linkDeps } from '../../shared/wiring-links';
import { sandboxLinks, startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';
import { call } from '../support/http';

const emiStore = () => stores().emis;
const linkStore = () => stores().links;

let app: TestApp;

const gen = async (body: Record<string, unknown>) => {
  const res = await call(generate, { method: 'POST', path: '/api/payment-links/generate', body });
  expect(res.status, JSON.stringify(res.json)).toBeLessThan(300);
  return res.json as { id: string; razorpayLinkId: string; amount: number };
};
const pay = (plink: string, body: Record<string, unknown> = {}) =>
  app.control('POST', `/_sandbox/payment_links/${plink}/pay`, body);
const stored = async (id: string) => (await linkStore().getLink(id))!;
const atRazorpay = async (plink: string) => (await sandboxLinks(app)).find((l) => l.id === plink)?.status;
/** the link deps with the clock moved by `offsetMs` */
const depsAt = (offsetMs: number): LinkDeps => ({
  ...linkDeps(),
  clock: { now: () => new Date(Date.now() + offsetMs) },
});

/** A link left as a crashed or timed-out create leaves it: no Razorpay id, `creating` or unresolved. */
async function strandedLink(
  loanId: string,
  status: 'creating' | 'failed',
  ageMs: number,
): Promise<StoredLink> {
  const emi = (await emiStore().getEmi(loanId, 1, true))!;
  const createdAt = new Date(Date.now() - ageMs).toISOString();
  const id = `lnk_${loanId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .padEnd(20, '0')}`;
  const link: StoredLink = {
    id,
    referenceId: id,
    loanId,
    emiNumber: 1,
    lender: emi.lender,
    clientName: emi.clientName,
    amount: emi.amount,
    amountPaid: 0,
    currency: CURRENCY,
    status,
    expireBy: Math.floor(Date.now() / 1000) + 86_400,
    acceptPartial: false,
    createdAt,
    updatedAt: createdAt,
    payments: [],
    failedAttempts: 0,
    ...(status === 'failed'
      ? { error: { code: 'RAZORPAY_TIMEOUT', message: 'no answer', unresolved: true } }
      : {}),
    rev: 1,
  };
  const outcome = await linkStore().commit({
    link: { link, expectedRev: 0 },
    emi: { emi: withRef(emi, link, createdAt), expectedVersion: emi.version },
  });
  expect(outcome).toBe('ok');
  return link;
}

/** What Razorpay holds when a create went through but its answer never reached us. */
async function createdAtRazorpayOnly(link: StoredLink) {
  const gateway = await linkDeps().gateways.forAccount({ accountId: 'default', provider: 'razorpay' });
  return gateway.createLink({
    amount: link.amount,
    currency: 'INR',
    description: `EMI 1 of loan ${link.loanId}`,
    referenceId: link.referenceId,
    customer: { name: link.clientName },
    expireBy: link.expireBy,
    acceptPartial: false,
    notify: { sms: false, email: false },
    reminderEnable: false,
    notes: { link_id: link.id, loan_id: link.loanId, emi_number: '1', lender: link.lender },
  });
}

beforeAll(async () => {
  app = await startTestApp('reconcile');
  const loans = [
    loan('R-ROT', 'Acme', [-1, 1, 2]),
    loan('R-EXP', 'Acme', [-1]),
    loan('R-SOON', 'Acme', [-1]),
    loan('R-SET', 'Acme', [-1]),
    loan('R-DROP', 'Acme', [-1, 5]),
    loan('R-ADOPT', 'Acme', [-1]),
    loan('R-GONE', 'Acme', [-1]),
    loan('R-UNRES', 'Acme', [-1]),
    loan('R-DOWN', 'Acme', [-1]),
  ];
  expect((await call(upsert, { method: 'POST', body: { loans } })).status).toBe(200);
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  app.sandbox.config = { errorRate: 0 };
});

describe('reconcile', () => {
  it('is bounded per run and moves on to other links instead of rechecking the same ones', async () => {
    const ids = [
      (await gen({ loanId: 'R-ROT', emiNumber: 1 })).id,
      (await gen({ loanId: 'R-ROT', emiNumber: 2 })).id,
      (await gen({ loanId: 'R-ROT', emiNumber: 3 })).id,
    ];
    const seen: string[] = [];
    const spyingAt = (offsetMs: number): LinkDeps => {
      const deps = depsAt(offsetMs);
      return {
        ...deps,
        gateways: {
          ...deps.gateways,
          forAccount: async (account) => {
            const real = await deps.gateways.forAccount(account);
            return {
              ...real,
              fetchLink: (plink) => {
                seen.push(plink);
                return real.fetchLink(plink);
              },
            };
          },
        },
      };
    };
    // twenty minutes on, all three are stale; twenty more, so are the two just checked
    const first = await reconcile(spyingAt(20 * 60_000), { limit: 2 });
    const second = await reconcile(spyingAt(40 * 60_000), { limit: 2 });
    expect(first).toMatchObject({ examined: 2, refreshed: 2, changed: 0, errors: 0 });
    expect(second).toMatchObject({ examined: 2, refreshed: 2, errors: 0 });
    const plinks = await Promise.all(ids.map(async (id) => (await stored(id)).razorpayLinkId!));
    // the third link is looked at in the second run, before either of the first run's again
    expect(new Set(seen.slice(0, 2))).toEqual(new Set(plinks.slice(0, 2)));
    expect(seen[2]).toBe(plinks[2]);
  });

  it('leaves links heard of recently alone', async () => {
    const link = await gen({ loanId: 'R-SOON', emiNumber: 1 });
    const counts = await reconcile(linkDeps());
    expect(counts.examined).toBe(0);
    expect(await stored(link.id)).toMatchObject({ status: 'created' });
  });

  it('expires a link Razorpay expired while the webhook was lost', async () => {
    const link = await gen({ loanId: 'R-EXP', emiNumber: 1 });
    await app.control('POST', `/_sandbox/payment_links/${link.razorpayLinkId}/expire`);
    const counts = await reconcileMain({ staleAfterMs: 0 });
    expect(counts.errors).toBe(0);
    expect(await stored(link.id)).toMatchObject({ status: 'expired' });
    expect((await emiStore().getEmi('R-EXP', 1, true))!.links).toEqual({});
  });

  it('checks a link past its expire_by even when it was synced a moment ago', async () => {
    const expireBy = new Date(Date.now() + 17 * 60_000);
    const link = await gen({ loanId: 'R-EXP', emiNumber: 1, expireBy: expireBy.toISOString() });
    await app.control('POST', `/_sandbox/payment_links/${link.razorpayLinkId}/expire`);
    // a minute past its expiry, with the link synced well inside the staleness window
    const counts = await reconcile(depsAt(18 * 60_000), { staleAfterMs: 60 * 60_000 });
    expect(counts).toMatchObject({ examined: 1, refreshed: 1, changed: 1, errors: 0 });
    expect(await stored(link.id)).toMatchObject({ status: 'expired' });
  });

  it('cancels an open link whose EMI was settled through another channel', async () => {
    const link = await gen({ loanId: 'R-SET', emiNumber: 1 });
    const settled = loan('R-SET', 'Acme', [-1]);
    settled.emis[0]!.amountPaid = settled.emis[0]!.amount;
    expect((await call(upsert, { method: 'POST', body: { loans: [settled] } })).status).toBe(200);
    const counts = await reconcileMain({ staleAfterMs: 0 });
    expect(counts.cancelledSettled).toBe(1);
    expect(await stored(link.id)).toMatchObject({ status: 'cancelled', cancelReason: 'emi_settled' });
    expect(await atRazorpay(link.razorpayLinkId)).toBe('cancelled');
  });

  it('cancels an open link whose EMI a later schedule dropped', async () => {
    const link = await gen({ loanId: 'R-DROP', emiNumber: 2 });
    // the lender re-sends the loan with only its first EMI
    expect(
      (await call(upsert, { method: 'POST', body: { loans: [loan('R-DROP', 'Acme', [-1])] } })).status,
    ).toBe(200);
    const counts = await reconcileMain({ staleAfterMs: 0 });
    expect(counts.cancelledSettled).toBe(1);
    expect(await stored(link.id)).toMatchObject({ status: 'cancelled', cancelReason: 'emi_removed' });
    expect(await atRazorpay(link.razorpayLinkId)).toBe('cancelled');
  });

  it('adopts links whose create was never answered, and fails for good those Razorpay never made', async () => {
    const adopt = await strandedLink('R-ADOPT', 'creating', 5 * 60_000);
    const made = await createdAtRazorpayOnly(adopt);
    const unresolved = await strandedLink('R-UNRES', 'failed', 60_000);
    const unresolvedMade = await createdAtRazorpayOnly(unresolved);
    await pay(unresolvedMade.id);
    const gone = await strandedLink('R-GONE', 'creating', 5 * 60_000);
    const fresh = await strandedLink('R-DOWN', 'creating', 10_000);

    const counts = await reconcileMain({ staleAfterMs: 0 });
    expect(counts).toMatchObject({ adopted: 2, failedForGood: 1, errors: 0 });
    expect(await stored(adopt.id)).toMatchObject({ status: 'created', razorpayLinkId: made.id });
    expect(await stored(unresolved.id)).toMatchObject({
      status: 'paid',
      razorpayLinkId: unresolvedMade.id,
      amountPaid: 250_000,
    });
    expect((await emiStore().getEmi('R-UNRES', 1, true))!.amountCredited).toBe(250_000);
    expect(await stored(gone.id)).toMatchObject({ status: 'failed', error: { unresolved: false } });
    expect((await emiStore().getEmi('R-GONE', 1, true))!.links).toEqual({});
    // a create that may still be in flight is left to its creator
    expect(await stored(fresh.id)).toMatchObject({ status: 'creating' });
  });

  it('counts links it could not check while Razorpay is down, and catches up on the next run', async () => {
    const link = await gen({ loanId: 'R-SOON', emiNumber: 1, forceNew: true });
    await pay(link.razorpayLinkId);
    app.sandbox.config = { errorRate: 1 };
    const down = await reconcileMain({ staleAfterMs: 0 });
    expect(down.errors).toBeGreaterThan(0);
    expect(down.refreshed).toBe(0);
    expect(await stored(link.id)).toMatchObject({ status: 'created', amountPaid: 0 });
    app.sandbox.config = { errorRate: 0 };
    const up = await reconcileMain({ staleAfterMs: 0 });
    expect(up.errors).toBe(0);
    expect(await stored(link.id)).toMatchObject({ status: 'paid', amountPaid: 250_000 });
  });
});
