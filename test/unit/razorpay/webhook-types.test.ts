import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWebhookEvent } from '../../../shared/adapters/razorpay/webhook-types';
import { MalformedBodyError, ValidationError } from '../../../shared/domain/errors';

const samples = JSON.parse(
  readFileSync(new URL('./fixtures/razorpay-samples.json', import.meta.url), 'utf8'),
) as Record<string, { payload: unknown }>;
const webhookSamples = Object.entries(samples).filter(([key]) => key.startsWith('webhook:'));

function parsed(body: Buffer | string | object) {
  const result = parseWebhookEvent(body);
  if (!result.ok) throw new Error(`expected to parse: ${JSON.stringify(result.error)}`);
  return result.event;
}

describe('parseWebhookEvent', () => {
  it('has samples to check', () => {
    expect(webhookSamples.length).toBeGreaterThanOrEqual(30);
  });

  it.each(webhookSamples)('parses %s from its compact raw bytes', (_key, sample) => {
    const event = parsed(Buffer.from(JSON.stringify(sample.payload)));
    const raw = sample.payload as { event: string; payload: Record<string, unknown> };
    expect(event.event).toBe(raw.event);
    for (const entity of ['payment', 'payment_link', 'order'] as const) {
      expect(event.payload[entity] === undefined).toBe(raw.payload[entity] === undefined);
      const notes = event.payload[entity]?.entity.notes;
      if (notes !== undefined) {
        expect(typeof notes).toBe('object');
        expect(Array.isArray(notes)).toBe(false);
        for (const value of Object.values(notes)) expect(typeof value).toBe('string');
      }
    }
  });

  it('reads the fields the crediting path needs from a real payment_link.paid delivery', () => {
    const event = parsed(JSON.stringify(samples['webhook:payment_link.paid:standard:real_capture']?.payload));
    expect(event.event).toBe('payment_link.paid');
    expect(event.payload.payment_link?.entity).toMatchObject({
      id: 'plink_Rp716LigRuUJjD',
      reference_id: 'order_Rp715hkQgw7CMi',
      status: 'paid',
      amount: 150_000,
      amount_paid: 150_000,
      order_id: 'order_Rp71ACiILzaij7',
    });
    expect(event.payload.payment?.entity).toMatchObject({
      id: 'pay_Rp71WNLQjxbMsB',
      amount: 150_000,
      status: 'captured',
      method: 'upi',
      description: '#Rp716LigRuUJjD',
      error_code: null,
    });
    expect(event.payload.order?.entity.receipt).toBe('order_Rp715hkQgw7CMi');
    // unknown fields pass through
    expect(event.payload.payment?.entity.fee_bearer).toBe('platform');
  });

  it('normalises notes given as [], null, an object with numbers, or [{key, value}]', () => {
    const envelope = (notes: unknown) => ({
      event: 'payment_link.cancelled',
      payload: {
        payment_link: {
          entity: {
            id: 'plink_X',
            reference_id: null,
            status: 'cancelled',
            amount: 100,
            amount_paid: 0,
            notes,
          },
        },
      },
      created_at: 1,
    });
    expect(parsed(envelope([])).payload.payment_link?.entity.notes).toEqual({});
    expect(parsed(envelope(null)).payload.payment_link?.entity.notes).toEqual({});
    expect(parsed(envelope({ emi: 3, loan: 'L-1', gone: null })).payload.payment_link?.entity.notes).toEqual({
      emi: '3',
      loan: 'L-1',
    });
    expect(
      parsed(envelope([{ key: 'policy_name', value: 'Jeevan Bima' }])).payload.payment_link?.entity.notes,
    ).toEqual({ policy_name: 'Jeevan Bima' });
    expect(parsed(envelope([])).payload.payment_link?.entity.reference_id).toBe('');
  });

  it('turns the empty error_code of card samples into null', () => {
    const event = parsed(JSON.stringify(samples['webhook:payment.failed:card:docs']?.payload));
    expect(event.payload.payment?.entity.error_code).toBeNull();
    expect(event.payload.payment?.entity.error_description).toBeNull();
  });

  it('answers MalformedBodyError for a body that is not JSON', () => {
    const result = parseWebhookEvent('{"event": "payment.captured",');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toBeInstanceOf(MalformedBodyError);
  });

  it('answers ValidationError naming each bad field, never its value', () => {
    const result = parseWebhookEvent({
      payload: { payment: { entity: { id: 'pay_1', amount: '100', currency: 'INR', status: 'captured' } } },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(ValidationError);
    const fields = (result.error as ValidationError).details.map((d) => d.field);
    expect(fields).toEqual(
      expect.arrayContaining(['event', 'payload.payment.entity.amount', 'payload.payment.entity.created_at']),
    );
    expect(JSON.stringify((result.error as ValidationError).details)).not.toContain('pay_1');
  });

  it('refuses an unknown payment link status rather than guessing', () => {
    const result = parseWebhookEvent({
      event: 'payment_link.paid',
      payload: { payment_link: { entity: { id: 'plink_X', status: 'refunded', amount: 1, amount_paid: 1 } } },
    });
    expect(result.ok).toBe(false);
  });
});
