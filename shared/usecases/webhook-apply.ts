/**
 * Apply one queued Razorpay webhook event (the worker's use case). Every money event goes
 * through the one crediting path (sync-link.ts), which credits each payment id once whatever the
 * number or order of events, moves status forward only, flags money on dead links or beyond what
 * is owed, and cancels the siblings.
 *
 * Steps:
 *   1. decode the queue message and parse the body (tolerant schema);
 *   2. find our link: `notes.link_id` (payment, order, link notes) → Razorpay link id (the
 *      payment_link entity, or the payment's `#<suffix>` description) → reference id (link
 *      `reference_id` / order `receipt` = our link id);
 *   3. an event about a link of another account than the URL that received it is flagged on the
 *      link (attention `invalid_event`), never applied (it stays in the raw archive);
 *   4. by event:
 *      - payment.captured, order.paid, payment_link.paid/partially_paid: syncLink with the
 *        captured payment (and the link's status); a payment that maps to no link of ours throws
 *        UnmappedPaymentError — retried, then dead-lettered where an operator sees it;
 *      - payment.failed: the failed attempt is recorded; the link stays open;
 *      - payment_link.expired/cancelled: status forward (never over a paid link);
 *      - anything else: acknowledged.
 * Any other failure (Razorpay down while cancelling siblings, …) throws for this event alone.
 */

import { accountOfLink, DEFAULT_ACCOUNT_ID } from '../domain/accounts';
import { AppError } from '../domain/errors';
import type { GatewayPayment } from '../domain/gateway';
import { LINK_ID } from '../domain/model';
import { capturedPaymentProblem, failedAttemptProblem, PLINK_ID, safeMethod } from '../domain/payment-checks';
import type { LinkStore, StoredLink } from '../domain/ports';
import {
  parseWebhookEvent,
  type WebhookEvent,
  type WebhookPayment,
  type WebhookPaymentLink,
} from '../domain/razorpay/events';
import { log } from '../log';
import { metrics } from '../metrics';
import { correlate } from '../observe';
import type { LinkDeps } from './link-deps';
import { applyRefundEvent, type RefundApplyOutcome } from './refunds';
import { applyObservation, flagAttention, type Observation, syncLink } from './sync-link';
import { applyEximpeEvent } from './webhook-eximpe';
import { decodeWebhookMessage } from './webhook-message';

/** Events that carry a captured payment. */
export const MONEY_EVENTS = [
  'payment.captured',
  'order.paid',
  'payment_link.paid',
  'payment_link.partially_paid',
];
const LINK_STATE_EVENTS = ['payment_link.expired', 'payment_link.cancelled'];
/** Refund events (refunds.ts); `refund.speed_changed` changes no money and is acknowledged. */
export const REFUND_EVENTS = ['refund.created', 'refund.processed', 'refund.failed'];
export const HANDLED_EVENTS = [...MONEY_EVENTS, 'payment.failed', ...LINK_STATE_EVENTS, ...REFUND_EVENTS];

const OUR_LINK_ID = LINK_ID;
/** a link payment's description: `#` + the link id without `plink_` (reference.md §4) */
const PLINK_DESCRIPTION = /^#([A-Za-z0-9]{14})$/;

/** Money that maps to no link of ours: never dropped, never guessed — an operator must look. */
export class UnmappedPaymentError extends AppError {
  readonly code = 'WEBHOOK_PAYMENT_UNMAPPED';
}

export type ApplyOutcome =
  | { applied: true; linkId: string; status: string }
  | RefundApplyOutcome
  | { applied: false; reason: 'ignored-event' | 'unmapped' | 'not-a-link-payment' }
  | { applied: false; reason: 'invalid-event'; linkId: string; problem: string };

type LinkFinder = Pick<LinkStore, 'getLink' | 'findByRazorpayId'>;

/** Our link for an event, by the most robust evidence first; null when none is ours. */
export async function findOurLink(links: LinkFinder, event: WebhookEvent): Promise<StoredLink | null> {
  const payment = event.payload.payment?.entity;
  const order = event.payload.order?.entity;
  const plink = event.payload.payment_link?.entity;
  const tried = new Set<string>();
  const byId = async (id: string | null | undefined) => {
    if (!id || !OUR_LINK_ID.test(id) || tried.has(id)) return null;
    tried.add(id);
    return links.getLink(id);
  };
  const byRazorpayId = async (id: string | null | undefined) => {
    if (!id || !PLINK_ID.test(id) || tried.has(id)) return null;
    tried.add(id);
    return links.findByRazorpayId(id);
  };
  for (const notes of [payment?.notes, order?.notes, plink?.notes]) {
    const found = await byId(notes?.link_id);
    if (found) return found;
  }
  const suffix = PLINK_DESCRIPTION.exec(payment?.description ?? '')?.[1];
  for (const id of [plink?.id, suffix === undefined ? undefined : `plink_${suffix}`]) {
    const found = await byRazorpayId(id);
    if (found) return found;
  }
  for (const ref of [plink?.reference_id, order?.receipt]) {
    const found = await byId(ref);
    if (found) return found;
  }
  return null;
}

