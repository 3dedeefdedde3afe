/**
 * No personal data or key material in any log line: requests full of a distinctive borrower's
 * name, phone and e-mail, and of the Razorpay key secret and webhook secret, go through EVERY
 * handler — each HTTP route through its Lambda handler with an API Gateway v2 event (valid and
 * invalid input), the queue workers with their SQS events, the schedule with its event —
 * against the real local services, with logs at DEBUG and metrics on. Everything written to
 * stdout and stderr is captured and searched, in the JSON (Lambda) and the readable (local)
 * format alike.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as bulkJob } from '../../functions/bulk-job/handler';
import { handler as bulkStart } from '../../functions/bulk-start/handler';
import { handler as bulkWorker } from '../../functions/bulk-worker/handler';
import { handler as cancel } from '../../functions/cancel-link/handler';
import { handler as generate } from '../../functions/generate-link/handler';
import { handler as lenders } from '../../functions/lenders/handler';
import { handler as listAccounts } from '../../functions/list-accounts/handler';
import { handler as listLinks } from '../../functions/list-links/handler';
import { handler as upsert } from '../../functions/loans-upsert/handler';
import { handler as pending } from '../../functions/pending-emis/handler';
import { handler as preTokenGeneration } from '../../functions/pre-token-generation/handler';
import { handler as putAccount } from '../../functions/put-account/handler';
import { handler as reconcile, main as reconcileNow } from '../../functions/reconcile/handler';
import { handler as refresh } from '../../functions/refresh-link/handler';
import { handler as rotateWebhookSecret } from '../../functions/rotate-webhook-secret/handler';
import { handler as web } from '../../functions/web/handler';
import { handler as webhook } from '../../functions/webhook/handler';
import { handler as webhookAccount } from '../../functions/webhook-account/handler';
import { handler as webhookWorker } from '../../functions/webhook-worker/handler';
import { localQueueRegistry } from '../../shared/adapters/queue/sender';
import { signWebhookBody } from '../../shared/adapters/razorpay/signature';
import { useMetricsSink } from '../../shared/metrics';
import { startTestApp, type TestApp } from '../support/app';
import { today } from '../support/fixtures';
import { call, httpEvent, lambdaContext } from '../support/http';

const NAME = 'Zebulon Quixotic-Marchbanks';
const PHONE = '+919812345670';
const PHONE_DIGITS = '9812345670';
const EMAIL = 'zebulon.pii-probe@example.org';
const KEY_SECRET = `rzpKeySecretProbe${randomBytes(6).toString('hex')}`;
const WEBHOOK_SECRET = `whsecProbe${randomBytes(6).toString('hex')}`;
const FORBIDDEN = [NAME, 'Zebulon', 'Quixotic', PHONE, PHONE_DIGITS, EMAIL, KEY_SECRET, WEBHOOK_SECRET];
/** Everything a careless log line might copy: every field of every request is one of these. */
const PII = { clientName: NAME, phone: PHONE, email: EMAIL, keySecret: KEY_SECRET, secret: WEBHOOK_SECRET };
const PII_TEXT = `${NAME} ${PHONE} ${EMAIL} ${KEY_SECRET} ${WEBHOOK_SECRET}`;

// biome-ignore lint/suspicious/noExplicitAny: Razorpay bodies are edited loosely by design
type Json = any;
const SAMPLES: Record<string, { payload: Json }> = JSON.parse(
  readFileSync(new URL('../unit/razorpay/fixtures/razorpay-samples.json', import.meta.url), 'utf8'),
);

let app: TestApp;
const webhookMessages: string[] = [];
/** bulk work is handed to the worker as it is queued, like the SQS event source would */
const bulkRuns: Promise<unknown>[] = [];
const run = randomBytes(3).toString('hex');
const LENDER = `Probe Lender ${run}`;

/** Captures everything written to stdout and stderr while `fn` runs. */
async function captured(fn: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return chunks.join('');
}

