/**
 * A tiny node:http stand-in for Razorpay's Payment Links API, for the adapter's unit tests:
 * enough state to check "exactly one link per reference id", plus scripted faults per call.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * What to do with the next matching call instead of (or around) the normal behaviour:
 * - `{status, body?}` answer this (body: object → JSON, string → as is), doing nothing;
 * - `hang-after-apply` do the work, never answer (a timeout whose outcome is "created");
 * - `hang-before-apply` never answer and do nothing;
 * - `reset-after-apply` do the work, then drop the connection without an answer.
 */
export type Fault =
  | { status: number; body?: unknown }
  | 'hang-after-apply'
  | 'hang-before-apply'
  | 'reset-after-apply';

export type Route = 'create' | 'list' | 'fetch' | 'cancel';

export interface StubLink {
  id: string;
  reference_id: string;
  status: string;
  amount: number;
  amount_paid: number;
  [key: string]: unknown;
}

export interface StubRazorpay {
  url: string;
  requests: RecordedRequest[];
  links: Map<string, StubLink>;
  /** faults consumed in order by the next calls of that route */
  faults: Record<Route, Fault[]>;
  count(route: Route): number;
  /** forgets requests, links and queued faults (between tests) */
  reset(): void;
  close(): Promise<void>;
}

export function razorpayError(description: string, extra: Record<string, unknown> = {}) {
  return {
    error: {
      code: 'BAD_REQUEST_ERROR',
      description,
      metadata: [],
      reason: null,
      source: null,
      step: null,
      ...extra,
    },
  };
}

let seq = 0;
function plinkId(): string {
  seq += 1;
  return `plink_${String(seq).padStart(14, 'T')}`.slice(0, 20);
}

function routeOf(method: string, path: string): Route | undefined {
  if (method === 'POST' && path === '/v1/payment_links') return 'create';
  if (method === 'GET' && path === '/v1/payment_links') return 'list';
  if (method === 'GET' && /^\/v1\/payment_links\/[^/]+$/.test(path)) return 'fetch';
  if (method === 'POST' && /^\/v1\/payment_links\/[^/]+\/cancel$/.test(path)) return 'cancel';
  return undefined;
}

export async function startStubRazorpay(): Promise<StubRazorpay> {
  const requests: RecordedRequest[] = [];
  const links = new Map<string, StubLink>();
  const faults: Record<Route, Fault[]> = { create: [], list: [], fetch: [], cancel: [] };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json' });
    res.end(text);
  };

  const apply = (route: Route, rec: RecordedRequest): { status: number; body: unknown } => {
    switch (route) {
      case 'create': {
        const input = JSON.parse(rec.body) as Record<string, unknown>;
        const ref = typeof input.reference_id === 'string' ? input.reference_id : '';
        if (ref !== '' && [...links.values()].some((l) => l.reference_id === ref)) {
          return {
            status: 400,
            body: razorpayError('payment link creation with reference ID already attempted'),
          };
        }
        const link: StubLink = {
          accept_partial: input.accept_partial ?? false,
          amount: Number(input.amount),
          amount_paid: 0,
          cancelled_at: 0,
          created_at: 1_765_195_796,
          currency: input.currency ?? 'INR',
          customer: input.customer,
          description: input.description,
          expire_by: input.expire_by ?? 0,
          expired_at: 0,
          first_min_partial_amount: input.first_min_partial_amount ?? 0,
          id: plinkId(),
          notes: input.notes ?? null,
          notify: { ...(input.notify as object), whatsapp: false },
          payments: null,
          reference_id: ref,
          reminder_enable: input.reminder_enable ?? true,
          reminders: [],
          short_url: 'https://rzp.io/rzp/stubLink',
          status: 'created',
          updated_at: 1_765_195_796,
          upi_link: false,
          user_id: '',
          whatsapp_link: false,
        };
        links.set(link.id, link);
        return { status: 200, body: link };
      }
      case 'list': {
        const ref = rec.query.get('reference_id');
        const found = [...links.values()].filter((l) => ref === null || l.reference_id === ref);
        return { status: 200, body: { payment_links: found } };
      }
      case 'fetch': {
        const link = links.get(rec.path.split('/')[3] ?? '');
        return link
          ? { status: 200, body: link }
          : { status: 400, body: razorpayError('The id provided does not exist') };
      }
      case 'cancel': {
        const link = links.get(rec.path.split('/')[3] ?? '');
        if (!link) return { status: 400, body: razorpayError('The id provided does not exist') };
        if (link.status === 'paid' || link.status === 'partially_paid') {
          return {
            status: 400,
            body: razorpayError('cannot cancel or expire an already paid/partially paid link'),
          };
        }
        if (link.status !== 'created') {
          return { status: 400, body: razorpayError('cannot cancel or expire an expired link') };
        }
        link.status = 'cancelled';
        link.cancelled_at = 1_765_200_000;
        return { status: 200, body: link };
      }
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      const route = routeOf(rec.method, rec.path);
      if (route === undefined) {
        send(res, 400, razorpayError('The requested URL was not found on the server'));
        return;
      }
      const fault = faults[route].shift();
      if (fault === 'hang-before-apply') return;
      if (fault === 'hang-after-apply') {
        apply(route, rec);
        return;
      }
      if (fault === 'reset-after-apply') {
        apply(route, rec);
        req.socket.destroy();
        return;
      }
      if (fault !== undefined) {
        send(res, fault.status, fault.body ?? '');
        return;
      }
      const out = apply(route, rec);
      send(res, out.status, out.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    links,
    faults,
    count: (route) => requests.filter((r) => routeOf(r.method, r.path) === route).length,
    reset: () => {
      requests.length = 0;
      links.clear();
      for (const list of Object.values(faults)) list.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that was free a moment ago and has nobody listening: connection refused. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