/** Any trace that a payment was made on a payment link (ours or not). */
export function looksLikeLinkPayment(event: WebhookEvent): boolean {
  const payment = event.payload.payment?.entity;
  const order = event.payload.order?.entity;
  return (
    event.payload.payment_link !== undefined ||
    PLINK_DESCRIPTION.test(payment?.description ?? '') ||
    [payment?.notes?.link_id, order?.notes?.link_id, order?.receipt].some((v) => OUR_LINK_ID.test(v ?? ''))
  );
}

/** The payment as reported: its status and currency are checked, never assumed. */
function capturedPayment(p: WebhookPayment): GatewayPayment {
  return {
    paymentId: p.id,
    amount: p.amount,
    currency: p.currency,
    method: safeMethod(p.method),
    status: p.status,
    createdAt: p.created_at,
  };
}

/**
 * Why this event must not be applied to `link`, or null. Every payment it carries must be a
 * captured INR payment of whole, positive paise within the link's amount (a failed attempt:
 * well-formed id and amount), and a payment_link entity must be this link in INR.
 */
export function eventProblem(event: WebhookEvent, obs: Observation, link: StoredLink): string | null {
  for (const p of obs.captured) {
    const problem = capturedPaymentProblem(p, link.amount);
    if (problem) return problem;
  }
  for (const f of obs.failed ?? []) {
    const problem = failedAttemptProblem(f);
    if (problem) return problem;
  }
  const plink = event.payload.payment_link?.entity;
  if (plink) {
    if (!PLINK_ID.test(plink.id)) return 'payment_link_id_malformed';
    if (link.razorpayLinkId && plink.id !== link.razorpayLinkId) return 'payment_link_id_mismatch';
    if (plink.currency !== undefined && plink.currency !== 'INR') return 'currency_not_inr';
    if (!Number.isSafeInteger(plink.amount_paid) || plink.amount_paid < 0) return 'amount_paid_malformed';
  }
  return null;
}

/** Razorpay's identity of the link, so a link whose create timed out adopts it. */
function razorpayIdentity(l: WebhookPaymentLink): Observation['razorpay'] {
  const shortUrl = (l as { short_url?: unknown }).short_url;
  const expireBy = (l as { expire_by?: unknown }).expire_by;
  if (typeof shortUrl !== 'string' || !PLINK_ID.test(l.id)) return undefined;
  return { id: l.id, shortUrl, expireBy: typeof expireBy === 'number' ? expireBy : 0 };
}

/** What a webhook event reports about our link, for the crediting path. */
export function observationOf(event: WebhookEvent): Observation {
  const payment = event.payload.payment?.entity;
  const plink = event.payload.payment_link?.entity;
  const obs: Observation = { captured: [] };
  if (plink) {
    obs.status = plink.status;
    obs.amountPaid = plink.amount_paid;
    obs.razorpay = razorpayIdentity(plink);
  }
  if (payment && MONEY_EVENTS.includes(event.event)) obs.captured = [capturedPayment(payment)];
  if (payment && event.event === 'payment.failed') {
    obs.failed = [
      {
        paymentId: payment.id,
        amount: payment.amount,
        method: safeMethod(payment.method),
        createdAt: payment.created_at,
        ...(payment.error_description ? { errorReason: payment.error_description } : {}),
      },
    ];
  }
  return obs;
}

