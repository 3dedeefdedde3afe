/**
 * The browser tests' world: the page built by web/build.ts, the whole local system (DynamoDB
 * Local, s3rver, the Razorpay sandbox, queues, gateway) on free ports with demo data, and
 * Debian's Chromium driven by playwright-core (no browser download).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { freePort, ROOT } from '../../local/aws-local';
import { type System, startSystem } from '../../local/system';
import { buildWeb, type WebBuild } from '../../web/build';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-results');

export interface Harness {
  system: System;
  browser: Browser;
  web: WebBuild;
  /** calls the app's API; throws on a non-2xx answer */
  api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** calls a sandbox control route */
  sandbox<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const web = await buildWeb();
  const [port, sandboxPort, dynamodbPort, s3Port] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const system = await startSystem({
    port,
    sandboxPort,
    dynamodbPort,
    s3Port,
    demoData: true,
    reconcileEveryMs: 0,
  });
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
  } catch (err) {
    await system.stop();
    throw err;
  }

  async function call<T>(base: string, method: string, path: string, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return { status: res.status, body: JSON.parse(text) as T };
  }

  return {
    system,
    browser,
    web,
    api: (method, path, body) => call(system.url, method, path, body),
    sandbox: async <T>(method: string, path: string, body?: unknown) =>
      (await call<T>(system.sandboxUrl!, method, path, body)).body,
    close: async () => {
      await browser.close().catch(() => {});
      await system.stop();
    },
  };
}
