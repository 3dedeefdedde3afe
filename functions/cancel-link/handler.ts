import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import type { LinkDeps } from '../../shared/usecases/link-deps';
import { cancelLink, linkIdPathSchema } from '../../shared/usecases/manage-link';
import { linkDeps } from '../../shared/wiring-links';

/** POST /api/payment-links/{id}/cancel — cancel one open link (cancelReason: manual). */
export async function main(deps: LinkDeps, actor: Actor, id: string) {
  return { statusCode: 200, body: await cancelLink(deps, id, actor) };
}

export const handler = httpRoute('cancel-link', { path: linkIdPathSchema }, (req) =>
  main(linkDeps(), req.actor, req.path.id),
);
