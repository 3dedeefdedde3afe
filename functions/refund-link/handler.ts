import type { Actor } from '../../shared/auth/actor';
import { checkIdempotencyKey, withIdempotency } from '../../shared/http/idempotency';
import { httpRoute } from '../../shared/http/route';
import type { LinkDeps } from '../../shared/usecases/link-deps';
import { linkIdPathSchema } from '../../shared/usecases/manage-link';
import { type RefundBody, refundBodySchema, requestRefund } from '../../shared/usecases/refunds';
import { linkDeps } from '../../shared/wiring-links';

/**
 * POST /api/payment-links/{id}/refunds — an admin refunds surplus money (201). The first answer
 * to an Idempotency-Key is replayed; a 502/503 is not stored, so a retry with the same key runs
 * again — and resumes the same refund, because the refund id is derived from the key.
 */
export async function main(
  deps: LinkDeps,
  actor: Actor,
  id: string,
  body: RefundBody,
  idempotencyKey?: string,
) {
  const key = checkIdempotencyKey(idempotencyKey);
  const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
  // keys are the caller's own: another actor's key can neither replay nor block their answer
  const scope = `refund:${actor.sub}`;
  return withIdempotency(deps.ops, scope, key, { id, ...body }, nowSeconds, async () => ({
    statusCode: 201,
    body: await requestRefund(deps, id, body, actor, key === undefined ? undefined : `${actor.sub}:${key}`),
  }));
}

export const handler = httpRoute(
  'refund-link',
  { path: linkIdPathSchema, body: refundBodySchema, maxBodyBytes: 4096 },
  (req) => main(linkDeps(), req.actor, req.path.id, req.body, req.headers['idempotency-key']),
);
