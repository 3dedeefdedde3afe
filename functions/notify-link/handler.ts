import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import type { LinkDeps } from '../../shared/usecases/link-deps';
import { type NotifyBody, notifyBodySchema, notifyLink } from '../../shared/usecases/link-detail';
import { linkIdPathSchema } from '../../shared/usecases/manage-link';
import { linkDeps } from '../../shared/wiring-links';

/** POST /api/payment-links/{id}/notify — Razorpay sends the link again by SMS or e-mail. */
export async function main(deps: LinkDeps, actor: Actor, id: string, body: NotifyBody) {
  return { statusCode: 200, body: await notifyLink(deps, id, body, actor) };
}

export const handler = httpRoute(
  'notify-link',
  { path: linkIdPathSchema, body: notifyBodySchema, maxBodyBytes: 4096 },
  (req) => main(linkDeps(), req.actor, req.path.id, req.body),
);
