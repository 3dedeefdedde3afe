/**
 * A local stand-in for EximPe's Payment Links API (docs/eximpe.md), as faithful as its public
 * documentation allows: `/pg/…` routes with trailing slashes, `X-Client-ID` / `X-Client-Secret`
 * auth, the `{success, message, data}` envelope, decimal-rupee amounts, `PR`/`OD` + 10-digit ids,
 * a hosted pay page, and `PAYMENT_SUCCESSFUL` / `PAYMENT_FAILED` webhooks with EximPe's headers,
 * signed (hex HMAC-SHA256) over a compact sorted-key JSON body.
 *
 * Where EximPe documents nothing (UNCONFIRMED), the sandbox picks one behaviour and says so:
 * - bad credentials: 401 `{success:false, error:{code:"AUTHENTICATION_FAILED"}}`;
 * - a `reference_id` used before: 400 `DUPLICATE_REFERENCE_ID` (uniqueness is not documented);
 * - link statuses `ACTIVE`, `PAID`, `EXPIRED`, `DEACTIVATED` (`statusCase: "lower"` sends them
 *   lower-case), no partial payments; deactivate and extend only while ACTIVE (400 otherwise);
 * - the link list ignores filters (none is documented) and is newest first; the payment search
 *   honours `reference_id` and `status`;
 * - a link and its payment have different `PR` ids; a webhook's `payment_id` is the payment's.
 *
 * Control routes (not EximPe's), as the Razorpay sandbox's: `/_sandbox/payment_links/{id}/pay`,
 * `…/expire`, `/_sandbox/webhooks`, `/_sandbox/config`, `/_sandbox/accounts`, `/_sandbox/reset`.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { describeIssues } from '../sandbox/config';
import { BadJsonError, BodyTooLargeError, readBody, send, sendJson } from '../sandbox/http';
import { SlidingWindowLimiter } from '../sandbox/rate-limit';

export const EXIMPE_SANDBOX_CLIENT_ID = 'eximpe-local-client-1';
export const EXIMPE_SANDBOX_CLIENT_SECRET = 'eximpe-local-client-secret-0000';
export const EXIMPE_SANDBOX_WEBHOOK_SECRET = 'eximpe-local-webhook-secret';
/** The demo's Deccan Credit merchant (account `deccan`). */
export const EXIMPE_DECCAN_CLIENT_ID = 'eximpe-deccan-client';
export const EXIMPE_DECCAN_CLIENT_SECRET = 'eximpe-deccan-client-secret-000';
export const EXIMPE_DECCAN_WEBHOOK_SECRET = 'eximpe-deccan-webhook-secret';
export const EXIMPE_SANDBOX_DEFAULT_PORT = 4030;

export interface EximpeSandboxConfig {
  webhookUrl: string;
  webhookSecret: string;
  latencyMs: number;
  rateLimitPerSecond: number;
  errorRate: number;
  hangRate: number;
  hangMs: number;
  duplicateWebhooks: number;
  shuffleWebhooks: boolean;
  /** `upper` (ACTIVE, CAPTURED) or `lower` (active, captured): EximPe's casing varies */
  statusCase: 'upper' | 'lower';
  /** `event_time` as `2024-02-15 16:53:15`, `…Z`, or ISO with microseconds and no zone */
  eventTimeFormat: 'space' | 'space-z' | 'iso-naive';
}

const url = z.union([z.literal(''), z.url({ protocol: /^https?$/ })]);
const configSchema = z
  .strictObject({
    webhookUrl: url,
    webhookSecret: z.string().min(1),
    latencyMs: z.int().min(0).max(120_000),
    rateLimitPerSecond: z.int().min(0).max(100_000),
    errorRate: z.number().min(0).max(1),
    hangRate: z.number().min(0).max(1),
    hangMs: z.int().min(0).max(600_000),
    duplicateWebhooks: z.int().min(0).max(20),
    shuffleWebhooks: z.boolean(),
    statusCase: z.enum(['upper', 'lower']),
    eventTimeFormat: z.enum(['space', 'space-z', 'iso-naive']),
  })
  .partial();

