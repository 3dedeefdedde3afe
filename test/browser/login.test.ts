/**
 * Logging in, in a real browser against the whole local system (architecture §4a): the page
 * holds no data until someone logs in through the local OpenID Connect provider's own login
 * page; a collector generates a link and logs out (the session ends at the provider too); a
 * viewer sees no control it may not use, and the API refuses the viewer's token if forced;
 * an expired or refused token is renewed with the refresh token, or the person is asked to log
 * in again. Each test has its own browser context (its own cookies and sessionStorage).
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/auth/identities';
import { refreshTokens } from '../../local/auth/tokens';
import { ARTIFACTS, type Harness, login, startHarness } from './harness';

const TOKENS_KEY = 'emi-links.auth.tokens';

interface PendingItem {
  loanId: string;
  lender: string;
  emiNumber: number;
  activeLink: { id: string } | null;
}

interface LinkView {
  id: string;
  loanId: string;
  emiNumber: number;
  createdBy: { sub: string; name: string } | null;
}

function poll<T>(fn: () => Promise<T> | T, timeout = 15_000) {
  return expect.poll(fn, { timeout, interval: 100 });
}

let h: Harness;
const contexts: BrowserContext[] = [];
/** Content-Security-Policy violations and uncaught errors, in any page of any test */
const problems: string[] = [];
const used = new Set<string>();

interface Session {
  page: Page;
  /** every /api request the page sent: its path and Authorization header */
  apiCalls: { path: string; authorization: string | undefined }[];
  /** token-endpoint requests: their grant types */
  grants: string[];
}

async function open(): Promise<Session> {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const session: Session = { page, apiCalls: [], grants: [] };
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.origin === new URL(h.system.url).origin && url.pathname.startsWith('/api/')) {
      session.apiCalls.push({ path: url.pathname, authorization: r.headers().authorization });
    }
    if (url.origin === h.system.auth.issuer && url.pathname === '/token') {
      session.grants.push(new URLSearchParams(r.postData() ?? '').get('grant_type') ?? '');
    }
  });
  return session;
}

async function pending(query: Record<string, string>): Promise<PendingItem[]> {
  const qs = new URLSearchParams({ limit: '200', ...query });
  return (await h.api<{ items: PendingItem[] }>('GET', `/api/payment-links/pending-emis?${qs}`)).body.items;
}

async function freshEmi(lender: string): Promise<PendingItem> {
  const items = await pending({ lender, bucket: 'upcoming', withinDays: '60' });
  const emi = items.find((e) => e.activeLink === null && !used.has(`${e.loanId}#${e.emiNumber}`));
  if (!emi) throw new Error(`no fresh upcoming EMI for ${lender}`);
  used.add(`${emi.loanId}#${emi.emiNumber}`);
  return emi;
}

async function linksOf(emi: PendingItem): Promise<LinkView[]> {
  return (
    await h.api<{ items: LinkView[] }>(
      'GET',
      `/api/payment-links/list?loanId=${emi.loanId}&emiNumber=${emi.emiNumber}`,
    )
  ).body.items;
}

/** Shows one EMI's row on Pending EMIs (upcoming within 60 days of its lender). */
async function showEmi(page: Page, emi: PendingItem) {
  const panel = page.locator('#panel-pending');
  await panel.getByLabel('Lender').selectOption(emi.lender);
  await panel.getByLabel('Show', { exact: true }).selectOption('upcoming');
  await panel.getByLabel('Due within (days)').fill('60');
  await panel.getByLabel('Due within (days)').press('Enter');
  const row = page.locator(
    `[data-testid="pending-row"][data-loan-id="${emi.loanId}"][data-emi-number="${emi.emiNumber}"]`,
  );
  for (let i = 0; i < 10; i++) {
    await page.locator('#pending-table:not([aria-busy])').waitFor();
    if ((await row.count()) > 0) break;
    const more = page.getByTestId('pending-more');
    if (!(await more.isVisible())) break;
    await more.click();
  }
  await row.waitFor();
  return row;
}

async function lenderOptions(page: Page): Promise<string[]> {
  await poll(() => page.locator('#pending-lender option').count()).toBeGreaterThan(1);
  return page.locator('#pending-lender option').allTextContents();
}

async function storedTokens(page: Page): Promise<{ accessToken: string; refreshToken?: string } | null> {
  return page.evaluate((key) => JSON.parse(sessionStorage.getItem(key) ?? 'null'), TOKENS_KEY);
}

beforeAll(async () => {
  h = await startHarness();
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await h?.close();
}, 60_000);

