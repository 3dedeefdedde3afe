/**
 * Test helpers for the Razorpay sandbox: the official SDK pointed at it, a way to catch the
 * SDK's plain-object rejections, and a node:http receiver that records webhooks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Razorpay from 'razorpay';
import type { Sandbox } from '../../local/sandbox/server';

export function sdkFor(
  sandbox: Sandbox,
  keys?: { keyId: string; keySecret: string },
  timeoutMs?: number,
): Razorpay {
  const rzp = new Razorpay({
    key_id: keys?.keyId ?? sandbox.keyId,
    key_secret: keys?.keySecret ?? sandbox.keySecret,
  });
  const rq = (rzp.api as unknown as { rq: { defaults: { baseURL?: string; timeout?: number } } }).rq;
  rq.defaults.baseURL = sandbox.url;
  if (timeoutMs !== undefined) rq.defaults.timeout = timeoutMs;
  return rzp;
}

/** What the SDK rejects with on an HTTP error: a plain object, not an Error. */
export interface SdkRejection {
  statusCode: number;
  error: {
    code: string;
    description: string;
    source?: unknown;
    step?: unknown;
    reason?: unknown;
    metadata?: unknown;
    field?: unknown;
  };
}

/** Awaits a call that must fail and returns the SDK's rejection value. */
export async function rejectionOf(promise: Promise<unknown>): Promise<SdkRejection> {
  try {
    await promise;
  } catch (rejection) {
    return rejection as SdkRejection;
  }
  throw new Error('expected the SDK call to be rejected');
}

/** The payment-links error family: metadata [], reason/source/step null, no field. */
export function linkError(description: string) {
  return { code: 'BAD_REQUEST_ERROR', description, metadata: [], reason: null, source: null, step: null };
}

/** The gateway family (auth, routing, throttling, server errors). */
export function gatewayError(description: string, code = 'BAD_REQUEST_ERROR') {
  return { code, description, source: 'NA', step: 'NA', reason: 'NA', metadata: {} };
}

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  /** the raw body exactly as received */
  raw: string;
  body: {
    event: string;
    created_at: number;
    payload: Record<string, { entity: Record<string, unknown> }>;
  } & Record<string, unknown>;
  event: string;
  eventId: string;
  status: number;
}

/** Records every webhook; `answer` decides the status code of each delivery (default 200). */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (raw: string, index: number) => number = () => 200;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const status = this.answer(raw, this.received.length);
      const body = JSON.parse(raw) as ReceivedWebhook['body'];
      this.received.push({
        headers: req.headers,
        raw,
        body,
        event: body.event,
        eventId: String(req.headers['x-razorpay-event-id']),
        status,
      });
      res.writeHead(status).end();
      for (const waiter of [...this.waiters]) waiter();
    });
  });
  private waiters = new Set<() => void>();
  url = '';

  /** Listens on `port` (default: a free one). */
  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/razorpay`;
    return this;
  }

  /** Successfully answered deliveries (2xx). */
  get delivered(): ReceivedWebhook[] {
    return this.received.filter((w) => w.status >= 200 && w.status < 300);
  }

  /** Resolves when `predicate` holds, or rejects after `timeoutMs`. */
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs = 5000): Promise<ReceivedWebhook[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(this.received)) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(this.received);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`timed out waiting for webhooks; got ${this.received.map((w) => w.event).join(', ')}`),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  clear(): void {
    this.received.length = 0;
    this.answer = () => 200;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** JSON over plain fetch for the control API (not Razorpay's, so no SDK). */
export async function control<T = Record<string, unknown>>(
  sandbox: Sandbox,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** A create body with the required fields and a unique reference id. */
let counter = 0;
export function linkBody(overrides: Record<string, unknown> = {}) {
  counter++;
  return {
    amount: 150000,
    currency: 'INR',
    description: 'EMI 3 of loan L-1001',
    reference_id: `test-${process.pid}-${Date.now()}-${counter}`,
    customer: { name: 'Asha Rao', contact: '9000090000', email: 'asha@example.com' },
    notify: { sms: false, email: false },
    reminder_enable: false,
    notes: { loan_id: 'L-1001', emi_number: '3' },
    ...overrides,
  };
}

export const unixNow = (): number => Math.floor(Date.now() / 1000);
