/**
 * Access control end to end (architecture §4a), through the local gateway — its JWT authorizer
 * and then each function's own check — with real signed tokens: the test's issuer signs them
 * with an RSA key it generates and serves as a JWKS over HTTP; the forged ones are made from it.
 * Real DynamoDB Local, s3rver and the Razorpay sandbox behind.
 */
import { createPublicKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetWorkerDeps, main as worker } from '../../functions/bulk-worker/handler';
import { handler as pendingHandler } from '../../functions/pending-emis/handler';
import { startGateway } from '../../local/gateway';
import { LocalQueue } from '../../local/queue';
import { emis as emiStore, links as linkStore } from '../../shared/wiring';
import { sandboxLinks, startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';
import { call } from '../support/http';
import { startTestIssuer, type TestIssuer } from '../support/token-issuer';

const KAVERI = 'Kaveri Finance';
const DECCAN = 'Deccan Credit';
const SAHYADRI = 'Sahyadri Microfin';

let app: TestApp;
let issuer: TestIssuer;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let queue: LocalQueue;
const tokens: Record<string, string> = {};

interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: replies are read loosely by design
  json: any;
}

async function api(
  method: string,
  path: string,
  auth: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const h: Record<string, string> = { ...headers };
  if (auth !== null) h.authorization = auth.includes(' ') || auth === 'Bearer' ? auth : `Bearer ${auth}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(`${gateway.url.replace('localhost', '127.0.0.1')}${path}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

const as = (who: string) => tokens[who]!;

beforeAll(async () => {
  app = await startTestApp('access');
  issuer = app.names.issuer;
  Object.assign(process.env, {
    BULK_QUEUE_URL: 'local://access-bulk',
    BULK_RATE_PER_SECOND: '50',
    RAZORPAY_WEBHOOK_SECRET: 'access-test-webhook-secret',
    WEBHOOK_QUEUE_URL: 'local://access-webhooks',
  });
  resetWorkerDeps();
  queue = new LocalQueue({
    name: 'access-bulk',
    handler: (event) => worker(event),
    batchSize: 1,
    concurrency: 2,
    maxReceiveCount: 5,
    visibilityTimeoutMs: 200,
  });
  gateway = await startGateway({ port: 0, host: '127.0.0.1' });
  Object.assign(tokens, {
    admin: await issuer.person('admin', ['*']),
    collector: await issuer.person('collector', [KAVERI, DECCAN]),
    viewer: await issuer.person('viewer', [SAHYADRI]),
    scopedAdmin: await issuer.person('admin', [KAVERI]),
    ops: await issuer.machine('emi-links/read emi-links/write emi-links/loans.write'),
    warehouse: await issuer.machine('emi-links/loans.write', 'demo-warehouse'),
    reader: await issuer.machine('emi-links/read'),
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
  await app.close();
});

function expectUnauthenticated(res: Reply) {
  expect(res.status).toBe(401);
  expect(res.json.error.code).toBe('UNAUTHENTICATED');
  expect(Object.keys(res.json)).toEqual(['error']);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
}

function expectForbidden(res: Reply) {
  expect(res.status).toBe(403);
  expect(res.json.error.code).toBe('FORBIDDEN');
}

/** Replaces the token's payload (keeping its header and signature). */
function withPayload(token: string, change: (p: Record<string, unknown>) => Record<string, unknown>) {
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
  return `${h}.${Buffer.from(JSON.stringify(change(payload))).toString('base64url')}.${s}`;
}

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
  it('refuses a viewer a write, a collector the loans route, a read-only client a write, a loans-only client a read — writing nothing', async () => {
    expectForbidden(
      await api('POST', '/api/payment-links/generate', as('viewer'), { loanId: 'S-1', emiNumber: 1 }),
    );
    expect(Object.keys((await emiStore().getEmi('S-1', 1, true))!.links)).toEqual([]);
    expectForbidden(
      await api('POST', '/api/loans', as('collector'), { loans: [loan('BAD-C', KAVERI, [-1])] }),
    );
    expect(await emiStore().getEmi('BAD-C', 1, true)).toBeNull();
    expectForbidden(
      await api('POST', '/api/payment-links/generate', as('reader'), { loanId: 'K-1', emiNumber: 1 }),
    );
    expectForbidden(await api('GET', '/api/payment-links/pending-emis', as('warehouse')));
    expect((await sandboxLinks(app)).length).toBe(0);
  });

  it('refuses a person without a known role, and one with no lenders', async () => {
    expectForbidden(await api('GET', '/api/me', await issuer.person('auditor', [KAVERI])));
    expectForbidden(await api('GET', '/api/me', await issuer.person(null, [KAVERI])));
    expectForbidden(await api('GET', '/api/me', await issuer.person('collector', [])));
  });

  it('ignores scopes on a person: a viewer token carrying emi-links/write still cannot write', async () => {
    const token = await issuer.person('viewer', [SAHYADRI], {
      scope: 'emi-links/write emi-links/loans.write',
    });
    expectForbidden(await api('POST', '/api/payment-links/generate', token, { loanId: 'S-1', emiNumber: 1 }));
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
      sub: expect.any(String),
      name: 'collector-user',
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
  });

  // who × permission → allowed (§4a): read = GET pending, write = refresh of an unknown link (404
  // once past the gate), loans = POST /api/loans of an existing loan unchanged
  const matrix: [string, { read: boolean; write: boolean; loans: boolean }][] = [
    ['viewer', { read: true, write: false, loans: false }],
    ['collector', { read: true, write: true, loans: false }],
    ['admin', { read: true, write: true, loans: true }],
    ['ops', { read: true, write: true, loans: true }],
    ['reader', { read: true, write: false, loans: false }],
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
    expect(made.json.createdBy).toEqual({ sub: expect.any(String), name: 'collector-user' });
    const d = await api('POST', '/api/payment-links/generate', as('collector'), {
      loanId: 'D-1',
      emiNumber: 1,
    });
    expect(d.status).toBe(201);
    const s = await api('POST', '/api/payment-links/generate', as('admin'), { loanId: 'S-1', emiNumber: 1 });
    expect(s.status).toBe(201);
    expect(s.json.createdBy.name).toBe('admin-user');

    const cancelled = await api('POST', `/api/payment-links/${d.json.id}/cancel`, as('collector'));
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({
      status: 'cancelled',
      cancelReason: 'manual',
      cancelledBy: { name: 'collector-user' },
    });
    expect((await linkStore().getLink(d.json.id))?.cancelledBy?.name).toBe('collector-user');

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
    expect(job.createdBy).toEqual({ sub: expect.any(String), name: 'collector-user' });
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
    // a Kaveri-only admin may not see a job that could hold Deccan rows
    expect((await api('GET', `/api/payment-links/bulk-jobs/${job.jobId}`, as('scopedAdmin'))).status).toBe(
      404,
    );
    const admin = await api('GET', `/api/payment-links/bulk-jobs/${job.jobId}`, as('admin'));
    expect(admin.status).toBe(200);
    expect(admin.json.csvUrl).toEqual(expect.any(String));
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
