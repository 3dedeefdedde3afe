/**
 * Refunds of surplus money (architecture §4c), as pure rules over a link and its ledger.
 *
 * Only money that was flagged when it was credited is refundable: the ledger entry of a payment
 * paid after the link was cancelled or expired, or beyond what the EMI owed, carries the surplus
 * (`surplusAmount`: the money the EMI did not need). The EMI was credited only what it needed,
 * so a refund out of the surplus never leaves the EMI credited for refunded money.
 *
 * A payment's refundable money is its surplus minus every refund of it that is not `failed`:
 * `pending` ones hold their amount (a reservation) until Razorpay settles them, `processed` ones
 * are gone. The link's flag clears when no surplus remains and nothing is pending.
 */
import { createHash } from 'node:crypto';
import type { AttentionReason, Link, LinkRefund, RefundStatus } from './model';

/** Attention reasons that mean "surplus money on this link": a full refund settles them. */
/**
 * The EMI a refund of this payment comes off: the link's own; for a loan link, the newest EMI the
 * payment reached — where its surplus sits (domain/allocation.ts `creditsOf`).
 */
export function refundedEmiNumber(
  link: Pick<Link, 'scope' | 'emiNumber' | 'covers' | 'payments'>,
  paymentId: string,
): number {
  if (link.scope !== 'loan') return link.emiNumber;
  const payment = link.payments.find((p) => p.paymentId === paymentId);
  return payment?.allocations?.at(-1)?.emiNumber ?? link.covers?.at(-1)?.emiNumber ?? link.emiNumber;
}

export const SURPLUS_REASONS: readonly AttentionReason[] = [
  'paid_after_cancel',
  'paid_after_expiry',
  'overpaid',
];

/** Our refund ids: `rfd_` + 20 lower-case base32-ish characters (≤ 40: Razorpay's `receipt`). */
export const REFUND_ID = /^rfd_[a-z0-9]{20}$/;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** A deterministic refund id: the same seed (link + idempotency key, or link + sequence) → the same id. */
export function refundIdFor(seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < 20; i++) out += ALPHABET[(digest[i] as number) % 32];
  return `rfd_${out}`;
}

export function refundsOf(link: Pick<Link, 'refunds'>): LinkRefund[] {
  return link.refunds ?? [];
}

/** Paise refunded or held for refund out of one payment (every refund that has not failed). */
export function refundedOrHeld(link: Pick<Link, 'refunds'>, paymentId: string): number {
  return refundsOf(link)
    .filter((r) => r.paymentId === paymentId && r.status !== 'failed')
    .reduce((sum, r) => sum + r.amount, 0);
}

/** What of a payment's surplus may still be refunded (never below 0). */
export function refundable(link: Pick<Link, 'refunds'>, paymentId: string, surplus: number): number {
  return Math.max(0, surplus - refundedOrHeld(link, paymentId));
}

/**
 * True when a link flagged for surplus money has none left: every payment's surplus is refunded
 * (processed) and no refund is pending. `surplus` maps each captured payment to its surplus.
 */
export function surplusSettled(
  link: Pick<Link, 'refunds' | 'attention'>,
  surplus: ReadonlyMap<string, number>,
): boolean {
  if (!link.attention || !SURPLUS_REASONS.includes(link.attention)) return false;
  if (refundsOf(link).some((r) => r.status === 'pending')) return false;
  for (const [paymentId, amount] of surplus) if (refundable(link, paymentId, amount) > 0) return false;
  return true;
}

const RANK: Record<RefundStatus, number> = { pending: 0, processed: 1, failed: 1 };

/** Forward only: pending → processed | failed; a settled refund never changes again. */
export function canMoveRefund(from: RefundStatus, to: RefundStatus): boolean {
  return RANK[to] > RANK[from];
}

/** The link with one refund replaced (by our id) or added. */
export function withRefund<L extends Link>(link: L, refund: LinkRefund): L {
  const list = refundsOf(link);
  const at = list.findIndex((r) => r.refundId === refund.refundId);
  const refunds = at < 0 ? [...list, refund] : list.map((r, i) => (i === at ? refund : r));
  return { ...link, refunds };
}
