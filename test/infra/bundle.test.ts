/**
 * A function bundle as CDK builds it (lib/function.ts BUNDLING), run in a fresh Node process
 * without `--enable-source-maps`: its logs still name errors by their class, and a stack trace
 * still names the functions it went through.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions, handlerEntry, PROJECT_ROOT } from '../../lib/function';

// inside the repository, so the bundle's external @aws-sdk imports resolve from node_modules
const dir = join(PROJECT_ROOT, '.local', `test-bundle-${randomBytes(3).toString('hex')}`);
const bundle = join(dir, 'index.mjs');

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  await build(esbuildOptions(handlerEntry('webhook'), bundle));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Delivers an unsigned webhook to the bundle's handler; prints its log lines, then the answer. */
function runUnsigned(): { logs: Record<string, unknown>[]; answer: { statusCode: number }; stack: string } {
  const script = `
    const m = await import(${JSON.stringify(bundle)});
    let stack = '';
    const event = {
      version: '2.0',
      get headers() { stack = new Error('where').stack; return { 'x-razorpay-signature': '00' }; },
      body: '{}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/webhooks/razorpay' } },
    };
    const answer = await m.handler(event, { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 1000 });
    process.stdout.write('ANSWER ' + JSON.stringify({ answer, stack }) + '\\n');
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'ap-south-1',
      LOG_LEVEL: 'info',
      // as on Lambda: one JSON object per line (elsewhere the logger prints readable lines)
      LOG_FORMAT: 'json',
      RAZORPAY_WEBHOOK_SECRET: 'test-secret',
      OPS_TABLE: 'ops',
      RAW_WEBHOOKS_BUCKET: 'raw',
      WEBHOOK_QUEUE_URL: 'local://nowhere',
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = out.trim().split('\n');
  const last = JSON.parse(lines.pop()!.replace(/^ANSWER /, ''));
  return { logs: lines.map((l) => JSON.parse(l)), answer: last.answer, stack: last.stack };
}

describe('a production bundle without source maps', () => {
  it('logs errors under their class names and keeps function names in stack traces', () => {
    const { logs, answer, stack } = runUnsigned();
    expect(answer.statusCode).toBe(401);
    expect(logs).toContainEqual(
      expect.objectContaining({
        message: 'request failed',
        route: 'webhook',
        errorName: 'UnauthorizedError',
      }),
    );
    // frames point into the bundle, named after our functions
    expect(stack).toMatch(/at lowerCaseHeaders \(file:\/\/.*index\.mjs:\d+:\d+\)/);
  });
});
