import { checkIdempotencyKey, withIdempotency } from '../../shared/http/idempotency';
import { httpRoute } from '../../shared/http/route';
import {
  type GenerateLinkInput,
  generateLink,
  generateLinkSchema,
  newLinkId,
} from '../../shared/usecases/generate-link';
import { linkDeps } from '../../shared/wiring-links';

/** POST /api/payment-links/generate — a link for one EMI (201 new, 200 reused). */
export async function main(body: GenerateLinkInput, idempotencyKey?: string) {
  const deps = linkDeps();
  const key = checkIdempotencyKey(idempotencyKey);
  const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
  return withIdempotency(deps.ops, 'generate', key, body, nowSeconds, async () => {
    // the same key always means the same link id, hence the same Razorpay reference id
    const result = await generateLink(deps, body, key ? { linkId: newLinkId(`idempotency:${key}`) } : {});
    return {
      statusCode: result.reused ? 200 : 201,
      body: { ...result.link, reused: result.reused },
    };
  });
}

export const handler = httpRoute('generate-link', { body: generateLinkSchema }, (req) =>
  main(req.body, req.headers['idempotency-key']),
);
