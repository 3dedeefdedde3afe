/**
 * The browser tests' world: the page built by web/build.ts, the whole local system (DynamoDB
 * Local, s3rver, the Razorpay sandbox, queues, the local OpenID Connect provider, gateway) on
 * free ports with demo data, and Debian's Chromium driven by playwright-core (no browser
 * download). People log in through the provider's real login page (`login`); the tests' own
 * API calls carry a client-credentials token of `demo-ops`, which sees every lender.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DEMO_USERS } from '../../local/auth/identities';
import { clientCredentialsToken } from '../../local/auth/tokens';
import { freePort, ROOT } from '../../local/aws-local';
import { type System, startSystem } from '../../local/system';
import { buildWeb, type WebBuild } from '../../web/build';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-results');

export interface Harness {
  system: System;
  browser: Browser;
  web: WebBuild;
  /** calls the app's API as the `demo-ops` client; throws on a non-2xx answer */
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
  const [port, sandboxPort, dynamodbPort, s3Port, authPort] = [
    await freePort(),
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
    authPort,
    eximpeSandboxPort: await freePort(),
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

  // access tokens last 15 minutes: take a fresh one well before that
  let machine: { token: string; at: number } | undefined;
  async function opsToken(): Promise<string> {
    if (!machine || Date.now() - machine.at > 5 * 60_000) {
      machine = {
        token: await clientCredentialsToken(system.auth.issuer, 'demo-ops', 'demo-ops-secret'),
        at: Date.now(),
      };
    }
    return machine.token;
  }

  async function call<T>(base: string, method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (base === system.url) headers.authorization = `Bearer ${await opsToken()}`;
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
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

/**
 * Logs `username` in as a person would: the page's Log in button, the provider's own login
 * page (fields found by their labels), Sign in, and back on the page with their name shown —
 * then opens `tab` (the page itself opens on the Dashboard).
 */
export async function login(
  page: Page,
  url: string,
  username: string,
  tab: 'Dashboard' | 'Pending EMIs' | 'Generated Links' = 'Pending EMIs',
): Promise<void> {
  const user = DEMO_USERS.find((u) => u.username === username);
  if (!user) throw new Error(`no demo user ${username}`);
  await page.goto(url);
  // the page's first load on a loaded machine (Chromium and the whole stack share 2 cores)
  await page.locator('body[data-ready]').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('body[data-ready][data-auth="in"]').waitFor();
  if (tab !== 'Dashboard') await page.getByRole('tab', { name: tab }).click();
}
