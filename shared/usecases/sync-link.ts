/**
 * The one crediting path. Every report of a link's state — a status refresh, any webhook,
 * reconciliation — goes through `applyObservation`, which:
 *   1. credits each captured payment not yet credited, one transaction per payment: the
 *      ledger entry (conditional on the payment id never having been credited), the EMI's
 *      amount credited and the link's payments move together, so a payment is credited exactly
 *      once however many times and in whatever order it is reported;
 *   2. flags money that a person must look at (paid after cancel/expiry, more than owed) —
 *      it is credited all the same, never dropped;
 *   3. moves the link's status forward only;
 * and then `settleSiblings` cancels every other open link of the EMI (see there).
 * Optimistic conflicts (another writer changed the link or the EMI) re-read and retry.
 */

import { allocate, byDueDate, creditsOf } from '../domain/allocation';
import { ConflictError, GatewayNotCancellableError, NotFoundError } from '../domain/errors';
import type { GatewayLink, GatewayPayment, RazorpayLinkStatus } from '../domain/gateway';
import type { ActorRef } from '../domain/model';
import {
  type AttentionReason,
  type CancelReason,
  canMoveStatus,
  type Emi,
  type LinkPayment,
  type LinkStatus,
  LOAN_SCOPE_EMI_NUMBER,
} from '../domain/model';
import { capturedPaymentProblem, failedAttemptProblem, safeMethod } from '../domain/payment-checks';
import type { CreditEntry, StoredLink } from '../domain/ports';
import { chronicle } from '../domain/timeline';
import { log } from '../log';
import { metrics } from '../metrics';
import { anchorEmis, anchorWrites, bump, gatewayOf, type LinkDeps } from './link-deps';

export interface FailedAttempt {
  paymentId: string;
  amount: number;
  method: string;
  /** unix seconds */
  createdAt: number;
  /** Razorpay's reason (`error_description`), when reported */
  errorReason?: string;
}

export interface Observation {
  /** the link's status at Razorpay, when the report carries it */
  status?: RazorpayLinkStatus;
  /** Razorpay's amount_paid, when reported */
  amountPaid?: number;
  captured: GatewayPayment[];
  failed?: FailedAttempt[];
  /** Razorpay's identity of the link, when we learn it (adopting a link created in a timeout) */
  razorpay?: { id: string; shortUrl: string; expireBy: number };
}

export function observationFromGatewayLink(g: GatewayLink): Observation {
  return {
    status: g.status,
    amountPaid: g.amountPaid,
    captured: g.payments.filter((p) => p.status === 'captured'),
    razorpay: { id: g.id, shortUrl: g.shortUrl, expireBy: g.expireBy },
  };
}

const MAX_ATTEMPTS = 12;

function iso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

function statusAfterPayment(link: StoredLink, amountPaid: number): LinkStatus {
  return amountPaid >= link.amount ? 'paid' : 'partially_paid';
}

/**
 * Credits one captured payment. Returns false when the state moved under us (retry).
 * A loan link's payment is split across the EMIs it covers, oldest first, each taking at most
 * what it owes (domain/allocation.ts); one ledger entry (the credit-once marker) carries the
 * split, and the link and every covered EMI move in the same transaction.
 */