export async function applyWebhookEvent(
  deps: LinkDeps,
  event: WebhookEvent,
  eventId: string,
  /** the account whose webhook URL received it (architecture §4b) */
  accountId: string = DEFAULT_ACCOUNT_ID,
): Promise<ApplyOutcome> {
  if (!HANDLED_EVENTS.includes(event.event)) return { applied: false, reason: 'ignored-event' };
  if (REFUND_EVENTS.includes(event.event)) return applyRefundWebhook(deps, event, eventId, accountId);
  const payment = event.payload.payment?.entity;
  const plink = event.payload.payment_link?.entity;
  const ids = {
    eventId,
    event: event.event,
    paymentId: payment?.id,
    razorpayLinkId: plink?.id,
    orderId: event.payload.order?.entity.id ?? payment?.order_id ?? undefined,
  };
  const money = MONEY_EVENTS.includes(event.event);
  if (money && !payment) throw new UnmappedPaymentError(`${event.event} event ${eventId} carries no payment`);

  const link = await findOurLink(deps.links, event);
  correlate({ eventId, linkId: link?.id });
  if (!link && money && !looksLikeLinkPayment(event)) {
    // payment.captured / order.paid fire for every payment on the Razorpay account; one with
    // no trace of a payment link (no plink id, no `#<plink>` description, no notes or receipt
    // of ours) was not taken through this tool: not ours to credit or to dead-letter
    log.warn('captured payment is not a payment-link payment: acknowledged', ids);
    return { applied: false, reason: 'not-a-link-payment' };
  }
  if (!link) {
    if (money) {
      log.error('captured payment maps to no link of ours', { ...ids, amount: payment?.amount });
      throw new UnmappedPaymentError(
        `Payment ${payment?.id} (event ${eventId}) maps to no payment link of ours`,
      );
    }
    // a failed attempt or a link state change carries no money: nothing to keep
    log.warn('webhook event maps to no link of ours: acknowledged', ids);
    return { applied: false, reason: 'unmapped' };
  }

  const obs = observationOf(event);
  // signed with account B's secret but about account A's link: B's merchant cannot move A's money
  const problem =
    accountOfLink(link).accountId === accountId ? eventProblem(event, obs, link) : 'account_mismatch';
  if (problem) {
    // signed by Razorpay and still wrong: archived at receipt, flagged for a person on the link,
    // acknowledged (a retry cannot make it right) and never applied
    log.error('webhook event is invalid: flagged, not applied', {
      ...ids,
      linkId: link.id,
      loanId: link.loanId,
      problem,
    });
    await flagAttention(deps, link.id, 'invalid_event');
    return { applied: false, reason: 'invalid-event', linkId: link.id, problem };
  }
  const after = money ? await syncLink(deps, link.id, obs) : await applyObservation(deps, link.id, obs);
  log.info('webhook applied', { ...ids, linkId: link.id, loanId: link.loanId, status: after.status });
  // payment_link.* events carry the link's creation time there, not the event's
  if (event.created_at && !event.event.startsWith('payment_link.')) {
    metrics.webhookLag(deps.clock.now().getTime() - event.created_at * 1000);
  }
  return { applied: true, linkId: link.id, status: after.status };
}

/** refund.created / processed / failed: the refund entity, checked and applied once (refunds.ts). */
async function applyRefundWebhook(
  deps: LinkDeps,
  event: WebhookEvent,
  eventId: string,
  accountId: string,
): Promise<ApplyOutcome> {
  const refund = event.payload.refund?.entity;
  // a refund event without its refund cannot be matched to money: a person must see it
  if (!refund) throw new UnmappedPaymentError(`${event.event} event ${eventId} carries no refund`);
  correlate({ eventId });
  const status =
    event.event === 'refund.processed' ? 'processed' : event.event === 'refund.failed' ? 'failed' : 'pending';
  const ourRefundId = refund.receipt ?? refund.notes?.refund_id ?? null;
  const outcome = await applyRefundEvent(
    deps,
    {
      id: refund.id,
      paymentId: refund.payment_id,
      amount: refund.amount,
      currency: refund.currency,
      ourRefundId,
      status,
    },
    accountId,
  );
  log.info('refund webhook handled', {
    eventId,
    event: event.event,
    providerRefundId: refund.id,
    ...outcome,
  });
  return outcome;
}

/** Decodes a queue message written by the receiver and applies it. Throws to have it retried. */
export async function applyWebhookMessage(deps: LinkDeps, messageBody: string): Promise<ApplyOutcome> {
  const { meta, body } = decodeWebhookMessage(messageBody);
  if (meta.provider === 'eximpe') {
    return applyEximpeEvent(deps, body, meta.eventId, meta.accountId ?? DEFAULT_ACCOUNT_ID);
  }
  if (!HANDLED_EVENTS.includes(meta.event)) {
    log.info('webhook event acknowledged', { eventId: meta.eventId, event: meta.event });
    return { applied: false, reason: 'ignored-event' };
  }
  const parsed = parseWebhookEvent(body);
  if (!parsed.ok) {
    // the receiver archived it; a body we cannot read is dead-lettered for a person, not dropped
    log.error('webhook body does not match the expected shape', {
      eventId: meta.eventId,
      event: meta.event,
      archiveKey: meta.archiveKey,
      err: parsed.error,
    });
    throw parsed.error;
  }
  return applyWebhookEvent(deps, parsed.event, meta.eventId, meta.accountId ?? DEFAULT_ACCOUNT_ID);
}
