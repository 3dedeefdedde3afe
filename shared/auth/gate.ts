/**
 * The gate in front of every non-public route: Bearer token → verified claims → actor →
 * permission. 401 for anything that is not a valid access token, 403 for a valid one that
 * may not do this (no such permission, no known role, no lenders). Runs before the body is
 * read, so an unauthenticated request reads and writes nothing.
 */
import { ForbiddenError, UnauthenticatedError } from '../domain/errors';
import { type Actor, actorFromClaims, type GrantedPermission } from './actor';
import { verifyAccessToken } from './verifier';

/** Far above any real token (Cognito's are ~1-2 KB); stops pathological headers early. */
const MAX_TOKEN_LENGTH = 8192;

/** The token from `Authorization: Bearer <token>`, or why there is none. */
export function bearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === '') throw new UnauthenticatedError('no Authorization', false);
  const m = /^Bearer +([^\s]+)\s*$/i.exec(header);
  if (!m) throw new UnauthenticatedError('Authorization is not a Bearer token', true);
  const token = m[1]!;
  if (token.length > MAX_TOKEN_LENGTH) throw new UnauthenticatedError('token too long', true);
  return token;
}

/** Throws 403 unless the actor holds `permission` and, for a person, a role and some lenders. */
export function authorize(actor: Actor, permission: GrantedPermission): void {
  if (actor.kind === 'person' && !actor.role) {
    throw new ForbiddenError('Your account has no role in this application; ask an admin');
  }
  if (actor.lenders !== '*' && actor.lenders.length === 0) {
    throw new ForbiddenError('Your account is not assigned to any lender; ask an admin');
  }
  if (!actor.permissions.has(permission)) {
    throw new ForbiddenError(`Your access does not include the ${permission} permission`);
  }
}

export async function authenticate(
  authorization: string | undefined,
  permission: GrantedPermission,
): Promise<Actor> {
  const claims = await verifyAccessToken(bearerToken(authorization));
  const actor = actorFromClaims(claims);
  authorize(actor, permission);
  return actor;
}
