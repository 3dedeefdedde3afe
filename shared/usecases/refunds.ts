/**
 * Refunds of surplus money (architecture §4c, §5): an admin gives back money flagged `attention`
 * — paid after a cancel or an expiry, beyond what the EMI owed, a second paid sibling — through
 * the provider's refunds API, never above the surplus and never twice for the same money.
 *
 * request (POST /api/payment-links/{id}/refunds):
 *   1. the link, within the caller's lenders (another lender's: 404); its provider must refund;
 *   2. our refund id, deterministic: from the Idempotency-Key when one came (so a retry is the
 *      same refund), else from the link's refund count (the revision guard makes it unique);
 *      a refund already holding that id is resumed, never made again (see `resume`);
 *   3. the checks: a captured payment of THIS link, a link flagged for surplus money, an amount
 *      (default: all that is left) within the payment's surplus minus refunds pending or
 *      processed — each failure 409/422, and nothing is sent;
 *   4. the reservation: the refund, `pending`, is written onto the link (with its timeline
 *      event) under the link's revision BEFORE the provider is called, so two concurrent refunds
 *      of the same surplus cannot both pass step 3 (the loser re-reads and is refused);
 *   5. the provider's refund, bound to our refund id (receipt + idempotency header); the adapter
 *      looks a lost answer up before it gives up;
 *   6. the outcome: answered → recorded (`pending` or `processed`); refused → `failed`, the
 *      amount goes back to the surplus, 502 with Razorpay's reason; unknown → kept `pending`,
 *      503 with Retry-After: a retry with the same key looks it up first (step 2).
 * webhook (refund.created / refund.processed / refund.failed): see `applyRefundEvent`.
 *
 * A refund comes out of the surplus, the money the EMI did not need: when it is processed the EMI's
 * credit drops by it (so the EMI is never left credited for money that went back) and the EMI stays
 * exactly as settled as it was. The same transaction writes one ledger line (the curated feed's
 * `refund` line); the link's flag clears when its surplus is gone.
 */
import * as z from 'zod/mini';
import { type Actor, actorRef } from '../auth/actor';
import { accountOfLink, DEFAULT_ACCOUNT_ID, PROVIDER_NAMES } from '../domain/accounts';
import {
  ConflictError,
  GatewayError,
  GatewayRejectedError,
  RefundOutcomeUnknownError,
  RefundRefusedError,
  ValidationError,
} from '../domain/errors';
import type { GatewayRefund } from '../domain/gateway';
import type { LinkRefund, RefundStatus } from '../domain/model';
import { PAYMENT_ID } from '../domain/payment-checks';
import type { RefundEntry, StoredLink } from '../domain/ports';
import {
  canMoveRefund,
  refundable,
  refundedEmiNumber,
  refundIdFor,
  refundsOf,
  SURPLUS_REASONS,
  surplusSettled,
  withRefund,
} from '../domain/refunds';
import { chronicle, type EventDetail, type LinkEvent, withEvent } from '../domain/timeline';
import { log } from '../log';
import { metrics } from '../metrics';
import { correlate } from '../observe';
import type { refundResultSchema } from '../schemas/link-detail';
import { bump, gatewayOf, type LinkDeps, withRef } from './link-deps';
import { linkDetail, linkInScope } from './link-detail';
import { surplusByPayment } from './surplus';
import { flagAttention, updateWithAnchor } from './sync-link';

export const MAX_REFUND_REASON = 200;

export const refundBodySchema = z.strictObject({
  paymentId: z.string().check(z.regex(PAYMENT_ID, 'must be a Razorpay payment id like pay_…')),
  amount: z.optional(z.int().check(z.positive('must be a whole number of paise above 0'))),
  reason: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'must say why (1 to 200 characters)'),
      z.maxLength(MAX_REFUND_REASON, `must be at most ${MAX_REFUND_REASON} characters`),
    ),
});
export type RefundBody = z.infer<typeof refundBodySchema>;

export type RefundResult = z.infer<typeof refundResultSchema>;

/** The answer: the refund as the detail shows it, and the link in full. */
async function result(deps: LinkDeps, linkId: string, refundId: string, actor: Actor): Promise<RefundResult> {
  const link = await linkDetail(deps, linkId, actor);
  const refund = link.refunds.find((r) => r.refundId === refundId);
  if (!refund) throw new ConflictError('CONCURRENT_UPDATE', `Refund ${refundId} is not on link ${linkId}`);
  return { refund, link };
}

function semantic(field: string, message: string): ValidationError {
  return new ValidationError(`${field} ${message}`, [{ field, message }], true);
}

