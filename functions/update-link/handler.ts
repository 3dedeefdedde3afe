import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import type { LinkDeps } from '../../shared/usecases/link-deps';
import { type UpdateBody, updateBodySchema, updateLink } from '../../shared/usecases/link-detail';
import { linkIdPathSchema } from '../../shared/usecases/manage-link';
import { linkDeps } from '../../shared/wiring-links';

/** PATCH /api/payment-links/{id} — expiry, reminders, partial payments, by Razorpay's rules. */
export async function main(deps: LinkDeps, actor: Actor, id: string, body: UpdateBody) {
  return { statusCode: 200, body: await updateLink(deps, id, body, actor) };
}

export const handler = httpRoute(
  'update-link',
  { path: linkIdPathSchema, body: updateBodySchema, maxBodyBytes: 4096 },
  (req) => main(linkDeps(), req.actor, req.path.id, req.body),
);