async function creditPayment(deps: LinkDeps, link: StoredLink, payment: GatewayPayment): Promise<boolean> {
  const now = deps.clock.now().toISOString();
  const emis = await anchorEmis(deps, link);
  const split = allocate(payment.amount, emis);
  // money flagged for a person: the ledger entry carries it, so the curated feed's surplus line
  // comes from the same record as the credit (the amount is what the EMIs did not need)
  const reason: CreditEntry['surplusReason'] =
    link.status === 'cancelled'
      ? 'paid_after_cancel'
      : link.status === 'expired'
        ? 'paid_after_expiry'
        : split.surplus > 0
          ? 'overpaid'
          : undefined;
  const surplus = reason ? { surplusReason: reason, surplusAmount: split.surplus } : undefined;
  const attention: AttentionReason | undefined = reason ?? link.attention;
  const newest = [...emis].sort(byDueDate).at(-1)!;
  const credits = creditsOf(split, newest.emiNumber);
  const loanScope = link.scope === 'loan';

  const entry: LinkPayment = {
    paymentId: payment.paymentId,
    amount: payment.amount,
    method: safeMethod(payment.method),
    status: 'captured',
    capturedAt: iso(payment.createdAt),
    ...(loanScope ? { allocations: credits } : {}),
  };
  const payments = [...link.payments.filter((p) => p.paymentId !== payment.paymentId), entry];
  const amountPaid = link.amountPaid + payment.amount;
  let next: StoredLink = bump(link, now);
  next = {
    ...next,
    payments,
    amountPaid,
    attention,
    lastSyncedAt: now,
    // money wins over a dead link: a late payment makes it (partially) paid, flagged above
    status: canMoveStatus(link.status, statusAfterPayment(link, amountPaid))
      ? statusAfterPayment(link, amountPaid)
      : link.status,
  };
  next = chronicle(link, next, now);
  const creditOf = (emi: Emi) => credits.find((c) => c.emiNumber === emi.emiNumber)?.amount ?? 0;
  const outcome = await deps.links.commit({
    credit: {
      paymentId: payment.paymentId,
      linkId: link.id,
      loanId: link.loanId,
      emiNumber: loanScope ? (credits[0]?.emiNumber ?? newest.emiNumber) : link.emiNumber,
      amount: payment.amount,
      creditedAt: now,
      ...surplus,
      ...(loanScope ? { allocations: credits } : {}),
    },
    link: { link: next, expectedRev: link.rev, before: link },
    ...anchorWrites(emis, next, now, (emi) => ({
      ...emi,
      amountCredited: emi.amountCredited + creditOf(emi),
    })),
  });
  if (outcome === 'ok') {
    log.info('payment credited', {
      linkId: link.id,
      loanId: link.loanId,
      emiNumber: link.emiNumber,
      paymentId: payment.paymentId,
      amount: payment.amount,
      ...(loanScope ? { allocations: credits } : {}),
      attention,
    });
    metrics.paymentCredited();
    if (surplus) metrics.surplusFlagged();
    return true;
  }
  if (outcome === 'already-credited') {
    // credited together with its link in one transaction, so the re-read link will show it
    log.info('payment already credited', { linkId: link.id, paymentId: payment.paymentId });
  }
  return false;
}

/** Status, failed attempts and Razorpay identity: everything except money. */
function applyNonMoney(link: StoredLink, obs: Observation, now: string): StoredLink | null {
  let changed = false;
  let next: StoredLink = { ...link };
  if (obs.razorpay && !link.razorpayLinkId) {
    next = {
      ...next,
      razorpayLinkId: obs.razorpay.id,
      shortUrl: obs.razorpay.shortUrl,
      expireBy: obs.razorpay.expireBy || link.expireBy,
      error: undefined,
    };
    if (link.status === 'creating' || link.status === 'failed') next.status = 'created';
    changed = true;
  }
  if (obs.status && canMoveStatus(next.status, obs.status)) {
    // paid/partially_paid are reached only through credited money (creditPayment), so a status
    // report of `paid` whose payment we have not seen waits for it instead of claiming it
    if (obs.status !== 'paid' && obs.status !== 'partially_paid') {
      next.status = obs.status;
      if (obs.status === 'cancelled' && !next.cancelReason) next.cancelReason = 'razorpay';
      changed = true;
    }
  }
  for (const f of obs.failed ?? []) {
    if (next.payments.some((p) => p.paymentId === f.paymentId)) continue;
    next = {
      ...next,
      payments: [
        ...next.payments,
        {
          paymentId: f.paymentId,
          amount: f.amount,
          method: safeMethod(f.method),
          status: 'failed',
          capturedAt: iso(f.createdAt),
          ...(f.errorReason ? { errorReason: f.errorReason.slice(0, 200) } : {}),
        },
      ],
      failedAttempts: (next.failedAttempts ?? 0) + 1,
    };
    changed = true;
  }
  if (!changed) return null;
  return { ...bump(next, now), lastSyncedAt: now };
}

