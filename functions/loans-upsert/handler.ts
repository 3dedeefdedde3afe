import type { Actor } from '../../shared/auth/actor';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import { type UpsertLoansInput, upsertLoans, upsertLoansSchema } from '../../shared/usecases/upsert-loans';
import { type Stores, stores } from '../../shared/wiring';

/** POST /api/loans — upsert loans with their EMI schedules (≤ 500 loans, ≤ 1 MB). */
export async function main(deps: Pick<Stores, 'emis'>, actor: Actor, body: UpsertLoansInput) {
  const result = await upsertLoans({ emis: deps.emis, clock: systemClock }, body, actor);
  return { statusCode: 200, body: result };
}

export const handler = httpRoute('loans-upsert', { body: upsertLoansSchema }, (req) =>
  main(stores(), req.actor, req.body),
);