function refundEvent(
  type: 'refund_requested' | 'refund_processed' | 'refund_failed',
  r: LinkRefund,
  at: string,
  extra: EventDetail = {},
): LinkEvent {
  return {
    at,
    type,
    ...(type === 'refund_requested' && r.requestedBy ? { actor: r.requestedBy } : {}),
    detail: {
      refundId: r.refundId,
      paymentId: r.paymentId,
      amount: r.amount,
      ...(r.providerRefundId ? { providerRefundId: r.providerRefundId } : {}),
      ...(r.external ? { external: true } : {}),
      ...extra,
    },
  };
}

/** The refund's status as the provider words it, mapped onto ours (unknown words: still pending). */
function statusOf(g: Pick<GatewayRefund, 'status'>): RefundStatus {
  return g.status === 'processed' ? 'processed' : g.status === 'failed' ? 'failed' : 'pending';
}

/**
 * Moves one refund of the link forward (never back): its provider id learnt, its status settled.
 * `processed` writes the ledger line (once per refund id) and clears the flag when no surplus is
 * left; `failed` gives the amount back to the surplus (the flag stays). Returns the stored link.
 */
export async function settleRefund(
  deps: LinkDeps,
  linkId: string,
  refundId: string,
  change: { providerRefundId?: string; status: RefundStatus; failureReason?: string },
): Promise<StoredLink> {
  for (let attempt = 0; attempt < 12; attempt++) {
    const link = await deps.links.getLink(linkId);
    if (!link) throw new ConflictError('LINK_GONE', `Payment link ${linkId} not found`);
    const current = refundsOf(link).find((r) => r.refundId === refundId);
    if (!current) return link;
    const learns = change.providerRefundId !== undefined && current.providerRefundId === undefined;
    const moves = canMoveRefund(current.status, change.status);
    if (!learns && !moves) return link;
    const now = deps.clock.now().toISOString();
    const next: LinkRefund = {
      ...current,
      ...(learns ? { providerRefundId: change.providerRefundId } : {}),
      ...(moves ? { status: change.status } : {}),
      ...(moves && change.failureReason ? { failureReason: change.failureReason.slice(0, 200) } : {}),
      updatedAt: now,
    };
    let updated = withRefund(bump(link, now), next);
    if (moves) {
      updated = withEvent(
        updated,
        refundEvent(
          next.status === 'processed' ? 'refund_processed' : 'refund_failed',
          next,
          now,
          next.failureReason ? { failureReason: next.failureReason } : {},
        ),
      );
    }
    if (moves && next.status === 'processed') {
      const surplus = await surplusByPayment(deps, updated);
      if (surplusSettled(updated, surplus)) updated = { ...updated, attention: undefined };
    }
    const entry: RefundEntry | undefined =
      moves && next.status === 'processed'
        ? {
            refundId: next.refundId,
            ...(next.providerRefundId ? { providerRefundId: next.providerRefundId } : {}),
            paymentId: next.paymentId,
            linkId: link.id,
            loanId: link.loanId,
            emiNumber: refundedEmiNumber(link, next.paymentId),
            amount: next.amount,
            refundedAt: now,
            lender: link.lender,
            ...(next.external ? { external: true } : {}),
          }
        : undefined;
    const stored = await commitLink(deps, link, updated, now, entry);
    if (stored) {
      if (moves) {
        log.info('refund settled', {
          linkId,
          loanId: link.loanId,
          refundId,
          paymentId: next.paymentId,
          amount: next.amount,
          status: next.status,
        });
        if (next.status === 'processed') metrics.refundProcessed();
      }
      return stored;
    }
  }
  throw new ConflictError('CONCURRENT_UPDATE', `Payment link ${linkId} is changing too fast; try again`);
}

/**
 * Writes the link (with the timeline of its attention change); a processed refund also writes its
 * ledger line and takes the refunded money off the EMI's credit, in the same transaction. Null on
 * a conflict (the caller reads again).
 */