/** Applies what Razorpay reports about one of our links; returns the link as stored after. */
export async function applyObservation(
  deps: LinkDeps,
  linkId: string,
  reported: Observation,
): Promise<StoredLink> {
  let obs = reported;
  // a payment that makes no sense (domain/payment-checks.ts) is never credited: flagged instead
  const first = await deps.links.getLink(linkId);
  if (!first) throw new NotFoundError(`Payment link ${linkId} not found`);
  const invalid = obs.captured.filter(
    (p) => capturedPaymentProblem(p, first.amount, first.provider) !== null,
  );
  const invalidFailed = (obs.failed ?? []).filter((f) => failedAttemptProblem(f, first.provider) !== null);
  if (invalid.length > 0 || invalidFailed.length > 0) {
    log.error('Razorpay reported an invalid payment: flagged, not credited', {
      linkId,
      problems: [
        ...invalid.map((p) => capturedPaymentProblem(p, first.amount, first.provider)),
        ...invalidFailed.map((f) => failedAttemptProblem(f, first.provider)),
      ],
    });
    await flagAttention(deps, linkId, 'invalid_event');
    obs = {
      ...obs,
      captured: obs.captured.filter((p) => !invalid.includes(p)),
      failed: obs.failed?.filter((f) => !invalidFailed.includes(f)),
    };
  }
  // money first, one payment per transaction; a conflict just means "read again"
  for (let attempt = 0; ; attempt++) {
    const link = await deps.links.getLink(linkId);
    if (!link) throw new NotFoundError(`Payment link ${linkId} not found`);
    const credited = new Set(link.payments.filter((p) => p.status === 'captured').map((p) => p.paymentId));
    const pending = obs.captured.find((p) => !credited.has(p.paymentId));
    if (!pending) break;
    if (attempt >= MAX_ATTEMPTS * Math.max(1, obs.captured.length)) {
      throw new ConflictError('CONCURRENT_UPDATE', `Payment link ${linkId} is changing too fast; try again`);
    }
    await creditPayment(deps, link, pending);
  }
  // then status, failed attempts and Razorpay's identity of the link
  return updateWithAnchor(deps, linkId, (link, now) => applyNonMoney(link, obs, now));
}

/**
 * Marks a link cancelled locally (after Razorpay agreed), dropping it from the EMI anchor. When
 * Razorpay's own `payment_link.cancelled` webhook got here first, the link is already cancelled
 * for a reason we did not know (`razorpay`); we know it now, so it is recorded.
 */
export async function markCancelled(
  deps: LinkDeps,
  linkId: string,
  reason: CancelReason,
  by?: ActorRef,
): Promise<StoredLink> {
  return updateWithAnchor(deps, linkId, (link, now) => {
    const reasonLearnt =
      link.status === 'cancelled' && link.cancelReason === 'razorpay' && reason !== 'razorpay';
    if (!canMoveStatus(link.status, 'cancelled') && !reasonLearnt) return null;
    return {
      ...bump(link, now),
      status: 'cancelled',
      cancelReason: reason,
      lastSyncedAt: now,
      ...(by ? { cancelledBy: by } : {}),
    };
  });
}

/**
 * Changes one link and its entry on the EMI anchor together (one transaction, each guarded by
 * its version), re-reading and retrying when another writer got there first. `change` returns
 * the new link, or null when there is nothing to do; the link as stored after is returned.
 */
export async function updateWithAnchor(
  deps: LinkDeps,
  linkId: string,
  change: (link: StoredLink, now: string) => StoredLink | null,
): Promise<StoredLink> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const link = await deps.links.getLink(linkId);
    if (!link) throw new NotFoundError(`Payment link ${linkId} not found`);
    const now = deps.clock.now().toISOString();
    const changed = change(link, now);
    if (!changed) return link;
    const next = chronicle(link, changed, now);
    const emis = await anchorEmis(deps, link);
    const outcome = await deps.links.commit({
      link: { link: next, expectedRev: link.rev, before: link },
      ...anchorWrites(emis, next, now),
    });
    if (outcome === 'ok') return next;
  }
  throw new ConflictError('CONCURRENT_UPDATE', `Payment link ${linkId} is changing too fast; try again`);
}

/** Sets the link's `attention` unless it already needs a person for another reason. */
export async function flagAttention(
  deps: LinkDeps,
  linkId: string,
  attention: AttentionReason,
): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const link = await deps.links.getLink(linkId);
    if (!link || link.attention) return;
    const now = deps.clock.now().toISOString();
    const outcome = await deps.links.commit({
      link: {
        link: chronicle(link, { ...bump(link, now), attention }, now),
        expectedRev: link.rev,
        before: link,
      },
    });
    if (outcome === 'ok') return;
  }
}

