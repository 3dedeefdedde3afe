/**
 * Lender scope (architecture §4a): what an actor may see. Another lender's EMI, link or job
 * answers exactly like an unknown id (the use case throws its own NotFoundError); an explicit
 * `lender` filter outside the caller's lenders is a 403.
 */
import { ForbiddenError } from '../domain/errors';
import type { Actor } from './actor';

export function mayAccessLender(actor: Pick<Actor, 'lenders'>, lender: string): boolean {
  return actor.lenders === '*' || actor.lenders.includes(lender);
}

/** True when every lender of `scope` is one the actor may see (`'*'` only by an all-lenders actor). */
export function mayAccessScope(actor: Pick<Actor, 'lenders'>, scope: readonly string[] | '*'): boolean {
  if (actor.lenders === '*') return true;
  if (scope === '*') return false;
  return scope.every((l) => mayAccessLender(actor, l));
}

/**
 * The lenders a list may read: the requested one (403 when outside the caller's lenders), or all
 * of the caller's (`'*'` = no restriction).
 */
export function lendersToRead(
  actor: Pick<Actor, 'lenders'>,
  requested: string | undefined,
  field = 'query.lender',
): readonly string[] | '*' {
  if (requested === undefined) return actor.lenders;
  if (!mayAccessLender(actor, requested)) {
    throw new ForbiddenError(`You may not work on lender ${requested}`, [
      { field, message: 'is not one of your lenders' },
    ]);
  }
  return [requested];
}
