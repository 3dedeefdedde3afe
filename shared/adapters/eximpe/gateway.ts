/**
 * The PaymentGateway port on EximPe Payment Links (docs/eximpe.md), over plain HTTPS with the
 * platform's fetch: EximPe publishes no SDK. Amounts go out as 2-decimal rupee strings and come
 * back as exact integer paise (./amount.ts); statuses, read case-insensitively, become ours.
 *
 * Where EximPe's documentation is silent (marked UNCONFIRMED there), the safe reading:
 * - no idempotency key exists: `reference_id` (our link id) is the key. A create whose outcome is
 *   unknown (no answer, a reset, a 5xx) is followed only by look-ups by reference id, never by a
 *   second create; when none finds it, the error is thrown and the link stays unresolved for the
 *   next attempt or reconciliation to look up again. Only a 429 (refused before any work) is
 *   created again. A create refused because the reference id exists is resolved by look-up.
 * - the list has no documented filter: `reference_id` is sent, and every result is checked, page
 *   after page (newest first), so a server that ignores the filter is still read right.
 * - a link's payments are not on the link: they are read from the payment search by reference
 *   id (each result's order `reference_id` checked again), only when the link reports paid.
 * - an unknown link status is an error (nothing moves), never a guess.
 */
import { setting } from '../../config';
import {
  GatewayAuthError,
  GatewayError,
  GatewayNotCancellableError,
  GatewayNotFoundError,
  GatewayRateLimitedError,
  GatewayRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
} from '../../domain/errors';
import type {
  CreateLinkRequest,
  GatewayLink,
  GatewayPayment,
  PaymentGateway,
  ProviderPayment,
  RazorpayLinkStatus,
} from '../../domain/gateway';
import { isRecord } from '../../domain/records';
import { AmountFormatError, checkCurrency, paiseToRupees, rupeesToPaise } from '../../domain/rupees';
import { metrics } from '../../metrics';
import type { RazorpayOperation } from '../../observability/names';

export const EXIMPE_PRODUCTION_URL = 'https://api-pacb.eximpe.com';
export const EXIMPE_DEFAULT_API_VERSION = '1.0.0';

export interface EximpeGatewayOptions {
  clientId: string;
  clientSecret: string;
  /** `X-API-Version`; default 1.0.0 (the integration guide's) */
  apiVersion?: string;
  /** default https://api-pacb.eximpe.com; the local sandbox locally */
  baseUrl?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** pages a reference-id look-up reads at most (100 links a page) */
  maxLookupPages?: number;
}

/** EximPe status words (mixed case, no published enum: reference §2.5) → ours. */
const STATUS_WORDS: Record<string, RazorpayLinkStatus> = {
  active: 'created',
  created: 'created',
  pending: 'created',
  initiated: 'created',
  paid: 'paid',
  captured: 'paid',
  success: 'paid',
  successful: 'paid',
  payment_successful: 'paid',
  settled: 'paid',
  completed: 'paid',
  expired: 'expired',
  deactivated: 'cancelled',
  inactive: 'cancelled',
  cancelled: 'cancelled',
};

const CAPTURED_WORDS = new Set(['captured', 'success', 'successful', 'paid', 'settled']);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function named<E extends GatewayError>(err: E): E {
  err.provider = 'EximPe';
  return err;
}

/** A request that may have reached EximPe and taken effect (no answer, a reset, a 5xx). */
const outcomeUnknown = new WeakSet<GatewayError>();

function unexpected(what: string): GatewayUnavailableError {
  return named(new GatewayUnavailableError(`EximPe answered with an unexpected ${what}`));
}

/** `2024-02-15 16:53:15`, `…15Z`, `2026-05-27T14:30:01.359434` (no zone: UTC) → unix seconds; 0 when absent. */
export function eximpeTime(value: unknown): number {
  if (typeof value !== 'string' || value.trim() === '') return 0;
  let text = value.trim().replace(' ', 'T');
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(text)) text += 'Z';
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

