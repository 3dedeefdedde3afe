/**
 * A link's timeline (architecture §4c): what happened to it, when, and who did it — written as
 * it happens, on the link record itself, in the very write that makes the change. Every write of
 * a link is guarded by its revision, so a writer that lost a race re-reads the link and derives
 * its events again from what it now sees: the timeline cannot disagree with the link, and two
 * deliveries of one webhook add one event, not two.
 *
 * `chronicle(before, next)` derives the events of a state change (status, money, failed
 * attempts, attention) by comparing the link before and after; actions that change no state
 * Razorpay reports (a resend, an update) add their own event with `withEvent`.
 */
import type { ActorRef, Link } from './model';

export const LINK_EVENT_TYPES = [
  'created',
  'failed',
  'notified',
  'updated',
  'payment_failed',
  'partially_paid',
  'paid',
  'cancelled',
  'expired',
  'attention',
  'attention_cleared',
  'refund_requested',
  'refund_processed',
  'refund_failed',
] as const;
export type LinkEventType = (typeof LINK_EVENT_TYPES)[number];

/** Plain values only: no borrower data (names, phones, e-mails) ever goes into a detail. */
export type EventDetail = Record<string, string | number | boolean | null>;

export interface LinkEvent {
  /** ISO-8601 UTC */
  at: string;
  type: LinkEventType;
  /** the person or machine client who did it; absent when Razorpay or the system did */
  actor?: ActorRef;
  detail?: EventDetail;
}

/** Events kept per link: the first (its creation) and the newest, so the item stays small. */
export const MAX_LINK_EVENTS = 200;

export function eventsOf(link: Pick<Link, 'events'>): LinkEvent[] {
  return link.events ?? [];
}

/** The link with `events` appended (the oldest trimmed beyond MAX_LINK_EVENTS, the first kept). */
export function withEvent<L extends Link>(link: L, ...events: LinkEvent[]): L {
  if (events.length === 0) return link;
  let all = [...eventsOf(link), ...events];
  if (all.length > MAX_LINK_EVENTS) all = [all[0] as LinkEvent, ...all.slice(-(MAX_LINK_EVENTS - 1))];
  return { ...link, events: all };
}

/** The events that turn `before` into `next` (none when nothing the timeline shows changed). */
export function changesBetween(before: Link | undefined, next: Link, now: string): LinkEvent[] {
  const out: LinkEvent[] = [];
  const was = before?.status;
  const byStatus = next.status !== was;
  const known = new Set((before?.payments ?? []).map((p) => `${p.status}#${p.paymentId}`));
  if (
    byStatus &&
    next.status === 'created' &&
    (was === undefined || was === 'creating' || was === 'failed')
  ) {
    out.push({
      at: now,
      type: 'created',
      ...(next.createdBy ? { actor: next.createdBy } : {}),
      detail: {
        amount: next.amount,
        expireBy: next.expireBy,
        acceptPartial: next.acceptPartial,
        ...(next.jobId ? { jobId: next.jobId } : {}),
      },
    });
  }
  if (byStatus && next.status === 'failed') {
    out.push({ at: now, type: 'failed', detail: { code: next.error?.code ?? 'unknown' } });
  }
  for (const p of next.payments) {
    if (known.has(`${p.status}#${p.paymentId}`)) continue;
    if (p.status === 'failed') {
      out.push({
        at: p.capturedAt,
        type: 'payment_failed',
        detail: {
          paymentId: p.paymentId,
          amount: p.amount,
          method: p.method,
          errorReason: p.errorReason ?? null,
        },
      });
    } else {
      out.push({
        at: p.capturedAt,
        type: next.amountPaid >= next.amount ? 'paid' : 'partially_paid',
        detail: { paymentId: p.paymentId, amount: p.amount, method: p.method, amountPaid: next.amountPaid },
      });
    }
  }
  if (byStatus && next.status === 'cancelled') {
    out.push({
      at: now,
      type: 'cancelled',
      ...(next.cancelledBy ? { actor: next.cancelledBy } : {}),
      detail: { reason: next.cancelReason ?? 'razorpay' },
    });
  }
  if (byStatus && next.status === 'expired') out.push({ at: now, type: 'expired' });
  if (next.attention && next.attention !== before?.attention) {
    out.push({ at: now, type: 'attention', detail: { reason: next.attention } });
  } else if (!next.attention && before?.attention) {
    out.push({ at: now, type: 'attention_cleared', detail: { reason: before.attention } });
  }
  return out;
}

/**
 * `next` with the events of the change from `before` appended. When Razorpay's own
 * `payment_link.cancelled` got here before our cancel was recorded, the cancellation is already
 * on the timeline (reason `razorpay`): learning who cancelled it and why amends that event
 * instead of telling of a second cancellation.
 */
export function chronicle<L extends Link>(before: Link | undefined, next: L, now: string): L {
  const events = changesBetween(before, next, now);
  const learnt =
    before?.status === 'cancelled' &&
    next.status === 'cancelled' &&
    next.cancelReason !== undefined &&
    before.cancelReason !== next.cancelReason;
  if (!learnt) return withEvent(next, ...events);
  const all = [...eventsOf(next)];
  const at = all.findLastIndex((e) => e.type === 'cancelled');
  const amended: LinkEvent = {
    at: at >= 0 ? (all[at] as LinkEvent).at : now,
    type: 'cancelled',
    ...(next.cancelledBy ? { actor: next.cancelledBy } : {}),
    detail: { reason: next.cancelReason ?? 'razorpay' },
  };
  if (at >= 0) all[at] = amended;
  else all.push(amended);
  return withEvent({ ...next, events: all }, ...events);
}
