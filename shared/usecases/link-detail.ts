/**
 * One link, in full (architecture §4c): its detail with timeline, resend and update.
 *
 * detail: the link, its failed attempts, refunds, siblings (other links of the same EMI, from the
 *   EMI anchor — strongly consistent — and the loan+EMI index) and its timeline (`events`, written
 *   with every change: domain/timeline.ts).
 * notify: Razorpay sends the link again by SMS or e-mail; only while the borrower can still pay
 *   it (created, partially paid), else 409; Razorpay's per-link throttle passes on as 429. The
 *   resend is recorded on the timeline with who asked.
 * update: expiry, reminders and partial payments, by Razorpay's rules for the state (reference
 *   §1.8): all on a `created` link; a partially paid link takes none of these (409, Razorpay
 *   allows only notes there); closed links none. A new expiry lies at least 16 minutes ahead
 *   (Razorpay's 15 and a minute for clock skew) and within 180 days of the link's creation.
 * Another lender's link answers exactly like an unknown id (404).
 */
import * as z from 'zod/mini';
import { type Actor, actorRef } from '../auth/actor';
import { mayAccessLender } from '../auth/scope';
import { PROVIDER_NAMES } from '../domain/accounts';
import {
  ConflictError,
  GatewayRateLimitedError,
  GatewayRejectedError,
  NotFoundError,
  TooManyRequestsError,
  ValidationError,
} from '../domain/errors';
import { type LinkUpdate, NOTIFY_CHANNELS } from '../domain/gateway';
import { anchorEmiNumbers, type LinkStatus } from '../domain/model';
import type { StoredLink } from '../domain/ports';
import { refundable } from '../domain/refunds';
import { type EventDetail, eventsOf, withEvent } from '../domain/timeline';
import { correlate } from '../observe';
import type { LinkDetail } from '../schemas/link-detail';
import { MAX_EXPIRY_SECONDS, MIN_EXPIRY_SECONDS, UPI_NO_PARTIAL } from './generate-link';
import { bump, gatewayOf, type LinkDeps } from './link-deps';
import { toLinkView } from './link-view';
import { surplusByPayment } from './surplus';
import { updateWithAnchor } from './sync-link';

/** The link, if it exists and is one of the actor's lenders'; otherwise the same 404. */
export async function linkInScope(
  deps: Pick<LinkDeps, 'links'>,
  id: string,
  actor: Pick<Actor, 'lenders'>,
): Promise<StoredLink> {
  const link = await deps.links.getLink(id);
  if (!link || !mayAccessLender(actor, link.lender)) throw new NotFoundError(`Payment link ${id} not found`);
  return link;
}

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

export async function linkDetail(
  deps: Pick<LinkDeps, 'links' | 'emis'>,
  id: string,
  actor: Pick<Actor, 'lenders'>,
): Promise<LinkDetail> {
  correlate({ linkId: id });
  const link = await linkInScope(deps, id, actor);
  // a loan link's siblings are the other links of the EMIs it covers
  const numbers = anchorEmiNumbers(link);
  // the surplus of each payment is on its ledger entry: read only for a link that may have some
  const withSurplus = link.attention !== undefined || (link.refunds ?? []).length > 0;
  const [emis, indexed, surplus] = await Promise.all([
    Promise.all(numbers.map((n) => deps.emis.getEmi(link.loanId, n, true))),
    Promise.all(numbers.map((n) => deps.links.listForEmi(link.loanId, n))),
    withSurplus ? surplusByPayment(deps, link) : new Map<string, number>(),
  ]);
  const siblings = new Map<string, { id: string; status: LinkStatus; amount: number; createdAt: string }>();
  for (const l of indexed.flat())
    siblings.set(l.id, { id: l.id, status: l.status, amount: l.amount, createdAt: l.createdAt });
  // the anchor is strongly consistent: a link registered a moment ago, or its newer status, wins
  for (const ref of emis.flatMap((emi) => Object.values(emi?.links ?? {}))) {
    siblings.set(ref.linkId, {
      id: ref.linkId,
      status: ref.status,
      amount: ref.amount,
      createdAt: ref.createdAt,
    });
  }
  siblings.delete(link.id);
  return {
    ...toLinkView(link),
    reminders: link.reminders ?? null,
    attempts: link.payments
      .filter((p) => p.status === 'failed')
      .map((p) => ({
        paymentId: p.paymentId,
        amount: p.amount,
        method: p.method,
        errorReason: p.errorReason ?? null,
        at: p.capturedAt,
      })),
    refunds: (link.refunds ?? []).map((r) => ({
      refundId: r.refundId,
      providerRefundId: r.providerRefundId ?? null,
      paymentId: r.paymentId,
      amount: r.amount,
      status: r.status,
      reason: r.reason ?? null,
      requestedAt: r.requestedAt,
      requestedBy: r.requestedBy ?? null,
      failureReason: r.failureReason ?? null,
      external: r.external === true,
    })),
    refundable: [...surplus]
      .filter(([, amount]) => amount > 0)
      .map(([paymentId, amount]) => ({
        paymentId,
        surplus: amount,
        left: refundable(link, paymentId, amount),
      })),
    siblings: [...siblings.values()]
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map(({ id: siblingId, status, amount }) => ({ id: siblingId, status, amount })),
    allocations: link.payments
      .filter((p) => p.status === 'captured' && p.allocations)
      .map((p) => ({ paymentId: p.paymentId, emis: (p.allocations ?? []).map((a) => ({ ...a })) })),
    events: eventsOf(link).map((e) => ({
      at: e.at,
      type: e.type,
      actor: e.actor ?? null,
      detail: e.detail ?? null,
    })),
  };
}