async function commitLink(
  deps: LinkDeps,
  before: StoredLink,
  after: StoredLink,
  now: string,
  refund?: RefundEntry,
): Promise<StoredLink | null> {
  const next = chronicle(before, after, now);
  // the EMI keeps only money it kept: a refund out of the surplus leaves it exactly as settled
  // as before (it needed none of that money), one beyond the surplus makes it owe again
  const emi = refund
    ? await deps.emis.getEmi(before.loanId, refundedEmiNumber(before, refund.paymentId), true)
    : null;
  const outcome = await deps.links.commit({
    link: { link: next, expectedRev: before.rev, before },
    ...(emi && refund
      ? {
          emi: {
            emi: withRef(
              { ...emi, amountCredited: Math.max(0, emi.amountCredited - refund.amount) },
              next,
              now,
            ),
            expectedVersion: emi.version,
            before: emi,
          },
        }
      : {}),
    ...(refund ? { refund } : {}),
  });
  if (outcome === 'ok') return next;
  // the ledger line exists: an earlier write of this very settlement went through
  if (outcome === 'already-credited') return deps.links.getLink(before.id);
  return null;
}

/** A refund this request already made (same id): finish what is unknown, answer what is known. */
async function resume(
  deps: LinkDeps,
  link: StoredLink,
  existing: LinkRefund,
  actor: Actor,
): Promise<RefundResult> {
  let refund = existing;
  if (refund.status === 'pending' && refund.providerRefundId === undefined) {
    // the provider's answer was lost: look it up before anything is sent again
    const gateway = await gatewayOf(deps, link);
    let found: GatewayRefund | null = null;
    try {
      found = (await gateway.findRefund?.(refund.paymentId, refund.refundId)) ?? null;
    } catch (err) {
      if (err instanceof GatewayError && err.retryable) throw unknownOutcome(refund, err);
      throw err;
    }
    if (!found) return send(deps, link.id, refund, actor);
    const after = await settleRefund(deps, link.id, refund.refundId, {
      providerRefundId: found.id,
      status: statusOf(found),
    });
    refund = refundsOf(after).find((r) => r.refundId === refund.refundId) ?? refund;
  }
  if (refund.status === 'failed') throw refused(refund.failureReason ?? 'the refund failed');
  return result(deps, link.id, refund.refundId, actor);
}

function refused(reason: string): RefundRefusedError {
  return new RefundRefusedError(`Razorpay refused the refund: ${reason}`, reason);
}

function unknownOutcome(refund: LinkRefund, cause: unknown): RefundOutcomeUnknownError {
  return new RefundOutcomeUnknownError(
    `Razorpay did not confirm refund ${refund.refundId}; it is kept pending — retry with the same Idempotency-Key to look it up`,
    { cause },
  );
}

/** Step 5–6: the provider's refund for a reservation already written. */
async function send(deps: LinkDeps, linkId: string, refund: LinkRefund, actor: Actor): Promise<RefundResult> {
  const link = await deps.links.getLink(linkId);
  if (!link) throw new ConflictError('LINK_GONE', `Payment link ${linkId} not found`);
  const gateway = await gatewayOf(deps, link);
  if (!gateway.refundPayment) throw notSupported(link);
  let answered: GatewayRefund;
  try {
    answered = await gateway.refundPayment({
      paymentId: refund.paymentId,
      amount: refund.amount,
      refundId: refund.refundId,
      notes: {
        link_id: link.id,
        loan_id: link.loanId,
        emi_number: String(refundedEmiNumber(link, refund.paymentId)),
      },
    });
  } catch (err) {
    if (err instanceof GatewayError && !err.retryable) {
      // refused (a 4xx: the request, the payment id or our credentials): nothing was refunded,
      // the amount goes back to the surplus
      const reason = err instanceof GatewayRejectedError ? err.reason : err.message;
      await settleRefund(deps, linkId, refund.refundId, { status: 'failed', failureReason: reason });
      log.warn('refund refused by the provider', { linkId, refundId: refund.refundId, reason });
      throw refused(reason);
    }
    if (err instanceof GatewayError && err.retryable) {
      log.warn('refund outcome unknown: kept pending', { linkId, refundId: refund.refundId, err });
      throw unknownOutcome(refund, err);
    }
    throw err;
  }
  await settleRefund(deps, linkId, refund.refundId, {
    providerRefundId: answered.id,
    status: statusOf(answered),
    ...(answered.status === 'failed' ? { failureReason: 'the provider failed the refund' } : {}),
  });
  // the provider's answer itself said failed: nothing went back (a later refund.failed webhook is
  // shown on the refund instead, as it may land before or after this answer)
  if (answered.status === 'failed') throw refused('the provider failed the refund');
  return result(deps, linkId, refund.refundId, actor);
}

function notSupported(link: Pick<StoredLink, 'provider'>): ValidationError {
  const name = PROVIDER_NAMES[link.provider ?? 'razorpay'];
  return semantic(
    'paymentId',
    `cannot be refunded here: refunds are not supported by this link's provider (${name})`,
  );
}

