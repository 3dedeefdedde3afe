/**
 * Access control end to end (architecture §4a) with the real local OpenID Connect provider: the
 * demo identities' tokens come from it as a user gets them (client credentials for machines, the
 * authorization-code + PKCE flow through its sign-in form for people), and every call goes
 * through the local gateway — its JWT authorizer, then each function's own check — to real
 * DynamoDB Local, s3rver and the Razorpay sandbox. Refusals of tokens only a test-held key can
 * forge are in access-forged.test.ts.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as worker } from '../../functions/bulk-worker/handler';
import { type AuthProvider, startAuthProvider } from '../../local/auth/provider';
import { clientCredentialsToken, passwordLogin, passwordLoginTokens } from '../../local/auth/tokens';
import { startGateway } from '../../local/gateway';
import { LocalQueue } from '../../local/queue';
import { stores } from '../../shared/wiring';
import {
  api as apiAt,
  expectForbidden,
  expectUnauthenticated,
  type Reply,
  withPayload,
} from '../support/api';
import { sandboxLinks, startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';
import { trustIssuer } from '../support/token-issuer';

const emiStore = () => stores().emis;
const linkStore = () => stores().links;

const KAVERI = 'Kaveri Finance';
const DECCAN = 'Deccan Credit';
const SAHYADRI = 'Sahyadri Microfin';
const PAGE = 'http://localhost:39998';

let app: TestApp;
let provider: AuthProvider;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let queue: LocalQueue;
const tokens: Record<string, string> = {};
let collectorIdToken: string;
const api = (
  method: string,
  path: string,
  auth: string | null,
  body?: unknown,
  headers?: Record<string, string>,
) => apiAt(gateway.url, method, path, auth, body, headers);
const as = (who: string) => tokens[who]!;

const login = (username: string) =>
  passwordLogin(provider.issuer, { username, password: `demo-${username}`, redirectUri: `${PAGE}/` });

beforeAll(async () => {
  app = await startTestApp('access');
  provider = await startAuthProvider({ port: 0, pageOrigin: PAGE });
  trustIssuer(provider, provider.clientIds);
  Object.assign(process.env, { BULK_QUEUE_URL: 'local://access-bulk', BULK_RATE_PER_SECOND: '50' });
  queue = new LocalQueue({
    name: 'access-bulk',
    handler: (event) => worker(event),
    batchSize: 1,
    concurrency: 2,
    maxReceiveCount: 5,
    visibilityTimeoutMs: 200,
  });
  gateway = await startGateway({ port: 0, host: '127.0.0.1' });
  const collector = await passwordLoginTokens(provider.issuer, {
    username: 'collector',
    password: 'demo-collector',
    redirectUri: `${PAGE}/`,
  });
  collectorIdToken = collector.idToken!;
  Object.assign(tokens, {
    admin: await login('admin'),
    collector: collector.accessToken,
    viewer: await login('viewer'),
    ops: await clientCredentialsToken(provider.issuer, 'demo-ops', 'demo-ops-secret'),
    warehouse: await clientCredentialsToken(provider.issuer, 'demo-warehouse', 'demo-warehouse-secret'),
  });
  const res = await api('POST', '/api/loans', as('ops'), {
    loans: [
      loan('K-1', KAVERI, [-5, -1, 3]),
      loan('K-2', KAVERI, [-3, -2]),
      loan('K-3', KAVERI, [-7]),
      loan('D-1', DECCAN, [-4, 2]),
      loan('D-2', DECCAN, [-6, -2]),
      loan('S-1', SAHYADRI, [-2, 1, 4]),
      loan('S-2', SAHYADRI, [-6]),
    ],
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  queue.close();
  await gateway.close();
  await provider.stop();
  await app.close();
});

describe('real tokens from the local provider, tampered: 401', () => {
  it("refuses a provider token with a tampered payload or signature, re-signed alg none or HS256 with the provider's public key, and the provider's ID token — writing nothing", async () => {
    const valid = as('collector');
    const payload = JSON.parse(Buffer.from(valid.split('.')[1]!, 'base64url').toString('utf8'));
    const header = JSON.parse(Buffer.from(valid.split('.')[0]!, 'base64url').toString('utf8'));
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const { keys } = (await (await fetch(provider.jwksUri)).json()) as { keys: JsonWebKey[] };
    const publicPem = createPublicKey({ key: keys[0]!, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const forged: Record<string, string> = {
      'a tampered payload': withPayload(valid, (p) => ({
        ...p,
        'cognito:groups': ['admin'],
        lenders: ['*'],
      })),
      'a tampered signature': `${valid.slice(0, -6)}${valid.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`,
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`,
      'HS256 with the public key': await new SignJWT(payload)
        .setProtectedHeader({ alg: 'HS256', kid: header.kid })
        .sign(Buffer.from(String(publicPem))),
      'the ID token': collectorIdToken,
    };
    for (const [label, token] of Object.entries(forged)) {
      const res = await api('POST', '/api/loans', token, { loans: [loan('BAD-P', KAVERI, [-1])] });
      expect(res.status, label).toBe(401);
      expectUnauthenticated(res);
    }
    expect(await emiStore().getEmi('BAD-P', 1, true)).toBeNull();
  });
});

describe('403 for a valid token that may not do this', () => {
  it('refuses a viewer a write, a collector the loans route, a loans-only client a read — writing nothing', async () => {
    expectForbidden(
      await api('POST', '/api/payment-links/generate', as('viewer'), { loanId: 'S-1', emiNumber: 1 }),
    );
    expect(Object.keys((await emiStore().getEmi('S-1', 1, true))!.links)).toEqual([]);
    expectForbidden(
      await api('POST', '/api/loans', as('collector'), { loans: [loan('BAD-C', KAVERI, [-1])] }),
    );
    expect(await emiStore().getEmi('BAD-C', 1, true)).toBeNull();
    expectForbidden(await api('GET', '/api/payment-links/pending-emis', as('warehouse')));
    expect((await sandboxLinks(app)).length).toBe(0);
  });

  it("answers 403 for a lender filter outside the caller's lenders", async () => {
    const res = await api(
      'GET',
      `/api/payment-links/pending-emis?lender=${encodeURIComponent(SAHYADRI)}`,
      as('collector'),
    );
    expectForbidden(res);
    expect(res.json.error.details).toEqual([
      { field: 'query.lender', message: 'is not one of your lenders' },
    ]);
    expectForbidden(
      await api('GET', `/api/payment-links/list?lender=${encodeURIComponent(KAVERI)}`, as('viewer')),
    );
    expectForbidden(
      await api('POST', '/api/payment-links/bulk-generate-export', as('collector'), { lender: SAHYADRI }),
    );
  });
});

describe('GET /api/me and the roles table as tested', () => {
  it('describes each caller', async () => {
    expect((await api('GET', '/api/me', as('collector'))).json).toEqual({
      sub: '6f1c2a40-0000-4000-8000-00000000c001',
      name: 'collector',
      role: 'collector',
      permissions: ['read', 'write'],
      lenders: [DECCAN, KAVERI],
    });
    expect((await api('GET', '/api/me', as('admin'))).json).toMatchObject({
      role: 'admin',
      permissions: ['read', 'write', 'loans', 'admin'],
      lenders: '*',
    });
    expect((await api('GET', '/api/me', as('viewer'))).json).toMatchObject({
      role: 'viewer',
      permissions: ['read'],
      lenders: [SAHYADRI],
    });
    expect((await api('GET', '/api/me', as('ops'))).json).toEqual({
      sub: 'demo-ops',
      name: 'demo-ops',
      role: null,
      permissions: ['read', 'write', 'loans'],
      lenders: '*',
    });
    // demo-warehouse may only load loans: not even who it is
    expectForbidden(await api('GET', '/api/me', as('warehouse')));
  });

  // who × permission → allowed (§4a): read = GET pending, write = refresh of an unknown link (404
  // once past the gate), loans = POST /api/loans of an existing loan unchanged
  const matrix: [string, { read: boolean; write: boolean; loans: boolean }][] = [
    ['viewer', { read: true, write: false, loans: false }],
    ['collector', { read: true, write: true, loans: false }],
    ['admin', { read: true, write: true, loans: true }],
    ['ops', { read: true, write: true, loans: true }],
    ['warehouse', { read: false, write: false, loans: true }],
  ];
  for (const [who, may] of matrix) {
    it(`${who}: read ${may.read ? 'yes' : 'no'}, write ${may.write ? 'yes' : 'no'}, loans ${may.loans ? 'yes' : 'no'}`, async () => {
      const read = await api('GET', '/api/payment-links/pending-emis?limit=1', as(who));
      expect(read.status).toBe(may.read ? 200 : 403);
      const write = await api('POST', '/api/payment-links/lnk_00000000000000000000/cancel', as(who));
      expect(write.status).toBe(may.write ? 404 : 403);
      const loans = await api('POST', '/api/loans', as(who), { loans: [loan('K-3', KAVERI, [-7])] });
      expect(loans.status).toBe(may.loans ? 200 : 403);
    });
  }
});

describe('lender scope in the use cases', () => {
  type Item = { loanId: string; lender: string; emiNumber: number; dueDate: string };
  const keyOf = (i: Item) => `${i.loanId}#${i.emiNumber}`;

  async function allPages(path: string, who: string, limit: number): Promise<Item[]> {
    const out: Item[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 50; n++) {
      const sep = path.includes('?') ? '&' : '?';
      const res = await api(
        'GET',
        `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        as(who),
      );
      expect(res.status).toBe(200);
      out.push(...res.json.items);
      cursor = res.json.nextCursor;
      if (!cursor) return out;
    }
    throw new Error('too many pages');
  }

  it("lists only the caller's lenders' pending EMIs, in the contract's order, paging across lenders", async () => {
    const everything = await allPages('/api/payment-links/pending-emis', 'admin', 200);
    const expected = everything.filter((i) => i.lender === KAVERI || i.lender === DECCAN).map(keyOf);
    expect(expected.length).toBeGreaterThan(5);
    const onePage = await allPages('/api/payment-links/pending-emis', 'collector', 200);
    expect(onePage.map(keyOf)).toEqual(expected);
    // small pages merge the two lenders' partitions page after page without loss or repeat
    const paged = await allPages('/api/payment-links/pending-emis', 'collector', 2);
    expect(paged.map(keyOf)).toEqual(expected);
    const overdue = await allPages('/api/payment-links/pending-emis?bucket=overdue', 'collector', 3);
    expect(overdue.map(keyOf)).toEqual(
      (await allPages('/api/payment-links/pending-emis?bucket=overdue', 'admin', 200))
        .filter((i) => i.lender === KAVERI || i.lender === DECCAN)
        .map(keyOf),
    );
    const viewer = await allPages('/api/payment-links/pending-emis', 'viewer', 2);
    expect(new Set(viewer.map((i) => i.lender))).toEqual(new Set([SAHYADRI]));
  });

  it("refuses a cursor from another caller's scope", async () => {
    const first = await api('GET', '/api/payment-links/pending-emis?limit=1', as('admin'));
    const reused = await api(
      'GET',
      `/api/payment-links/pending-emis?limit=1&cursor=${encodeURIComponent(first.json.nextCursor)}`,
      as('collector'),
    );
    expect(reused.status).toBe(400);
    expect(reused.json.error.details[0].field).toBe('query.cursor');
  });

  it("lists only the caller's lenders", async () => {
    expect((await api('GET', '/api/lenders', as('collector'))).json).toEqual({ lenders: [DECCAN, KAVERI] });
    expect((await api('GET', '/api/lenders', as('viewer'))).json).toEqual({ lenders: [SAHYADRI] });
  });

  it("records who made and who cancelled a link, and answers another lender's link exactly like an unknown one", async () => {
    const made = await api('POST', '/api/payment-links/generate', as('collector'), {
      loanId: 'K-1',
      emiNumber: 1,
    });
    expect(made.status).toBe(201);
    expect(made.json.createdBy).toEqual({ sub: '6f1c2a40-0000-4000-8000-00000000c001', name: 'collector' });
    const d = await api('POST', '/api/payment-links/generate', as('collector'), {
      loanId: 'D-1',
      emiNumber: 1,
    });
    expect(d.status).toBe(201);
    const s = await api('POST', '/api/payment-links/generate', as('admin'), { loanId: 'S-1', emiNumber: 1 });
    expect(s.status).toBe(201);
    expect(s.json.createdBy.name).toBe('admin');

    const cancelled = await api('POST', `/api/payment-links/${d.json.id}/cancel`, as('collector'));
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({
      status: 'cancelled',
      cancelReason: 'manual',
      cancelledBy: { name: 'collector' },
    });
    expect((await linkStore().getLink(d.json.id))?.cancelledBy?.name).toBe('collector');

    const unknown = 'lnk_zzzzzzzzzzzzzzzzzzzz';
    const same = (res: Reply, id: string) => ({
      status: res.status,
      body: JSON.stringify(res.json).replaceAll(id, '<id>'),
    });
    for (const action of ['cancel', 'refresh-status']) {
      const theirs = await api('POST', `/api/payment-links/${s.json.id}/${action}`, as('collector'));
      const nobody = await api('POST', `/api/payment-links/${unknown}/${action}`, as('collector'));
      expect(theirs.status).toBe(404);
      expect(same(theirs, s.json.id)).toEqual(same(nobody, unknown));
    }
    expect((await linkStore().getLink(s.json.id))?.status).toBe('created');

    // generating for another lender's EMI: the same 404 as an EMI that does not exist
    const theirEmi = await api('POST', '/api/payment-links/generate', as('collector'), {
      loanId: 'S-1',
      emiNumber: 2,
    });
    const noEmi = await api('POST', '/api/payment-links/generate', as('collector'), {
      loanId: 'S-9',
      emiNumber: 2,
    });
    expect(theirEmi.status).toBe(404);
    expect(JSON.stringify(theirEmi.json).replace('S-1', 'S-9')).toBe(JSON.stringify(noEmi.json));
    expect(Object.keys((await emiStore().getEmi('S-1', 2, true))!.links)).toEqual([]);
  });

  it("lists only the caller's lenders' links, whatever the filter, merged newest first", async () => {
    for (const [loanId, n] of [
      ['K-2', 1],
      ['K-2', 2],
      ['D-2', 1],
      ['S-2', 1],
    ] as const) {
      const res = await api('POST', '/api/payment-links/generate', as('admin'), { loanId, emiNumber: n });
      expect(res.status).toBe(201);
    }
    const all = (await allPages('/api/payment-links/list', 'admin', 200)) as unknown as {
      id: string;
      lender: string;
    }[];
    const mine = all.filter((l) => l.lender !== SAHYADRI).map((l) => l.id);
    const collector = (await allPages('/api/payment-links/list', 'collector', 2)) as unknown as {
      id: string;
    }[];
    expect(collector.map((l) => l.id)).toEqual(mine);
    const created = (await allPages('/api/payment-links/list?status=created', 'collector', 1)) as unknown as {
      status: string;
      lender: string;
    }[];
    expect(created.length).toBeGreaterThan(0);
    expect(created.every((l) => l.status === 'created' && l.lender !== SAHYADRI)).toBe(true);
    expect((await api('GET', '/api/payment-links/list?loanId=S-2', as('collector'))).json.items).toEqual([]);
    expect((await api('GET', '/api/payment-links/list?loanId=S-2', as('viewer'))).json.items).toHaveLength(1);
    const viewer = (await allPages('/api/payment-links/list', 'viewer', 200)) as unknown as {
      lender: string;
    }[];
    expect(viewer.length).toBeGreaterThan(0);
    expect(viewer.every((l) => l.lender === SAHYADRI)).toBe(true);
  });

  it('bulk: a listed EMI of another lender is a row "EMI not found" without its data; the job and its CSV only for those who may see it', async () => {
    const start = await api('POST', '/api/payment-links/bulk-generate-export', as('collector'), {
      emis: [
        { loanId: 'K-3', emiNumber: 1 },
        { loanId: 'S-1', emiNumber: 3 },
      ],
    });
    expect([200, 202]).toContain(start.status);
    let job = start.json;
    for (let i = 0; i < 100 && job.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await api('GET', `/api/payment-links/bulk-jobs/${job.jobId}`, as('collector'))).json;
    }
    expect(job).toMatchObject({ status: 'completed', total: 2, created: 1, failed: 1 });
    expect(job.createdBy).toEqual({ sub: expect.any(String), name: 'collector' });
    const csv = await (await fetch(job.csvUrl)).text();
    const sRow = csv.split('\r\n').find((r) => r.startsWith('S-1,'));
    expect(sRow).toBeDefined();
    expect(sRow).toContain('EMI not found');
    expect(sRow).not.toContain('Client S-1');
    expect(sRow).not.toContain(SAHYADRI);
    expect(csv).toContain('Client K-3');
    expect(Object.keys((await emiStore().getEmi('S-1', 3, true))!.links)).toEqual([]);

    const viewerSees = await api('GET', `/api/payment-links/bulk-jobs/${job.jobId}`, as('viewer'));
    const viewerUnknown = await api(
      'GET',
      '/api/payment-links/bulk-jobs/job_zzzzzzzzzzzzzzzzzzzz',
      as('viewer'),
    );
    expect(viewerSees.status).toBe(404);
    expect(JSON.stringify(viewerSees.json).replace(job.jobId, '<id>')).toBe(
      JSON.stringify(viewerUnknown.json).replace('job_zzzzzzzzzzzzzzzzzzzz', '<id>'),
    );
    const admin = await api('GET', `/api/payment-links/bulk-jobs/${job.jobId}`, as('admin'));
    expect(admin.status).toBe(200);
    expect(admin.json.csvUrl).toEqual(expect.any(String));
  });
});