/**
 * Cancels one open link at Razorpay and locally. When Razorpay refuses because the borrower
 * has paid it meanwhile, the payment is fetched and credited instead (never lost).
 */
export async function cancelAtRazorpay(
  deps: LinkDeps,
  link: StoredLink,
  reason: CancelReason,
  /** the person or client who asked (a manual cancel); none when the system cancels */
  by?: ActorRef,
): Promise<StoredLink> {
  if (!link.razorpayLinkId) return link;
  const gateway = await gatewayOf(deps, link);
  try {
    const g = await gateway.cancelLink(link.razorpayLinkId);
    if (g.status === 'cancelled') return markCancelled(deps, link.id, reason, by);
    return applyObservation(deps, link.id, observationFromGatewayLink(g));
  } catch (err) {
    // paid meanwhile, or already closed: read the link and follow what it says
    if (err instanceof GatewayNotCancellableError) {
      const g = await gateway.fetchLink(link.razorpayLinkId);
      // already cancelled (`closed` covers that too) by a concurrent
      // cancel for the same reason, e.g. two deliveries of one payment settling the siblings
      if (g.status === 'cancelled' && g.payments.length === 0)
        return markCancelled(deps, link.id, reason, by);
      return applyObservation(deps, link.id, observationFromGatewayLink(g));
    }
    throw err;
  }
}

/**
 * After money lands on `paidLink`, no other link of the same EMI may take money: every
 * sibling still `created` is cancelled at Razorpay and locally (`sibling_paid`); a sibling that
 * already took a partial payment cannot be cancelled (Razorpay refuses) and is flagged.
 * Siblings come from the EMI anchor (strongly consistent) and the loan+EMI index, so a link
 * registered a moment ago is not missed. Idempotent: safe to run again after a failure.
 *
 * A loan link settles the siblings of each covered EMI its payments reached (oldest first: a
 * partial payment reaches the oldest ones only). A loan link that is a sibling — an EMI it
 * covers was paid through that EMI's own link — no longer fits its amount: it is cancelled as
 * `covered_emi_paid` (a new loan link can be generated for what is still overdue), or flagged
 * when it already took money.
 */
export async function settleSiblings(deps: LinkDeps, paidLink: StoredLink): Promise<void> {
  const reached =
    paidLink.scope === 'loan'
      ? new Set(paidLink.payments.flatMap((p) => (p.allocations ?? []).map((a) => a.emiNumber)))
      : new Set([paidLink.emiNumber]);
  const ids = new Set<string>();
  for (const emi of await anchorEmis(deps, paidLink)) {
    if (!reached.has(emi.emiNumber)) continue;
    for (const id of Object.keys(emi.links)) ids.add(id);
    for (const l of await deps.links.listForEmi(paidLink.loanId, emi.emiNumber)) ids.add(l.id);
  }
  // loan links of this loan covering a reached EMI (the index lists them under their own key)
  for (const l of await deps.links.listForEmi(paidLink.loanId, LOAN_SCOPE_EMI_NUMBER)) {
    if ((l.covers ?? []).some((c) => reached.has(c.emiNumber))) ids.add(l.id);
  }
  ids.delete(paidLink.id);
  for (const id of ids) {
    const sibling = await deps.links.getLink(id);
    if (!sibling) continue;
    if (sibling.status === 'created') {
      const reason =
        sibling.scope === 'loan' && paidLink.scope !== 'loan' ? 'covered_emi_paid' : 'sibling_paid';
      await cancelAtRazorpay(deps, sibling, reason);
      log.info('sibling cancelled', { linkId: sibling.id, paidLinkId: paidLink.id, loanId: paidLink.loanId });
    } else if (sibling.status === 'partially_paid') {
      await flagAttention(deps, sibling.id, 'sibling_partially_paid');
    }
    // `creating` siblings: their creator re-checks the EMI right after Razorpay answers and
    // cancels its own link if money landed meanwhile; reconciliation sweeps any leftover.
  }
}

/** The crediting path plus sibling settlement: what refreshes, webhooks and reconciliation call. */
export async function syncLink(deps: LinkDeps, linkId: string, obs: Observation): Promise<StoredLink> {
  const link = await applyObservation(deps, linkId, obs);
  if (link.amountPaid > 0) await settleSiblings(deps, link);
  return (await deps.links.getLink(linkId)) ?? link;
}
