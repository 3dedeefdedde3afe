/**
 * What a new user tripped over (issue 17.4–17.5), in a real browser (Debian's Chromium) against
 * the whole local system with the demo book, logged in as `admin`: pending EMIs sorted by amount
 * and days past due with the filter's total count and outstanding, a phone column, "Reuse link"
 * for an EMI with an open link, the toast clear of the row's link and Copy, CSV exports of the
 * rows shown, the bulk confirm with its count and ₹ total, the export panel after a reload and
 * the recent exports, links by creation date, by a loan id in another case and by a phone
 * number, a paid link's payment instead of its expiry, one IST date format on every tab, and a
 * compact EMI card on a phone. Screenshots land in test-results/.
 *
 * The tests run in order and share one page.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../shared/domain/dates';
import { formatPaise } from '../../web/src/format';
import { today } from '../support/fixtures';
import { ARTIFACTS, type Harness, login, startHarness } from './harness';

interface PendingItem {
  loanId: string;
  lender: string;
  clientName: string;
  phone: string;
  emiNumber: number;
  daysPastDue: number;
  amountOutstanding: number;
  activeLink: { id: string; shortUrl: string } | null;
}

interface PendingPage {
  items: PendingItem[];
  total: { count: number; outstanding: number } | null;
}

interface LinkView {
  id: string;
  razorpayLinkId: string | null;
  loanId: string;
  shortUrl: string | null;
  status: string;
  payments: { paymentId: string; method: string | null; capturedAt: string; status: string }[];
}

/** "3 Dec 2026" and "3 Dec 2026, 2:53 pm IST" */
const DATE = /^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}$/;
const TIME = /^\d{1,2}:\d{2} (am|pm) IST$/;

function poll<T>(fn: () => Promise<T> | T, timeout = 15_000) {
  return expect.poll(fn, { timeout, interval: 100 });
}

let h: Harness;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

async function pending(query: Record<string, string>): Promise<PendingPage> {
  const qs = new URLSearchParams({ limit: '50', ...query });
  return (await h.api<PendingPage>('GET', `/api/payment-links/pending-emis?${qs}`)).body;
}

function panel(name: 'pending' | 'links') {
  return page.locator(`#panel-${name}`);
}

async function openTab(name: 'Pending EMIs' | 'Generated Links' | 'Dashboard') {
  await page.getByRole('tab', { name }).click();
}

async function pendingLoaded() {
  await page.locator('#pending-table:not([aria-busy])').waitFor();
  await page.locator('[data-testid="pending-row"]').first().waitFor();
}

async function linksLoaded() {
  await page.locator('#links-table:not([aria-busy])').waitFor();
}

/** Sets the pending filters (the list reloads on each change) and waits for the list. */
async function filterPending(opts: { lender?: string; bucket?: string; within?: number; sort?: string }) {
  await openTab('Pending EMIs');
  const p = panel('pending');
  if (opts.lender !== undefined) await p.getByLabel('Lender').selectOption(opts.lender);
  if (opts.bucket !== undefined) await p.getByLabel('Show', { exact: true }).selectOption(opts.bucket);
  if (opts.within !== undefined) {
    await p.getByLabel('Due within (days)').fill(String(opts.within));
    await p.getByLabel('Due within (days)').press('Enter');
  }
  if (opts.sort !== undefined) await p.getByLabel('Sort by').selectOption(opts.sort);
  await pendingLoaded();
}

async function rowTexts(label: string): Promise<string[]> {
  return page.locator(`[data-testid="pending-row"] td[data-label="${label}"]`).allTextContents();
}

async function download(button: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(button).click()]);
  const path = await file.path();
  return readFile(path, 'utf8');
}

/** The CSV's records, read by a real RFC 4180 parser (csv-parse). */
function csvLines(text: string): string[][] {
  return parse(text, { relax_column_count: false }) as string[][];
}

async function screenshot(name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `lists-${name}.png`), fullPage: false });
}

beforeAll(async () => {
  h = await startHarness();
  context = await h.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.system.url });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await login(page, h.system.url, 'admin');
}, 180_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await h?.close();
}, 60_000);