const merchantSchema = z.strictObject({
  clientId: z.string().min(3).max(64),
  clientSecret: z.string().min(8),
  webhookSecret: z.string().min(1),
  webhookUrl: url,
  rateLimitPerSecond: z.int().min(0).max(100_000).optional(),
});
export type EximpeMerchantSpec = z.infer<typeof merchantSchema>;

export class EximpeSandboxConfigError extends Error {}

interface Merchant extends EximpeMerchantSpec {
  limiter: SlidingWindowLimiter;
}

interface Payment {
  id: string;
  orderId: string;
  linkId: string;
  referenceId: string;
  merchant: string;
  amountPaise: number;
  status: 'CAPTURED' | 'FAILED';
  mop: string;
  message: string;
  createdAt: number;
}

interface PLink {
  id: string;
  orderId: string;
  merchant: string;
  referenceId: string;
  amountPaise: number;
  status: 'ACTIVE' | 'PAID' | 'EXPIRED' | 'DEACTIVATED';
  buyer: Record<string, unknown>;
  product: Record<string, unknown>;
  invoice: Record<string, unknown>;
  expiry: number;
  createdAt: number;
  payments: string[];
  seq: number;
}

export interface EximpeDelivery {
  event_id: string;
  event: string;
  url: string;
  status_code: number | null;
  attempts: number;
  delivered_at: string | null;
}

export interface EximpeSandboxOptions {
  port?: number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  publicBaseUrl?: string;
  config?: Partial<EximpeSandboxConfig>;
  /** delays between retries of a failed delivery; EximPe's are 1, 5, 15, 60 min (compressed here) */
  webhookRetryDelaysMs?: readonly number[];
  /** EximPe waits 10 s for an answer */
  webhookTimeoutMs?: number;
  clock?: () => number;
}

export interface EximpeSandbox {
  readonly url: string;
  readonly port: number;
  readonly publicBaseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** a copy of the knobs */
  readonly config: EximpeSandboxConfig;
  /** validates and applies a partial config, like PUT /_sandbox/config */
  configure(patch: Partial<EximpeSandboxConfig>): void;
  readonly links: number;
  readonly deliveries: EximpeDelivery[];
  /** API requests answered, and how many of them were refused with 429 */
  readonly stats: { requests: number; rateLimited: number; created: number };
  addAccount(spec: EximpeMerchantSpec): void;
  readonly accounts: { clientId: string; webhookUrl: string; rateLimitPerSecond?: number }[];
  /** simulates a borrower: pays a link in full (or fails an attempt) and sends the webhook */
  pay(
    linkId: string,
    outcome?: 'captured' | 'failed',
    method?: string,
  ): { payment_id: string; payment_link: string };
  reset(): void;
  webhooksIdle(): Promise<void>;
  close(): Promise<void>;
}

/** Compact JSON with sorted keys, as EximPe serialises webhook bodies (Python sort_keys, (",", ":")). */
export function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function rupees(paise: number): string {
  return `${Math.floor(paise / 100)}.${String(paise % 100).padStart(2, '0')}`;
}

/** A decimal-rupee amount as EximPe's playground sends it; null when it is not one (or ≤ 0). */
function parseRupees(value: unknown): number | null {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const m = /^(0|[1-9]\d{0,9})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return null;
  const paise = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return paise > 0 ? paise : null;
}

function fail(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  details?: Record<string, string[]>,
) {
  sendJson(res, status, {
    success: false,
    message,
    error: { code, message, ...(details ? { details } : {}) },
  });
}

