import { describe, expect, it } from 'vitest';
import { type Actor, actorFromClaims, permissionList } from '../../shared/auth/actor';
import { authorize, bearerToken } from '../../shared/auth/gate';
import { lendersToRead, mayAccessLender, mayAccessScope } from '../../shared/auth/scope';
import type { AccessClaims } from '../../shared/auth/verifier';
import { ForbiddenError, UnauthenticatedError } from '../../shared/domain/errors';

const claims = (extra: Record<string, unknown>): AccessClaims =>
  ({
    sub: 's-1',
    client_id: 'emi-links-web',
    token_use: 'access',
    iss: 'x',
    exp: 1,
    ...extra,
  }) as AccessClaims;

describe('actorFromClaims', () => {
  it('makes a person from a username: the strongest known group is the role, scopes are ignored', () => {
    const a = actorFromClaims(
      claims({
        username: 'asha',
        'cognito:groups': ['auditor', 'viewer', 'collector'],
        lenders: ['Kaveri Finance', 'Deccan Credit'],
        scope: 'emi-links/loans.write',
      }),
    );
    expect(a).toMatchObject({ kind: 'person', name: 'asha', role: 'collector', sub: 's-1' });
    expect(permissionList(a)).toEqual(['read', 'write']);
    expect(a.lenders).toEqual(['Deccan Credit', 'Kaveri Finance']);
  });

  it('reads ["*"] as all lenders, and anything but an array of names as none', () => {
    const person = (lenders: unknown) =>
      actorFromClaims(claims({ username: 'a', 'cognito:groups': ['admin'], lenders }));
    expect(person(['*']).lenders).toBe('*');
    expect(person(['B', ' A ', 'B', '']).lenders).toEqual(['A', 'B']);
    expect(person('*').lenders).toEqual([]);
    expect(person('A,B').lenders).toEqual([]);
    expect(person({ 0: 'A' }).lenders).toEqual([]);
  });

  it('gives a person without a known group no role and no permission, and one without lenders an empty list', () => {
    const a = actorFromClaims(claims({ username: 'x', 'cognito:groups': ['auditor'] }));
    expect(a.role).toBeUndefined();
    expect(permissionList(a)).toEqual([]);
    expect(a.lenders).toEqual([]);
  });

  it('makes a machine from a token without username: its scopes are its permissions, all lenders', () => {
    const a = actorFromClaims(
      claims({
        sub: 'demo-warehouse',
        client_id: 'demo-warehouse',
        scope: 'emi-links/loans.write openid other',
      }),
    );
    expect(a).toMatchObject({ kind: 'machine', name: 'demo-warehouse', lenders: '*' });
    expect(permissionList(a)).toEqual(['loans']);
    // groups on a machine token grant nothing
    expect(permissionList(actorFromClaims(claims({ 'cognito:groups': ['admin'] })))).toEqual([]);
  });
});

describe('bearerToken and authorize', () => {
  it('tells a missing header from a malformed one', () => {
    expect(() => bearerToken(undefined)).toThrow(UnauthenticatedError);
    expect(() => bearerToken('')).toThrow(expect.objectContaining({ tokenPresented: false }));
    expect(() => bearerToken('Basic abc')).toThrow(expect.objectContaining({ tokenPresented: true }));
    expect(() => bearerToken('Bearer a b')).toThrow(UnauthenticatedError);
    expect(() => bearerToken(`Bearer ${'x'.repeat(9000)}`)).toThrow(UnauthenticatedError);
    expect(bearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
  });

  const person = (over: Partial<Actor>): Actor => ({
    sub: 's',
    name: 'n',
    kind: 'person',
    role: 'collector',
    permissions: new Set(['read', 'write']),
    lenders: ['A'],
    ...over,
  });

  it('refuses (403) no role, no lenders, and a missing permission', () => {
    expect(() => authorize(person({ role: undefined, permissions: new Set() }), 'read')).toThrow(
      ForbiddenError,
    );
    expect(() => authorize(person({ lenders: [] }), 'read')).toThrow(ForbiddenError);
    expect(() => authorize(person({}), 'loans')).toThrow(ForbiddenError);
    expect(() => authorize(person({}), 'write')).not.toThrow();
  });
});

describe('lender scope', () => {
  it("reads the requested lender only when it is the caller's, else all of theirs", () => {
    expect(lendersToRead({ lenders: ['A', 'B'] }, undefined)).toEqual(['A', 'B']);
    expect(lendersToRead({ lenders: ['A', 'B'] }, 'B')).toEqual(['B']);
    expect(lendersToRead({ lenders: '*' }, 'Z')).toEqual(['Z']);
    expect(() => lendersToRead({ lenders: ['A'] }, 'Z')).toThrow(ForbiddenError);
  });

  it('shows a job only to callers who may see every lender it may touch', () => {
    expect(mayAccessScope({ lenders: ['A', 'B'] }, ['A'])).toBe(true);
    expect(mayAccessScope({ lenders: ['A'] }, ['A', 'B'])).toBe(false);
    expect(mayAccessScope({ lenders: ['A'] }, '*')).toBe(false);
    expect(mayAccessScope({ lenders: '*' }, '*')).toBe(true);
    expect(mayAccessLender({ lenders: ['A'] }, 'a')).toBe(false);
  });
});