describe('Pending EMIs a new user can read', () => {
  it("sorts by amount and by days past due, and the summary gives the filter's total count and outstanding", async () => {
    await filterPending({ lender: 'Kaveri Finance', bucket: 'all', within: 30, sort: '-amount' });
    const api = await pending({ lender: 'Kaveri Finance', bucket: 'all', withinDays: '30', sort: '-amount' });
    expect(api.total).not.toBeNull();
    const shown = await rowTexts('Outstanding');
    expect(shown.length).toBe(api.items.length);
    for (const [i, item] of api.items.entries())
      expect(shown[i]).toContain(formatPaise(item.amountOutstanding));
    const summary = (await page.getByTestId('pending-summary').textContent()) ?? '';
    expect(summary).toContain(`${api.items.length} of ${api.total!.count} EMIs shown`);
    expect(summary).toContain(`${formatPaise(api.total!.outstanding)} outstanding in all`);
    expect(summary).toContain('by amount outstanding, largest first');

    await filterPending({ bucket: 'overdue', sort: '-daysPastDue' });
    const overdue = await pending({ lender: 'Kaveri Finance', bucket: 'overdue', sort: '-daysPastDue' });
    const days = overdue.items.map((i) => i.daysPastDue);
    expect(days).toEqual([...days].sort((a, b) => b - a));
    const first = (await rowTexts('Due date'))[0]!;
    expect(first).toContain(`Overdue · ${days[0]} day`);

    // a phone column: the borrower's number, a tel: link
    const phones = page.locator('[data-testid="pending-row"] td[data-label="Phone"] [data-testid="phone"]');
    expect(await phones.first().textContent()).toBe(overdue.items[0]!.phone);
    expect(await phones.first().getAttribute('href')).toBe(`tel:${overdue.items[0]!.phone}`);
    await screenshot('pending-sorted-desktop');
  });

  it('says "Reuse link" for an EMI with an open link, and the toast leaves the row\'s link and Copy in view', async () => {
    await filterPending({ lender: 'Sahyadri Microfin', bucket: 'upcoming', within: 60, sort: 'dueDate' });
    const rows = page.locator('[data-testid="pending-row"]');
    // the last row on screen: the toast at the bottom of the window would cover it
    const count = await rows.count();
    const row = rows.nth(Math.min(count - 1, 9));
    const button = row.getByTestId('generate');
    expect(await button.textContent()).toBe('Generate');
    await row.scrollIntoViewIfNeeded();
    await page.evaluate(() => {
      const r = document.querySelectorAll('[data-testid="pending-row"]');
      const el = r[Math.min(r.length - 1, 9)] as HTMLElement;
      window.scrollBy(0, el.getBoundingClientRect().bottom - window.innerHeight + 4);
    });
    await button.click();
    await row.getByTestId('generated-link').waitFor();
    await poll(() => button.textContent()).toBe('Reuse link');
    expect(await button.getAttribute('aria-label')).toMatch(/^Reuse the open link for EMI \d+ of loan /);
    const toast = page.getByTestId('notice-success');
    await toast.waitFor();
    await page.waitForTimeout(200); // the page scrolls the row clear of the message on the next frame
    const box = (await toast.boundingBox())!;
    for (const target of [row.getByTestId('link-url'), row.getByTestId('copy')]) {
      const r = (await target.boundingBox())!;
      const overlaps =
        r.y + r.height > box.y &&
        r.y < box.y + box.height &&
        r.x + r.width > box.x &&
        r.x < box.x + box.width;
      expect(overlaps).toBe(false);
    }
    await screenshot('pending-toast-desktop');
    // a second click reuses it (the API answers the same link)
    await button.click();
    await poll(() => row.getByTestId('generated-link').textContent()).toContain('Reused open link');
  });

  it('exports the rows shown as CSV, in the contract column style with phones kept as text', async () => {
    await filterPending({ lender: 'Deccan Credit', bucket: 'overdue', sort: '-amount' });
    const rows = await page.locator('[data-testid="pending-row"]').count();
    const lines = csvLines(await download('pending-csv'));
    expect(lines[0]).toEqual([
      'loan_id',
      'client_name',
      'phone',
      'email',
      'lender',
      'emi_number',
      'due_date',
      'days_past_due',
      'amount_due_inr',
      'amount_paid_inr',
      'amount_outstanding_inr',
      'payment_link',
      'link_id',
      'link_status',
    ]);
    expect(lines).toHaveLength(rows + 1);
    const api = await pending({ lender: 'Deccan Credit', bucket: 'overdue', sort: '-amount' });
    const first = api.items[0]!;
    expect(lines[1]![0]).toBe(first.loanId);
    expect(lines[1]![2]).toBe(`'${first.phone}`);
    expect(lines[1]![10]).toMatch(/^\d+\.\d{2}$/);
    expect(Math.round(Number(lines[1]![10]) * 100)).toBe(first.amountOutstanding);
  });

  it('the bulk confirm names the count and ₹ total first; the export panel survives a reload; recent exports list the job and its CSV', async () => {
    // a handful of EMIs: the smallest upcoming window of Deccan Credit that has any
    let within = 1;
    let api: PendingPage = { items: [], total: null };
    for (const d of [1, 2, 3, 5, 7]) {
      within = d;
      api = await pending({ lender: 'Deccan Credit', bucket: 'upcoming', withinDays: String(d) });
      if ((api.total?.count ?? 0) > 0) break;
    }
    expect(api.total!.count).toBeGreaterThan(0);
    await filterPending({ lender: 'Deccan Credit', bucket: 'upcoming', within, sort: 'dueDate' });
    await page.getByTestId('bulk-start').click();
    const dialog = page.getByTestId('confirm');
    await dialog.waitFor();
    const n = api.total!.count;
    const title = (await dialog.locator('h2').textContent()) ?? '';
    expect(title).toBe(`Generate links for ${n} pending EMI${n === 1 ? '' : 's'}?`);
    const body = (await dialog.locator('#confirm-message').textContent()) ?? '';
    expect(body).toContain(`${formatPaise(api.total!.outstanding)} outstanding in all`);
    expect(body).toContain(`Deccan Credit, due within ${within} day`);
    expect(await dialog.getByTestId('confirm-ok').textContent()).toBe(
      `Generate ${n} link${n === 1 ? '' : 's'} & export`,
    );
    await screenshot('bulk-confirm-desktop');
    await dialog.getByTestId('confirm-ok').click();
    await poll(() => page.getByTestId('bulk-csv').isVisible(), 60_000).toBe(true);
    const scope = await page.getByTestId('bulk-scope').textContent();

    await page.reload();
    await page.locator('body[data-ready][data-auth="in"]').waitFor();
    await openTab('Pending EMIs');
    await poll(() => page.getByTestId('bulk-progress').isVisible()).toBe(true);
    await page.getByTestId('bulk-csv').waitFor();
    expect(await page.getByTestId('bulk-scope').textContent()).toBe(scope);
    expect(await page.getByTestId('bulk-counts').textContent()).toContain(`${n} of ${n} processed`);

    await page.getByTestId('bulk-recent').locator('summary').click();
    const recent = page.getByTestId('recent-job').first();
    await recent.waitFor();
    expect(await recent.textContent()).toContain('Done');
    expect(await recent.textContent()).toContain('by ');
    const csvUrl = await recent.getByTestId('recent-job-csv').getAttribute('href');
    const csv = await (await fetch(csvUrl!)).text();
    expect(csv.split(/\r?\n/)[0]).toMatch(/^loan_id,client_name,phone,/);
    await screenshot('bulk-recent-desktop');

    // closing the panel is what makes it go
    await page.getByRole('button', { name: 'Close the export panel' }).click();
    await page.reload();
    await page.locator('body[data-ready][data-auth="in"]').waitFor();
    await openTab('Pending EMIs');
    await pendingLoaded();
    expect(await page.getByTestId('bulk-progress').isVisible()).toBe(false);
  }, 120_000);
});