// ── resend ────────────────────────────────────────────────────────────────────────────────────

export const notifyBodySchema = z.strictObject({
  via: z.enum(NOTIFY_CHANNELS, { error: 'must be "sms" or "email"' }),
});
export type NotifyBody = z.infer<typeof notifyBodySchema>;

const CLOSED: Partial<Record<LinkStatus, string>> = {
  creating: 'it is still being created at Razorpay; try again in a moment',
  failed: 'it was never created at Razorpay',
  paid: 'it has already been paid',
  expired: 'it has expired',
  cancelled: 'it is cancelled',
};

function mustBeOpen(link: StoredLink, action: string): string {
  const why = CLOSED[link.status];
  if (why || !link.razorpayLinkId) {
    throw new ConflictError(
      'LINK_CLOSED',
      `Payment link ${link.id} cannot be ${action}: ${why ?? 'Razorpay has not confirmed it yet'}`,
    );
  }
  return link.razorpayLinkId;
}

/** Appends one event to the link (and nothing else): the revision guards it like any change. */
async function record(
  deps: LinkDeps,
  linkId: string,
  type: 'notified' | 'updated',
  actor: Actor,
  detail: EventDetail,
  apply: (link: StoredLink) => StoredLink = (l) => l,
): Promise<StoredLink> {
  return updateWithAnchor(deps, linkId, (link, now) =>
    withEvent(apply(bump(link, now)), { at: now, type, actor: actorRef(actor), detail }),
  );
}

/** 422 naming the field: the link's provider has no such call (the page hides the action). */
function notSupported(link: Pick<StoredLink, 'provider'>, field: string, what: string): ValidationError {
  const name = PROVIDER_NAMES[link.provider ?? 'razorpay'];
  const message = `is not supported by this link's provider (${name})`;
  return new ValidationError(`${what} ${message}`, [{ field, message }], true);
}

export async function notifyLink(
  deps: LinkDeps,
  id: string,
  body: NotifyBody,
  actor: Actor,
): Promise<LinkDetail> {
  correlate({ linkId: id });
  const link = await linkInScope(deps, id, actor);
  const razorpayId = mustBeOpen(link, 'sent again');
  const gateway = await gatewayOf(deps, link);
  if (!gateway.notifyLink) throw notSupported(link, 'via', 'Sending a link again');
  try {
    await gateway.notifyLink(razorpayId, body.via);
  } catch (err) {
    if (err instanceof GatewayRateLimitedError) {
      throw new TooManyRequestsError(
        `Razorpay refuses to send link ${id} by ${body.via} again so soon; try again in a minute`,
      );
    }
    throw err;
  }
  await record(deps, id, 'notified', actor, { via: body.via });
  return linkDetail(deps, id, actor);
}

// ── update ────────────────────────────────────────────────────────────────────────────────────

export const updateBodySchema = z.strictObject({
  expireBy: z.optional(
    z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time, e.g. 2026-12-01T18:30:00Z' }),
  ),
  reminders: z.optional(z.boolean()),
  acceptPartial: z.optional(z.boolean()),
});
export type UpdateBody = z.infer<typeof updateBodySchema>;

function semantic(field: string, message: string): ValidationError {
  return new ValidationError(`${field} ${message}`, [{ field, message }], true);
}

