/**
 * Who is calling, derived from verified access-token claims (architecture §4a):
 * - a person (the token has a `username`): the role is the highest of `viewer` < `collector` <
 *   `admin` among `cognito:groups`, the lenders come from the `lenders` claim (`["*"]` = all);
 *   a person's `scope` is ignored, so a user token can never borrow a machine's grants;
 * - a machine client (client credentials, no `username`): permissions come from its `scope`
 *   (`emi-links/read`, `emi-links/write`, `emi-links/loans.write`) and it sees all lenders.
 * A caller with no permission at all, or a person with no known role or no lenders, is refused
 * (403) by the gate, not here: deriving the actor never throws for a verified token.
 */
import type { Permission } from '../../lib/routes';
import type { ActorRef } from '../domain/model';
import type { AccessClaims } from './verifier';

export type GrantedPermission = Exclude<Permission, 'public'>;
export type Role = 'viewer' | 'collector' | 'admin';

export interface Actor {
  sub: string;
  /** shown as who did something; never logged beside a borrower's data */
  name: string;
  kind: 'person' | 'machine';
  role?: Role;
  permissions: ReadonlySet<GrantedPermission>;
  /** the lenders this actor may see and change; `'*'` = all */
  lenders: readonly string[] | '*';
}

/** §4a's table: what each role may do. */
export const ROLE_PERMISSIONS: Record<Role, readonly GrantedPermission[]> = {
  viewer: ['read'],
  collector: ['read', 'write'],
  admin: ['read', 'write', 'loans', 'admin'],
};

/** Highest first: a person in several groups gets the strongest known role. */
const ROLES_BY_RANK: readonly Role[] = ['admin', 'collector', 'viewer'];

/** §4a's table: what each machine scope grants. */
export const SCOPE_PERMISSIONS: Record<string, GrantedPermission> = {
  'emi-links/read': 'read',
  'emi-links/write': 'write',
  'emi-links/loans.write': 'loans',
};

const PERMISSION_ORDER: readonly GrantedPermission[] = ['read', 'write', 'loans', 'admin'];

/** A claim that must be an array of names (§4a); anything else counts as none: fail closed. */
function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function lendersOf(claim: unknown): readonly string[] | '*' {
  const names = [...new Set(strings(claim).map((s) => s.trim()))].filter(Boolean);
  if (names.includes('*')) return '*';
  return names.sort((a, b) => a.localeCompare(b));
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function actorFromClaims(claims: AccessClaims): Actor {
  const username = text(claims.username);
  if (username !== undefined) {
    const groups = strings(claims['cognito:groups']);
    const role = ROLES_BY_RANK.find((r) => groups.includes(r));
    return {
      sub: claims.sub,
      name: username,
      kind: 'person',
      role,
      permissions: new Set(role ? ROLE_PERMISSIONS[role] : []),
      lenders: lendersOf(claims.lenders),
    };
  }
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  const permissions = new Set<GrantedPermission>();
  for (const s of scopes) {
    const p = SCOPE_PERMISSIONS[s];
    if (p) permissions.add(p);
  }
  return {
    sub: claims.sub,
    name: text(claims.client_id) ?? claims.sub,
    kind: 'machine',
    permissions,
    lenders: '*',
  };
}

/** Permissions in a stable order, for `GET /api/me`. */
export function permissionList(actor: Actor): GrantedPermission[] {
  return PERMISSION_ORDER.filter((p) => actor.permissions.has(p));
}

export type { ActorRef };

/** `{ sub, name }`: how an actor is recorded on what it changed. */
export function actorRef(actor: Actor): ActorRef {
  return { sub: actor.sub, name: actor.name };
}
