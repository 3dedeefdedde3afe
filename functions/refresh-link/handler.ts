import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import type { LinkDeps } from '../../shared/usecases/link-deps';
import { linkIdPathSchema, refreshLink } from '../../shared/usecases/manage-link';
import { linkDeps } from '../../shared/wiring-links';

/** POST /api/payment-links/{id}/refresh-status — fetch from Razorpay and apply. */
export async function main(deps: LinkDeps, actor: Actor, id: string) {
  return { statusCode: 200, body: await refreshLink(deps, id, actor) };
}

export const handler = httpRoute('refresh-link', { path: linkIdPathSchema }, (req) =>
  main(linkDeps(), req.actor, req.path.id),
);