function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m-${run}-${i}-${randomBytes(4).toString('hex')}`,
      receiptHandle: 'r',
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:ap-south-1:000000000000:test',
      awsRegion: 'ap-south-1',
    })),
  };
}

const base62 = (n: number) =>
  [...randomBytes(n)]
    .map((b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[b % 62])
    .join('');

/** A real-shaped payment.captured for our link, carrying the borrower's data as Razorpay does. */
function capturedPayment(linkId: string, plinkId: string, amount: number): string {
  const body = structuredClone(
    SAMPLES['webhook:payment.captured:payment_link_payment:real_capture']!.payload,
  );
  Object.assign(body.payload.payment.entity, {
    id: `pay_${base62(14)}`,
    amount,
    base_amount: amount,
    email: EMAIL,
    contact: PHONE,
    description: `#${plinkId.replace(/^plink_/, '')}`,
    notes: { link_id: linkId, client_name: NAME, key: KEY_SECRET },
  });
  body.created_at = Math.floor(Date.now() / 1000) - 2;
  return JSON.stringify(body);
}

function webhookHeaders(body: string, secret = WEBHOOK_SECRET): Record<string, string> {
  const eventId = base62(14);
  return {
    'content-type': 'application/json',
    'x-razorpay-event-id': eventId,
    'x-razorpay-signature': signWebhookBody(body, secret),
    // a header an attacker (or a proxy) could fill with anything
    'x-forwarded-for': `${EMAIL}, ${PHONE}`,
  };
}

