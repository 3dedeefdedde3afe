/**
 * One link, in full, in a real browser (Chromium through playwright-core) against the whole local
 * system: a collector opens a link's drawer from the links list, sees its timeline and QR code,
 * resends it (the resend appears on the timeline) and copies its URL; a viewer sees the drawer
 * without the actions their role may not use.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, login, startHarness } from './harness';

interface PendingItem {
  loanId: string;
  lender: string;
  emiNumber: number;
  activeLink: { id: string } | null;
}

function poll<T>(fn: () => Promise<T> | T) {
  return expect.poll(fn, { timeout: 15_000, interval: 100 });
}

let h: Harness;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

async function personPage(username: string): Promise<Page> {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.system.url });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await login(page, h.system.url, username, 'Generated Links');
  return page;
}

/** A fresh link for an EMI of `lender` that has none yet. */
async function newLink(lender: string): Promise<{ id: string; loanId: string; shortUrl: string }> {
  const qs = new URLSearchParams({ lender, bucket: 'upcoming', withinDays: '60', limit: '200' });
  const items = (await h.api<{ items: PendingItem[] }>('GET', `/api/payment-links/pending-emis?${qs}`)).body
    .items;
  const emi = items.find((e) => e.activeLink === null);
  if (!emi) throw new Error(`no EMI without a link for ${lender}`);
  const res = await h.api<{ id: string; loanId: string; shortUrl: string }>(
    'POST',
    '/api/payment-links/generate',
    { loanId: emi.loanId, emiNumber: emi.emiNumber },
  );
  return res.body;
}

async function openDrawer(page: Page, link: { id: string; loanId: string }) {
  await page.locator('#links-loan').fill(link.loanId);
  await page.locator('#links-loan').press('Enter');
  const row = page.locator(`[data-testid="link-row"][data-link-id="${link.id}"]`);
  await row.getByTestId('details').click();
  const drawer = page.getByTestId('link-drawer');
  await poll(() => drawer.isVisible()).toBe(true);
  await poll(() => drawer.getByTestId('event').count()).toBeGreaterThan(0);
  return drawer;
}

beforeAll(async () => {
  h = await startHarness();
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await h?.close();
});

describe('the link drawer', () => {
  it('opens from the list with the timeline and QR; a collector resends (on the timeline) and copies the URL', async () => {
    const link = await newLink('Kaveri Finance');
    const page = await personPage('collector');
    const drawer = await openDrawer(page, link);
    await poll(() => drawer.getByRole('heading', { level: 2 }).textContent()).toMatch(/^Loan .+ · EMI \d+$/);
    expect(await drawer.getByTestId('event').evaluateAll((els) => els.map((e) => e.dataset.type))).toEqual([
      'created',
    ]);
    // the QR code, drawn by the API, shown as an image
    await poll(async () => (await drawer.getByTestId('qr').getAttribute('src')) ?? '').toMatch(
      /^data:image\/png;base64,/,
    );

    await drawer.getByTestId('resend-sms').click();
    await poll(() => drawer.locator('[data-testid="event"][data-type="notified"]').count()).toBe(1);
    // who asked (the collector's name) and how
    expect(await drawer.locator('[data-testid="event"][data-type="notified"]').textContent()).toMatch(
      /Sent again by .+by SMS/,
    );
    const sent = await h.sandbox<{ notifications: { medium: string }[] }>('GET', '/_sandbox/notifications');
    expect(sent.notifications.map((n) => n.medium)).toEqual(['sms']);

    await drawer.getByTestId('copy').click();
    await poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(link.shortUrl);
    // a collector may extend and cancel an open link
    expect(await drawer.getByTestId('extend').isVisible()).toBe(true);
    expect(await drawer.getByTestId('drawer-cancel').isVisible()).toBe(true);
    await drawer.getByTestId('drawer-close').click();
    await poll(() => drawer.isVisible()).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it('shows a viewer the link and its timeline, without resend, extend or cancel', async () => {
    const link = await newLink('Sahyadri Microfin');
    const page = await personPage('viewer');
    const drawer = await openDrawer(page, link);
    expect(await drawer.getByTestId('copy').isVisible()).toBe(true);
    for (const id of ['resend-sms', 'resend-email', 'extend', 'drawer-cancel'])
      expect(await drawer.getByTestId(id).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
