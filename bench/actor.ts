import type { Actor } from '../shared/auth/actor';

/** Benchmarks call use cases directly, as demo-ops would (all scopes, all lenders). */
export const benchActor: Actor = {
  sub: 'demo-ops',
  name: 'demo-ops',
  kind: 'machine',
  permissions: new Set(['read', 'write', 'loans']),
  lenders: '*',
};
