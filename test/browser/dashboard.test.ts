/**
 * The Dashboard tab in a real browser (Debian's Chromium) against the whole local system with
 * the demo book, logged in as `admin` through the local provider: the page opens on it, its
 * figures and tables are the API's, the charts (uPlot, served by the API itself) are drawn, the
 * lender filter narrows them, and the header's search finds a demo borrower by phone and by name
 * and opens their links. Screenshots land in test-results/.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '../../shared/usecases/dashboard';
import { formatPaise } from '../../web/src/format';
import { ARTIFACTS, type Harness, login, startHarness } from './harness';

let h: Harness;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const requested: string[] = [];

function poll<T>(fn: () => Promise<T> | T) {
  return expect.poll(fn, { timeout: 15_000, interval: 100 });
}

async function dpdRows(): Promise<{ bucket: string; loans: string; outstanding: string }[]> {
  return page.locator('[data-testid="dpd-row"]').evaluateAll((rows) =>
    rows.map((r) => {
      const cells = r.querySelectorAll('td');
      return {
        bucket: (r as HTMLElement).dataset.bucket ?? '',
        loans: cells[1]?.textContent ?? '',
        outstanding: cells[2]?.textContent ?? '',
      };
    }),
  );
}

beforeAll(async () => {
  h = await startHarness();
  context = await h.browser.newContext({ viewport: { width: 1280, height: 1000 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => requested.push(r.url()));
  await login(page, h.system.url, 'admin', 'Dashboard');
}, 180_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await h?.close();
}, 60_000);

describe('Dashboard tab', () => {
  it("opens first, with the API's figures, DPD table and links by status", async () => {
    expect(await page.getByRole('tab').first().textContent()).toBe('Dashboard');
    expect(await page.getByRole('tab', { name: 'Dashboard' }).getAttribute('aria-selected')).toBe('true');
    const api = (await h.api<Dashboard>('GET', '/api/dashboard')).body;
    await poll(() => page.getByTestId('figure-pending').textContent()).toContain(
      formatPaise(api.pending.outstanding),
    );
    expect(await page.getByTestId('figure-pending').textContent()).toContain(`${api.pending.count} EMIs`);
    const rows = await dpdRows();
    expect(rows.map((r) => r.bucket)).toEqual(['current', 'SMA-0', 'SMA-1', 'SMA-2', 'NPA']);
    expect(rows.map((r) => Number(r.loans))).toEqual(api.dpd.map((b) => b.loans));
    expect(rows.map((r) => r.outstanding)).toEqual(api.dpd.map((b) => formatPaise(b.outstanding)));
    // a real book: mostly current, a thinning tail
    expect(api.dpd[0]!.loans).toBeGreaterThan(api.dpd[1]!.loans);
    expect(api.dpd[1]!.loans).toBeGreaterThan(0);
    expect(api.dpd[4]!.loans).toBeGreaterThan(0);
    const statusRows = await page.locator('#links-status-body tr').allTextContents();
    expect(statusRows).toHaveLength(7);
  });

  it('draws both charts with uPlot from the API itself (no CDN), labelled for people who cannot see them', async () => {
    await poll(() => page.getByTestId('chart-dpd').getAttribute('data-drawn')).toBe('true');
    expect(await page.locator('#chart-dpd canvas').count()).toBe(1);
    expect(await page.locator('#chart-daily canvas').count()).toBe(1);
    expect(await page.getByTestId('chart-dpd').getAttribute('role')).toBe('img');
    expect(await page.getByTestId('chart-dpd').getAttribute('aria-label')).toMatch(/SMA-1 \d+/);
    const origins = new Set(requested.map((u) => new URL(u).origin));
    for (const o of origins) expect([h.system.url, h.system.auth.issuer]).toContain(o);
    expect(requested.some((u) => u.endsWith('/charts.js'))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-desktop.png'), fullPage: true });
  });

  it('narrows to one lender', async () => {
    const lender = 'Sahyadri Microfin';
    const api = (await h.api<Dashboard>('GET', `/api/dashboard?lender=${encodeURIComponent(lender)}`)).body;
    await page.getByTestId('dashboard-lender').selectOption(lender);
    await poll(async () => (await dpdRows()).map((r) => Number(r.loans))).toEqual(
      api.dpd.map((b) => b.loans),
    );
    await poll(() => page.getByTestId('figure-pending').textContent()).toContain(`${api.pending.count} EMIs`);
  });

  it('finds a demo borrower by the last 10 digits of the phone and by name, and opens their links', async () => {
    const items = (
      await h.api<{ items: { loanId: string; clientName: string; phone: string }[] }>(
        'GET',
        '/api/payment-links/pending-emis?limit=1&lender=Deccan%20Credit',
      )
    ).body.items;
    const borrower = items[0]!;
    const last10 = borrower.phone.replace(/\D/g, '').slice(-10);
    await page.getByTestId('search-q').fill(last10);
    await page.getByTestId('search-q').press('Enter');
    const hit = page.locator(`[data-testid="search-hit"][data-loan="${borrower.loanId}"]`);
    await hit.waitFor();
    expect(await hit.textContent()).toContain(borrower.clientName);

    await page.getByTestId('search-q').fill(borrower.clientName.split(' ')[0]!.toLowerCase());
    await page.getByTestId('search-go').click();
    await page.locator('[data-testid="search-hit"]').first().waitFor();
    const names = await page.locator('[data-testid="search-hit"]').allTextContents();
    expect(names.length).toBeGreaterThan(0);
    for (const n of names)
      expect(n.toLowerCase()).toContain(borrower.clientName.split(' ')[0]!.toLowerCase());

    await page.getByTestId('search-q').fill(last10);
    await page.getByTestId('search-q').press('Enter');
    await hit.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-search.png') });
    await hit.click();
    await poll(() => page.getByRole('tab', { name: 'Generated Links' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    expect(await page.getByTestId('links-loan').inputValue()).toBe(borrower.loanId);
  });

  it('reads on a phone (390 px) without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('tab', { name: 'Dashboard' }).click();
    await poll(() => page.getByTestId('chart-dpd').getAttribute('data-drawn')).toBe('true');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
  });

  it('raised no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
