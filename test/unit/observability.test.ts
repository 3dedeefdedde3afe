/**
 * The observability modules on their own: redaction rules, the log switches (a nonsense value
 * falls back and says so once), the tracing switch, EMF output, and the Razorpay adapter's
 * per-operation metrics (against the stub Razorpay server).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RazorpayGateway } from '../../shared/adapters/razorpay/gateway';
import type { CreateLinkRequest } from '../../shared/domain/gateway';
import { log, withLogContext } from '../../shared/log';
import { flushMetrics, type MetricsSink, metrics, useMetricsSink } from '../../shared/metrics';
import { REDACTED, redactDeep, redactText, registerSecret } from '../../shared/observability/redact';
import { correlate, observedHandler } from '../../shared/observe';
import { tracingSwitch } from '../../shared/tracing';
import { razorpayError, type StubRazorpay, startStubRazorpay } from './razorpay/stub-server';

/** Captures stdout and stderr while `fn` runs. */
function captured(fn: () => void): string {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return chunks.join('');
}

/** The async form of `captured`. */
async function capturedAsync(fn: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (chunk: unknown) => {
    chunks.push(String(chunk));
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

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('redaction', () => {
  it.each([
    ['mail zebulon.q@example.co.in now', 'mail [email] now'],
    ['call +91 98123 45670 or 9812345670', 'call [phone] or [phone]'],
    ['dial 919812345670, 09812345670 or +44 20 7946 0958', 'dial [phone], [phone] or [phone]'],
    ['Authorization: Basic cnpwOnNlY3JldA==', 'Authorization: Basic [redacted]'],
    ['token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', 'token [jwt]'],
  ])('masks personal data and credentials in text: %s', (text, want) => {
    expect(redactText(text)).toBe(want);
  });

  it('leaves ids, timestamps and amounts alone', () => {
    const text =
      'lnk_0123456789abcdefghij plink_Abc1234567890X pay_9812345670abcd 1764700000 2026-12-02T21:50:00.000Z 150000 L-1';
    expect(redactText(text)).toBe(text);
  });

  it('masks key material this process registered, wherever it appears', () => {
    registerSecret('s3cr3t-value-registered');
    expect(redactText('bad key s3cr3t-value-registered!')).toBe('bad key [secret]!');
  });

  it('replaces fields that hold people, bodies or credentials, at any depth, and keeps the rest', () => {
    const out = redactDeep({
      linkId: 'lnk_1',
      amount: 150_000,
      customer: { name: 'Asha', contact: '+919876543210' },
      nested: [{ clientName: 'Asha Rao', email: 'a@b.co', note: 'reach a@b.co' }],
      headers: { Authorization: 'Bearer x', 'x-razorpay-signature': 'abc' },
      body: '{"anything":1}',
    });
    expect(out).toEqual({
      linkId: 'lnk_1',
      amount: 150_000,
      customer: REDACTED,
      nested: [{ clientName: REDACTED, email: REDACTED, note: 'reach [email]' }],
      headers: { Authorization: REDACTED, 'x-razorpay-signature': REDACTED },
      body: REDACTED,
    });
  });

  it('keeps an error’s name, masks its message and stack, and drops an echoed item', () => {
    const err = Object.assign(new Error('conditional check failed for asha@example.com'), {
      name: 'ConditionalCheckFailedException',
      Item: { clientName: 'Asha Rao', phone: '+919876543210' },
    });
    const out = redactDeep({ err }) as { err: Record<string, unknown> };
    expect(out.err).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'conditional check failed for [email]',
      Item: REDACTED,
    });
    expect(String(out.err.stack)).not.toContain('asha@example.com');
  });
});