/** Our status for EximPe's word, or undefined for a word we do not know. */
export function linkStatusOf(value: unknown): RazorpayLinkStatus | undefined {
  return typeof value === 'string' ? STATUS_WORDS[value.trim().toLowerCase()] : undefined;
}

function paiseOrNaN(value: unknown): number {
  try {
    return rupeesToPaise(value);
  } catch (err) {
    if (err instanceof AmountFormatError) return Number.NaN;
    throw err;
  }
}

/** A payment from the payment API; its amount exact paise or NaN (the crediting checks refuse NaN). */
export function toProviderPayment(raw: unknown): ProviderPayment {
  if (!isRecord(raw)) throw unexpected('payment body');
  const id = typeof raw.payment_id === 'string' ? raw.payment_id : typeof raw.id === 'string' ? raw.id : '';
  if (id === '') throw unexpected('payment id');
  const order = isRecord(raw.order) ? raw.order : {};
  const status = typeof raw.status === 'string' ? raw.status.trim().toLowerCase() : '';
  let currency: string;
  try {
    currency = checkCurrency(raw.currency ?? order.currency);
  } catch {
    currency = String(raw.currency ?? order.currency);
  }
  const method = typeof raw.mop_type === 'string' ? raw.mop_type.trim().toLowerCase() : '';
  return {
    paymentId: id,
    amount: paiseOrNaN(raw.amount ?? order.amount),
    currency,
    method,
    status: CAPTURED_WORDS.has(status) ? 'captured' : status,
    createdAt: eximpeTime(raw.payment_completed_at) || eximpeTime(raw.created_at),
    referenceId: typeof order.reference_id === 'string' ? order.reference_id : '',
    ...(typeof order.order_id === 'string' ? { orderId: order.order_id } : {}),
  };
}

/** A link from retrieve or list (v1 flat amount, or v2 `{amount, currency}` object). */
export function toEximpeLink(raw: unknown, payments: GatewayPayment[] = []): GatewayLink {
  if (!isRecord(raw)) throw unexpected('payment link body');
  const id = raw.payment_id;
  if (typeof id !== 'string' || id === '') throw unexpected('payment link id');
  const status = linkStatusOf(raw.status);
  if (status === undefined) throw unexpected(`payment link status "${String(raw.status).slice(0, 32)}"`);
  const amountField = isRecord(raw.amount) ? raw.amount : { amount: raw.amount, currency: raw.currency };
  let amount: number;
  let currency: string;
  try {
    amount = rupeesToPaise(amountField.amount);
    currency = checkCurrency(amountField.currency);
  } catch (err) {
    if (err instanceof AmountFormatError) throw unexpected('payment link amount');
    throw err;
  }
  const captured = payments.filter((p) => p.status === 'captured');
  return {
    id,
    referenceId: typeof raw.reference_id === 'string' ? raw.reference_id : '',
    status,
    amount,
    amountPaid: captured.reduce((sum, p) => sum + (Number.isSafeInteger(p.amount) ? p.amount : 0), 0),
    currency,
    shortUrl: typeof raw.payment_link === 'string' ? raw.payment_link : '',
    // retrieve documents no expiry (reference §2.2): 0 means "keep ours"
    expireBy: eximpeTime(raw.expiry_date),
    createdAt: eximpeTime(raw.created_at),
    notes: {},
    payments,
  };
}

/** India's numbers carry +91 on EximPe (the playground's form); others go as given. */
function phoneOf(contact: string | undefined): string | undefined {
  if (!contact) return undefined;
  const digits = contact.replace(/[\s-]/g, '');
  if (digits.startsWith('+')) return digits;
  return /^[6-9]\d{9}$/.test(digits) ? `+91${digits}` : digits;
}