describe('Generated Links a new user can read', () => {
  let paid: LinkView;
  let borrower: PendingItem;

  beforeAll(async () => {
    const upcoming = await pending({
      lender: 'Kaveri Finance',
      bucket: 'upcoming',
      withinDays: '60',
      limit: '200',
    });
    borrower = upcoming.items.find((i) => i.activeLink === null)!;
    const link = (
      await h.api<LinkView>('POST', '/api/payment-links/generate', {
        loanId: borrower.loanId,
        emiNumber: borrower.emiNumber,
      })
    ).body;
    await h.sandbox('POST', `/_sandbox/payment_links/${link.razorpayLinkId}/pay`, { method: 'upi' });
    paid = (await h.api<LinkView>('POST', `/api/payment-links/${link.id}/refresh-status`)).body;
    expect(paid.status).toBe('paid');
  });

  it('finds a loan typed in lower case, and a phone number in the loan box finds its loan', async () => {
    await openTab('Generated Links');
    const box = panel('links').getByLabel('Loan ID or phone');
    await box.fill(borrower.loanId.toLowerCase());
    await box.press('Enter');
    await linksLoaded();
    await page.locator(`[data-testid="link-row"][data-link-id="${paid.id}"]`).waitFor();
    expect(await page.getByTestId('state-error').count()).toBe(0);

    await box.fill(borrower.phone.replace('+91', '').replace(/(\d{5})(\d{5})/, '$1 $2'));
    await box.press('Enter');
    await poll(() => box.inputValue()).toBe(borrower.loanId);
    await linksLoaded();
    await page.locator(`[data-testid="link-row"][data-link-id="${paid.id}"]`).waitFor();
    const rows = page.locator('[data-testid="link-row"]');
    const loans = await rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.loanId));
    expect(new Set(loans)).toEqual(new Set([borrower.loanId]));
    expect(await rows.first().getByTestId('link-phone').textContent()).toBe(borrower.phone);
  });

  it("a paid link shows when, how and which payment — not 'Expires'", async () => {
    const row = page.locator(`[data-testid="link-row"][data-link-id="${paid.id}"]`);
    const info = row.getByTestId('paid-info');
    await info.waitFor();
    const payment = paid.payments.find((p) => p.status === 'captured')!;
    expect(await row.getByTestId('payment-id').textContent()).toBe(payment.paymentId);
    expect(await info.textContent()).toContain('UPI');
    expect(await info.textContent()).toMatch(/^Paid \d{1,2} \w{3} \d{4} \d{1,2}:\d{2} (am|pm) IST/);
    expect(await row.textContent()).not.toContain('Expires');
    expect(await row.locator('td[data-label="Paid"]').count()).toBe(1);
    await screenshot('links-paid-desktop');
  });

  it('filters by creation date and exports the rows shown in the bulk CSV columns', async () => {
    const box = panel('links').getByLabel('Loan ID or phone');
    await box.fill('');
    await panel('links').getByLabel('Created from').fill(addDays(today(), 1));
    await linksLoaded();
    await page.getByTestId('state-empty').waitFor();
    await panel('links').getByLabel('Created from').fill(today());
    await panel('links').getByLabel('Created to').fill(today());
    await linksLoaded();
    await page.locator(`[data-testid="link-row"][data-link-id="${paid.id}"]`).waitFor();
    expect(await page.getByTestId('links-summary').textContent()).toContain('created');

    const lines = csvLines(await download('links-csv'));
    expect(lines[0]!.slice(0, 13).join(',')).toBe(
      'loan_id,client_name,phone,email,lender,emi_number,due_date,amount_inr,payment_link,link_id,link_status,expires_at,error',
    );
    const shown = await page.locator('[data-testid="link-row"]').count();
    expect(lines).toHaveLength(shown + 1);
    const mine = lines.find((l) => l[9] === paid.id)!;
    expect(mine[0]).toBe(borrower.loanId);
    expect(mine[2]).toBe(`'${borrower.phone}`);
    expect(mine[10]).toBe('paid');
    expect(mine[lines[0]!.indexOf('payment_id')]).toBe(
      paid.payments.find((p) => p.status === 'captured')!.paymentId,
    );
    await panel('links').getByLabel('Created from').fill('');
    await panel('links').getByLabel('Created to').fill('');
  });

  it('writes dates one way, in IST, on every tab', async () => {
    await linksLoaded();
    const created = page.locator('[data-testid="link-row"] td[data-label="Created"] time').first();
    const spans = await created.locator('span').allTextContents();
    expect(spans[0]).toMatch(DATE);
    expect(spans[1]).toMatch(TIME);
    await openTab('Pending EMIs');
    await pendingLoaded();
    const due = await page
      .locator('[data-testid="pending-row"] td[data-label="Due date"] .nowrap')
      .first()
      .textContent();
    expect(due).toMatch(DATE);
    await openTab('Dashboard');
    await poll(() => page.getByTestId('dashboard-asof').textContent()).toMatch(
      /^As of \d{1,2} \w{3} \d{4}, \d{1,2}:\d{2} (am|pm) IST$/,
    );
  });

  it('on a phone (390 px) one EMI takes well under half the screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await filterPending({ lender: 'Kaveri Finance', bucket: 'all', within: 7, sort: 'dueDate' });
    const heights = await page
      .locator('[data-testid="pending-row"]')
      .evaluateAll((rows) => rows.slice(0, 5).map((r) => r.getBoundingClientRect().height));
    for (const height of heights) expect(height).toBeLessThan(844 / 2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page
      .locator('[data-testid="notice-success"] .notice-close')
      .click({ timeout: 1000 })
      .catch(() => {});
    await page.locator('[data-testid="pending-row"]').first().scrollIntoViewIfNeeded();
    await page.evaluate(() =>
      document.querySelector('[data-testid="pending-row"]')?.scrollIntoView({ block: 'start' }),
    );
    await screenshot('pending-phone');
    await openTab('Generated Links');
    await linksLoaded();
    await page.locator('[data-testid="link-row"]').first().waitFor();
    await page.evaluate(() =>
      document.querySelector('[data-testid="link-row"]')?.scrollIntoView({ block: 'start' }),
    );
    await screenshot('links-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(pageErrors).toEqual([]);
  });
});
