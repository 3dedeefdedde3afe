/**
 * Apply one queued EximPe webhook event (the worker's use case for `/webhooks/eximpe/{accountId}`).
 *
 * EximPe's payment events name only an order and a payment (docs/eximpe.md §4): no link id, no
 * reference id, and often no amount. So nothing in the body is trusted beyond "look at payment
 * X": the payment is read from EximPe's API through the receiving account's own credentials,
 * and only what the API says moves money.
 *
 *   1. PAYMENT_SUCCESSFUL / PAYMENT_FAILED only; every other event (refunds, settlements, …) is
 *      archived at receipt and acknowledged here;
 *   2. GET the payment: its order's `reference_id` is our link id — the only mapping used;
 *   3. the link must live in the account whose URL received the event, on EximPe; otherwise it
 *      is flagged `invalid_event` and nothing is applied;
 *   4. an amount in the webhook that disagrees with the API's is flagged, never credited;
 *   5. PAYMENT_SUCCESSFUL: the API must say captured (else the event is retried, then
 *      dead-lettered for a person); the link is read from the API too and everything goes through
 *      the one crediting path (once per EximPe payment id; siblings deactivated);
 *      PAYMENT_FAILED: the failed attempt is recorded, the link stays open.
 */
import { accountOfLink } from '../domain/accounts';
import { AppError, ConfigError, GatewayNotFoundError } from '../domain/errors';
import type { ProviderPayment } from '../domain/gateway';
import { LINK_ID } from '../domain/model';
import { isRecord } from '../domain/records';
import { AmountFormatError, rupeesToPaise } from '../domain/rupees';
import { log } from '../log';
import { correlate } from '../observe';
import type { LinkDeps } from './link-deps';
import {
  applyObservation,
  flagAttention,
  type Observation,
  observationFromGatewayLink,
  syncLink,
} from './sync-link';
import { type ApplyOutcome, UnmappedPaymentError } from './webhook-apply';

export const EXIMPE_MONEY_EVENTS = ['PAYMENT_SUCCESSFUL'];
export const EXIMPE_HANDLED_EVENTS = [...EXIMPE_MONEY_EVENTS, 'PAYMENT_FAILED'];

/** The API does not (yet) confirm what the webhook says: retried, then dead-lettered. */
export class WebhookNotConfirmedError extends AppError {
  readonly code = 'WEBHOOK_NOT_CONFIRMED';
}

interface EximpeEvent {
  eventType: string;
  paymentId: string;
  /** the webhook's own amount, when it carries one (paise), or a reason it cannot be read */
  amount?: number | 'unreadable';
}

/** The fields we read from an EximPe event body; null when it is not one. */
export function parseEximpeEvent(body: Buffer): EximpeEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(value) || typeof value.event_type !== 'string' || !isRecord(value.data)) return null;
  const data = value.data;
  const paymentId = typeof data.payment_id === 'string' ? data.payment_id.trim() : '';
  let amount: EximpeEvent['amount'];
  if (data.amount !== undefined && data.amount !== null) {
    try {
      amount = rupeesToPaise(data.amount);
    } catch (err) {
      if (!(err instanceof AmountFormatError)) throw err;
      amount = 'unreadable';
    }
  }
  return {
    eventType: value.event_type.trim().toUpperCase(),
    paymentId,
    ...(amount === undefined ? {} : { amount }),
  };
}

export async function applyEximpeEvent(
  deps: LinkDeps,
  body: Buffer,
  eventId: string,
  accountId: string,
): Promise<ApplyOutcome> {
  const event = parseEximpeEvent(body);
  if (!event) throw new UnmappedPaymentError(`EximPe event ${eventId} is not an event body we can read`);
  if (!EXIMPE_HANDLED_EVENTS.includes(event.eventType)) return { applied: false, reason: 'ignored-event' };
  const money = EXIMPE_MONEY_EVENTS.includes(event.eventType);
  const ids = { eventId, event: event.eventType, paymentId: event.paymentId, accountId };
  if (event.paymentId === '' || !/^[A-Za-z0-9-]{1,64}$/.test(event.paymentId)) {
    if (money) throw new UnmappedPaymentError(`EximPe event ${eventId} names no usable payment id`);
    return { applied: false, reason: 'unmapped' };
  }

  const gateway = await deps.gateways.forAccount({ accountId, provider: 'eximpe' });
  if (!gateway.fetchPayment) throw new ConfigError('The EximPe gateway cannot read payments');
  let payment: ProviderPayment;
  try {
    payment = await gateway.fetchPayment(event.paymentId);
  } catch (err) {
    if (err instanceof GatewayNotFoundError && money) {
      // signed by the account's secret, but EximPe's API does not know the payment (yet)
      throw new WebhookNotConfirmedError(
        `EximPe does not know payment ${event.paymentId} (event ${eventId})`,
      );
    }
    if (err instanceof GatewayNotFoundError) return { applied: false, reason: 'unmapped' };
    throw err;
  }

  const link = LINK_ID.test(payment.referenceId) ? await deps.links.getLink(payment.referenceId) : null;
  correlate({ eventId, linkId: link?.id });
  if (!link) {
    if (money) {
      // money on EximPe that is not on one of our links: a person must look (never dropped)
      log.error('EximPe payment maps to no link of ours', ids);
      throw new UnmappedPaymentError(
        `EximPe payment ${event.paymentId} (event ${eventId}) maps to no link of ours`,
      );
    }
    log.warn('EximPe event maps to no link of ours: acknowledged', ids);
    return { applied: false, reason: 'unmapped' };
  }
  const account = accountOfLink(link);
  const problem =
    account.accountId !== accountId || account.provider !== 'eximpe'
      ? 'account_mismatch'
      : event.amount !== undefined && event.amount !== payment.amount
        ? 'amount_mismatch'
        : null;
  if (problem) {
    log.error('EximPe webhook event is invalid: flagged, not applied', { ...ids, linkId: link.id, problem });
    await flagAttention(deps, link.id, 'invalid_event');
    return { applied: false, reason: 'invalid-event', linkId: link.id, problem };
  }

  const { referenceId: _ref, orderId: _order, ...reported } = payment;
  if (!money) {
    const after = await applyObservation(deps, link.id, {
      captured: [],
      failed: [
        {
          paymentId: reported.paymentId,
          amount: reported.amount,
          method: reported.method,
          createdAt: reported.createdAt,
        },
      ],
    });
    log.info('EximPe webhook applied', { ...ids, linkId: link.id, status: after.status });
    return { applied: true, linkId: link.id, status: after.status };
  }
  if (reported.status !== 'captured') {
    throw new WebhookNotConfirmedError(
      `EximPe reports payment ${event.paymentId} as "${reported.status.slice(0, 32)}", not captured (event ${eventId})`,
    );
  }
  // the link as EximPe has it (status, identity after a create that timed out), plus this payment
  const providerId = link.razorpayLinkId ?? (await gateway.findLinkByReferenceId(link.referenceId))?.id;
  let obs: Observation = { captured: [reported] };
  if (providerId) {
    const g = await gateway.fetchLink(providerId);
    const fromLink = observationFromGatewayLink(g);
    obs = {
      ...fromLink,
      captured: [...fromLink.captured.filter((p) => p.paymentId !== reported.paymentId), reported],
    };
  }
  const after = await syncLink(deps, link.id, obs);
  log.info('EximPe webhook applied', { ...ids, linkId: link.id, status: after.status });
  return { applied: true, linkId: link.id, status: after.status };
}
