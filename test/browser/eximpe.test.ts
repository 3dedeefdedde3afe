/**
 * The second provider in a real browser (Chromium through playwright-core) against the whole
 * local system, which runs the EximPe sandbox beside Razorpay's (Deccan Credit collects on EximPe
 * in the demo): a collector generates a Deccan Credit link on the page, the borrower pays it on
 * EximPe's hosted page, and the webhook credits the EMI once; the drawer offers only what EximPe
 * can do. An admin adds an EximPe account on the Accounts tab and a link goes through it.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, login, startHarness } from './harness';

interface PendingItem {
  loanId: string;
  lender: string;
  emiNumber: number;
  amountDue: number;
  amountPaid: number;
  activeLink: { id: string } | null;
}

interface LinkView {
  id: string;
  loanId: string;
  emiNumber: number;
  amount: number;
  status: string;
  provider: string;
  accountId: string;
  shortUrl: string;
  amountPaid: number;
}

function poll<T>(fn: () => Promise<T> | T) {
  return expect.poll(fn, { timeout: 20_000, interval: 150 });
}

let h: Harness;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

async function personPage(username: string, tab: 'Pending EMIs' | 'Generated Links'): Promise<Page> {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await login(page, h.system.url, username, tab);
  return page;
}

beforeAll(async () => {
  h = await startHarness();
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await h?.close();
});

describe('EximPe on the page', () => {
  it('a collector generates a Deccan Credit link, the borrower pays on EximPe’s page, and the EMI is credited once', async () => {
    const qs = new URLSearchParams({
      lender: 'Deccan Credit',
      bucket: 'upcoming',
      withinDays: '60',
      limit: '200',
    });
    const pending = (await h.api<{ items: PendingItem[] }>('GET', `/api/payment-links/pending-emis?${qs}`))
      .body.items;
    const emi = pending.find((e) => e.activeLink === null && e.amountPaid === 0);
    if (!emi) throw new Error('the demo book has no unpaid Deccan Credit EMI without a link');

    const page = await personPage('collector', 'Pending EMIs');
    // the same filter on the page: the EMI is among the first rows (due date order), or a "more" away
    const panel = page.locator('#panel-pending');
    await panel.getByLabel('Lender').selectOption('Deccan Credit');
    await panel.getByLabel('Show', { exact: true }).selectOption('upcoming');
    await panel.getByLabel('Due within (days)').fill('60');
    await panel.getByLabel('Due within (days)').press('Enter');
    await poll(() => page.getByTestId('pending-summary').textContent()).toContain(
      'Deccan Credit, due within 60 days',
    );
    const row = page.locator(
      `[data-testid="pending-row"][data-loan-id="${emi.loanId}"][data-emi-number="${emi.emiNumber}"]`,
    );
    for (let i = 0; i < 10 && (await row.count()) === 0; i++) {
      await page.getByTestId('pending-more').click();
      await page.locator('#pending-table:not([aria-busy])').waitFor();
    }
    await row.getByTestId('generate').click();
    await row.getByTestId('generated-link').waitFor();
    const shortUrl = (await row.getByTestId('link-url').getAttribute('href')) ?? '';

    const link = (
      await h.api<{ items: LinkView[] }>(
        'GET',
        `/api/payment-links/list?loanId=${encodeURIComponent(emi.loanId)}`,
      )
    ).body.items.find((l) => l.emiNumber === emi.emiNumber)!;
    expect(link).toMatchObject({ provider: 'eximpe', accountId: 'deccan', status: 'created', shortUrl });
    expect(new URL(shortUrl).origin).toBe(new URL(h.system.eximpeSandboxUrl!).origin);

    // the borrower's side: EximPe's hosted page, in rupees
    const borrower = await h.browser.newContext({ viewport: { width: 390, height: 800 } });
    contexts.push(borrower);
    const payPage = await borrower.newPage();
    await payPage.goto(shortUrl);
    const pay = payPage.getByRole('button', { name: /^Pay ₹/ });
    expect(await pay.textContent()).toBe(`Pay ₹${(emi.amountDue / 100).toFixed(2)}`);
    await pay.click();
    await payPage.getByText('Payment successful').waitFor();

    // EximPe's webhook → the worker confirms the payment with EximPe's API → credited once
    await poll(async () => (await h.api<LinkView>('GET', `/api/payment-links/${link.id}`)).body.status).toBe(
      'paid',
    );
    const detail = (
      await h.api<LinkView & { payments: { amount: number }[] }>('GET', `/api/payment-links/${link.id}`)
    ).body;
    expect(detail.amountPaid).toBe(emi.amountDue);
    expect(detail.payments.map((p) => p.amount)).toEqual([emi.amountDue]);

    // the drawer of the paid link: no Resend (EximPe has none), and nothing to cancel
    await page.getByRole('tab', { name: 'Generated Links' }).click();
    await page.locator('#links-loan').fill(emi.loanId);
    await page.locator('#links-loan').press('Enter');
    const linkRow = page.locator(`[data-testid="link-row"][data-link-id="${link.id}"]`);
    await poll(() => linkRow.textContent()).toMatch(/paid/i);
    await linkRow.getByTestId('details').click();
    const drawer = page.getByTestId('link-drawer');
    await poll(() => drawer.isVisible()).toBe(true);
    expect(await drawer.getByTestId('resend-sms').count()).toBe(0);
    expect(await drawer.getByTestId('resend-email').count()).toBe(0);
    expect(await drawer.getByTestId('drawer-cancel').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('an admin adds an EximPe account on the Accounts tab; its webhook URL is EximPe’s and a link goes through it', async () => {
    const clientId = 'eximpe-page-narmada-1';
    const clientSecret = 'eximpe-page-narmada-secret-0001';
    const webhookSecret = 'whsec-page-narmada-0001';
    await h.api('POST', '/api/loans', {
      loans: [
        {
          loanId: 'PAGE-NARMADA-1',
          lender: 'Narmada Finance',
          clientName: 'Page Borrower',
          phone: '+919000000098',
          emis: [{ emiNumber: 1, dueDate: new Date().toISOString().slice(0, 10), amount: 120_000 }],
        },
      ],
    });
    // the merchant exists at EximPe (its sandbox) before anyone types its keys in
    const put = await fetch(`${h.system.eximpeSandboxUrl}/_sandbox/accounts`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId,
        clientSecret,
        webhookSecret,
        webhookUrl: `${h.system.url.replace('localhost', '127.0.0.1')}/webhooks/eximpe/narmada`,
      }),
    });
    expect(put.status).toBe(200);

    const page = await personPage('admin', 'Pending EMIs');
    await page.getByRole('tab', { name: 'Accounts' }).click();
    await page.getByTestId('account-deccan').waitFor();
    await page.getByTestId('account-provider').selectOption('eximpe');
    await page.getByLabel('Account id').fill('narmada');
    await page.getByLabel('Name').fill('Narmada Finance');
    await page.getByLabel('Key id').fill(clientId);
    await page.getByLabel('Key secret').fill(clientSecret);
    await page.getByLabel('Webhook secret').fill(webhookSecret);
    await page.getByLabel('Lenders (comma-separated)').fill('Narmada Finance');
    await page.getByTestId('account-save').click();
    const saved = page.getByTestId('account-narmada');
    await saved.waitFor();
    expect(await saved.textContent()).toContain('EximPe');
    expect(await saved.textContent()).toContain('/webhooks/eximpe/narmada');
    // the secrets left the form once saved
    expect(await page.getByLabel('Key secret').inputValue()).toBe('');

    const link = await h.api<LinkView>('POST', '/api/payment-links/generate', {
      loanId: 'PAGE-NARMADA-1',
      emiNumber: 1,
    });
    expect(link.body).toMatchObject({ accountId: 'narmada', provider: 'eximpe', amount: 120_000 });
    expect(new URL(link.body.shortUrl).origin).toBe(new URL(h.system.eximpeSandboxUrl!).origin);

    // its drawer offers what EximPe can do with an open link: extend and cancel, but no resend
    await page.getByRole('tab', { name: 'Generated Links' }).click();
    await page.locator('#links-loan').fill('PAGE-NARMADA-1');
    await page.locator('#links-loan').press('Enter');
    await page
      .locator(`[data-testid="link-row"][data-link-id="${link.body.id}"]`)
      .getByTestId('details')
      .click();
    const drawer = page.getByTestId('link-drawer');
    await poll(() => drawer.isVisible()).toBe(true);
    await poll(() => drawer.getByTestId('extend').count()).toBe(1);
    expect(await drawer.getByTestId('drawer-cancel').count()).toBe(1);
    expect(await drawer.getByTestId('resend-sms').count()).toBe(0);
    expect(await drawer.getByTestId('resend-email').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
