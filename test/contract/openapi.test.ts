/**
 * The OpenAPI description against the code and against real answers:
 * - docs/openapi.json is what `npm run openapi` writes now (not stale);
 * - every route of the route table is described with its method and path, nothing else is
 *   (no worker, no /_local or /_sandbox route), and no secret appears in it;
 * - non-public routes declare the bearer scheme and their 401/403;
 * - real responses from the whole local stack (local/system.ts: gateway, DynamoDB Local, s3rver,
 *   the sandbox, demo data) validate against the described schema of their status, with ajv
 *   (JSON Schema 2020-12, OpenAPI 3.1's dialect), and each status they answered is described.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE, renderOpenApi } from '../../lib/openapi';
import { routeKeyOf, routes } from '../../lib/routes';
import { DEMO_CLIENTS, DEMO_USERS } from '../../local/auth/identities';
import { clientCredentialsToken, passwordLogin } from '../../local/auth/tokens';
import { freePort } from '../../local/aws-local';
import { EXIMPE_DECCAN_WEBHOOK_SECRET } from '../../local/eximpe-sandbox/server';
import {
  SANDBOX_KEY_SECRET,
  SANDBOX_SAHYADRI_KEY_ID,
  SANDBOX_SAHYADRI_KEY_SECRET,
  SANDBOX_WEBHOOK_SECRET,
} from '../../local/sandbox/defaults';
import { type System, startSystem } from '../../local/system';

type Json = Record<string, unknown>;
interface Operation {
  security?: Json[];
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}
const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
};

describe('the OpenAPI description', () => {
  it('is what npm run openapi writes from the current schemas (run it and commit docs/openapi.json)', () => {
    // compared as data: the file's formatting is not the point
    expect(JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'))).toEqual(JSON.parse(renderOpenApi()));
    expect(doc.openapi).toBe('3.1.0');
  });

  it('describes every route of the route table, with its method, and nothing else', () => {
    const described = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const table = routes.filter((r) => r.path !== '$default').map(routeKeyOf);
    expect(described.sort()).toEqual([...table].sort());
    expect(table).toContain('GET /api/health');
    expect(table).toContain('GET /api/openapi.json');
    for (const path of Object.keys(doc.paths)) expect(path).not.toMatch(/^\/_|_sandbox|_local/);
  });

  it('holds no secret and names no internal route or worker', () => {
    const text = readFileSync(OPENAPI_FILE, 'utf8');
    for (const secret of [
      SANDBOX_KEY_SECRET,
      SANDBOX_WEBHOOK_SECRET,
      'S3RVER',
      'demo-ops-secret',
      'rzp_test_',
    ]) {
      expect(text).not.toContain(secret);
    }
    for (const internal of ['/_sandbox', '/_local', 'webhook-worker', 'bulk-worker', 'reconcile', 'dlq']) {
      expect(text).not.toContain(internal);
    }
  });

  it('asks for a bearer token, with 401 and 403, exactly on the routes that are not public', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    for (const route of routes.filter((r) => r.path !== '$default')) {
      const op = doc.paths[route.path]![route.method.toLowerCase()]!;
      if (route.permission === 'public') {
        expect(op.security, route.id).toEqual([]);
        expect(op.responses['403'], route.id).toBeUndefined();
        // the webhook's 401 is its signature check, not a token
        if (route.id !== 'webhook' && route.id !== 'webhook-account' && route.id !== 'webhook-eximpe')
          expect(op.responses['401'], route.id).toBeUndefined();
      } else {
        expect(op.security, route.id).toEqual([{ bearer: [] }]);
        expect(Object.keys(op.responses), route.id).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
  });

  it('compiles: every response and request schema is valid JSON Schema 2020-12', () => {
    const ajv = newAjv();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, res] of Object.entries(op.responses)) {
          const schema = res.content?.['application/json']?.schema;
          if (schema)
            expect(() => ajv.compile(rewriteRefs(schema)), `${method} ${path} ${status}`).not.toThrow();
        }
      }
    }
  });
});

/** Component refs become ajv schema ids, so each response schema compiles on its own. */
function rewriteRefs(schema: unknown): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"urn:schema:')) as Json;
}