/** Drives every handler once with personal data everywhere it can go. */
async function everyHandler(LOAN: string): Promise<void> {
  const emi = { emiNumber: 1, dueDate: today(), amount: 150_000 };
  const borrower = {
    loanId: LOAN,
    lender: LENDER,
    clientName: NAME,
    phone: PHONE,
    email: EMAIL,
    emis: [emi],
  };
  const second = { ...borrower, loanId: `${LOAN}-B`, emis: [{ ...emi, emiNumber: 1 }] };

  // loans-upsert: valid, an unknown field full of secrets, malformed JSON echoing the data
  expect((await call(upsert, { method: 'POST', body: { loans: [borrower, second] } })).status).toBe(200);
  expect(
    (await call(upsert, { method: 'POST', body: { loans: [{ ...borrower, ...PII, note: PII_TEXT }] } }))
      .status,
  ).toBe(400);
  expect(
    (
      await call(upsert, {
        method: 'POST',
        rawBody: `{"loans":[${PII_TEXT}`,
        headers: { 'content-type': 'application/json' },
      })
    ).status,
  ).toBe(400);
  expect(
    (await call(upsert, { method: 'POST', rawBody: PII_TEXT, headers: { 'content-type': 'text/plain' } }))
      .status,
  ).toBe(415);

  // read routes: valid, and with the data in query, path and headers
  expect(
    (await call(pending, { query: { lender: LENDER }, headers: { authorization: `Basic ${KEY_SECRET}` } }))
      .status,
  ).toBe(401); // not a Bearer token: the gate refuses it (issue 13), and logs none of it
  expect((await call(pending, { query: { lender: LENDER } })).status).toBe(200);
  expect((await call(pending, { query: { lender: NAME, search: EMAIL, phone: PHONE } })).status).toBe(400);
  expect((await call(lenders, {})).status).toBe(200);
  expect((await call(lenders, { query: { email: EMAIL } })).status).toBe(400);
  expect((await call(listLinks, { query: { loanId: LOAN } })).status).toBe(200);
  expect((await call(listLinks, { query: { loanId: PII_TEXT } })).status).toBe(400);

  // generate (creates at the sandbox with the borrower as customer), with a bad body too
  const created = await call(generate, { method: 'POST', body: { loanId: LOAN, emiNumber: 1 } });
  expect(created.status).toBe(201);
  const toCancel = await call(generate, { method: 'POST', body: { loanId: `${LOAN}-B`, emiNumber: 1 } });
  expect(toCancel.status).toBe(201);
  expect(
    (await call(generate, { method: 'POST', body: { loanId: LOAN, emiNumber: 1, ...PII } })).status,
  ).toBe(400);
  expect(
    (
      await call(generate, {
        method: 'POST',
        body: { loanId: NAME, emiNumber: 1 },
        headers: { 'idempotency-key': EMAIL },
      })
    ).status,
  ).toBe(400);

  // refresh and cancel, by id and with the data as the id
  expect((await call(refresh, { method: 'POST', pathParameters: { id: created.json.id } })).status).toBe(200);
  expect((await call(refresh, { method: 'POST', pathParameters: { id: EMAIL } })).status).toBe(400);
  expect((await call(cancel, { method: 'POST', pathParameters: { id: toCancel.json.id } })).status).toBe(200);
  expect((await call(cancel, { method: 'POST', pathParameters: { id: PHONE } })).status).toBe(400);

  // bulk: start (its messages go to the worker below), job status, and a bad request
  const job = await call(bulkStart, { method: 'POST', body: { emis: [{ loanId: LOAN, emiNumber: 1 }] } });
  expect([200, 202]).toContain(job.status);
  for (const res of await Promise.all(bulkRuns.splice(0))) expect(res).toEqual({ batchItemFailures: [] });
  expect((await call(bulkStart, { method: 'POST', body: { lender: LENDER, ...PII } })).status).toBe(400);
  expect((await call(bulkJob, { pathParameters: { jobId: job.json.jobId } })).status).toBe(200);
  expect((await call(bulkJob, { pathParameters: { jobId: NAME } })).status).toBe(400);
  expect(
    (await bulkWorker(sqsEvent([PII_TEXT, JSON.stringify(PII)]), lambdaContext())).batchItemFailures,
  ).toEqual([]);

  // webhook: a signed capture carrying the borrower's data, a forged one, one signed with the secret in the body
  const capture = capturedPayment(created.json.id, created.json.razorpayLinkId, 150_000);
  const body = (b: string, h: Record<string, string>) => ({ method: 'POST', rawBody: b, headers: h });
  expect((await call(webhook, body(capture, webhookHeaders(capture)))).status).toBe(200);
  expect((await call(webhook, body(capture, webhookHeaders(capture, KEY_SECRET)))).status).toBe(401);
  expect((await call(webhook, body(PII_TEXT, webhookHeaders(PII_TEXT)))).status).toBe(200);
  const applied = await webhookWorker(sqsEvent(webhookMessages.splice(0)), lambdaContext());
  expect(applied.batchItemFailures).toEqual([]);
  // a message the worker cannot apply is retried, with its error logged
  const bad = await webhookWorker(
    sqsEvent([JSON.stringify({ eventId: EMAIL, event: 'payment.captured', body: PII_TEXT })]),
  );
  expect(bad.batchItemFailures).toHaveLength(1);

  // payment accounts (admin): saved with the secrets, refused keys, a body full of data, a
  // rotation to the webhook secret, deliveries to the account's own URL, the list
  const accountId = `probe-${LOAN.slice(-6).toLowerCase()}`;
  const admin = await app.names.issuer.person('admin', ['*']);
  const account = {
    name: 'Probe account',
    keyId: app.sandbox.keyId,
    keySecret: KEY_SECRET,
    webhookSecret: `${WEBHOOK_SECRET}-first`,
    lenders: [],
  };
  const put = (b: unknown) =>
    call(putAccount, { method: 'PUT', body: b, pathParameters: { accountId }, token: admin });
  expect((await put(account)).status).toBe(201);
  expect((await put({ ...account, keySecret: `${KEY_SECRET}-wrong` })).status).toBe(422);
  expect((await put({ ...account, ...PII, note: PII_TEXT })).status).toBe(400);
  expect((await put({ ...account, keySecret: PII_TEXT })).status).toBe(400);
  expect(
    (
      await call(rotateWebhookSecret, {
        method: 'POST',
        body: { webhookSecret: WEBHOOK_SECRET },
        pathParameters: { accountId },
        token: admin,
      })
    ).status,
  ).toBe(200);
  const toAccount = (b: string, h: Record<string, string>) => ({
    method: 'POST',
    rawBody: b,
    headers: h,
    pathParameters: { accountId },
  });
  expect((await call(webhookAccount, toAccount(PII_TEXT, webhookHeaders(PII_TEXT)))).status).toBe(200);
  expect((await call(webhookAccount, toAccount(PII_TEXT, webhookHeaders(PII_TEXT, KEY_SECRET)))).status).toBe(
    401,
  );
  expect((await call(listAccounts, { token: admin })).status).toBe(200);

  // the schedule: reconciliation (fetching the borrower's links from the sandbox) and stuck jobs
  await reconcileNow({ staleAfterMs: 0 });
  await reconcile({ source: 'aws.events', detail: PII }, lambdaContext());

  // the Cognito trigger, for a person whose attributes hold the data and a malformed lender list
  const login = {
    version: '2',
    region: 'ap-south-1',
    userPoolId: 'ap-south-1_Probe',
    triggerSource: 'TokenGeneration_HostedAuth',
    userName: EMAIL,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'webclientid' },
    request: {
      userAttributes: {
        sub: `sub-${run}`,
        email: EMAIL,
        name: NAME,
        phone_number: PHONE,
        'custom:lenders': `[${PII_TEXT}`,
      },
      groupConfiguration: { groupsToOverride: ['collector'], iamRolesToOverride: [] },
      scopes: ['openid'],
    },
    response: { claimsAndScopeOverrideDetails: null },
  };
  expect(await preTokenGeneration(login as never, lambdaContext())).toBe(login);

  // the page, asked for a path and headers full of data
  const page = await web(
    httpEvent({ path: `/${EMAIL}`, headers: { cookie: `session=${KEY_SECRET}` } }),
    lambdaContext() as Context,
  );
  expect(page.statusCode).toBe(404);
}