describe('logging in', () => {
  it('before login the page shows a Log in button and nothing else: no tabs, no data, no API call', async () => {
    const { page, apiCalls } = await open();
    await page.goto(h.system.url);
    await page.locator('body[data-ready][data-auth="out"]').waitFor();
    expect(await page.getByRole('button', { name: 'Log in' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Log out' }).isVisible()).toBe(false);
    expect(await page.getByRole('tab').filter({ visible: true }).count()).toBe(0);
    expect(await page.locator('#panel-pending').isVisible()).toBe(false);
    expect(await page.locator('#panel-links').isVisible()).toBe(false);
    expect(await page.getByTestId('signed-out').textContent()).toContain('Log in to continue');
    expect(await page.locator('[data-testid="pending-row"]').count()).toBe(0);
    expect(apiCalls).toEqual([]);
    // and the API itself answers nothing without a token
    const res = await fetch(`${h.system.url}/api/payment-links/pending-emis`);
    expect(res.status).toBe(401);
  });

  it('collector logs in on the provider login page, works on their lenders, generates a link and logs out', async () => {
    const { page, apiCalls } = await open();
    const collector = DEMO_USERS.find((u) => u.username === 'collector')!;
    await page.goto(h.system.url);
    await page.locator('body[data-ready]').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Log in' }).click();

    // the provider's own login page, on the provider's origin
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).origin).toBe(h.system.auth.issuer);
    await page.screenshot({ path: join(ARTIFACTS, 'login-provider-page.png') });
    await page.getByLabel('Username').fill('collector');
    await page.getByLabel('Password').fill(collector.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.locator('body[data-ready][data-auth="in"]').waitFor();
    // back on the page, the one-time code gone from the address bar
    expect(page.url()).toMatch(new RegExp(`^${h.system.url}/(#dashboard)?$`));
    // the page opens on the Dashboard; this collector works on the pending list
    await page.getByRole('tab', { name: 'Pending EMIs' }).click();
    expect(await page.getByTestId('who-name').textContent()).toBe('collector');
    expect(await page.getByTestId('who-role').textContent()).toBe('Collector');
    expect(await page.getByRole('button', { name: 'Log out' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Log in' }).isVisible()).toBe(false);
    expect(await page.getByTestId('bulk-start').isVisible()).toBe(true);

    // only the collector's lenders, in the filter and in the rows
    expect(await lenderOptions(page)).toEqual(['All lenders', 'Deccan Credit', 'Kaveri Finance']);
    await page.locator('[data-testid="pending-row"]').first().waitFor();
    const rowLenders = await page
      .locator('[data-testid="pending-row"]')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.lender));
    expect(new Set(rowLenders).has('Sahyadri Microfin')).toBe(false);

    const emi = await freshEmi('Kaveri Finance');
    const row = await showEmi(page, emi);
    await row.getByTestId('generate').click();
    await row.getByTestId('generated-link').waitFor();
    expect(await row.getByTestId('generated-link').textContent()).toContain('New link');
    // the API recorded who did it
    const links = await linksOf(emi);
    expect(links).toHaveLength(1);
    expect(links[0]!.createdBy).toEqual({ sub: collector.sub, name: 'collector' });

    // every API call the page made carried the access token
    expect(apiCalls.length).toBeGreaterThan(3);
    for (const c of apiCalls) expect(c.authorization, c.path).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);

    // Log out: the tokens are forgotten, the refresh token no longer works, and the provider's
    // session ends too
    const before = await storedTokens(page);
    expect(before?.refreshToken).toBeTruthy();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.locator('body[data-ready][data-auth="out"]').waitFor();
    expect(new URL(page.url()).origin).toBe(new URL(h.system.url).origin);
    expect(await storedTokens(page)).toBeNull();
    await expect(refreshTokens(h.system.auth.issuer, before!.refreshToken!)).rejects.toThrow(/invalid_grant/);
    expect(await page.getByRole('button', { name: 'Log in' }).isVisible()).toBe(true);
    expect(await page.locator('[data-testid="pending-row"]').count()).toBe(0);
    // logging in again asks for the password again
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Password').waitFor();
    expect(new URL(page.url()).origin).toBe(h.system.auth.issuer);
  }, 60_000);

  it('a wrong password is refused on the provider login page, and the page stays logged out', async () => {
    const { page, apiCalls } = await open();
    await page.goto(h.system.url);
    await page.locator('body[data-ready]').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Username').fill('collector');
    await page.getByLabel('Password').fill('demo-viewer');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('Wrong username or password.');
    expect(new URL(page.url()).origin).toBe(h.system.auth.issuer);
    expect(await page.getByLabel('Username').inputValue()).toBe('collector');
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    expect(apiCalls).toEqual([]);
  });

  it('viewer sees their lender but no Generate, Generate all, Refresh or Cancel, and the API refuses a forced generate (403)', async () => {
    const { page } = await open();
    // a link of the viewer's lender, so the Generated Links tab has a row to look at
    const linked = await freshEmi('Sahyadri Microfin');
    await h.api('POST', '/api/payment-links/generate', {
      loanId: linked.loanId,
      emiNumber: linked.emiNumber,
    });

    await login(page, h.system.url, 'viewer');
    expect(await page.getByTestId('who-name').textContent()).toBe('viewer');
    expect(await page.getByTestId('who-role').textContent()).toBe('Viewer');
    expect(await lenderOptions(page)).toEqual(['All lenders', 'Sahyadri Microfin']);
    await page.locator('[data-testid="pending-row"]').first().waitFor();
    expect(await page.locator('[data-testid="pending-row"]').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('generate').count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Generate/ }).count()).toBe(0);
    expect(await page.getByTestId('bulk-start').isVisible()).toBe(false);
    // importing loans needs the loans permission: no Import loans tab for a viewer
    expect(await page.getByTestId('tab-import').isVisible()).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'login-viewer-pending.png') });

    await page.getByRole('tab', { name: 'Generated Links' }).click();
    const loan = page.locator('#panel-links').getByLabel('Loan ID');
    await loan.fill(linked.loanId);
    await loan.press('Enter');
    const linkRow = page.locator(`[data-testid="link-row"][data-loan-id="${linked.loanId}"]`);
    await linkRow.first().waitFor();
    expect(await linkRow.first().getAttribute('data-status')).toBe('created');
    expect(await page.getByTestId('refresh').count()).toBe(0);
    expect(await page.getByTestId('cancel').count()).toBe(0);

    // forced: the viewer's own token, from the page, on a generate call
    const emi = await freshEmi('Sahyadri Microfin');
    const forced = await page.evaluate(
      async ({ key, body }) => {
        const { accessToken } = JSON.parse(sessionStorage.getItem(key) ?? '{}') as { accessToken: string };
        const res = await fetch('/api/payment-links/generate', {
          method: 'POST',
          headers: {
            authorization: `Bearer ${accessToken}`,
            'content-type': 'application/json',
            'idempotency-key': 'viewer-forced-0001',
          },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: await res.json() };
      },
      { key: TOKENS_KEY, body: { loanId: emi.loanId, emiNumber: emi.emiNumber } },
    );
    expect(forced.status).toBe(403);
    expect(forced.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(await linksOf(emi)).toEqual([]);
  }, 60_000);

  it('an expired access token is renewed with the refresh token; a 401 renews once; a refused renewal asks for login', async () => {
    const session = await open();
    const { page } = session;
    await login(page, h.system.url, 'collector');
    const first = await storedTokens(page);
    expect(first?.refreshToken).toBeTruthy();
    expect(session.grants).toEqual(['authorization_code']);

    // expired: renewed before the first API call of the reloaded page
    await page.evaluate((key) => {
      const t = JSON.parse(sessionStorage.getItem(key)!);
      sessionStorage.setItem(key, JSON.stringify({ ...t, expiresAt: Date.now() - 1000 }));
    }, TOKENS_KEY);
    await page.reload();
    await page.locator('body[data-ready][data-auth="in"]').waitFor();
    await page.locator('[data-testid="pending-row"]').first().waitFor();
    expect(session.grants).toEqual(['authorization_code', 'refresh_token']);
    const renewed = await storedTokens(page);
    expect(renewed?.accessToken).not.toBe(first?.accessToken);

    // refused by the API (401): renewed once and the call retried
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/me')) statuses.push(r.status());
    });
    await page.evaluate((key) => {
      const t = JSON.parse(sessionStorage.getItem(key)!);
      sessionStorage.setItem(key, JSON.stringify({ ...t, accessToken: 'not.a.token' }));
    }, TOKENS_KEY);
    await page.reload();
    await page.locator('body[data-ready][data-auth="in"]').waitFor();
    expect(statuses).toEqual([401, 200]);
    expect(session.grants.filter((g) => g === 'refresh_token')).toHaveLength(2);
    expect(await page.getByTestId('who-name').textContent()).toBe('collector');

    // the refresh token refused too: the person is asked to log in again
    await page.evaluate((key) => {
      const t = JSON.parse(sessionStorage.getItem(key)!);
      sessionStorage.setItem(
        key,
        JSON.stringify({ ...t, accessToken: 'not.a.token', refreshToken: 'spent' }),
      );
    }, TOKENS_KEY);
    await page.reload();
    await page.locator('body[data-ready][data-auth="out"]').waitFor();
    expect(await page.getByRole('button', { name: 'Log in' }).isVisible()).toBe(true);
    expect(await page.getByTestId('live-alert').textContent()).toContain('Log in again');
    expect(await storedTokens(page)).toBeNull();
  }, 60_000);

  it('the strict CSP held on every page (the page reached the provider), and no script error', () => {
    expect(problems).toEqual([]);
  });
});