export async function startEximpeSandbox(options: EximpeSandboxOptions = {}): Promise<EximpeSandbox> {
  const clock = options.clock ?? Date.now;
  const retryDelays = options.webhookRetryDelaysMs ?? [200, 1_000, 3_000, 10_000];
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 10_000;
  let config: EximpeSandboxConfig = {
    webhookUrl: options.webhookUrl ?? '',
    webhookSecret: options.webhookSecret ?? EXIMPE_SANDBOX_WEBHOOK_SECRET,
    latencyMs: 0,
    rateLimitPerSecond: 0,
    errorRate: 0,
    hangRate: 0,
    hangMs: 10_000,
    duplicateWebhooks: 0,
    shuffleWebhooks: false,
    statusCase: 'upper',
    eventTimeFormat: 'space',
    ...options.config,
  };
  const merchants = new Map<string, Merchant>();
  const first: EximpeMerchantSpec = {
    clientId: options.clientId ?? EXIMPE_SANDBOX_CLIENT_ID,
    clientSecret: options.clientSecret ?? EXIMPE_SANDBOX_CLIENT_SECRET,
    webhookSecret: config.webhookSecret,
    webhookUrl: config.webhookUrl,
  };
  merchants.set(first.clientId, { ...first, limiter: new SlidingWindowLimiter() });
  const firstId = first.clientId;
  const links = new Map<string, PLink>();
  const byReference = new Map<string, string>();
  const payments = new Map<string, Payment>();
  const deliveries: EximpeDelivery[] = [];
  const stats = { requests: 0, rateLimited: 0, created: 0 };
  let seq = 0;
  const pending = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const ids = new Set<string>();
  const newId = (prefix: string) => {
    for (;;) {
      const id = `${prefix}${String(Math.floor(1e9 + Math.random() * 9e9))}`;
      if (!ids.has(id)) {
        ids.add(id);
        return id;
      }
    }
  };
  const cased = (s: string) => (config.statusCase === 'lower' ? s.toLowerCase() : s);
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const eventTime = (ms: number) => {
    const d = new Date(ms).toISOString();
    if (config.eventTimeFormat === 'iso-naive') return `${d.slice(0, 19)}.${d.slice(20, 23)}000`;
    const plain = `${d.slice(0, 10)} ${d.slice(11, 19)}`;
    return config.eventTimeFormat === 'space-z' ? `${plain}Z` : plain;
  };
  const merchantOf = (link: PLink) => merchants.get(link.merchant) ?? merchants.get(firstId)!;
  const merchantConfig = (m: Merchant) =>
    m.clientId === firstId
      ? { webhookUrl: config.webhookUrl, webhookSecret: config.webhookSecret }
      : { webhookUrl: m.webhookUrl, webhookSecret: m.webhookSecret };

  const effectiveStatus = (link: PLink): PLink['status'] => {
    if (link.status === 'ACTIVE' && link.expiry <= clock()) link.status = 'EXPIRED';
    return link.status;
  };

  const linkBody = (link: PLink, version: string) => {
    const base = {
      payment_id: link.id,
      reference_id: link.referenceId,
      payment_link: `${publicBaseUrl}/pay/${link.id}/`,
      status: cased(effectiveStatus(link)),
      created_at: iso(link.createdAt),
      buyer: link.buyer,
    };
    return version.startsWith('2')
      ? {
          ...base,
          amount: {
            amount: rupees(link.amountPaise),
            total_amount: rupees(link.amountPaise),
            currency: 'INR',
          },
        }
      : { ...base, amount: rupees(link.amountPaise), currency: 'INR' };
  };
  const retrieveBody = (link: PLink) => ({
    ...linkBody(link, '1'),
    status_message: effectiveStatus(link) === 'PAID' ? 'Payment received' : 'Awaiting payment',
    product: link.product,
    invoice: link.invoice,
    settlement: { status: 'pending', message: 'Not settled', settlement_details: null },
  });
  const paymentBody = (p: Payment) => ({
    payment_id: p.id,
    status: cased(p.status),
    message: p.message,
    amount: rupees(p.amountPaise),
    currency: 'INR',
    mop_type: cased(p.mop.toUpperCase()),
    bank_ref_num: `${p.orderId}-${p.id}`,
    payment_completed_at:
      p.status === 'CAPTURED' ? `${new Date(p.createdAt).toISOString().slice(0, 23)}000Z` : null,
    collection_mode: 'HOSTED_PAYMENT',
    order: {
      order_id: p.orderId,
      reference_id: p.referenceId,
      amount: rupees(p.amountPaise),
      currency: 'INR',
    },
  });

  // ---- webhooks ----
  const deliver = (m: Merchant, event: string, data: Record<string, unknown>) => {
    const target = merchantConfig(m);
    if (target.webhookUrl === '' || closed) return;
    const sequence = crypto.randomUUID();
    const body = sortedJson({
      event_type: event,
      event_time: eventTime(clock()),
      version: '1.0',
      sequence_number: sequence,
      data,
    });
    const signature = createHmac('sha256', target.webhookSecret).update(body, 'utf8').digest('hex');
    const copies = Math.max(1, config.duplicateWebhooks);
    for (let c = 0; c < copies; c++) {
      const record: EximpeDelivery = {
        event_id: sequence,
        event,
        url: target.webhookUrl,
        status_code: null,
        attempts: 0,
        delivered_at: null,
      };
      deliveries.push(record);
      const run = async () => {
        if (config.shuffleWebhooks) await wait(Math.floor(Math.random() * 150));
        for (let attempt = 0; attempt <= retryDelays.length && !closed; attempt++) {
          if (attempt > 0) await wait(retryDelays[attempt - 1]!);
          record.attempts++;
          try {
            const res = await fetch(target.webhookUrl, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'user-agent': 'Eximpe-Webhook/1.0',
                'x-webhook-event': event,
                'x-webhook-timestamp': String(Math.floor(clock() / 1000)),
                'x-webhook-signature': signature,
              },
              body,
              signal: AbortSignal.timeout(webhookTimeoutMs),
            });
            await res.arrayBuffer();
            record.status_code = res.status;
            // EximPe wants 200 OK (reference §4); anything else is retried
            if (res.status === 200) {
              record.delivered_at = new Date(clock()).toISOString();
              return;
            }
          } catch {
            record.status_code = null;
          }
        }
      };
      const p = run().finally(() => pending.delete(p));
      pending.add(p);
    }
  };
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const pay = (linkId: string, outcome: 'captured' | 'failed' = 'captured', method = 'upi') => {
    const link = links.get(linkId);
    if (!link) throw new NotFound(`Payment link ${linkId} not found`);
    if (effectiveStatus(link) !== 'ACTIVE')
      throw new NotPayable(`Payment link is ${link.status.toLowerCase()}`);
    const p: Payment = {
      id: newId('PR'),
      orderId: link.orderId,
      linkId: link.id,
      referenceId: link.referenceId,
      merchant: link.merchant,
      amountPaise: link.amountPaise,
      status: outcome === 'captured' ? 'CAPTURED' : 'FAILED',
      mop: method,
      message: outcome === 'captured' ? 'Payment successful' : 'Payment declined by bank',
      createdAt: clock(),
    };
    payments.set(p.id, p);
    link.payments.push(p.id);
    if (outcome === 'captured') link.status = 'PAID';
    deliver(merchantOf(link), outcome === 'captured' ? 'PAYMENT_SUCCESSFUL' : 'PAYMENT_FAILED', {
      status: cased(p.status),
      message: p.message,
      mop_type: cased(method.toUpperCase()),
      order_id: p.orderId,
      payment_id: p.id,
      bank_ref_num: `${p.orderId}-${p.id}`,
      payment_completed_at:
        outcome === 'captured' ? `${new Date(p.createdAt).toISOString().slice(0, 23)}000Z` : null,
    });
    return { payment_id: p.id, payment_link: link.id };
  };

  // ---- the API ----
  const api = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => {
    const clientId = req.headers['x-client-id'];
    const merchant = typeof clientId === 'string' ? merchants.get(clientId) : undefined;
    if (!merchant || req.headers['x-client-secret'] !== merchant.clientSecret) {
      return fail(res, 401, 'AUTHENTICATION_FAILED', 'Invalid client credentials');
    }
    stats.requests++;
    const limit = merchant.rateLimitPerSecond ?? config.rateLimitPerSecond;
    if (!merchant.limiter.allow(limit, Date.now())) {
      stats.rateLimited++;
      return fail(res, 429, 'RATE_LIMITED', 'Too many requests');
    }
    if (config.latencyMs > 0) await wait(config.latencyMs);
    if (config.errorRate > 0 && Math.random() < config.errorRate) {
      return fail(res, 500, 'INTERNAL_SERVER_ERROR', 'Something went wrong');
    }
    const hang = config.hangRate > 0 && Math.random() < config.hangRate;
    const version = String(req.headers['x-api-version'] ?? '1.0.0');
    const mine = (id: string | undefined) => {
      const link = id ? links.get(id) : undefined;
      return link && link.merchant === merchant.clientId ? link : undefined;
    };
    const answer = async (status: number, body: unknown) => {
      if (hang) await wait(config.hangMs);
      sendJson(res, status, body);
    };
    const method = req.method ?? 'GET';
    const one = /^\/pg\/payment-links\/([^/]+)\/$/.exec(path);
    const deactivate = /^\/pg\/payment-links\/([^/]+)\/deactivate\/$/.exec(path);
    const extend = /^\/pg\/payment-links\/([^/]+)\/extend_expiry\/$/.exec(path);
    const payment = /^\/pg\/payments\/([^/]+)\/$/.exec(path);

    if (method === 'POST' && path === '/pg/payment-links/') {
      let body: Record<string, unknown>;
      try {
        const text = await readBody(req);
        const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadJsonError();
        body = parsed as Record<string, unknown>;
      } catch (err) {
        if (err instanceof BodyTooLargeError)
          return fail(res, 413, 'PAYLOAD_TOO_LARGE', 'Request body too large');
        return fail(res, 400, 'INVALID_JSON', 'Request body is not valid JSON');
      }
      const details: Record<string, string[]> = {};
      const amount = parseRupees(body.amount);
      if (amount === null)
        details.amount = ['Enter a valid amount greater than 0 with at most 2 decimal places.'];
      if (body.currency !== undefined && body.currency !== 'INR')
        details.currency = ['Only INR is supported.'];
      const ref = body.reference_id;
      if (typeof ref !== 'string' || ref.trim() === '' || ref.length > 64)
        details.reference_id = ['This field is required.'];
      const buyer = (body.buyer ?? {}) as Record<string, unknown>;
      if (typeof buyer !== 'object' || typeof buyer.name !== 'string' || buyer.name.trim() === '')
        details['buyer.name'] = ['This field is required.'];
      if (
        buyer.email !== undefined &&
        (typeof buyer.email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(buyer.email))
      )
        details['buyer.email'] = ['Enter a valid email address.'];
      const product = (body.product ?? {}) as Record<string, unknown>;
      if (typeof product.name !== 'string' || product.name.trim() === '')
        details['product.name'] = ['This field is required.'];
      const invoice = (body.invoice ?? {}) as Record<string, unknown>;
      if (typeof invoice.number !== 'string' || invoice.number.trim() === '')
        details['invoice.number'] = ['This field is required.'];
      let expiry = clock() + 365 * 24 * 3600 * 1000;
      if (body.expiry_date !== undefined) {
        const t = typeof body.expiry_date === 'string' ? Date.parse(body.expiry_date) : Number.NaN;
        if (!Number.isFinite(t) || t <= clock())
          details.expiry_date = ['Expiry date must be a future ISO 8601 date-time.'];
        else expiry = t;
      }
      if (Object.keys(details).length > 0)
        return fail(res, 400, 'VALIDATION_ERROR', 'Invalid request data', details);
      const refKey = `${merchant.clientId}|${ref as string}`;
      if (byReference.has(refKey)) {
        return answer(400, {
          success: false,
          message: 'Payment link with this reference_id already exists',
          error: {
            code: 'DUPLICATE_REFERENCE_ID',
            message: 'Payment link with this reference_id already exists',
          },
        });
      }
      const link: PLink = {
        id: newId('PR'),
        orderId: newId('OD'),
        merchant: merchant.clientId,
        referenceId: ref as string,
        amountPaise: amount as number,
        status: 'ACTIVE',
        buyer,
        product,
        invoice,
        expiry,
        createdAt: clock(),
        payments: [],
        seq: seq++,
      };
      links.set(link.id, link);
      byReference.set(refKey, link.id);
      stats.created++;
      return answer(200, {
        success: true,
        message: 'Payment link created successfully',
        data: {
          payment_id: link.id,
          payment_link: `${publicBaseUrl}/pay/${link.id}/`,
          amount: rupees(link.amountPaise),
          currency: 'INR',
        },
      });
    }
    if (method === 'GET' && path === '/pg/payment-links/') {
      const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
      const size = Math.min(100, Math.max(1, Number(query.get('page_size') ?? 10) || 10));
      const all = [...links.values()]
        .filter((l) => l.merchant === merchant.clientId)
        .sort((a, b) => b.seq - a.seq);
      const slice = all.slice((page - 1) * size, page * size);
      const nextUrl =
        page * size < all.length ? `${url}/pg/payment-links/?page=${page + 1}&page_size=${size}` : null;
      const prevUrl = page > 1 ? `${url}/pg/payment-links/?page=${page - 1}&page_size=${size}` : null;
      return answer(200, {
        success: true,
        message: 'Payment links fetched successfully',
        data: {
          count: all.length,
          next: nextUrl,
          previous: prevUrl,
          results: slice.map((l) => linkBody(l, version)),
        },
      });
    }
    if (one && method === 'GET') {
      const link = mine(one[1]);
      if (!link) return fail(res, 404, 'NOT_FOUND', 'Payment link not found');
      return answer(200, {
        success: true,
        message: 'Payment link fetched successfully',
        data: retrieveBody(link),
      });
    }
    if (deactivate && method === 'POST') {
      const link = mine(deactivate[1]);
      if (!link) return fail(res, 404, 'NOT_FOUND', 'Payment link not found');
      if (effectiveStatus(link) !== 'ACTIVE')
        return fail(res, 400, 'LINK_NOT_ACTIVE', `Payment link is not active (${link.status.toLowerCase()})`);
      link.status = 'DEACTIVATED';
      return answer(200, { success: true, message: 'Payment link deactivated successfully' });
    }
    if (extend && method === 'POST') {
      const link = mine(extend[1]);
      if (!link) return fail(res, 404, 'NOT_FOUND', 'Payment link not found');
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
      } catch {
        return fail(res, 400, 'INVALID_JSON', 'Request body is not valid JSON');
      }
      const t = typeof body.expiry_date === 'string' ? Date.parse(body.expiry_date) : Number.NaN;
      if (!Number.isFinite(t) || t <= clock())
        return fail(res, 400, 'VALIDATION_ERROR', 'Invalid request data', {
          expiry_date: ['Expiry date must be a future ISO 8601 date-time.'],
        });
      if (effectiveStatus(link) !== 'ACTIVE')
        return fail(res, 400, 'LINK_NOT_ACTIVE', `Payment link is not active (${link.status.toLowerCase()})`);
      link.expiry = t;
      return answer(200, { success: true, message: 'Payment link expiry extended successfully' });
    }
    if (method === 'GET' && path === '/pg/payments/') {
      const ref = query.get('reference_id');
      const status = query.get('status')?.toUpperCase();
      const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
      const size = Math.min(100, Math.max(1, Number(query.get('page_size') ?? 10) || 10));
      const all = [...payments.values()].filter(
        (p) =>
          p.merchant === merchant.clientId &&
          (ref === null || p.referenceId === ref) &&
          (status === undefined || p.status === status),
      );
      const slice = all.slice((page - 1) * size, page * size);
      return answer(200, {
        success: true,
        message: 'Payments fetched successfully',
        data: {
          count: all.length,
          next:
            page * size < all.length
              ? `${url}/pg/payments/?page=${page + 1}&page_size=${size}${ref ? `&reference_id=${encodeURIComponent(ref)}` : ''}`
              : null,
          previous: null,
          results: slice.map(paymentBody),
        },
      });
    }
    if (payment && method === 'GET') {
      const p = payments.get(payment[1]!);
      if (!p || p.merchant !== merchant.clientId) return fail(res, 404, 'NOT_FOUND', 'Payment not found');
      return answer(200, { success: true, message: 'Payment fetched successfully', data: paymentBody(p) });
    }
    return fail(res, 404, 'NOT_FOUND', 'Not found');
  };

  // ---- control routes ----
  const control = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const method = req.method ?? 'GET';
    const json = async (): Promise<unknown> => {
      const text = await readBody(req);
      return text.trim() === '' ? {} : JSON.parse(text);
    };
    const payRoute = /^\/_sandbox\/payment_links\/([^/]+)\/pay$/.exec(path);
    const expireRoute = /^\/_sandbox\/payment_links\/([^/]+)\/expire$/.exec(path);
    try {
      if (payRoute && method === 'POST') {
        const id = payRoute[1]!;
        const body = (await json()) as { outcome?: unknown; method?: unknown; amount?: unknown };
        const link = links.get(id);
        if (body.amount !== undefined && link && body.amount !== link.amountPaise)
          return sendJson(res, 400, {
            error: 'EximPe links are paid in full: amount must be the link amount',
          });
        const outcome = body.outcome === 'failed' ? 'failed' : 'captured';
        const via =
          typeof body.method === 'string' && /^[a-z_]{1,20}$/.test(body.method) ? body.method : 'upi';
        return sendJson(res, 200, pay(id, outcome, via));
      }
      if (expireRoute && method === 'POST') {
        const link = links.get(expireRoute[1]!);
        if (!link) return sendJson(res, 404, { error: 'no such link' });
        if (effectiveStatus(link) === 'ACTIVE') link.status = 'EXPIRED';
        // EximPe sends no webhook for an expired link (reference §4)
        return sendJson(res, 200, { payment_id: link.id, status: cased(link.status) });
      }
      if (path === '/_sandbox/payment_links' && method === 'GET') {
        // every link of every merchant (tests and benchmarks count links per reference / EMI)
        return sendJson(res, 200, {
          payment_links: [...links.values()].map((l) => ({
            payment_id: l.id,
            merchant: l.merchant,
            reference_id: l.referenceId,
            status: cased(effectiveStatus(l)),
            amount: rupees(l.amountPaise),
            description: l.product.description ?? null,
          })),
        });
      }
      if (path === '/_sandbox/webhooks' && method === 'GET') return sendJson(res, 200, { deliveries });
      if (path === '/_sandbox/config' && method === 'GET') return sendJson(res, 200, config);
      if (path === '/_sandbox/config' && method === 'PUT') {
        sandbox.configure((await json()) as Partial<EximpeSandboxConfig>);
        return sendJson(res, 200, config);
      }
      if (path === '/_sandbox/accounts' && method === 'GET')
        return sendJson(res, 200, { accounts: sandbox.accounts });
      if (path === '/_sandbox/accounts' && method === 'PUT') {
        sandbox.addAccount((await json()) as EximpeMerchantSpec);
        return sendJson(res, 200, { accounts: sandbox.accounts });
      }
      if (path === '/_sandbox/reset' && method === 'POST') {
        sandbox.reset();
        return sendJson(res, 200, { reset: true });
      }
    } catch (err) {
      if (err instanceof NotFound) return sendJson(res, 404, { error: err.message });
      if (err instanceof NotPayable || err instanceof EximpeSandboxConfigError)
        return sendJson(res, 400, { error: err.message });
      if (err instanceof SyntaxError) return sendJson(res, 400, { error: 'body is not JSON' });
      throw err;
    }
    return sendJson(res, 404, { error: 'no such control route' });
  };

  // ---- the hosted pay page ----
  const page = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    const link = links.get(id);
    if (!link)
      return send(
        res,
        404,
        'text/html; charset=utf-8',
        '<!doctype html><title>Not found</title><p>No such payment link.</p>',
      );
    let note = '';
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      try {
        pay(
          id,
          form.get('outcome') === 'failed' ? 'failed' : 'captured',
          form.get('method') === 'card' ? 'card' : 'upi',
        );
        note = form.get('outcome') === 'failed' ? 'The payment failed.' : '';
      } catch (err) {
        note = err instanceof Error ? err.message : 'Could not pay';
      }
    }
    const status = effectiveStatus(link);
    const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const body =
      status === 'ACTIVE'
        ? `<form method="post"><button name="outcome" value="captured">Pay ₹${rupees(link.amountPaise)}</button> <button name="outcome" value="failed">Fail a payment</button></form>`
        : status === 'PAID'
          ? '<p class="paid">Payment successful. Thank you.</p>'
          : `<p>This payment link is ${status === 'EXPIRED' ? 'Expired' : 'Inactive'}.</p>`;
    send(
      res,
      200,
      'text/html; charset=utf-8',
      `<!doctype html><html lang="en"><meta charset="utf-8"><title>EximPe sandbox — pay</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto}button{font-size:1rem;padding:.5rem 1rem}</style>
<h1>EximPe (local sandbox)</h1><p>${esc(link.product.description ?? link.product.name)}</p>
<p>For ${esc(link.buyer.name)} — <strong>₹${rupees(link.amountPaise)}</strong> INR</p>${note ? `<p role="alert">${esc(note)}</p>` : ''}${body}</html>`,
    );
  };

  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://sandbox');
    const path = u.pathname;
    let work: Promise<void>;
    if (path.startsWith('/pg/')) work = api(req, res, path, u.searchParams);
    else if (path.startsWith('/_sandbox/')) work = control(req, res, path);
    else {
      const m = /^\/pay\/([A-Za-z0-9-]+)\/?$/.exec(path);
      work = m ? page(req, res, m[1]!) : Promise.resolve(send(res, 404, 'text/plain', 'not found'));
    }
    work.catch(() => fail(res, 500, 'INTERNAL_SERVER_ERROR', 'Something went wrong'));
  });
  const port = options.port ?? EXIMPE_SANDBOX_DEFAULT_PORT;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const url = `http://${options.host ?? '127.0.0.1'}:${actual}`;
  const publicBaseUrl = (options.publicBaseUrl ?? url).replace(/\/+$/, '');

  const sandbox: EximpeSandbox = {
    url,
    port: actual,
    publicBaseUrl,
    clientId: first.clientId,
    clientSecret: first.clientSecret,
    get config() {
      return { ...config };
    },
    configure(patch: Partial<EximpeSandboxConfig>) {
      const parsed = configSchema.safeParse(patch);
      if (!parsed.success) throw new EximpeSandboxConfigError(describeIssues(parsed.error).join('; '));
      config = { ...config, ...(parsed.data as Partial<EximpeSandboxConfig>) };
    },
    get links() {
      return links.size;
    },
    deliveries,
    stats,
    addAccount(spec) {
      const parsed = merchantSchema.safeParse(spec);
      if (!parsed.success) throw new EximpeSandboxConfigError(describeIssues(parsed.error).join('; '));
      const old = merchants.get(parsed.data.clientId);
      merchants.set(parsed.data.clientId, {
        ...parsed.data,
        limiter: old?.limiter ?? new SlidingWindowLimiter(),
      });
    },
    get accounts() {
      return [...merchants.values()].map((m) => ({
        clientId: m.clientId,
        webhookUrl: merchantConfig(m).webhookUrl,
        ...(m.rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond: m.rateLimitPerSecond }),
      }));
    },
    pay,
    reset() {
      links.clear();
      byReference.clear();
      payments.clear();
      deliveries.length = 0;
      stats.requests = 0;
      stats.rateLimited = 0;
      stats.created = 0;
      for (const m of merchants.values()) m.limiter.reset();
    },
    async webhooksIdle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sandbox;
}

class NotFound extends Error {}
class NotPayable extends Error {}
