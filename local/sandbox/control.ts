/**
 * The control API (`/_sandbox/…`, architecture §7): not Razorpay's, no auth, JSON in and out,
 * never subject to fault injection. It lets tests, benchmarks and demos do what a borrower or
 * time would do (pay, fail, expire) and inspect what the sandbox sent.
 */
import { z } from 'zod';
import {
  ConfigError,
  describeIssues,
  type MerchantSpec,
  parseMerchantSpec,
  type SandboxConfig,
} from './config';
import { linkEntity, refundEntity } from './entities';
import { ApiError } from './errors';
import { type Link, PAYMENT_METHODS, type Refund } from './model';
import { ControlError, type Store } from './store';
import type { DeliveryRecord } from './webhooks';

export interface ControlContext {
  /** the first merchant's store */
  store: Store;
  /** every merchant's store: a link id is found in whichever holds it */
  stores: () => Store[];
  /** the merchants, without secrets */
  accounts: () => unknown[];
  /** adds or replaces a merchant from a parsed spec */
  putAccount: (spec: MerchantSpec) => unknown;
  config: () => SandboxConfig;
  /** throws ConfigError */
  updateConfig: (patch: unknown) => SandboxConfig;
  deliveries: () => DeliveryRecord[];
  /** every merchant's refunds, oldest first */
  refunds: () => Refund[];
  reset: () => void;
  stats: () => { links: number; creates: number; requests: number };
}

export interface ControlAnswer {
  status: number;
  body: unknown;
}

const payBodySchema = z.strictObject({
  amount: z.int().positive().optional(),
  method: z.enum(PAYMENT_METHODS).optional(),
  outcome: z.enum(['captured', 'failed']).optional(),
});

function controlError(status: number, description: string, details?: string[]): ControlAnswer {
  const code = status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST_ERROR';
  return { status, body: { error: details ? { code, description, details } : { code, description } } };
}

export function handleControl(
  ctx: ControlContext,
  method: string,
  path: string,
  body: unknown,
): ControlAnswer {
  try {
    return route(ctx, method, path, body);
  } catch (error) {
    if (error instanceof ControlError) return controlError(error.status, error.message);
    if (error instanceof ConfigError)
      return controlError(400, `invalid config: ${error.message}`, error.issues);
    // Razorpay's state texts (e.g. expiring a paid link) keep their wording here
    if (error instanceof ApiError) return controlError(error.status, String(error.body.error['description']));
    throw error;
  }
}

function route(ctx: ControlContext, method: string, path: string, body: unknown): ControlAnswer {
  // ['', '_sandbox', resource, id?, action?]
  const [, , resource, id, action] = path.split('/');
  const depth = path.split('/').length;
  if (resource === 'payment_links' && id !== undefined && depth === 5 && method === 'POST') {
    const store = ownerOf(ctx, id);
    if (action === 'pay') return pay(store, lookup(store, id), body);
    if (action === 'expire') {
      const link = store.expire(lookup(store, id));
      return ok({ payment_link: linkEntity(link, store.shortUrl(link), 'captured') });
    }
  }
  if (depth === 3) {
    switch (`${method} ${resource}`) {
      case 'GET payment_links': {
        const links = ctx
          .stores()
          .flatMap((store) =>
            store.list({}).map((link) => linkEntity(link, store.shortUrl(link), 'captured')),
          );
        return ok({ count: links.length, payment_links: links });
      }
      case 'GET accounts':
        return ok({ items: ctx.accounts() });
      case 'PUT accounts':
        return ok(ctx.putAccount(parseMerchantSpec(body)));
      case 'GET refunds':
        // every refund any merchant made (with the idempotency key it came with): tests count them
        return ok({
          refunds: ctx.refunds().map((r) => ({ ...refundEntity(r), idempotency_key: r.idempotencyKey })),
        });
      case 'GET webhooks':
        return ok({ deliveries: ctx.deliveries() });
      case 'GET notifications':
        // the resends (`notify_by`) every merchant accepted; nothing is really sent
        return ok({ notifications: ctx.stores().flatMap((store) => store.notifications) });
      case 'GET config':
        return ok(ctx.config());
      case 'PUT config':
        return ok(ctx.updateConfig(body));
      case 'POST reset':
        ctx.reset();
        return ok({ reset: true });
      case 'GET stats':
        return ok(ctx.stats());
    }
  }
  return controlError(404, `no control route ${method} ${path}`);
}

function pay(store: Store, link: Link, body: unknown): ControlAnswer {
  const parsed = payBodySchema.safeParse(body);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    return controlError(400, `invalid pay request: ${issues.join('; ')}`, issues);
  }
  const payment = store.pay(link, parsed.data);
  return ok({
    payment_id: payment.id,
    payment_link: linkEntity(link, store.shortUrl(link), 'captured'),
    // extension: what happened to this attempt
    payment: { id: payment.id, amount: payment.amount, method: payment.method, status: payment.status },
  });
}

function ok(body: unknown): ControlAnswer {
  return { status: 200, body };
}

/** The store of the merchant holding this link (the first merchant's when none does: then 404). */
function ownerOf(ctx: ControlContext, id: string): Store {
  return ctx.stores().find((store) => store.links.has(id)) ?? ctx.store;
}

function lookup(store: Store, id: string): Link {
  const link = store.links.get(id);
  if (link === undefined) throw new ControlError(404, `no payment link ${id}`);
  return link;
}
