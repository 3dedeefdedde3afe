import type { Actor } from '../../shared/auth/actor';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import {
  listPendingEmis,
  type PendingEmisQuery,
  pendingEmisQuerySchema,
} from '../../shared/usecases/list-pending-emis';
import { type Stores, stores } from '../../shared/wiring';

/** GET /api/payment-links/pending-emis — one page of pending EMIs. */
export async function main(deps: Pick<Stores, 'emis' | 'aggregates'>, actor: Actor, query: PendingEmisQuery) {
  return {
    statusCode: 200,
    body: await listPendingEmis(
      { emis: deps.emis, clock: systemClock, aggregates: deps.aggregates },
      query,
      actor,
    ),
  };
}

export const handler = httpRoute('pending-emis', { query: pendingEmisQuerySchema }, (req) =>
  main(stores(), req.actor, req.query),
);
