import type { Actor } from '../../shared/auth/actor';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import { type DashboardQuery, dashboard, dashboardQuerySchema } from '../../shared/usecases/dashboard';
import { type Stores, stores } from '../../shared/wiring';

/** GET /api/dashboard — the book at a glance, from the kept totals. */
export async function main(deps: Pick<Stores, 'emis' | 'aggregates'>, actor: Actor, query: DashboardQuery) {
  return {
    statusCode: 200,
    body: await dashboard({ emis: deps.emis, aggregates: deps.aggregates, clock: systemClock }, query, actor),
  };
}

export const handler = httpRoute('dashboard', { query: dashboardQuerySchema }, (req) =>
  main(stores(), req.actor, req.query),
);
