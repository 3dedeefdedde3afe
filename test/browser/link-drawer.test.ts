/**
 * One link, in full, in a real browser (Chromium through playwright-core) against the whole local
 * system: a collector opens a link's drawer from the links list, sees its timeline and QR code,
 * resends it (the resend appears on the timeline) and copies its URL; a viewer sees the drawer
 * without the actions their role may not use; an admin refunds the surplus of an overpaid link
 * from the drawer (a collector sees no Refund button).
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
    // reminders and part payments switch through the PATCH, on the timeline
    await drawer.getByTestId('toggle-reminders').click();
    await poll(() => drawer.getByTestId('toggle-reminders').textContent()).toBe('Turn reminders on');
    await drawer.getByTestId('toggle-acceptPartial').click();
    await poll(() => drawer.getByTestId('toggle-acceptPartial').textContent()).toBe('Turn part payments off');
    expect(
      await drawer
        .locator('[data-testid="event"][data-type="updated"]')
        .evaluateAll((els) => els.map((e) => e.textContent)),
    ).toEqual([expect.stringMatching(/reminders off/), expect.stringMatching(/part payments on/)]);
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

  it('lets an admin refund an overpaid link from the drawer; a collector sees no Refund button', async () => {
    // a loan of one EMI: its link is made, ₹1,000 comes in elsewhere, then the link is paid in full
    const emi = { emiNumber: 1, dueDate: '2026-01-05', amount: 150_000 };
    const loan = {
      loanId: 'DRAWER-REFUND-1',
      lender: 'Kaveri Finance',
      clientName: 'Refund Test',
      phone: '+919000000003',
    };
    await h.api('POST', '/api/loans', { loans: [{ ...loan, emis: [emi] }] });
    const made = (
      await h.api<{ id: string; loanId: string; razorpayLinkId: string }>(
        'POST',
        '/api/payment-links/generate',
        {
          loanId: loan.loanId,
          emiNumber: 1,
        },
      )
    ).body;
    await h.api('POST', '/api/loans', { loans: [{ ...loan, emis: [{ ...emi, amountPaid: 100_000 }] }] });
    await h.sandbox('POST', `/_sandbox/payment_links/${made.razorpayLinkId}/pay`, {});
    await poll(
      async () =>
        (await h.api<{ attention: string | null }>('GET', `/api/payment-links/${made.id}`)).body.attention,
    ).toBe('overpaid');

    const collector = await personPage('collector');
    const seen = await openDrawer(collector, made);
    await poll(() => seen.locator('[data-testid="event"][data-type="attention"]').count()).toBe(1);
    expect(await seen.getByTestId('refund').count()).toBe(0);

    const page = await personPage('admin');
    const drawer = await openDrawer(page, made);
    await drawer.getByTestId('refund').click();
    const dialog = page.getByTestId('refund-dialog');
    await poll(() => dialog.isVisible()).toBe(true);
    // prefilled with the surplus: what the EMI did not need
    expect(await dialog.getByTestId('refund-amount').inputValue()).toBe('1000.00');
    await dialog.getByTestId('refund-reason').fill('paid here after paying ₹1,000 at the branch');
    await dialog.getByTestId('refund-send').click();
    await poll(() => dialog.getByTestId('refund-outcome').textContent()).toMatch(/Refund of ₹1,000\.00/);
    await dialog.getByTestId('refund-close').click();
    await poll(() => drawer.getByTestId('refunds').textContent()).toMatch(/₹1,000\.00 of pay_/);
    const refunds = await h.sandbox<{ refunds: { amount: number }[] }>('GET', '/_sandbox/refunds');
    expect(refunds.refunds.map((r) => r.amount)).toContain(100_000);
    await poll(
      async () =>
        (await h.api<{ attention: string | null }>('GET', `/api/payment-links/${made.id}`)).body.attention,
    ).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
