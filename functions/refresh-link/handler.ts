import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { linkIdPathSchema, refreshLink } from '../../shared/usecases/manage-link';
import { linkDeps } from '../../shared/wiring-links';

/** POST /api/payment-links/{id}/refresh-status — fetch from Razorpay and apply. */
export async function main(actor: Actor, id: string) {
  return { statusCode: 200, body: await refreshLink(linkDeps(), id, actor) };
}

export const handler = httpRoute('refresh-link', { path: linkIdPathSchema }, (req) =>
  main(req.actor, req.path.id),
);