export async function requestRefund(
  deps: LinkDeps,
  id: string,
  body: RefundBody,
  actor: Actor,
  /** the request's Idempotency-Key (already scoped to the caller): the refund id derives from it */
  idempotencyKey?: string,
): Promise<RefundResult> {
  correlate({ linkId: id });
  const first = await linkInScope(deps, id, actor);
  const gateway = await gatewayOf(deps, first);
  if (!gateway.refundPayment) throw notSupported(first);

  for (let attempt = 0; attempt < 12; attempt++) {
    const link = attempt === 0 ? first : await linkInScope(deps, id, actor);
    const refundId = refundIdFor(
      idempotencyKey === undefined
        ? `${link.id}#seq#${refundsOf(link).length + 1}`
        : `${link.id}#key#${idempotencyKey}`,
    );
    const existing = refundsOf(link).find((r) => r.refundId === refundId);
    if (existing) {
      // the same Idempotency-Key: this request's own refund, made (or tried) before
      if (idempotencyKey !== undefined) return resume(deps, link, existing, actor);
      continue; // another refund took this sequence number meanwhile: count again
    }
    const payment = link.payments.find((p) => p.paymentId === body.paymentId && p.status === 'captured');
    if (!payment) throw semantic('paymentId', 'is not a payment captured on this link');
    if (!link.attention || !SURPLUS_REASONS.includes(link.attention)) {
      throw new ConflictError(
        'NOTHING_TO_REFUND',
        `Payment link ${link.id} has no money flagged for refund${link.attention ? ` (it needs a person for ${link.attention.replace(/_/g, ' ')})` : ''}`,
      );
    }
    const surplus = (await surplusByPayment(deps, link)).get(payment.paymentId) ?? 0;
    if (surplus === 0) throw semantic('paymentId', 'has no surplus: the EMI needed all of this payment');
    const left = refundable(link, payment.paymentId, surplus);
    if (left === 0) {
      throw new ConflictError(
        'NOTHING_TO_REFUND',
        `The surplus of payment ${payment.paymentId} is already refunded or being refunded`,
      );
    }
    const amount = body.amount ?? left;
    if (amount > left) throw semantic('amount', `must be at most ${left} paise (the surplus left to refund)`);

    const now = deps.clock.now().toISOString();
    const refund: LinkRefund = {
      refundId,
      paymentId: payment.paymentId,
      amount,
      status: 'pending',
      reason: body.reason,
      requestedAt: now,
      requestedBy: actorRef(actor),
      updatedAt: now,
    };
    const reserved = withEvent(
      withRefund(bump(link, now), refund),
      refundEvent('refund_requested', refund, now, { reason: body.reason }),
    );
    const outcome = await deps.links.commit({
      link: { link: reserved, expectedRev: link.rev, before: link },
    });
    if (outcome !== 'ok') continue; // another writer (perhaps another refund) got there first: check again
    log.info('refund reserved', {
      linkId: link.id,
      loanId: link.loanId,
      refundId,
      paymentId: payment.paymentId,
      amount,
    });
    return send(deps, link.id, refund, actor);
  }
  throw new ConflictError('CONCURRENT_UPDATE', `Payment link ${id} is changing too fast; try again`);
}

// ── webhooks ──────────────────────────────────────────────────────────────────────────────────

/** A refund as a webhook reports it (already parsed). */
export interface RefundReport {
  /** `rfnd_…` */
  id: string;
  paymentId: string;
  amount: number;
  currency: string;
  /** our refund id, when we made it (its receipt, or notes.refund_id) */
  ourRefundId: string | null;
  status: RefundStatus;
}

export type RefundApplyOutcome =
  | { applied: true; linkId: string; refundId: string; status: RefundStatus }
  | { applied: false; reason: 'not-ours' | 'duplicate' | 'invalid-event'; linkId?: string; problem?: string };

export const PROVIDER_REFUND_ID = /^rfnd_[A-Za-z0-9]{14}$/;

/** Why a refund report must not be applied, or null. */
export function refundProblem(r: RefundReport, held?: LinkRefund): string | null {
  if (!PROVIDER_REFUND_ID.test(r.id)) return 'refund_id_malformed';
  if (!PAYMENT_ID.test(r.paymentId)) return 'payment_id_malformed';
  if (!Number.isSafeInteger(r.amount) || r.amount <= 0) return 'amount_not_positive_paise';
  if (r.currency !== 'INR') return 'currency_not_inr';
  if (held && r.amount > held.amount) return 'amount_above_reserved';
  if (held && held.paymentId !== r.paymentId) return 'payment_id_mismatch';
  return null;
}