beforeAll(async () => {
  process.env.RAZORPAY_WEBHOOK_SECRET = WEBHOOK_SECRET;
  delete process.env.RAZORPAY_WEBHOOK_SECRET_PREVIOUS;
  app = await startTestApp(`pii`, { sandbox: { keySecret: KEY_SECRET, webhookSecret: WEBHOOK_SECRET } });
  localQueueRegistry().set(`local://pii-webhooks-${run}`, {
    send: async (b) => void webhookMessages.push(b),
  });
  localQueueRegistry().set(`local://pii-bulk-${run}`, {
    send: async (b) => void bulkRuns.push(bulkWorker(sqsEvent([b]))),
  });
  Object.assign(process.env, {
    WEBHOOK_QUEUE_URL: `local://pii-webhooks-${run}`,
    BULK_QUEUE_URL: `local://pii-bulk-${run}`,
    // metrics on: their EMF lines are searched too
    POWERTOOLS_METRICS_NAMESPACE: 'PiiProbe',
    WEB_ROOT: '/nonexistent',
  });
  useMetricsSink(undefined);
});

afterAll(async () => {
  localQueueRegistry().delete(`local://pii-webhooks-${run}`);
  localQueueRegistry().delete(`local://pii-bulk-${run}`);
  delete process.env.POWERTOOLS_METRICS_NAMESPACE;
  process.env.LOG_LEVEL = 'silent';
  delete process.env.LOG_FORMAT;
  useMetricsSink(undefined);
  await app?.close();
});

describe.each(['json', 'pretty'])('logs in the %s format', (format) => {
  let output = '';
  const loan = `PII-${run}-${format}`;

  beforeAll(async () => {
    Object.assign(process.env, { LOG_LEVEL: 'debug', LOG_FORMAT: format });
    output = await captured(() => everyHandler(loan));
    process.env.LOG_LEVEL = 'silent';
  });

  it('logged the run: requests, the link, the payment, the bulk job, the webhook, reconciliation, metrics', () => {
    for (const line of [
      'request',
      'link created',
      'payment credited',
      'bulk job completed',
      'webhook received',
      'webhook applied',
      'webhook signature rejected',
      'webhook event failed; it will be retried',
      'reconcile done',
      'reconciled',
      'custom:lenders is not a JSON array',
    ]) {
      expect(output, line).toContain(line);
    }
    expect(output).toContain(loan);
    expect(output).toContain('"_aws"');
  });

  it.each(FORBIDDEN.map((v) => [v]))('never writes %s', (value) => {
    expect(output).not.toContain(value);
  });

  it('writes each entry with the request id and the correlation ids', () => {
    if (format === 'pretty') {
      const requests = output.split('\n').filter((l) => / INFO {2}request {2}/.test(l));
      expect(requests.length).toBeGreaterThan(10);
      for (const r of requests) expect(r).toMatch(/requestId=[0-9a-f-]{36}/);
      expect(output).toMatch(/webhook applied .*eventId=\w+.*linkId=lnk_/);
      return;
    }
    // one JSON object per line
    const entries = output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = entries.filter((e) => e.message === 'request');
    expect(requests.length).toBeGreaterThan(10);
    for (const r of requests) expect(r.requestId).toEqual(expect.any(String));
    const applied = entries.find((e) => e.message === 'webhook applied')!;
    expect(applied).toMatchObject({
      eventId: expect.any(String),
      linkId: expect.stringMatching(/^lnk_/),
      level: 'INFO',
    });
    expect(entries.find((e) => e.message === 'link created')).toMatchObject({
      linkId: expect.stringMatching(/^lnk_/),
    });
    expect(entries.find((e) => e.message === 'bulk job completed')).toMatchObject({
      jobId: expect.any(String),
    });
  });
});
