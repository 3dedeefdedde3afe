import { type Actor, actorRef } from '../../shared/auth/actor';
import { checkIdempotencyKey, withIdempotency } from '../../shared/http/idempotency';
import { httpRoute } from '../../shared/http/route';
import {
  type GenerateLinkInput,
  generateLink,
  generateLinkSchema,
  newLinkId,
} from '../../shared/usecases/generate-link';
import type { LinkDeps } from '../../shared/usecases/link-deps';
import { linkDeps } from '../../shared/wiring-links';

/** POST /api/payment-links/generate — a link for one EMI (201 new, 200 reused). */
export async function main(deps: LinkDeps, actor: Actor, body: GenerateLinkInput, idempotencyKey?: string) {
  const key = checkIdempotencyKey(idempotencyKey);
  const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
  // keys are the caller's own: another actor's key can neither replay nor block their answer
  const scope = `generate:${actor.sub}`;
  return withIdempotency(deps.ops, scope, key, body, nowSeconds, async () => {
    const result = await generateLink(deps, body, {
      // the same key always means the same link id, hence the same Razorpay reference id
      ...(key ? { linkId: newLinkId(`idempotency:${actor.sub}:${key}`) } : {}),
      createdBy: actorRef(actor),
      lenders: actor.lenders,
    });
    return {
      statusCode: result.reused ? 200 : 201,
      body: { ...result.link, reused: result.reused },
    };
  });
}

export const handler = httpRoute('generate-link', { body: generateLinkSchema }, (req) =>
  main(linkDeps(), req.actor, req.body, req.headers['idempotency-key']),
);