describe('log switches', () => {
  const saved = { level: process.env.LOG_LEVEL, format: process.env.LOG_FORMAT };
  afterEach(() => {
    process.env.LOG_LEVEL = saved.level;
    if (saved.format === undefined) delete process.env.LOG_FORMAT;
    else process.env.LOG_FORMAT = saved.format;
  });

  it('falls back to info for a nonsense LOG_LEVEL and says so once', () => {
    process.env.LOG_FORMAT = 'json';
    process.env.LOG_LEVEL = 'loud';
    const out = jsonLines(
      captured(() => {
        log.debug('not shown');
        log.info('shown');
        log.info('shown again');
      }),
    );
    expect(out.map((e) => [e.level, e.message])).toEqual([
      [
        'WARN',
        'LOG_LEVEL "loud" is not one of trace, debug, info, warn, error, critical, silent: using info',
      ],
      ['INFO', 'shown'],
      ['INFO', 'shown again'],
    ]);
  });

  it('honours each level, including silent', () => {
    process.env.LOG_FORMAT = 'json';
    process.env.LOG_LEVEL = 'WARN';
    expect(jsonLines(captured(() => [log.info('no'), log.warn('yes')])).map((e) => e.message)).toEqual([
      'yes',
    ]);
    process.env.LOG_LEVEL = 'silent';
    expect(captured(() => log.error('never'))).toBe('');
  });

  it('falls back for a nonsense LOG_FORMAT and says so once', () => {
    process.env.LOG_LEVEL = 'info';
    process.env.LOG_FORMAT = 'xml';
    const out = captured(() => {
      log.info('first');
      log.info('second');
    });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/WARN {2}LOG_FORMAT "xml" is not one of json, pretty: using pretty$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}first$/);
  });

  it('writes one JSON line with the correlation ids of the current context', async () => {
    process.env.LOG_LEVEL = 'info';
    process.env.LOG_FORMAT = 'json';
    const out = await new Promise<string>((resolve) =>
      withLogContext({ requestId: 'req-1', eventId: 'evt_1' }, () =>
        resolve(captured(() => log.info('applied', { linkId: 'lnk_1', phone: '+919876543210' }))),
      ),
    );
    expect(jsonLines(out)).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'applied',
        service: 'emi-payment-links',
        timestamp: expect.any(String),
        requestId: 'req-1',
        eventId: 'evt_1',
        linkId: 'lnk_1',
        phone: REDACTED,
      }),
    ]);
  });
});

describe('handler context', () => {
  const saved = { level: process.env.LOG_LEVEL, format: process.env.LOG_FORMAT };
  beforeEach(() => {
    process.env.LOG_FORMAT = 'json';
    process.env.LOG_LEVEL = 'warn';
  });
  afterEach(() => {
    process.env.LOG_LEVEL = saved.level;
    if (saved.format === undefined) delete process.env.LOG_FORMAT;
    else process.env.LOG_FORMAT = saved.format;
  });

  it('keeps LOG_LEVEL on warm invocations', async () => {
    const handler = observedHandler('probe', async () => {
      log.info('hidden');
      log.warn('shown');
    });
    const out = await capturedAsync(async () => {
      await handler({}, { awsRequestId: 'req-1' } as never);
      await handler({}, { awsRequestId: 'req-2' } as never);
    });
    expect(jsonLines(out).map((e) => [e.message, e.requestId])).toEqual([
      ['shown', 'req-1'],
      ['shown', 'req-2'],
    ]);
  });

  it('gives an invocation started from inside another its own request id and no inherited ids', async () => {
    const inner = observedHandler('inner', async () => log.warn('inner'));
    const outer = observedHandler('outer', async () => {
      correlate({ eventId: 'evt_outer' });
      await inner({});
      log.warn('outer');
    });
    const [innerEntry, outerEntry] = jsonLines(
      await capturedAsync(() => outer({}, { awsRequestId: 'req-o' } as never)),
    );
    expect(outerEntry).toMatchObject({ function: 'outer', requestId: 'req-o', eventId: 'evt_outer' });
    expect(innerEntry).toMatchObject({ function: 'inner', requestId: expect.any(String) });
    expect(innerEntry!.requestId).not.toBe('req-o');
    expect(innerEntry!.eventId).toBeUndefined();
  });
});

describe('tracing switch', () => {
  it.each([
    [undefined, true],
    ['true', true],
    ['1', true],
    ['false', false],
    ['OFF', false],
  ])('reads POWERTOOLS_TRACE_ENABLED=%s as %s', (raw, want) => {
    expect(tracingSwitch(raw)).toBe(want);
  });

  it('keeps tracing on for a nonsense value and says so', () => {
    process.env.LOG_LEVEL = 'info';
    process.env.LOG_FORMAT = 'json';
    let on = false;
    const out = jsonLines(captured(() => (on = tracingSwitch('sometimes'))));
    process.env.LOG_LEVEL = 'silent';
    expect(on).toBe(true);
    expect(out).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'POWERTOOLS_TRACE_ENABLED "sometimes" is not true or false: tracing stays on',
      }),
    ]);
  });
});

