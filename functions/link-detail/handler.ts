import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { linkDetail } from '../../shared/usecases/link-detail';
import { linkIdPathSchema } from '../../shared/usecases/manage-link';
import { type Stores, stores } from '../../shared/wiring';

/** GET /api/payment-links/{id} — the link with its attempts, siblings and timeline. */
export async function main(deps: Pick<Stores, 'emis' | 'links'>, actor: Actor, id: string) {
  return { statusCode: 200, body: await linkDetail(deps, id, actor) };
}

export const handler = httpRoute('link-detail', { path: linkIdPathSchema }, (req) =>
  main(stores(), req.actor, req.path.id),
);