function newAjv() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  // OpenAPI's own annotation keyword
  ajv.addKeyword('example');
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    ajv.addSchema(rewriteRefs(schema), `urn:schema:${name}`);
  }
  return ajv;
}

describe('real answers from the local stack match the description', () => {
  let system: System;
  /** a real token from the local OpenID Connect provider: the demo-ops machine client */
  let token: string;
  const ajv = newAjv();
  const seen: string[] = [];

  beforeAll(async () => {
    system = await startSystem({
      port: await freePort(),
      sandboxPort: await freePort(),
      dynamodbPort: await freePort(),
      s3Port: await freePort(),
      authPort: await freePort(),
      eximpeSandboxPort: await freePort(),
      demoData: true,
      reconcileEveryMs: 0,
    });
    const ops = DEMO_CLIENTS.find((c) => c.clientId === 'demo-ops')!;
    token = await clientCredentialsToken(system.auth.issuer, ops.clientId, ops.secret!);
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  });

  /** Calls the API and checks the answer against the operation the route table maps it to. */
  async function call(
    routeId: string,
    method: string,
    path: string,
    init: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: Json }> {
    const route = routes.find((r) => r.id === routeId)!;
    const headers: Record<string, string> = { ...init.headers };
    if (route.permission !== 'public') headers.authorization ??= `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${system.url}${path}`, {
      method,
      headers,
      body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const text = await res.text();
    const body = (type === 'application/json' ? JSON.parse(text) : {}) as Json;
    const op = doc.paths[route.path]![route.method.toLowerCase()]!;
    const described = op.responses[String(res.status)];
    expect(described, `${routeId} answered ${res.status}, which the description does not list`).toBeDefined();
    // an image or a page: its media type is the one described (a 304 has none)
    if (type !== 'application/json' && res.status !== 304) {
      expect(Object.keys(described!.content ?? {}), `${routeId} ${res.status} answered ${type}`).toContain(
        type,
      );
    }
    const schema = described!.content?.['application/json']?.schema;
    if (schema && Object.keys(schema).length > 0) {
      const validate = ajv.compile(rewriteRefs(schema));
      const ok = validate(body);
      expect(
        ok,
        `${routeId} ${res.status}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(body).slice(0, 400)}`,
      ).toBe(true);
    }
    seen.push(`${routeId} ${res.status}`);
    return { status: res.status, body };
  }

  it('operations: health and the description itself (which is docs/openapi.json)', async () => {
    expect((await call('health', 'GET', '/api/health')).body).toEqual({ status: 'ok' });
    expect((await call('openapi', 'GET', '/api/openapi.json')).body).toEqual(doc);
  });

  it('EMIs: pending pages, lenders, loans upsert and their errors', async () => {
    const page = await call(
      'pending-emis',
      'GET',
      // a full page of 200: the demo book is mostly current, so overdue alone may hold fewer
      '/api/payment-links/pending-emis?withinDays=60&limit=200',
    );
    expect(page.status).toBe(200);
    expect((page.body.items as unknown[]).length).toBe(200);
    await call('pending-emis', 'GET', '/api/payment-links/pending-emis?limit=500');
    await call('pending-emis', 'GET', '/api/payment-links/pending-emis?colour=red');
    expect((await call('lenders', 'GET', '/api/lenders')).body.lenders).toHaveLength(3);
    const loan = {
      loanId: 'CONTRACT-1',
      lender: 'Kaveri Finance',
      clientName: 'Test Borrower',
      phone: '+919000000001',
      emis: [{ emiNumber: 1, dueDate: '2026-01-05', amount: 150_000 }],
    };
    expect((await call('loans-upsert', 'POST', '/api/loans', { body: { loans: [loan] } })).status).toBe(200);
    expect((await call('loans-upsert', 'POST', '/api/loans', { body: { loans: [loan, loan] } })).status).toBe(
      422,
    );
    expect(
      (
        await call('loans-upsert', 'POST', '/api/loans', {
          raw: '{"loans":',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call('loans-upsert', 'POST', '/api/loans', {
          raw: 'loans=1',
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
  });

  it('links: generate, reuse, list, refresh, cancel, and their errors', async () => {
    const first = await call('generate-link', 'POST', '/api/payment-links/generate', {
      body: { loanId: 'CONTRACT-1', emiNumber: 1 },
    });
    expect(first.status).toBe(201);
    expect(
      (
        await call('generate-link', 'POST', '/api/payment-links/generate', {
          body: { loanId: 'CONTRACT-1', emiNumber: 1 },
        })
      ).body.reused,
    ).toBe(true);
    await call('generate-link', 'POST', '/api/payment-links/generate', {
      body: { loanId: 'NOPE-1', emiNumber: 1 },
    });
    await call('generate-link', 'POST', '/api/payment-links/generate', {
      body: { loanId: 'CONTRACT-1', emiNumber: 1, amount: 999_999_999 },
    });
    await call('generate-link', 'POST', '/api/payment-links/generate', { body: { loanId: 'CONTRACT-1' } });
    // a link for the loan's overdue EMIs, and its refusals
    const whole = await call('generate-link', 'POST', '/api/payment-links/generate', {
      body: { loanId: 'CONTRACT-1', scope: 'loan', forceNew: true },
    });
    expect(whole.status).toBe(201);
    expect(whole.body).toMatchObject({
      scope: 'loan',
      emiNumber: null,
      covers: [{ emiNumber: 1, amount: 150_000 }],
    });
    expect((await call('link-detail', 'GET', `/api/payment-links/${whole.body.id}`)).status).toBe(200);
    await call('generate-link', 'POST', '/api/payment-links/generate', {
      body: { loanId: 'CONTRACT-1', scope: 'loan', emiNumber: 1 },
    });
    await call('generate-link', 'POST', '/api/payment-links/generate', {
      body: { loanId: 'CONTRACT-1', scope: 'all' },
    });
    await call('cancel-link', 'POST', `/api/payment-links/${whole.body.id}/cancel`);
    await call('list-links', 'GET', '/api/payment-links/list?loanId=CONTRACT-1');
    await call('list-links', 'GET', '/api/payment-links/list?status=lost');
    const id = first.body.id as string;
    expect((await call('refresh-link', 'POST', `/api/payment-links/${id}/refresh-status`)).status).toBe(200);
    expect((await call('cancel-link', 'POST', `/api/payment-links/${id}/cancel`)).body.status).toBe(
      'cancelled',
    );
    expect((await call('cancel-link', 'POST', `/api/payment-links/${id}/cancel`)).status).toBe(409);
    await call('refresh-link', 'POST', '/api/payment-links/lnk_00000000000000000000/refresh-status');
    await call('cancel-link', 'POST', '/api/payment-links/not-an-id/cancel');
  });

  it('one link in full: detail, resend, update, QR, the return page, and their errors', async () => {
    const made = await call('generate-link', 'POST', '/api/payment-links/generate', {
      body: { loanId: 'CONTRACT-1', emiNumber: 1, forceNew: true },
    });
    const id = made.body.id as string;
    const full = await call('link-detail', 'GET', `/api/payment-links/${id}`);
    expect(full.status).toBe(200);
    expect((full.body.events as { type: string }[]).map((e) => e.type)).toEqual(['created']);
    await call('link-detail', 'GET', '/api/payment-links/lnk_00000000000000000000');
    await call('link-detail', 'GET', '/api/payment-links/not-an-id');
    expect(
      (await call('notify-link', 'POST', `/api/payment-links/${id}/notify`, { body: { via: 'sms' } })).status,
    ).toBe(200);
    await call('notify-link', 'POST', `/api/payment-links/${id}/notify`, { body: { via: 'fax' } });
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString();
    expect(
      (await call('update-link', 'PATCH', `/api/payment-links/${id}`, { body: { expireBy: later } })).status,
    ).toBe(200);
    await call('update-link', 'PATCH', `/api/payment-links/${id}`, {
      body: { expireBy: '2020-01-01T00:00:00Z' },
    });
    await call('update-link', 'PATCH', `/api/payment-links/${id}`, { body: { amount: 5 } });
    const svg = await call('link-qr-svg', 'GET', `/api/payment-links/${id}/qr.svg`);
    expect(svg.status).toBe(200);
    expect((await call('link-qr-png', 'GET', `/api/payment-links/${id}/qr.png`)).status).toBe(200);
    await call('link-qr-png', 'GET', '/api/payment-links/lnk_00000000000000000000/qr.png');
    expect((await call('pay-return', 'GET', '/pay/return?razorpay_payment_id=pay_x')).status).toBe(200);
    expect((await call('cancel-link', 'POST', `/api/payment-links/${id}/cancel`)).status).toBe(200);
    expect(
      (await call('notify-link', 'POST', `/api/payment-links/${id}/notify`, { body: { via: 'email' } }))
        .status,
    ).toBe(409);
    expect(
      (await call('update-link', 'PATCH', `/api/payment-links/${id}`, { body: { reminders: false } })).status,
    ).toBe(409);
  });

  it('bulk: a small job completes, its job answers a CSV URL; unknown and malformed ids', async () => {
    const job = await call('bulk-start', 'POST', '/api/payment-links/bulk-generate-export', {
      body: { emis: [{ loanId: 'CONTRACT-1', emiNumber: 1 }] },
    });
    expect([200, 202]).toContain(job.status);
    let state = job;
    for (let i = 0; i < 100 && state.body.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await call('bulk-job', 'GET', `/api/payment-links/bulk-jobs/${job.body.jobId}`);
    }
    state = await call('bulk-job', 'GET', `/api/payment-links/bulk-jobs/${job.body.jobId}`);
    expect(state.body.csvUrl).toEqual(expect.any(String));
    await call('bulk-job', 'GET', '/api/payment-links/bulk-jobs/job_00000000000000000000');
    await call('bulk-job', 'GET', '/api/payment-links/bulk-jobs/nope');
    await call('bulk-start', 'POST', '/api/payment-links/bulk-generate-export', {
      body: { bucket: 'sometimes' },
    });
  });

  it('dashboard: the figures, search, recent bulk jobs, and their errors', async () => {
    const board = await call('dashboard', 'GET', '/api/dashboard');
    expect(board.status).toBe(200);
    expect((board.body.dpd as unknown[]).length).toBe(5);
    expect((await call('dashboard', 'GET', '/api/dashboard?lender=Kaveri%20Finance')).status).toBe(200);
    expect((await call('dashboard', 'GET', '/api/dashboard?lender=%3Cx%3E')).status).toBe(400);
    const found = await call('search', 'GET', '/api/search?q=contract-');
    expect(found.body.items).toEqual([expect.objectContaining({ kind: 'loan', loanId: 'CONTRACT-1' })]);
    expect((await call('search', 'GET', '/api/search?q=ab')).status).toBe(400);
    expect((await call('search', 'GET', '/api/search?q=ravi&limit=99')).status).toBe(400);
    const jobs = await call('list-bulk-jobs', 'GET', '/api/payment-links/bulk-jobs?limit=1');
    expect((jobs.body.items as unknown[]).length).toBe(1);
    expect((await call('list-bulk-jobs', 'GET', '/api/payment-links/bulk-jobs?limit=0')).status).toBe(400);
    expect((await call('list-bulk-jobs', 'GET', '/api/payment-links/bulk-jobs?cursor=forged')).status).toBe(
      400,
    );
  });

  it('webhooks: a signed delivery, a duplicate, a forged one', async () => {
    const raw = JSON.stringify({ event: 'payment.failed', payload: {}, created_at: 1 });
    const eventId = `evt_${randomUUID().replaceAll('-', '').slice(0, 14)}`;
    const sign = (secret: string) => createHmac('sha256', secret).update(raw).digest('hex');
    const headers = { 'content-type': 'application/json', 'x-razorpay-event-id': eventId };
    const ok = await call('webhook', 'POST', '/webhooks/razorpay', {
      raw,
      headers: { ...headers, 'x-razorpay-signature': sign(SANDBOX_WEBHOOK_SECRET) },
    });
    expect(ok.status).toBe(200);
    await call('webhook', 'POST', '/webhooks/razorpay', {
      raw,
      headers: { ...headers, 'x-razorpay-signature': sign(SANDBOX_WEBHOOK_SECRET) },
    });
    expect(
      (
        await call('webhook', 'POST', '/webhooks/razorpay', {
          raw,
          headers: { ...headers, 'x-razorpay-signature': sign('forged') },
        })
      ).status,
    ).toBe(401);
  });

  it('payment accounts: list, create, replace, rotate, an account webhook URL, and their errors', async () => {
    const admin = await passwordLogin(system.auth.issuer, {
      username: 'admin',
      password: 'demo-admin',
      redirectUri: `${system.url}/`,
    });
    const auth = { authorization: `Bearer ${admin}` };
    const listed = await call('list-accounts', 'GET', '/api/payment-accounts', { headers: auth });
    expect((listed.body.items as { accountId: string }[]).map((a) => a.accountId).sort()).toEqual([
      'deccan',
      'default',
      'sahyadri',
    ]);
    const account = {
      name: 'Contract Co',
      keyId: SANDBOX_SAHYADRI_KEY_ID,
      keySecret: SANDBOX_SAHYADRI_KEY_SECRET,
      webhookSecret: 'whsec-contract-0000001',
      lenders: ['Contract Lender'],
    };
    const path = '/api/payment-accounts/contract-co';
    expect((await call('put-account', 'PUT', path, { body: account, headers: auth })).status).toBe(201);
    expect((await call('put-account', 'PUT', path, { body: account, headers: auth })).status).toBe(200);
    const taken = { ...account, lenders: ['Sahyadri Microfin'] };
    expect((await call('put-account', 'PUT', path, { body: taken, headers: auth })).status).toBe(409);
    const refused = { ...account, keySecret: 'not-the-sandbox-secret' };
    expect((await call('put-account', 'PUT', path, { body: refused, headers: auth })).status).toBe(422);
    await call('put-account', 'PUT', '/api/payment-accounts/Bad_Id', { body: account, headers: auth });
    // a machine token (the default here) holds no admin permission
    expect((await call('put-account', 'PUT', path, { body: account })).status).toBe(403);
    const rotate = `${path}/webhook-secret`;
    const rotated = await call('rotate-webhook-secret', 'POST', rotate, {
      body: { webhookSecret: 'whsec-contract-0000002' },
      headers: auth,
    });
    expect(rotated.status).toBe(200);
    const again = { body: { webhookSecret: 'whsec-contract-0000002' }, headers: auth };
    expect((await call('rotate-webhook-secret', 'POST', rotate, again)).status).toBe(409);
    const nobody = '/api/payment-accounts/nobody-here/webhook-secret';
    expect((await call('rotate-webhook-secret', 'POST', nobody, again)).status).toBe(404);

    const raw = JSON.stringify({ event: 'payment.failed', payload: {}, created_at: 1 });
    const headers = (secret: string) => ({
      'content-type': 'application/json',
      'x-razorpay-event-id': `evt_${randomUUID().replaceAll('-', '').slice(0, 14)}`,
      'x-razorpay-signature': createHmac('sha256', secret).update(raw).digest('hex'),
    });
    const hook = '/webhooks/razorpay/contract-co';
    expect(
      (await call('webhook-account', 'POST', hook, { raw, headers: headers('whsec-contract-0000002') }))
        .status,
    ).toBe(200);
    expect(
      (await call('webhook-account', 'POST', hook, { raw, headers: headers(SANDBOX_WEBHOOK_SECRET) })).status,
    ).toBe(401);
    const unknown = '/webhooks/razorpay/nobody-here';
    expect((await call('webhook-account', 'POST', unknown, { raw, headers: headers('x') })).status).toBe(404);

    // the demo's EximPe account `deccan`: a signed event (a failed attempt on a payment nobody
    // knows: acknowledged), a forged one, an unknown account
    const exRaw = JSON.stringify({
      data: { order_id: 'OD0000000001', payment_id: 'PR0000000001', status: 'FAILED' },
      event_type: 'PAYMENT_FAILED',
      sequence_number: randomUUID(),
    });
    const exHeaders = (secret: string) => ({
      'content-type': 'application/json',
      'x-webhook-event': 'PAYMENT_FAILED',
      'x-webhook-signature': createHmac('sha256', secret).update(exRaw).digest('hex'),
    });
    const exHook = '/webhooks/eximpe/deccan';
    const exOk = await call('webhook-eximpe', 'POST', exHook, {
      raw: exRaw,
      headers: exHeaders(EXIMPE_DECCAN_WEBHOOK_SECRET),
    });
    expect(exOk.status).toBe(200);
    expect(
      (await call('webhook-eximpe', 'POST', exHook, { raw: exRaw, headers: exHeaders('forged-secret') }))
        .status,
    ).toBe(401);
    const exUnknown = '/webhooks/eximpe/nobody-here';
    expect(
      (await call('webhook-eximpe', 'POST', exUnknown, { raw: exRaw, headers: exHeaders('x') })).status,
    ).toBe(404);
  });

  it('access: who am I, as a machine, as a person, and without a token', async () => {
    const machine = await call('me', 'GET', '/api/me');
    expect(machine.status).toBe(200);
    const viewer = DEMO_USERS.find((u) => u.role === 'viewer')!;
    const person = await passwordLogin(system.auth.issuer, {
      username: viewer.username,
      password: viewer.password,
      redirectUri: `${system.url}/`,
    });
    const me = await call('me', 'GET', '/api/me', { headers: { authorization: `Bearer ${person}` } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'viewer', lenders: viewer.lenders });
    expect((await call('me', 'GET', '/api/me', { headers: { authorization: 'Bearer nope' } })).status).toBe(
      401,
    );
  });

  it('imports: a file through its upload URL, its progress to completed; bad names, unknown ids, no permission', async () => {
    const start = await call('imports-start', 'POST', '/api/imports', { body: { fileName: 'contract.csv' } });
    expect(start.status).toBe(201);
    const importId = start.body.importId as string;
    const csv = [
      'loan_id,lender,client_name,phone,email,emi_number,due_date,amount_due_inr,amount_paid_inr',
      'CONTRACT-IMP-1,Kaveri Finance,"Rao, Anil",+919811111111,,1,2026-01-05,1500.00,',
      'CONTRACT-IMP-1,Kaveri Finance,"Rao, Anil",+919811111111,,2,2026-02-05,1500.00,12.345',
    ].join('\r\n');
    const put = await fetch(start.body.uploadUrl as string, { method: 'PUT', body: csv });
    expect(put.status).toBe(200);
    // the upload's S3 notification → the imports queue → the import worker, as on AWS
    let state = await call('import-status', 'GET', `/api/imports/${importId}`);
    for (let i = 0; i < 200 && !['completed', 'failed'].includes(state.body.status as string); i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await call('import-status', 'GET', `/api/imports/${importId}`);
    }
    expect(state.body).toMatchObject({
      status: 'completed',
      rows: 2,
      created: 1,
      failed: 1,
      errors: [{ row: 3, field: 'amount_paid_inr' }],
    });
    expect(
      (await call('imports-start', 'POST', '/api/imports', { body: { fileName: 'x.exe' } })).status,
    ).toBe(400);
    expect((await call('import-status', 'GET', '/api/imports/imp_00000000000000000000')).status).toBe(404);
    expect((await call('import-status', 'GET', '/api/imports/nope')).status).toBe(400);
    const viewer = DEMO_USERS.find((u) => u.role === 'viewer')!;
    const person = await passwordLogin(system.auth.issuer, {
      username: viewer.username,
      password: viewer.password,
      redirectUri: `${system.url}/`,
    });
    const denied = await call('imports-start', 'POST', '/api/imports', {
      body: { fileName: 'a.csv' },
      headers: { authorization: `Bearer ${person}` },
    });
    expect(denied.status).toBe(403);
  });

  it('refunds: an overpaid link refunded by an admin, and the refusals', async () => {
    const admin = await passwordLogin(system.auth.issuer, {
      username: 'admin',
      password: 'demo-admin',
      redirectUri: `${system.url}/`,
    });
    const auth = { authorization: `Bearer ${admin}` };
    const emi = { emiNumber: 1, dueDate: '2026-01-05', amount: 150_000 };
    const loan = {
      loanId: 'CONTRACT-R1',
      lender: 'Kaveri Finance',
      clientName: 'Refund Borrower',
      phone: '+919000000002',
    };
    await call('loans-upsert', 'POST', '/api/loans', { body: { loans: [{ ...loan, emis: [emi] }] } });
    const made = await call('generate-link', 'POST', '/api/payment-links/generate', {
      body: { loanId: 'CONTRACT-R1', emiNumber: 1 },
    });
    const id = made.body.id as string;
    // ₹1,000 came in elsewhere meanwhile; the link is then paid in full: ₹1,000 of it is surplus
    await call('loans-upsert', 'POST', '/api/loans', {
      body: { loans: [{ ...loan, emis: [{ ...emi, amountPaid: 100_000 }] }] },
    });
    const paid = await fetch(`${system.sandboxUrl}/_sandbox/payment_links/${made.body.razorpayLinkId}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const paymentId = ((await paid.json()) as { payment_id: string }).payment_id;
    let flagged = false;
    for (let i = 0; i < 300 && !flagged; i++) {
      const res = await fetch(`${system.url}/api/payment-links/${id}`, { headers: auth });
      flagged = ((await res.json()) as { attention: string | null }).attention === 'overpaid';
      if (!flagged) await new Promise((r) => setTimeout(r, 100));
    }
    expect(flagged).toBe(true);
    const path = `/api/payment-links/${id}/refunds`;
    const refused = await call('refund-link', 'POST', path, {
      body: { paymentId, amount: 100_001, reason: 'overpaid' },
      headers: auth,
    });
    expect(refused.status).toBe(422);
    expect(
      (await call('refund-link', 'POST', path, { body: { paymentId, reason: 'x', extra: 1 }, headers: auth }))
        .status,
    ).toBe(400);
    // a machine token (the default here) holds no admin permission
    expect(
      (await call('refund-link', 'POST', path, { body: { paymentId, reason: 'overpaid' } })).status,
    ).toBe(403);
    const done = await call('refund-link', 'POST', path, {
      body: { paymentId, reason: 'overpaid' },
      headers: { ...auth, 'idempotency-key': 'contract-refund-1' },
    });
    expect(done.status).toBe(201);
    expect((done.body.refund as { amount: number }).amount).toBe(100_000);
    expect(
      (await call('refund-link', 'POST', path, { body: { paymentId, reason: 'again' }, headers: auth }))
        .status,
    ).toBe(409);
    await call('refund-link', 'POST', '/api/payment-links/lnk_00000000000000000000/refunds', {
      body: { paymentId, reason: 'x' },
      headers: auth,
    });
    const full = await call('link-detail', 'GET', `/api/payment-links/${id}`, { headers: auth });
    expect(full.body.refunds).toHaveLength(1);
  });

  it('covered every route of the table at least once', () => {
    const routesSeen = new Set(seen.map((s) => s.split(' ')[0]));
    for (const route of routes.filter((r) => r.path !== '$default'))
      expect(routesSeen, route.id).toContain(route.id);
  });
});