describe('metrics', () => {
  afterEach(() => {
    delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    useMetricsSink(undefined);
  });

  it('prints EMF per dimension set when a namespace is configured', () => {
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'TestNs';
    useMetricsSink(undefined);
    metrics.linkCreated();
    metrics.providerCall('razorpay', 'create', 120, false);
    metrics.providerCall('razorpay', 'create', 80, true);
    // each provider under its own names: one's outage never hides in the other's volume
    metrics.providerCall('eximpe', 'create', 300, true);
    const lines = jsonLines(captured(() => flushMetrics()));
    expect(lines).toHaveLength(2);
    const [overall, byOperation] = lines as [Record<string, unknown>, Record<string, unknown>];
    expect(overall).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'TestNs', Dimensions: [['service']] }] },
      service: 'emi-payment-links',
      LinksCreated: 1,
      RazorpayCalls: [1, 1],
      RazorpayErrors: [0, 1],
      EximpeCalls: 1,
      EximpeErrors: 1,
    });
    expect(byOperation).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Dimensions: [['service', 'operation']] }] },
      operation: 'create',
      RazorpayLatency: [120, 80],
      EximpeLatency: 300,
    });
    // flushed: nothing twice
    expect(captured(() => flushMetrics())).toBe('');
  });

  it('prints nothing without a namespace (npm start, tests)', () => {
    useMetricsSink(undefined);
    metrics.linkCreated();
    expect(captured(() => flushMetrics())).toBe('');
  });
});

describe('Razorpay metrics by operation', () => {
  let stub: StubRazorpay;
  const samples: { name: string; value: number; dimensions?: Record<string, string> }[] = [];
  const recorder: MetricsSink = { record: (s) => void samples.push(s), flush: () => {} };
  const request: CreateLinkRequest = {
    amount: 150_000,
    currency: 'INR',
    description: 'EMI 1 of loan L-1',
    referenceId: 'lnk_0123456789abcdefghijklmn',
    customer: { name: 'Asha Rao' },
    expireBy: 1_900_000_000,
    acceptPartial: false,
    notify: { sms: false, email: false },
    reminderEnable: false,
    notes: {},
  };

  beforeAll(async () => {
    stub = await startStubRazorpay();
  });
  afterAll(() => stub.close());
  beforeEach(() => {
    stub.reset();
    samples.length = 0;
    useMetricsSink(recorder);
  });
  afterEach(() => useMetricsSink(undefined));

  const perOperation = (name: string) =>
    samples.filter((s) => s.name === name && s.dimensions).map((s) => [s.dimensions!.operation, s.value]);

  it('counts every HTTP call, retries included, with its latency; only failures of Razorpay are errors', async () => {
    const gateway = new RazorpayGateway({
      keyId: 'k',
      keySecret: 'secret-key',
      baseUrl: stub.url,
      sleep: async () => {},
    });
    stub.faults.create.push({ status: 503, body: razorpayError('Service unavailable') });
    const link = await gateway.createLink(request);
    stub.faults.fetch.push({ status: 400, body: razorpayError('The id provided does not exist') });
    await expect(gateway.fetchLink('plink_Missing0000000')).rejects.toThrow();
    await gateway.cancelLink(link.id);

    expect(perOperation('RazorpayCalls')).toEqual([
      ['create', 1],
      ['create', 1],
      ['fetch', 1],
      ['cancel', 1],
    ]);
    // the 503 is Razorpay failing us; the 400 is an answer about the link
    expect(perOperation('RazorpayErrors')).toEqual([
      ['create', 1],
      ['create', 0],
      ['fetch', 0],
      ['cancel', 0],
    ]);
    const latencies = perOperation('RazorpayLatency');
    expect(latencies.map(([op]) => op)).toEqual(['create', 'create', 'fetch', 'cancel']);
    for (const [, ms] of latencies) expect(ms).toBeGreaterThanOrEqual(0);
    expect(samples.filter((s) => s.name === 'RazorpayCalls' && !s.dimensions)).toHaveLength(4);
  });
});
