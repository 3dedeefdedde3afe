/**
 * Mapping a webhook back to our link, and what each event reports, on Razorpay's own sample
 * bodies with an in-memory link finder. Applying through the crediting path is covered end to
 * end in test/integration/webhooks.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StoredLink } from '../../shared/adapters/dynamo/link-store';
import { parseWebhookEvent, type WebhookEvent } from '../../shared/adapters/razorpay/webhook-types';
import type { LinkDeps } from '../../shared/usecases/link-deps';
import {
  applyWebhookEvent,
  applyWebhookMessage,
  findOurLink,
  observationOf,
  UnmappedPaymentError,
} from '../../shared/usecases/webhook-apply';
import { encodeWebhookMessage } from '../../shared/usecases/webhook-message';

// biome-ignore lint/suspicious/noExplicitAny: sample bodies are edited loosely by design
type Json = any;
const SAMPLES: Record<string, { payload: Json }> = JSON.parse(
  readFileSync(new URL('./razorpay/fixtures/razorpay-samples.json', import.meta.url), 'utf8'),
);
const sample = (key: string): Json => structuredClone(SAMPLES[key]!.payload);

const OURS = 'lnk_abcdefghij0123456789';
const PLINK = 'plink_Ab12Cd34Ef56Gh';

function finder(links: Partial<StoredLink>[] = [{ id: OURS, razorpayLinkId: PLINK }]) {
  const calls: string[] = [];
  return {
    calls,
    getLink: async (id: string) => {
      calls.push(`id:${id}`);
      return (links.find((l) => l.id === id) as StoredLink | undefined) ?? null;
    },
    findByRazorpayId: async (id: string) => {
      calls.push(`plink:${id}`);
      return (links.find((l) => l.razorpayLinkId === id) as StoredLink | undefined) ?? null;
    },
    // the credit ledger: none of these tests' payments was ever credited
    getCredit: async (paymentId: string) => {
      calls.push(`credit:${paymentId}`);
      return null;
    },
  };
}

function parsed(body: Json): WebhookEvent {
  const result = parseWebhookEvent(JSON.stringify(body));
  if (!result.ok) throw result.error;
  return result.event;
}

describe('findOurLink', () => {
  it('maps a payment by the link id in its notes first', async () => {
    const body = sample('webhook:payment.captured:payment_link_payment:real_capture');
    body.payload.payment.entity.notes = { link_id: OURS };
    const f = finder();
    expect((await findOurLink(f, parsed(body)))?.id).toBe(OURS);
    expect(f.calls).toEqual([`id:${OURS}`]);
  });

  it('falls back to the #<suffix> description of a link payment', async () => {
    const body = sample('webhook:payment.captured:payment_link_payment:real_capture');
    body.payload.payment.entity.description = `#${PLINK.slice('plink_'.length)}`;
    expect((await findOurLink(finder(), parsed(body)))?.id).toBe(OURS);
  });

  it('falls back to the order receipt (our reference id) when nothing else matches', async () => {
    const body = sample('webhook:order.paid:payment_link_payment:real_capture');
    body.payload.order.entity.receipt = OURS;
    const f = finder();
    expect((await findOurLink(f, parsed(body)))?.id).toBe(OURS);
    expect(f.calls).toEqual(['plink:plink_Rp716LigRuUJjD', `id:${OURS}`]);
  });

  it('maps payment_link events by the Razorpay link id', async () => {
    const body = sample('webhook:payment_link.paid:upi:docs');
    body.payload.payment_link.entity.id = PLINK;
    expect((await findOurLink(finder(), parsed(body)))?.id).toBe(OURS);
  });

  it('finds nothing for a payment that is not ours, without looking up ids that cannot be ours', async () => {
    const f = finder();
    expect(await findOurLink(f, parsed(sample('webhook:payment.failed:wallets:docs')))).toBeNull();
    // "#inv_…" is an invoice, "rcptid #1" not one of our ids: no reads at all
    expect(f.calls).toEqual([]);
  });
});

describe('observationOf', () => {
  it('reports the captured payment and the link’s state from payment_link.partially_paid', () => {
    const obs = observationOf(parsed(sample('webhook:payment_link.partially_paid:standard:docs')));
    expect(obs).toEqual({
      status: 'partially_paid',
      amountPaid: 100,
      captured: [
        {
          paymentId: 'pay_QaIqFEHBrZf3qL',
          amount: 100,
          currency: 'INR',
          method: 'upi',
          status: 'captured',
          createdAt: 1748425250,
        },
      ],
      razorpay: {
        id: 'plink_QaIpqBWhd58CE3',
        shortUrl: expect.stringContaining('rzp.io'),
        expireBy: 1748426427,
      },
    });
  });

  it.each(['payment.captured:card', 'order.paid:card'])('reports one captured payment from %s', (name) => {
    const [event, variant] = name.split(':');
    const obs = observationOf(parsed(sample(`webhook:${event}:${variant}:docs`)));
    expect(obs).toEqual({
      captured: [expect.objectContaining({ paymentId: 'pay_DESp9bgForNoUd', amount: 100 })],
    });
  });

  it('reports a failed attempt, and no money, from payment.failed', () => {
    const obs = observationOf(parsed(sample('webhook:payment.failed:card:docs')));
    expect(obs.captured).toEqual([]);
    expect(obs.failed).toEqual([
      { paymentId: 'pay_DESp9bgForNoUd', amount: 100, method: 'card', createdAt: expect.any(Number) },
    ]);
  });

  it('reports only the status from payment_link.expired', () => {
    const obs = observationOf(parsed(sample('webhook:payment_link.expired:standard:docs')));
    expect(obs).toMatchObject({ status: 'expired', amountPaid: 0, captured: [] });
  });
});

describe('applyWebhookEvent', () => {
  const deps = (f = finder([])) => ({ links: f }) as unknown as LinkDeps;

  it('throws for captured money on a payment link we do not know, so it is retried and dead-lettered', async () => {
    const body = sample('webhook:payment.captured:upi:docs') as { payload: { payment: { entity: Json } } };
    body.payload.payment.entity.description = '#AbCdEfGhIjKlMn';
    await expect(applyWebhookEvent(deps(), parsed(body as Json), 'E1')).rejects.toBeInstanceOf(
      UnmappedPaymentError,
    );
  });

  it('acknowledges a captured payment with no trace of a payment link: not taken through this tool', async () => {
    await expect(
      applyWebhookEvent(deps(), parsed(sample('webhook:payment.captured:upi:docs')), 'E1'),
    ).resolves.toEqual({ applied: false, reason: 'not-a-link-payment' });
  });

  it.each(['webhook:payment.failed:upi:docs', 'webhook:payment_link.cancelled:standard:docs'])(
    'acknowledges %s for a link that is not ours: no money in it',
    async (key) => {
      await expect(applyWebhookEvent(deps(), parsed(sample(key)), 'E1')).resolves.toEqual({
        applied: false,
        reason: 'unmapped',
      });
    },
  );

  it.each(['webhook:refund.processed:normal:docs', 'webhook:refund.failed:normal:docs'])(
    'acknowledges %s of a payment we never credited, looking only at the ledger',
    async (key) => {
      const f = finder([]);
      await expect(applyWebhookEvent(deps(f), parsed(sample(key)), 'E1')).resolves.toEqual({
        applied: false,
        reason: 'not-ours',
      });
      expect(f.calls).toEqual(['credit:pay_FPoJKWQQ8lK13n']);
    },
  );

  it.each(['webhook:payment.authorized:card:docs', 'webhook:refund.speed_changed:normal:docs'])(
    'acknowledges %s without looking for a link',
    async (key) => {
      const f = finder([]);
      await expect(applyWebhookEvent(deps(f), parsed(sample(key)), 'E1')).resolves.toEqual({
        applied: false,
        reason: 'ignored-event',
      });
      expect(f.calls).toEqual([]);
    },
  );

  it('dead-letters a money event whose body does not have the expected shape', async () => {
    const body = Buffer.from(
      JSON.stringify({ event: 'payment.captured', payload: { payment: { entity: { id: 1 } } } }),
    );
    const message = encodeWebhookMessage(
      { eventId: 'E1', event: 'payment.captured', archiveKey: 'k', receivedAt: '2026-01-01T00:00:00.000Z' },
      body,
    );
    await expect(applyWebhookMessage(deps(), message)).rejects.toThrow(/expected shape/);
  });
});
