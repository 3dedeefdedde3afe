import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { cancelLink, linkIdPathSchema } from '../../shared/usecases/manage-link';
import { linkDeps } from '../../shared/wiring-links';

/** POST /api/payment-links/{id}/cancel — cancel one open link (cancelReason: manual). */
export async function main(actor: Actor, id: string) {
  return { statusCode: 200, body: await cancelLink(linkDeps(), id, actor) };
}

export const handler = httpRoute('cancel-link', { path: linkIdPathSchema }, (req) =>
  main(req.actor, req.path.id),
);
