/**
 * Access control's refusals (architecture §4a) through the local gateway — its JWT authorizer
 * and then each function's own check — with tokens only a key the test holds can make: the test
 * generates an RSA key, serves it as the trusted issuer's JWKS over HTTP and signs otherwise
 * valid tokens with one defect each (expired, another client, no `exp`, …), plus identities the
 * local provider does not have (no role, no lenders, a read-only client, an admin of one lender).
 * The demo identities' happy paths run against the real provider in access.test.ts.
 */
import { createPublicKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as pendingHandler } from '../../functions/pending-emis/handler';
import { startGateway } from '../../local/gateway';
import { stores } from '../../shared/wiring';
import { api as apiAt, expectForbidden, expectUnauthenticated, withPayload } from '../support/api';
import { sandboxLinks, startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';
import { call } from '../support/http';
import { startTestIssuer, type TestIssuer } from '../support/token-issuer';

const emiStore = () => stores().emis;

const KAVERI = 'Kaveri Finance';
const DECCAN = 'Deccan Credit';
const SAHYADRI = 'Sahyadri Microfin';

let app: TestApp;
let issuer: TestIssuer;
let gateway: Awaited<ReturnType<typeof startGateway>>;
const tokens: Record<string, string> = {};
const api = (
  method: string,
  path: string,
  auth: string | null,
  body?: unknown,
  headers?: Record<string, string>,
) => apiAt(gateway.url, method, path, auth, body, headers);
const as = (who: string) => tokens[who]!;

beforeAll(async () => {
  app = await startTestApp('access-forged');
  issuer = app.names.issuer;
  Object.assign(process.env, {
    RAZORPAY_WEBHOOK_SECRET: 'access-test-webhook-secret',
    WEBHOOK_QUEUE_URL: 'local://access-forged-webhooks',
  });
  gateway = await startGateway({ port: 0, host: '127.0.0.1' });
  Object.assign(tokens, {
    viewer: await issuer.person('viewer', [SAHYADRI]),
    scopedAdmin: await issuer.person('admin', [KAVERI]),
    ops: await issuer.machine('emi-links/read emi-links/write emi-links/loans.write'),
    reader: await issuer.machine('emi-links/read'),
  });
  const res = await api('POST', '/api/loans', as('ops'), {
    loans: [
      loan('K-1', KAVERI, [-5, -1, 3]),
      loan('D-1', DECCAN, [-4, 2]),
      loan('S-1', SAHYADRI, [-2, 1]),
      loan('S-2', SAHYADRI, [-6]),
    ],
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await gateway.close();
  await app.close();
});

async function forgedTokens(): Promise<Record<string, string>> {
  const valid = await issuer.mint();
  const other = await startTestIssuer();
  const payload = JSON.parse(Buffer.from(valid.split('.')[1]!, 'base64url').toString('utf8'));
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const publicPem = createPublicKey({ key: issuer.publicJwk, format: 'jwk' }).export({
    type: 'spki',
    format: 'pem',
  });
  const forged = {
    expired: await issuer.mint({}, { expiresInSeconds: -60 }),
    'another issuer': await other.mint(),
    'another issuer named, signed by ours': await issuer.mint({ iss: other.issuer }),
    'another client': await issuer.mint({ client_id: 'someone-else', sub: 'someone-else' }),
    'a tampered payload': withPayload(valid, (p) => ({ ...p, sub: 'admin', lenders: ['*'] })),
    'a tampered signature': `${valid.slice(0, -6)}${valid.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`,
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`,
    'HS256 signed with the public key': await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: issuer.publicJwk.kid })
      .sign(Buffer.from(String(publicPem))),
    'an ID token': await issuer.mint({ token_use: 'id', aud: 'emi-links-web', client_id: undefined }),
    'an unknown key id': await issuer.mint({}, { kid: 'not-in-the-jwks' }),
    'no expiry': await issuer.mint({}, { expiresInSeconds: null }),
  };
  await other.close();
  return forged;
}

describe('the gate: 401 for anything but a valid access token, nothing read or written', () => {
  const garbled = {
    'no Authorization header': null,
    'an empty Bearer': 'Bearer',
    'Basic credentials': 'Basic ZGVtby1vcHM6ZGVtby1vcHMtc2VjcmV0',
    'not a JWT': 'Bearer not-a-jwt',
    'three dots of nothing': 'Bearer a.b.c',
    'two tokens': 'Bearer a.b.c d.e.f',
  } as const;

  for (const [label, header] of Object.entries(garbled)) {
    it(`answers 401 with the contract body for ${label}`, async () => {
      expectUnauthenticated(await api('GET', '/api/payment-links/pending-emis', header));
      expectUnauthenticated(
        await api('POST', '/api/loans', header, { loans: [loan('BAD-G', KAVERI, [-1])] }),
      );
      expect(await emiStore().getEmi('BAD-G', 1, true)).toBeNull();
    });
  }

  it('answers 401 for expired, foreign, tampered, alg-none, HS256-with-public-key and ID tokens — at the gateway or in the function — and writes nothing', async () => {
    const forged = await forgedTokens();
    for (const [label, token] of Object.entries(forged)) {
      const read = await api('GET', '/api/payment-links/pending-emis', token);
      expect(read.status, label).toBe(401);
      expectUnauthenticated(read);
      const write = await api('POST', '/api/loans', token, { loans: [loan('BAD-F', KAVERI, [-1])] });
      expect(write.status, label).toBe(401);
      expectUnauthenticated(write);
      // the function's own check, as if a request reached it past the gateway
      const direct = await call(pendingHandler, { token });
      expect(direct.status, label).toBe(401);
      expect(direct.json.error.code).toBe('UNAUTHENTICATED');
      expect(direct.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect(await emiStore().getEmi('BAD-F', 1, true)).toBeNull();
  });

  it('lets an ID token of a configured client past the gateway, as API Gateway would, and the function refuses it', async () => {
    const idToken = await issuer.mint({ token_use: 'id', aud: 'emi-links-web', client_id: undefined });
    const direct = await call(pendingHandler, { token: idToken });
    expect(direct.status).toBe(401);
    expectUnauthenticated(await api('GET', '/api/me', idToken));
  });

  it('leaves the webhook route to its signature: no token asked, a bad signature is its own 401', async () => {
    const res = await api(
      'POST',
      '/webhooks/razorpay',
      null,
      { event: 'payment.captured' },
      {
        'x-razorpay-signature': 'bad',
        'x-razorpay-event-id': 'evt_access_1',
      },
    );
    expect(res.status).toBe(401);
    expect(res.json.error.code).not.toBe('UNAUTHENTICATED');
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('serves the page without a token', async () => {
    const res = await fetch(`${gateway.url.replace('localhost', '127.0.0.1')}/`);
    expect(res.status).not.toBe(401);
  });
});

describe('403 for a valid token that may not do this', () => {
  it('refuses a read-only client a write, writing nothing', async () => {
    expectForbidden(
      await api('POST', '/api/payment-links/generate', as('reader'), { loanId: 'K-1', emiNumber: 1 }),
    );
    expect(Object.keys((await emiStore().getEmi('K-1', 1, true))!.links)).toEqual([]);
    expect((await sandboxLinks(app)).length).toBe(0);
    expect((await api('GET', '/api/payment-links/pending-emis', as('reader'))).status).toBe(200);
  });

  it('refuses a person without a known role, and one with no lenders', async () => {
    expectForbidden(await api('GET', '/api/me', await issuer.person('auditor', [KAVERI])));
    expectForbidden(await api('GET', '/api/me', await issuer.person(null, [KAVERI])));
    expectForbidden(await api('GET', '/api/me', await issuer.person('collector', [])));
    // a person in several groups gets the strongest known one
    const both = await issuer.person('viewer', [KAVERI], {
      'cognito:groups': ['viewer', 'collector', 'auditor'],
    });
    expect((await api('GET', '/api/me', both)).json.role).toBe('collector');
  });

  it('ignores scopes on a person: a viewer token carrying emi-links/write still cannot write', async () => {
    const token = await issuer.person('viewer', [SAHYADRI], {
      scope: 'emi-links/write emi-links/loans.write',
    });
    expectForbidden(await api('POST', '/api/payment-links/generate', token, { loanId: 'S-1', emiNumber: 1 }));
    expectForbidden(await api('POST', '/api/loans', token, { loans: [loan('S-1', SAHYADRI, [-2, 1])] }));
  });

  it('loans: an admin limited to some lenders may upsert only theirs, and the actor is recorded', async () => {
    const outside = await api('POST', '/api/loans', as('scopedAdmin'), {
      loans: [loan('K-NEW', KAVERI, [-1]), loan('S-NEW', SAHYADRI, [-1])],
    });
    expectForbidden(outside);
    expect(outside.json.error.details).toEqual([
      { field: 'loans.1.lender', message: 'is not one of your lenders' },
    ]);
    expect(await emiStore().getEmi('K-NEW', 1, true)).toBeNull();
    // moving another lender's loan into one's own is refused too
    const moved = await api('POST', '/api/loans', as('scopedAdmin'), { loans: [loan('S-2', KAVERI, [-6])] });
    expectForbidden(moved);
    expect((await emiStore().getEmi('S-2', 1, true))!.lender).toBe(SAHYADRI);
    const ok = await api('POST', '/api/loans', as('scopedAdmin'), { loans: [loan('K-NEW', KAVERI, [-1])] });
    expect(ok.status).toBe(200);
    const { loan: stored } = await emiStore().getLoanItems('K-NEW');
    expect(stored?.updatedBy).toEqual({ sub: expect.any(String), name: 'admin-user' });
  });
});