/** The create body (reference §2.1): amount as rupees, the product and invoice EximPe requires. */
export function toCreateBody(req: CreateLinkRequest): Record<string, unknown> {
  const buyer: Record<string, unknown> = { name: req.customer.name };
  const phone = phoneOf(req.customer.contact);
  if (phone) buyer.phone = phone;
  if (req.customer.email) buyer.email = req.customer.email;
  return {
    amount: paiseToRupees(req.amount),
    currency: req.currency,
    reference_id: req.referenceId,
    buyer,
    product: { name: 'Loan EMI', description: req.description.slice(0, 255), type_of_goods: 'service' },
    invoice: { number: req.referenceId },
    expiry_date: new Date(req.expireBy * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

interface Answer {
  status: number;
  body: unknown;
}

export class EximpeGateway implements PaymentGateway {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxLookupPages: number;

  constructor(options: EximpeGatewayOptions) {
    this.base = (options.baseUrl ?? EXIMPE_PRODUCTION_URL).replace(/\/+$/, '');
    this.headers = {
      'x-client-id': options.clientId,
      'x-client-secret': options.clientSecret,
      'x-api-version': options.apiVersion ?? EXIMPE_DEFAULT_API_VERSION,
      accept: 'application/json',
    };
    this.timeoutMs = options.timeoutMs ?? 8000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.maxLookupPages = options.maxLookupPages ?? 20;
  }

  /**
   * 1. POST the link. 2. 429: back off, create again. 3. Anything that may have created it (no
   * answer, a reset, a 5xx): from then on only look the reference id up, backing off. 4. "the
   * reference id exists": look it up at once. Every HTTP call counts against maxAttempts.
   */
  async createLink(req: CreateLinkRequest): Promise<GatewayLink> {
    const body = toCreateBody(req);
    let next: 'create' | 'lookup' = 'create';
    let pause = false;
    let last: GatewayError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (pause) await this.backoff(attempt - 1);
      pause = true;
      if (next === 'lookup') {
        try {
          const found = await this.findOnce(req.referenceId);
          if (found) return found;
        } catch (err) {
          last = this.typed(err);
          if (!last.retryable) throw last;
        }
        continue;
      }
      let answer: Answer;
      try {
        answer = await this.request('create', 'POST', '/pg/payment-links/', body);
      } catch (err) {
        last = this.typed(err);
        if (isDuplicateReference(last)) {
          next = 'lookup';
          pause = false;
          continue;
        }
        if (!last.retryable) throw last;
        if (outcomeUnknown.has(last) || last instanceof GatewayTimeoutError) next = 'lookup';
        continue;
      }
      const data = isRecord(answer.body) && isRecord(answer.body.data) ? answer.body.data : undefined;
      if (!data || typeof data.payment_id !== 'string') throw unexpected('create answer');
      // the create answer has id, URL and amount (reference §2.1): the rest is what we asked for
      return {
        id: data.payment_id,
        referenceId: req.referenceId,
        status: 'created',
        amount: data.amount === undefined ? req.amount : paiseOrNaN(data.amount),
        amountPaid: 0,
        currency: 'INR',
        shortUrl: typeof data.payment_link === 'string' ? data.payment_link : '',
        expireBy: req.expireBy,
        createdAt: 0,
        notes: {},
        payments: [],
      };
    }
    throw last ?? new Error('unreachable: no attempt made');
  }

  async fetchLink(linkId: string): Promise<GatewayLink> {
    const raw = await this.read('fetch', `/pg/payment-links/${encodeURIComponent(linkId)}/`);
    const data = isRecord(raw) ? raw.data : undefined;
    const link = toEximpeLink(data);
    // payments live apart from the link; a paid (or closed) link's come from the payment search
    if (link.status === 'created' || link.referenceId === '') return link;
    return toEximpeLink(data, await this.paymentsOf(link.referenceId));
  }

  async findLinkByReferenceId(referenceId: string): Promise<GatewayLink | null> {
    return this.withRetries(() => this.findOnce(referenceId));
  }

  /**
   * Deactivates an open link (irreversible). Refused when it is no longer open: the link is read
   * and the refusal typed (paid → `paid`; expired → `closed`); already deactivated (an earlier
   * try that went through) → the link.
   */
  async cancelLink(linkId: string): Promise<GatewayLink> {
    const path = `/pg/payment-links/${encodeURIComponent(linkId)}/deactivate/`;
    try {
      await this.withRetries(() => this.request('cancel', 'POST', path));
    } catch (err) {
      const e = this.typed(err);
      if (!(e instanceof GatewayRejectedError)) throw e;
      const link = await this.fetchLink(linkId);
      if (link.status === 'cancelled') return link;
      throw named(
        new GatewayNotCancellableError(link.status === 'paid' ? 'paid' : 'closed', e.reason, { cause: e }),
      );
    }
    return this.fetchLink(linkId);
  }

  async extendLink(linkId: string, expireBy: number): Promise<GatewayLink> {
    const expiry = new Date(expireBy * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const path = `/pg/payment-links/${encodeURIComponent(linkId)}/extend_expiry/`;
    // measured with `cancel`, the other call that changes a link (the metric's operations are fixed)
    await this.withRetries(() => this.request('cancel', 'POST', path, { expiry_date: expiry }));
    const link = await this.fetchLink(linkId);
    return { ...link, expireBy: link.expireBy || expireBy };
  }

  async fetchPayment(paymentId: string): Promise<ProviderPayment> {
    const raw = await this.read('fetch', `/pg/payments/${encodeURIComponent(paymentId)}/`);
    return toProviderPayment(isRecord(raw) ? raw.data : undefined);
  }

  /** One harmless call: the first page of one link. Throws GatewayAuthError when refused. */
  async checkCredentials(): Promise<void> {
    await this.withRetries(() => this.request('list', 'GET', '/pg/payment-links/?page=1&page_size=1'));
  }

  // ---- internals ----

  private async findOnce(referenceId: string): Promise<GatewayLink | null> {
    let path: string | null =
      `/pg/payment-links/?reference_id=${encodeURIComponent(referenceId)}&page=1&page_size=100`;
    for (let page = 0; path !== null && page < this.maxLookupPages; page++) {
      const answer = await this.request('list', 'GET', path);
      const data = isRecord(answer.body) && isRecord(answer.body.data) ? answer.body.data : undefined;
      if (!data || !Array.isArray(data.results)) throw unexpected('payment link list');
      for (const item of data.results) {
        if (isRecord(item) && item.reference_id === referenceId) return toEximpeLink(item);
      }
      path = this.nextPath(data.next);
    }
    return null;
  }

  /** Captured and other payments of one reference id, each checked to be of that reference. */
  private async paymentsOf(referenceId: string): Promise<GatewayPayment[]> {
    const out: GatewayPayment[] = [];
    let path: string | null =
      `/pg/payments/?reference_id=${encodeURIComponent(referenceId)}&page=1&page_size=100`;
    for (let page = 0; path !== null && page < this.maxLookupPages; page++) {
      const current: string = path;
      const raw = await this.read('list', current);
      const data = isRecord(raw) && isRecord(raw.data) ? raw.data : undefined;
      if (!data || !Array.isArray(data.results)) throw unexpected('payment list');
      for (const item of data.results) {
        const p = toProviderPayment(item);
        if (p.referenceId !== referenceId) continue;
        const { referenceId: _r, orderId: _o, ...payment } = p;
        out.push(payment);
      }
      path = this.nextPath(data.next);
    }
    return out;
  }

  /** DRF `next` URLs point at EximPe's host: only their path and query are followed, on ours. */
  private nextPath(next: unknown): string | null {
    if (typeof next !== 'string' || next === '') return null;
    try {
      const url = new URL(next, this.base);
      return `${url.pathname}${url.search}`;
    } catch {
      return null;
    }
  }

  private read(operation: RazorpayOperation, path: string): Promise<unknown> {
    return this.withRetries(async () => (await this.request(operation, 'GET', path)).body);
  }

  /** One HTTP call, bounded by a wall-clock timeout; every failure becomes a typed GatewayError. */
  private async request(
    operation: RazorpayOperation,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<Answer> {
    const started = performance.now();
    let answer: Answer;
    try {
      answer = await this.send(method, path, body);
    } catch (err) {
      const e = this.typed(err);
      metrics.providerCall('eximpe', operation, performance.now() - started, true);
      throw e;
    }
    const error = this.errorOf(answer);
    metrics.providerCall(
      'eximpe',
      operation,
      performance.now() - started,
      error !== null && (error.retryable || error instanceof GatewayAuthError),
    );
    if (error) throw error;
    return answer;
  }

  private async send(method: string, path: string, body: unknown): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.transportFailure(err);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.transportFailure(err);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed };
  }

  /** The error an answer stands for (`!ok || !success`, reference §3), or null for a success. */
  private errorOf(answer: Answer): GatewayError | null {
    const { status, body } = answer;
    const rec = isRecord(body) ? body : {};
    if (status >= 200 && status < 300 && rec.success !== false) {
      if (!isRecord(body)) return unexpected('body');
      return null;
    }
    const error = isRecord(rec.error) ? rec.error : {};
    const reason =
      typeof error.message === 'string'
        ? error.message
        : typeof rec.message === 'string'
          ? rec.message
          : `EximPe answered ${status}`;
    const code = typeof error.code === 'string' ? error.code : undefined;
    const details = isRecord(error.details) ? Object.keys(error.details) : [];
    const cause = { statusCode: status, code };
    if (status === 401 || status === 403)
      return named(new GatewayAuthError(`EximPe refused our API credentials (${status})`, { cause }));
    if (status === 429) return named(new GatewayRateLimitedError('EximPe rate limit hit (429)', { cause }));
    if (status >= 500) {
      const e = named(new GatewayUnavailableError(`EximPe answered ${status}`, { cause }));
      // EximPe documents no 5xx semantics: it may have done the work
      outcomeUnknown.add(e);
      return e;
    }
    if (status === 408) return named(new GatewayTimeoutError('EximPe answered 408', { cause }));
    if (status === 404) return named(new GatewayNotFoundError(`EximPe: ${reason.slice(0, 200)}`, { cause }));
    const rejected = named(new GatewayRejectedError(reason.slice(0, 300), details[0], { cause }));
    rejected.message = `EximPe rejected the request: ${rejected.reason}`;
    if (code !== undefined) duplicateCodes.set(rejected, code);
    return rejected;
  }

  private transportFailure(err: unknown): GatewayError {
    const name = err instanceof Error ? err.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      return named(new GatewayTimeoutError(`EximPe did not answer within ${this.timeoutMs} ms`));
    }
    const cause = isRecord(err) && isRecord(err.cause) ? err.cause : undefined;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    const e = named(new GatewayUnavailableError(`Could not reach EximPe (${code ?? 'network error'})`));
    if (code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && code !== 'EAI_AGAIN') outcomeUnknown.add(e);
    return e;
  }

  private typed(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    const e = named(new GatewayUnavailableError('Unexpected failure calling EximPe'));
    outcomeUnknown.add(e);
    return e;
  }

  private async withRetries<T>(op: () => Promise<T>): Promise<T> {
    let last: GatewayError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.backoff(attempt - 1);
      try {
        return await op();
      } catch (err) {
        last = this.typed(err);
        if (!last.retryable) throw last;
      }
    }
    throw last ?? new Error('unreachable: no attempt made');
  }

  /** Full jitter, as the Razorpay adapter. */
  private backoff(retry: number): Promise<void> {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return this.sleep(Math.floor(this.random() * ceiling));
  }
}

/** EximPe's error code on a refused create, kept beside the error (never in its message). */
const duplicateCodes = new WeakMap<GatewayError, string>();

/** A create refused because the reference id was used already (code or wording; UNCONFIRMED). */
function isDuplicateReference(err: GatewayError): boolean {
  if (!(err instanceof GatewayRejectedError)) return false;
  const code = duplicateCodes.get(err) ?? '';
  return (
    /DUPLICATE/i.test(code) ||
    (/reference/i.test(err.reason) && /(already|exists|duplicate|unique)/i.test(err.reason))
  );
}

/** EximPe's request timeout, from the settings catalogue. */
export function eximpeTimeoutMs(): number {
  return setting('EXIMPE_TIMEOUT_MS');
}
