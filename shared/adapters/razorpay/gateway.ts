/**
 * The PaymentGateway port on Razorpay Payment Links, through the official `razorpay` SDK —
 * the only module in the project that imports it.
 *
 * What the SDK does not do, this adapter does (reference.md §2, §5):
 * - points the SDK at a Razorpay-compatible base URL (the local sandbox) and bounds every
 *   request by a timeout (the SDK sets none);
 * - turns the SDK's rejections (plain objects, strings, TypeErrors) into typed Gateway* errors;
 * - retries what is safe with exponential backoff and full jitter, a bounded number of times;
 * - never creates a second link by retrying: Razorpay has no idempotency key for payment
 *   links, so `reference_id` is the key, and a create whose outcome is unknown is resolved by
 *   looking the reference id up before anything is created again.
 */
import Razorpay from 'razorpay';
import { env, envOptional } from '../../config';
import { GatewayAuthError, type GatewayError, GatewayRateLimitedError } from '../../domain/errors';
import type {
  CreateLinkRequest,
  GatewayLink,
  GatewayRefund,
  LinkUpdate,
  NotifyChannel,
  PaymentGateway,
  RefundRequest,
} from '../../domain/gateway';
import { metrics } from '../../metrics';
import type { RazorpayOperation } from '../../observability/names';
import { readSecretJson, secretField } from '../secrets/secret-json';
import {
  cancelRefusal,
  isOutcomeUnknown,
  isRejectedBecause,
  RAZORPAY_REASONS,
  toGatewayError,
  transportFailure,
} from './errors';
import {
  toCreateLinkBody,
  toGatewayLink,
  toGatewayLinks,
  toGatewayRefund,
  toGatewayRefunds,
  toUpdateLinkBody,
} from './mapping';

export interface RazorpayGatewayOptions {
  keyId: string;
  keySecret: string;
  /** a Razorpay-compatible server, e.g. the local sandbox; default https://api.razorpay.com */
  baseUrl?: string;
  /** per request, wall clock; default 8000 */
  timeoutMs?: number;
  /** HTTP calls per operation, first try included; default 4 */
  maxAttempts?: number;
  /** backoff base; the n-th retry waits random() × min(maxDelayMs, baseDelayMs × 2^(n-1)); default 200 */
  baseDelayMs?: number;
  /** backoff cap; default 2000 */
  maxDelayMs?: number;
  /** injectable for tests */
  sleep?: (ms: number) => Promise<void>;
  /** injectable for tests; [0, 1) */
  random?: () => number;
}

/** The part of the SDK's axios instance the adapter touches (`rq` is not in the SDK's types). */
interface AxiosLike {
  defaults: { baseURL?: string; timeout?: number };
  interceptors: {
    request: { use(onFulfilled: (config: RequestConfig) => RequestConfig): number };
    response: { use(onFulfilled: undefined, onRejected: (err: unknown) => unknown): number };
  };
}

interface RequestConfig {
  signal?: unknown;
  method?: string;
  url?: string;
  data?: unknown;
  headers?: Record<string, unknown> | { set(name: string, value: string): unknown };
}

/** Razorpay's idempotency header for refunds: a repeat with the same value makes no second refund. */
export const REFUND_IDEMPOTENCY_HEADER = 'X-Refund-Idempotency';
const REFUND_PATH = /\/payments\/[^/]+\/refund$/;