export async function updateLink(
  deps: LinkDeps,
  id: string,
  body: UpdateBody,
  actor: Actor,
): Promise<LinkDetail> {
  correlate({ linkId: id });
  const fields = Object.keys(body).filter((k) => body[k as keyof UpdateBody] !== undefined);
  if (fields.length === 0) {
    throw new ValidationError('Nothing to change: send expireBy, reminders or acceptPartial', [
      { field: 'body', message: 'must name at least one of expireBy, reminders, acceptPartial' },
    ]);
  }
  const link = await linkInScope(deps, id, actor);
  if (link.status === 'partially_paid') {
    throw new ConflictError(
      'LINK_NOT_UPDATABLE',
      `Payment link ${id} is partly paid: Razorpay allows no change to ${fields.join(', ')} any more`,
    );
  }
  const razorpayId = mustBeOpen(link, 'changed');
  const change: LinkUpdate = {};
  const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
  if (body.expireBy !== undefined) {
    const expireBy = Math.floor(Date.parse(body.expireBy) / 1000);
    if (expireBy < nowSeconds + MIN_EXPIRY_SECONDS)
      throw semantic('expireBy', 'must be at least 16 minutes in the future (Razorpay wants 15)');
    const created = Math.floor(Date.parse(link.createdAt) / 1000);
    if (expireBy > created + MAX_EXPIRY_SECONDS)
      throw semantic('expireBy', 'must be at most 180 days after the link was created');
    change.expireBy = expireBy;
  }
  if (body.reminders !== undefined) change.reminderEnable = body.reminders;
  if (body.acceptPartial === true && link.upiLink) throw semantic('acceptPartial', UPI_NO_PARTIAL);
  if (body.acceptPartial !== undefined) change.acceptPartial = body.acceptPartial;
  const gateway = await gatewayOf(deps, link);
  // a provider without a general update may still move the expiry (EximPe's extend)
  const onlyExpiry = change.reminderEnable === undefined && change.acceptPartial === undefined;
  const extend = gateway.extendLink;
  const apply =
    gateway.updateLink?.bind(gateway) ??
    (onlyExpiry && change.expireBy !== undefined && extend
      ? (providerId: string, c: LinkUpdate) => extend.call(gateway, providerId, c.expireBy!)
      : undefined);
  if (!apply) {
    throw notSupported(
      link,
      onlyExpiry ? 'expireBy' : change.reminderEnable !== undefined ? 'reminders' : 'acceptPartial',
      'This change',
    );
  }
  let answered: Awaited<ReturnType<typeof apply>>;
  try {
    answered = await apply(razorpayId, change);
  } catch (err) {
    // the state moved at Razorpay (paid or expired meanwhile): a conflict, not bad input
    if (err instanceof GatewayRejectedError && /state/i.test(err.reason)) {
      throw new ConflictError('LINK_NOT_UPDATABLE', `Payment link ${id} cannot be changed: ${err.reason}`);
    }
    throw err;
  }
  const detail: EventDetail = {};
  if (change.expireBy !== undefined) {
    detail.expireBy = iso(answered.expireBy || change.expireBy);
    detail.previousExpireBy = link.expireBy > 0 ? iso(link.expireBy) : null;
  }
  if (change.reminderEnable !== undefined) detail.reminders = change.reminderEnable;
  if (change.acceptPartial !== undefined) detail.acceptPartial = change.acceptPartial;
  await record(deps, id, 'updated', actor, detail, (l) => ({
    ...l,
    ...(change.expireBy !== undefined ? { expireBy: answered.expireBy || change.expireBy } : {}),
    ...(change.reminderEnable !== undefined ? { reminders: change.reminderEnable } : {}),
    ...(change.acceptPartial !== undefined
      ? {
          acceptPartial: change.acceptPartial,
          // Razorpay's own default minimum first payment applies (₹1) when none was set
          minPartialAmount: change.acceptPartial ? l.minPartialAmount : undefined,
        }
      : {}),
  }));
  return linkDetail(deps, id, actor);
}

// ── QR ────────────────────────────────────────────────────────────────────────────────────────

/** What a link's QR code encodes: its short URL, fixed for life (so the image may be cached). */
export async function linkQrTarget(
  deps: Pick<LinkDeps, 'links'>,
  id: string,
  actor: Pick<Actor, 'lenders'>,
): Promise<string> {
  correlate({ linkId: id });
  const link = await linkInScope(deps, id, actor);
  if (!link.shortUrl) {
    throw new ConflictError('LINK_HAS_NO_URL', `Payment link ${id} has no URL: Razorpay has not created it`);
  }
  return link.shortUrl;
}
