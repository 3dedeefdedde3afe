/**
 * Razorpay's Payment Links API (`/v1/payment_links…`, reference §1.2). Pure request → answer:
 * authentication, fault injection and latency are the server's business.
 */
import { linkEntity } from './entities';
import { ApiError, gatewayErrorBody, linkError, MSG, URL_NOT_FOUND } from './errors';
import type { Link } from './model';
import type { Store } from './store';
import { isPlainObject } from './validation';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

const notFound = (): ApiAnswer => ({ status: 400, body: gatewayErrorBody(URL_NOT_FOUND) });
const MEDIUMS = new Set(['sms', 'email']);

export function handleApi(
  store: Store,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
): ApiAnswer {
  try {
    return route(store, method, path, query, body);
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, body: error.body };
    throw error;
  }
}

function route(store: Store, method: string, path: string, query: URLSearchParams, body: unknown): ApiAnswer {
  // ['', 'v1', 'payment_links', id?, action?, medium?]
  const parts = path.split('/');
  if (parts[2] !== 'payment_links' || parts.length > 6) return notFound();
  const id = parts[3];
  const action = parts[4];

  if (id === undefined || id === '') {
    if (parts.length > 4) return notFound();
    if (method === 'POST') return create(store, body);
    if (method === 'GET') return list(store, query);
    return notFound();
  }
  if (action === undefined) {
    if (method === 'GET') return entity(store, store.get(id));
    if (method === 'PATCH') return entity(store, store.update(store.get(id), requireObject(body)));
    return notFound();
  }
  if (method !== 'POST') return notFound();
  if (action === 'cancel' && parts.length === 5) return entity(store, store.cancel(store.get(id)));
  if (action === 'notify_by' && parts.length === 6) {
    const link = store.getForNotify(id);
    if (!MEDIUMS.has(parts[5] as string)) throw linkError(MSG.notifyMedium);
    // nothing leaves the machine: the sandbox records the resend and confirms, as Razorpay answers
    store.notify(link, parts[5] as string);
    return ok({ success: true });
  }
  return notFound();
}

function ok(body: unknown): ApiAnswer {
  return { status: 200, body };
}

/** A single link as fetch/update/cancel answer it: with its captured payments. */
function entity(store: Store, link: Link): ApiAnswer {
  return ok(linkEntity(link, store.shortUrl(link), 'captured'));
}

function requireObject(body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) throw linkError(MSG.badJson);
  return body;
}

function create(store: Store, body: unknown): ApiAnswer {
  const link = store.create(requireObject(body));
  return ok(linkEntity(link, store.shortUrl(link), 'null'));
}

/**
 * Filters `reference_id`, `payment_id` and `upi_link` (1/0, as Razorpay's MCP server sends it).
 * `count`/`skip`/`from`/`to` (always sent by the SDK) are ignored: every match is returned.
 * Listed links show `payments: []`, as in Razorpay's documented list answer; fetch one link for them.
 */
function list(store: Store, query: URLSearchParams): ApiAnswer {
  const referenceId = query.get('reference_id') ?? undefined;
  if (referenceId !== undefined && referenceId.length > 40) throw linkError(MSG.receiptLength);
  const paymentId = query.get('payment_id') ?? undefined;
  const upi = query.get('upi_link');
  const upiLink = upi === null || upi === '' ? undefined : upi === '1' || upi === 'true';
  const links = store.list({ referenceId, paymentId, upiLink });
  return ok({ payment_links: links.map((link) => linkEntity(link, store.shortUrl(link), 'empty')) });
}
