/**
 * The link timeline (shared/domain/timeline.ts) as the crediting path writes it, against the
 * in-memory fakes: events come from the change each write makes, so a payment reported many
 * times is one event, an attention flag one event, and the timeline is bounded.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayPayment } from '../../../shared/domain/gateway';
import { changesBetween, chronicle, MAX_LINK_EVENTS, withEvent } from '../../../shared/domain/timeline';
import { withRef } from '../../../shared/usecases/link-deps';
import { applyObservation, markCancelled, syncLink } from '../../../shared/usecases/sync-link';
import { aLink, anEmi, FakeGateway, FakeStores, fakeLinkDeps } from '../../support/fakes';

const NOW = Date.parse('2026-06-10T06:30:00.000Z') / 1000;
const captured = (id: string, amount: number): GatewayPayment => ({
  paymentId: id,
  amount,
  currency: 'INR',
  method: 'upi',
  status: 'captured',
  createdAt: NOW,
});

function world(link = aLink()) {
  const stores = new FakeStores();
  stores.links.set(link.id, link);
  const emi = anEmi();
  stores.emis.set(
    FakeStores.emiKey(emi.loanId, emi.emiNumber),
    withRef(emi, link, '2026-06-01T00:00:00.000Z'),
  );
  return { stores, deps: fakeLinkDeps(stores, new FakeGateway()) };
}

const typesOf = (stores: FakeStores, id: string) => (stores.links.get(id)?.events ?? []).map((e) => e.type);

describe('the link timeline', () => {
  it('writes one event per payment however often and in whatever order it is reported', async () => {
    const link = aLink();
    const { stores, deps } = world(link);
    const first = captured('pay_AAAAAAAAAAAAA1', 50_000);
    const second = captured('pay_AAAAAAAAAAAAA2', 100_000);
    await syncLink(deps, link.id, { captured: [first] });
    await syncLink(deps, link.id, { captured: [first] });
    await Promise.all([
      syncLink(deps, link.id, { captured: [second, first] }),
      syncLink(deps, link.id, { captured: [first, second] }),
    ]);
    expect(typesOf(stores, link.id)).toEqual(['partially_paid', 'paid']);
    const paid = stores.links.get(link.id)!.events!.at(-1)!;
    expect(paid.detail).toMatchObject({ paymentId: second.paymentId, amount: 100_000, amountPaid: 150_000 });
    expect(paid.actor).toBeUndefined();
  });

  it('records a failed attempt with its reason once, and a cancel with who did it and why', async () => {
    const link = aLink();
    const { stores, deps } = world(link);
    const failed = {
      paymentId: 'pay_AAAAAAAAAAAAF1',
      amount: 150_000,
      method: 'card',
      createdAt: NOW,
      errorReason: 'Bank declined',
    };
    await applyObservation(deps, link.id, { captured: [], failed: [failed] });
    await applyObservation(deps, link.id, { captured: [], failed: [failed] });
    const person = { sub: 'u-1', name: 'Asha' };
    await markCancelled(deps, link.id, 'manual', person);
    const events = stores.links.get(link.id)!.events!;
    expect(events.map((e) => e.type)).toEqual(['payment_failed', 'cancelled']);
    expect(events[0]!.detail).toMatchObject({ errorReason: 'Bank declined', method: 'card' });
    expect(events[1]).toMatchObject({ actor: person, detail: { reason: 'manual' } });
  });

  it("amends Razorpay's cancellation with who cancelled it and why, when its webhook came first", async () => {
    const link = aLink();
    const { stores, deps } = world(link);
    await applyObservation(deps, link.id, { status: 'cancelled', captured: [] });
    const person = { sub: 'u-2', name: 'Meera' };
    await markCancelled(deps, link.id, 'manual', person);
    const events = stores.links.get(link.id)!.events!;
    expect(events).toEqual([
      { at: expect.any(String), type: 'cancelled', actor: person, detail: { reason: 'manual' } },
    ]);
  });

  it('flags money after cancel as attention, once', async () => {
    const link = aLink({ status: 'cancelled', cancelReason: 'manual' });
    const { stores, deps } = world(link);
    await applyObservation(deps, link.id, { captured: [captured('pay_AAAAAAAAAAAAL1', 150_000)] });
    await applyObservation(deps, link.id, { captured: [captured('pay_AAAAAAAAAAAAL1', 150_000)] });
    expect(typesOf(stores, link.id)).toEqual(['paid', 'attention']);
    expect(stores.links.get(link.id)!.events!.at(-1)!.detail).toEqual({ reason: 'paid_after_cancel' });
  });

  it('says created (with who asked) when Razorpay confirms a link, and nothing for an unchanged write', () => {
    const creating = aLink({ status: 'creating', createdBy: { sub: 's', name: 'Ravi' } });
    const created = { ...creating, status: 'created' as const };
    expect(changesBetween(creating, created, '2026-06-10T06:30:00.000Z')).toEqual([
      {
        at: '2026-06-10T06:30:00.000Z',
        type: 'created',
        actor: { sub: 's', name: 'Ravi' },
        detail: { amount: 150_000, expireBy: 1_800_000_000, acceptPartial: false },
      },
    ]);
    expect(chronicle(created, created, 'x').events).toBeUndefined();
  });

  it(`keeps the first event and the newest, at most ${MAX_LINK_EVENTS}`, () => {
    let link = aLink();
    for (let i = 0; i < MAX_LINK_EVENTS + 30; i++) {
      link = withEvent(link, { at: `t${i}`, type: 'notified', detail: { n: i } });
    }
    expect(link.events).toHaveLength(MAX_LINK_EVENTS);
    expect(link.events![0]!.detail).toEqual({ n: 0 });
    expect(link.events!.at(-1)!.detail).toEqual({ n: MAX_LINK_EVENTS + 29 });
    expect(link.events![1]!.detail).toEqual({ n: 31 });
  });
});