/**
 * A refund webhook (refund.created / refund.processed / refund.failed), applied once:
 *   1. the refund's payment must be one of ours (the credit ledger names its link); a payment
 *      we never credited is not ours to act on: acknowledged and logged (the raw body is archived);
 *   2. the report must make sense (ids, whole positive paise, INR, not above what we reserved);
 *      a signed report that does not is flagged `invalid_event` on the link, never applied;
 *   3. ours (matched by Razorpay's id, our receipt or notes.refund_id): moved forward once —
 *      processed marks it done (ledger line, flag cleared when the surplus is gone), failed
 *      releases the reservation (the flag stays); a repeat or an older status changes nothing;
 *   4. not ours (made in Razorpay's Dashboard): recorded on the link, never dropped; when it is
 *      more than the surplus left, the link is flagged `refund_beyond_surplus` for a person.
 */
export async function applyRefundEvent(
  deps: LinkDeps,
  report: RefundReport,
  /** the account whose webhook URL received it (architecture §4b) */
  accountId: string = DEFAULT_ACCOUNT_ID,
): Promise<RefundApplyOutcome> {
  const credit = PAYMENT_ID.test(report.paymentId) ? await deps.links.getCredit(report.paymentId) : null;
  if (!credit) {
    log.warn('refund of a payment we never credited: acknowledged', {
      providerRefundId: report.id,
      paymentId: report.paymentId,
    });
    return { applied: false, reason: 'not-ours' };
  }
  const link = await deps.links.getLink(credit.linkId);
  if (!link) return { applied: false, reason: 'not-ours' };
  correlate({ linkId: link.id });
  const held = refundsOf(link).find(
    (r) =>
      r.providerRefundId === report.id || (report.ourRefundId !== null && r.refundId === report.ourRefundId),
  );
  // signed with account B's secret but about account A's payment: B cannot move A's money
  const problem =
    accountOfLink(link).accountId === accountId ? refundProblem(report, held) : 'account_mismatch';
  if (problem) {
    log.error('refund event is invalid: flagged, not applied', {
      linkId: link.id,
      providerRefundId: report.id,
      problem,
    });
    await flagAttention(deps, link.id, 'invalid_event');
    return { applied: false, reason: 'invalid-event', linkId: link.id, problem };
  }
  if (held) {
    const moves = canMoveRefund(held.status, report.status);
    const learns = held.providerRefundId === undefined;
    if (!moves && !learns) return { applied: false, reason: 'duplicate', linkId: link.id };
    await settleRefund(deps, link.id, held.refundId, {
      providerRefundId: report.id,
      status: report.status,
      ...(report.status === 'failed' ? { failureReason: 'Razorpay reported the refund failed' } : {}),
    });
    return { applied: true, linkId: link.id, refundId: held.refundId, status: report.status };
  }
  return recordExternal(deps, link.id, report);
}

/** A refund made outside this tool: recorded (once, by Razorpay's id) and settled like ours. */
async function recordExternal(
  deps: LinkDeps,
  linkId: string,
  report: RefundReport,
): Promise<RefundApplyOutcome> {
  const refundId = refundIdFor(`external#${report.id}`);
  const surplus = await surplusByPayment(deps, (await deps.links.getLink(linkId)) ?? { payments: [] });
  const after = await updateWithAnchor(deps, linkId, (link, now) => {
    if (refundsOf(link).some((r) => r.refundId === refundId)) return null;
    const refund: LinkRefund = {
      refundId,
      providerRefundId: report.id,
      paymentId: report.paymentId,
      amount: report.amount,
      status: 'pending',
      requestedAt: now,
      updatedAt: now,
      external: true,
    };
    const beyond = report.amount > refundable(link, report.paymentId, surplus.get(report.paymentId) ?? 0);
    let next = withEvent(withRefund(bump(link, now), refund), refundEvent('refund_requested', refund, now));
    // more than the surplus left: money the EMI needed went back; a person must look
    if (beyond) next = { ...next, attention: 'refund_beyond_surplus' };
    return next;
  });
  log.warn('refund made outside this tool recorded', {
    linkId,
    providerRefundId: report.id,
    paymentId: report.paymentId,
    amount: report.amount,
    attention: after.attention,
  });
  if (report.status !== 'pending') {
    await settleRefund(deps, linkId, refundId, {
      status: report.status,
      ...(report.status === 'failed' ? { failureReason: 'Razorpay reported the refund failed' } : {}),
    });
  }
  return { applied: true, linkId, refundId, status: report.status };
}