/** The SDK's list call takes filters its types lack (reference.md §1.6). */
type ListParams = Parameters<Razorpay['paymentLink']['all']>[0];

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RazorpayGateway implements PaymentGateway {
  private readonly rzp: Razorpay;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(options: RazorpayGatewayOptions) {
    this.timeoutMs = options.timeoutMs ?? 8000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.rzp = new Razorpay({ key_id: options.keyId, key_secret: options.keySecret });

    const rq = (this.rzp.api as unknown as { rq: AxiosLike }).rq;
    if (options.baseUrl !== undefined) rq.defaults.baseURL = options.baseUrl.replace(/\/+$/, '');
    // axios' `timeout` is a socket-idle timeout: a server trickling bytes would never trip it.
    // A wall-clock deadline per request bounds the call whatever the server does. It costs
    // ~50 µs per call (bench/adapter.ts) against a Razorpay round trip of tens of milliseconds.
    rq.defaults.timeout = this.timeoutMs;
    const timeoutMs = this.timeoutMs;
    rq.interceptors.request.use((config) => {
      config.signal ??= AbortSignal.timeout(timeoutMs);
      // the SDK's payments.refund takes no headers: a refund carries its receipt (our refund id)
      // as Razorpay's idempotency key, so a repeat after a lost answer makes no second refund
      const data = config.data as { receipt?: unknown } | undefined;
      if (
        config.method === 'post' &&
        REFUND_PATH.test(config.url ?? '') &&
        typeof data?.receipt === 'string'
      ) {
        const headers = config.headers;
        if (headers && 'set' in headers && typeof headers.set === 'function') {
          headers.set(REFUND_IDEMPOTENCY_HEADER, data.receipt);
        } else {
          config.headers = {
            ...(headers as Record<string, unknown>),
            [REFUND_IDEMPOTENCY_HEADER]: data.receipt,
          };
        }
      }
      return config;
    });
    // The SDK's normalizeError reads err.response.status and throws a TypeError when there is
    // no response, losing the cause. Hand it a response-shaped object whose `data.error` is
    // our typed error; normalizeError then rejects with {statusCode: 0, error: <typed error>}.
    rq.interceptors.response.use(undefined, (err: unknown) => {
      if (typeof err === 'object' && err !== null && 'response' in err && err.response) throw err;
      throw { response: { status: 0, data: { error: transportFailure(err, timeoutMs) } } };
    });
  }

  /**
   * Creates the link, or converges on the one Razorpay already has for the reference id.
   *
   * 1. POST the link.
   * 2. Answered 429/5xx (nothing was created): back off, create again.
   * 3. No answer (timeout, connection reset — it may have been created): back off, look the
   *    reference id up; return the link if found, else create again.
   * 4. 400 "reference ID already attempted" (an earlier try or a concurrent creator got there
   *    first): look it up at once and return it.
   * Every HTTP call, lookups included, counts against maxAttempts; then the last error is thrown.
   */
  async createLink(req: CreateLinkRequest): Promise<GatewayLink> {
    const body = toCreateLinkBody(req);
    let next: 'create' | 'lookup' = 'create';
    let referenceTaken = false;
    // a lookup straight after "already attempted" needs no pause; every other retry backs off
    let pause = false;
    let last: GatewayError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (pause) await this.backoff(attempt - 1);
      pause = true;
      if (next === 'lookup') {
        let found: GatewayLink | null;
        try {
          found = await this.findOnce(req.referenceId);
        } catch (err) {
          last = toGatewayError(err);
          if (!last.retryable) throw last;
          continue; // the outcome is still unknown: never create blindly, look again
        }
        if (found) return found;
        // Razorpay holds the reference id but does not list it (yet): keep looking, never create
        if (!referenceTaken) next = 'create';
        continue;
      }
      let raw: unknown;
      try {
        raw = await this.call('create', () => this.rzp.paymentLink.create(body));
      } catch (err) {
        last = err as GatewayError;
        if (isAlreadyAttempted(last)) {
          referenceTaken = true;
          next = 'lookup';
          pause = false;
          continue;
        }
        if (!last.retryable) throw last;
        if (isOutcomeUnknown(last)) next = 'lookup';
        continue;
      }
      return toGatewayLink(raw);
    }
    throw last ?? new Error('unreachable: no attempt made');
  }

  async fetchLink(razorpayLinkId: string): Promise<GatewayLink> {
    return toGatewayLink(
      await this.callWithRetries('fetch', () => this.rzp.paymentLink.fetch(razorpayLinkId)),
    );
  }

  async findLinkByReferenceId(referenceId: string): Promise<GatewayLink | null> {
    return this.withRetries(() => this.findOnce(referenceId));
  }

  /**
   * Cancels a `created` link. Retried on 429/5xx/no answer and on "an update is already in
   * progress" (Razorpay's short per-link lock). When a retry answers "cannot cancel or expire
   * an expired link" (also Razorpay's answer for an already cancelled link) after an attempt
   * that may have gone through, the link is fetched and returned if it is cancelled.
   */
  async cancelLink(razorpayLinkId: string): Promise<GatewayLink> {
    let mayHaveApplied = false;
    let last: GatewayError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.backoff(attempt - 1);
      let raw: unknown;
      try {
        raw = await this.call('cancel', () => this.rzp.paymentLink.cancel(razorpayLinkId));
      } catch (err) {
        last = err as GatewayError;
        if (mayHaveApplied && isRejectedBecause(last, RAZORPAY_REASONS.cannotCancelExpired)) {
          const link = await this.fetchLink(razorpayLinkId);
          if (link.status === 'cancelled') return link;
          throw cancelRefusal(last);
        }
        if (isRejectedBecause(last, RAZORPAY_REASONS.updateInProgress)) continue;
        if (!last.retryable) throw cancelRefusal(last);
        // a 429 was refused before any work; a 5xx or no answer may have cancelled it
        if (!(last instanceof GatewayRateLimitedError)) mayHaveApplied = true;
        continue;
      }
      return toGatewayLink(raw);
    }
    throw last ?? new Error('unreachable: no attempt made');
  }

  /**
   * Razorpay sends the link again (`POST /v1/payment_links/:id/notify_by/:medium`). Tried once:
   * a 429 is Razorpay's per-link resend throttle and passes on to the caller, and a resend that
   * got no answer may have gone out (a person may press again; a retry here could send twice).
   */
  async notifyLink(razorpayLinkId: string, via: NotifyChannel): Promise<void> {
    await this.call('notify', () => this.rzp.paymentLink.notifyBy(razorpayLinkId, via));
  }

  /**
   * Changes an open link (`PATCH /v1/payment_links/:id`). Setting values is idempotent, so it is
   * retried on 429/5xx/no answer and on Razorpay's short per-link lock ("an update is already in
   * progress"); Razorpay's refusals (state, past expiry) are thrown with its reason.
   */
  async updateLink(razorpayLinkId: string, change: LinkUpdate): Promise<GatewayLink> {
    const body = toUpdateLinkBody(change) as Parameters<Razorpay['paymentLink']['edit']>[1];
    let last: GatewayError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.backoff(attempt - 1);
      try {
        return toGatewayLink(
          await this.call('update', () => this.rzp.paymentLink.edit(razorpayLinkId, body)),
        );
      } catch (err) {
        last = err as GatewayError;
        if (isRejectedBecause(last, RAZORPAY_REASONS.updateInProgress)) continue;
        if (!last.retryable) throw last;
      }
    }
    throw last ?? new Error('unreachable: no attempt made');
  }

  /**
   * Refunds part of a captured payment (`POST /v1/payments/:id/refund`), bound to our refund id
   * (its `receipt` and `X-Refund-Idempotency`). Tried once: a refusal (4xx) is thrown with
   * Razorpay's reason; when the answer is lost or Razorpay failed (timeout, 5xx, 429), the
   * payment's refunds are looked up for our receipt before anything else — found, it is the
   * answer; not found (or the look-up fails too), the original error is thrown and the caller
   * keeps the amount reserved. A later retry repeats the same idempotency key, so Razorpay
   * cannot make a second refund even if the first is still in flight.
   */
  async refundPayment(req: RefundRequest): Promise<GatewayRefund> {
    const body = {
      amount: req.amount,
      speed: 'normal',
      receipt: req.refundId,
      notes: { ...req.notes, refund_id: req.refundId },
    } as unknown as Parameters<Razorpay['payments']['refund']>[1];
    try {
      return toGatewayRefund(await this.call('refund', () => this.rzp.payments.refund(req.paymentId, body)));
    } catch (err) {
      const error = toGatewayError(err);
      if (!error.retryable) throw error;
      let found: GatewayRefund | null = null;
      try {
        found = await this.findRefundOnce(req.paymentId, req.refundId);
      } catch {
        // the look-up failed as well: the outcome stays unknown
      }
      if (found) return found;
      throw error;
    }
  }

  async findRefund(paymentId: string, refundId: string): Promise<GatewayRefund | null> {
    return this.withRetries(() => this.findRefundOnce(paymentId, refundId));
  }

  private async findRefundOnce(paymentId: string, refundId: string): Promise<GatewayRefund | null> {
    const refunds = toGatewayRefunds(
      await this.call('refunds', () => this.rzp.payments.fetchMultipleRefund(paymentId, { count: 100 })),
    );
    return refunds.find((r) => r.receipt === refundId || r.notes.refund_id === refundId) ?? null;
  }

  private async findOnce(referenceId: string): Promise<GatewayLink | null> {
    const params = { reference_id: referenceId } as unknown as ListParams;
    const links = toGatewayLinks(await this.call('list', () => this.rzp.paymentLink.all(params)));
    // the filter is Razorpay's; checking it again costs nothing and guards a lax server
    return links.find((link) => link.referenceId === referenceId) ?? null;
  }

  /**
   * One SDK call; every rejection becomes a GatewayError. Each is measured: latency by
   * operation, and an error when Razorpay failed us (no answer, 429, 5xx, refused credentials)
   * rather than answered a request it would not do (a 4xx about the link itself).
   */
  private async call<T>(operation: RazorpayOperation, op: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await op();
      metrics.providerCall('razorpay', operation, performance.now() - started, false);
      return result;
    } catch (err) {
      const error = toGatewayError(err);
      const failed = error.retryable || error instanceof GatewayAuthError;
      metrics.providerCall('razorpay', operation, performance.now() - started, failed);
      throw error;
    }
  }

  /** For reads: retried on any retryable failure. */
  private async callWithRetries<T>(operation: RazorpayOperation, op: () => Promise<T>): Promise<T> {
    return this.withRetries(() => this.call(operation, op));
  }

  private async withRetries<T>(op: () => Promise<T>): Promise<T> {
    let last: GatewayError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.backoff(attempt - 1);
      try {
        return await op();
      } catch (err) {
        last = toGatewayError(err);
        if (!last.retryable) throw last;
      }
    }
    throw last ?? new Error('unreachable: no attempt made');
  }

  /** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
  private backoff(retry: number): Promise<void> {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return this.sleep(Math.floor(this.random() * ceiling));
  }
}

function isAlreadyAttempted(err: GatewayError): boolean {
  return isRejectedBecause(err, RAZORPAY_REASONS.referenceAlreadyAttempted);
}

// ---- wiring from the environment ----

export interface RazorpayCredentials {
  keyId: string;
  keySecret: string;
}

/**
 * API credentials: from Secrets Manager (`RAZORPAY_API_SECRET_ARN`, JSON `{keyId, keySecret}`,
 * cached for a TTL) when set, else from `RAZORPAY_KEY_ID` / `RAZORPAY_KEY_SECRET`.
 */
export async function loadRazorpayCredentials(
  options: { refresh?: boolean } = {},
): Promise<RazorpayCredentials> {
  const arn = envOptional('RAZORPAY_API_SECRET_ARN');
  if (arn === undefined) return { keyId: env('RAZORPAY_KEY_ID'), keySecret: env('RAZORPAY_KEY_SECRET') };
  const secret = await readSecretJson(arn, 'RAZORPAY_API_SECRET_ARN', options);
  return {
    keyId: secretField(secret, 'keyId', 'RAZORPAY_API_SECRET_ARN'),
    keySecret: secretField(secret, 'keySecret', 'RAZORPAY_API_SECRET_ARN'),
  };
}
