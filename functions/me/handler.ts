import * as z from 'zod/mini';
import { type Actor, permissionList } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';

/** GET /api/me — who the token says is calling, as the API sees them (architecture §4a). */
export async function main(actor: Actor) {
  return {
    statusCode: 200,
    body: {
      sub: actor.sub,
      name: actor.name,
      role: actor.role ?? null,
      permissions: permissionList(actor),
      lenders: actor.lenders,
    },
  };
}

export const handler = httpRoute('me', { query: z.strictObject({}) }, (req) => main(req.actor));
