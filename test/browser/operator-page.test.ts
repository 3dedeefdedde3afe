/**
 * The operator page in a real browser (Debian's Chromium through playwright-core) against the
 * whole local system: DynamoDB Local, s3rver, the Razorpay sandbox and its pay pages, the
 * queues and the gateway serving web/dist, with the demo loan book, logged in as `admin`
 * through the local provider's login page (login.test.ts covers logging in and the roles).
 *
 * The tests run in order and share one page: each leaves the page in a state the next uses.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JS_BYTES } from '../../web/build';
import { formatPaise } from '../../web/src/format';
import { today } from '../support/fixtures';
import { ARTIFACTS, type Harness, login, startHarness } from './harness';

const CSV_HEADER =
  'loan_id,client_name,phone,email,lender,emi_number,due_date,amount_inr,payment_link,link_id,link_status,expires_at,error';

interface PendingItem {
  loanId: string;
  lender: string;
  emiNumber: number;
  amountOutstanding: number;
  activeLink: { id: string; shortUrl: string } | null;
}

interface LinkView {
  id: string;
  razorpayLinkId: string | null;
  loanId: string;
  emiNumber: number;
  shortUrl: string | null;
  status: string;
  amount: number;
  reused?: boolean;
}

/** expect.poll with a timeout for a real system (vitest's default is 1 s) */
function poll<T>(fn: () => Promise<T> | T, opts: { timeout?: number; interval?: number } = {}) {
  return expect.poll(fn, { timeout: opts.timeout ?? 15_000, interval: opts.interval ?? 100 });
}

let h: Harness;
let context: BrowserContext;
let page: Page;
/** EMIs a test has used, so later tests pick fresh ones */
const used = new Set<string>();
/** uncaught errors in the page's own script */
const pageErrors: string[] = [];

async function pending(query: Record<string, string>): Promise<PendingItem[]> {
  const qs = new URLSearchParams({ limit: '200', ...query });
  return (await h.api<{ items: PendingItem[] }>('GET', `/api/payment-links/pending-emis?${qs}`)).body.items;
}

/** A pending EMI of `lender` with no open link that no other test has touched. */
async function freshEmi(lender: string): Promise<PendingItem> {
  const items = await pending({ lender, bucket: 'upcoming', withinDays: '60' });
  const emi = items.find((e) => e.activeLink === null && !used.has(`${e.loanId}#${e.emiNumber}`));
  if (!emi) throw new Error(`no fresh upcoming EMI for ${lender}`);
  used.add(`${emi.loanId}#${emi.emiNumber}`);
  return emi;
}

function rowOf(testid: 'pending-row' | 'link-row', attrs: Record<string, string | number>) {
  const sel = Object.entries(attrs)
    .map(([k, v]) => `[data-${k}="${v}"]`)
    .join('');
  return page.locator(`[data-testid="${testid}"]${sel}`);
}

function panel(name: 'pending' | 'links') {
  return page.locator(`#panel-${name}`);
}

async function openTab(name: 'pending' | 'links') {
  await page.getByRole('tab', { name: name === 'pending' ? 'Pending EMIs' : 'Generated Links' }).click();
  await poll(() => panel(name).isVisible()).toBe(true);
}

async function showLinksForLoan(loanId: string) {
  await openTab('links');
  const loan = panel('links').getByLabel('Loan ID');
  await loan.fill(loanId);
  await loan.press('Enter');
  await page.locator('#links-table:not([aria-busy])').waitFor();
  await rowOf('link-row', { 'loan-id': loanId }).first().waitFor();
}

/** Sets the Pending EMIs filters and waits for the list they describe. */
async function filterPending(lender: string, bucket: 'all' | 'overdue' | 'upcoming', withinDays = 7) {
  await openTab('pending');
  const p = panel('pending');
  await p.getByLabel('Lender').selectOption(lender);
  await p.getByLabel('Show', { exact: true }).selectOption(bucket);
  if (bucket !== 'overdue') {
    await p.getByLabel('Due within (days)').fill(String(withinDays));
    await p.getByLabel('Due within (days)').press('Enter');
  }
  const who = lender || 'all lenders';
  const days = `${withinDays} day${withinDays === 1 ? '' : 's'}`;
  const desc =
    bucket === 'overdue'
      ? `${who}, overdue`
      : bucket === 'upcoming'
        ? `${who}, due within ${days}`
        : `${who}, overdue or due within ${days}`;
  await poll(async () => {
    if (await page.locator('#pending-table[aria-busy]').count()) return 'loading';
    if (await page.getByTestId('state-empty').count()) return 'empty';
    return (await page.getByTestId('pending-summary').textContent()) ?? '';
  }).toMatch(new RegExp(`^empty$|· ${desc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ·`));
}

/** The row of one EMI on the Pending EMIs tab, loading more pages until it shows. */
async function pendingRow(emi: { loanId: string; emiNumber: number }) {
  const row = rowOf('pending-row', { 'loan-id': emi.loanId, 'emi-number': emi.emiNumber });
  for (let i = 0; i < 10 && (await row.count()) === 0; i++) {
    const more = page.getByTestId('pending-more');
    if (!(await more.isVisible())) break;
    await more.click();
    await page.locator('#pending-table:not([aria-busy])').waitFor();
  }
  await row.waitFor();
  return row;
}

/** The live regions' text (status and alert). */
async function notices(): Promise<string> {
  return `${await page.getByTestId('live-status').textContent()} ${await page.getByTestId('live-alert').textContent()}`;
}

/** At 1280 px the visible table fits without its own sideways scroll. */
async function expectNoTableScroll() {
  for (const wrap of await page.locator('.table-wrap').all()) {
    if (!(await wrap.isVisible())) continue;
    expect(await wrap.evaluate((w) => w.scrollWidth - w.clientWidth)).toBeLessThanOrEqual(0);
  }
}

async function screenshot(name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `operator-${name}.png`), fullPage: false });
}

beforeAll(async () => {
  h = await startHarness();
  context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.system.url });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // an admin sees every lender, as the tests' own API calls (demo-ops) do
  await login(page, h.system.url, 'admin');
}, 180_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await h?.close();
}, 60_000);

describe('operator page', () => {
  it('is light: one small script, no framework', () => {
    expect(h.web.jsBytes).toBeLessThan(MAX_JS_BYTES);
  });

  it('opens on Pending EMIs with the lenders from the API and filters by lender', async () => {
    await rowOf('pending-row', {}).first().waitFor();

    const { lenders } = (await h.api<{ lenders: string[] }>('GET', '/api/lenders')).body;
    expect(lenders.length).toBeGreaterThanOrEqual(3);
    const options = await panel('pending').getByLabel('Lender').locator('option').allTextContents();
    expect(options).toEqual(['All lenders', ...lenders]);

    const lender = lenders[1]!;
    await filterPending(lender, 'overdue');
    const rows = rowOf('pending-row', {});
    expect(await rows.count()).toBeGreaterThan(0);
    const rowLenders = await rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.lender));
    expect(new Set(rowLenders)).toEqual(new Set([lender]));
    // overdue rows say so, with the days past due
    await poll(() => rows.first().getByTestId('overdue').textContent()).toMatch(/^Overdue · \d+ days?$/);

    // what the page shows is the API's integer paise, formatted exactly
    const api = await pending({ lender, bucket: 'overdue', limit: '50' });
    expect(await rows.count()).toBe(api.length);
    const first = api[0]!;
    const outstanding = await rowOf('pending-row', { 'loan-id': first.loanId, 'emi-number': first.emiNumber })
      .locator('td[data-label="Outstanding"]')
      .textContent();
    expect(outstanding).toContain(formatPaise(first.amountOutstanding));
  });

  it('tabs work from the keyboard (arrow keys move between them)', async () => {
    const pendingTab = page.getByRole('tab', { name: 'Pending EMIs' });
    await pendingTab.focus();
    await page.keyboard.press('ArrowRight');
    await poll(() => page.getByRole('tab', { name: 'Generated Links' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    expect(await panel('links').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-links');
    await page.keyboard.press('ArrowLeft');
    await poll(() => pendingTab.getAttribute('aria-selected')).toBe('true');
    expect(await panel('links').isVisible()).toBe(false);
  });

  it('generates a link for one EMI, shows it at once and copies it; a double click sends one request', async () => {
    const lender = 'Kaveri Finance';
    const emi = await freshEmi(lender);
    await filterPending(lender, 'upcoming', 60);
    const row = await pendingRow(emi);

    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/api/payment-links/generate')) {
        posts.push(r.headers()['idempotency-key'] ?? '');
      }
    });
    await row.getByTestId('generate').dblclick();
    const shown = row.getByTestId('generated-link');
    await shown.waitFor();
    expect(await shown.textContent()).toContain('New link');
    const url = await shown.getByTestId('link-url').getAttribute('href');
    expect(url).toMatch(/^http:\/\/localhost:\d+\/rzp\//);
    expect(await shown.getByTestId('link-url').getAttribute('target')).toBe('_blank');
    expect(await shown.getByTestId('link-url').getAttribute('rel')).toContain('noopener');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatch(/^web-[0-9a-f]{32}$/);

    // the API agrees: one link for this EMI, the one shown
    const links = await h.api<{ items: LinkView[] }>(
      'GET',
      `/api/payment-links/list?loanId=${emi.loanId}&emiNumber=${emi.emiNumber}`,
    );
    expect(links.body.items.map((l) => l.shortUrl)).toEqual([url]);

    await shown.getByTestId('copy').click();
    await poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    expect(await notices()).toContain(`Copied ${url}`);

    // a second Generate reuses the open link (200, reused) and says so
    await row.getByTestId('generate').click();
    await poll(() => row.getByTestId('generated-link').textContent()).toContain('Reused open link');
    expect(posts).toHaveLength(2);
    expect(posts[1]).not.toBe(posts[0]); // one key per click intent
  });

  it('"Whole overdue" makes one link for a loan\'s overdue EMIs and shows it on each row it covers; the bulk dialog offers one link per loan', async () => {
    const lender = 'Kaveri Finance';
    const overdue = await pending({ lender, bucket: 'overdue' });
    const byLoan = new Map<string, PendingItem[]>();
    for (const e of overdue) byLoan.set(e.loanId, [...(byLoan.get(e.loanId) ?? []), e]);
    const [loanId, emis] = [...byLoan].find(
      ([id, list]) =>
        list.length >= 2 && list.every((e) => e.activeLink === null && !used.has(`${id}#${e.emiNumber}`)),
    )!;
    for (const e of emis) used.add(`${loanId}#${e.emiNumber}`);
    await filterPending(lender, 'overdue');
    const first = await pendingRow(emis[0]!);
    await first.getByTestId('generate-loan').click();
    for (const e of emis) {
      const shown = (await pendingRow(e)).getByTestId('generated-link');
      await shown.waitFor();
      expect(await shown.textContent()).toContain('New link');
    }
    const sum = emis.reduce((s, e) => s + e.amountOutstanding, 0);
    await poll(() => notices()).toContain(formatPaise(sum));
    // the API agrees: one loan link, covering exactly these EMIs
    const links = await h.api<{ items: (LinkView & { scope: string; covers: { emiNumber: number }[] })[] }>(
      'GET',
      `/api/payment-links/list?loanId=${loanId}`,
    );
    const loanLinks = links.body.items.filter((l) => l.scope === 'loan');
    expect(loanLinks).toHaveLength(1);
    expect(loanLinks[0]!.amount).toBe(sum);
    expect(loanLinks[0]!.covers.map((c) => c.emiNumber).sort()).toEqual(emis.map((e) => e.emiNumber).sort());

    // the bulk dialog offers the per-loan choice (and only the bulk dialog shows it)
    await page.getByTestId('bulk-start').click();
    const dialog = page.getByTestId('confirm');
    await dialog.waitFor();
    expect(await dialog.getByTestId('bulk-scope-loan').isVisible()).toBe(true);
    await dialog.getByTestId('confirm-cancel').click();
    await poll(() => dialog.isVisible()).toBe(false);
    expect(await page.getByTestId('bulk-scope-loan').isVisible()).toBe(false);
  });

  it('Generate All & Export runs a bulk job for what the filters show, with progress, and offers the CSV', async () => {
    const lender = 'Deccan Credit';
    // a handful of EMIs: the smallest upcoming window that has any
    let withinDays = 1;
    let expected: PendingItem[] = [];
    for (const d of [1, 2, 3, 5, 7]) {
      withinDays = d;
      expected = await pending({ lender, bucket: 'upcoming', withinDays: String(d) });
      if (expected.length > 0) break;
    }
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(40);
    for (const e of expected) used.add(`${e.loanId}#${e.emiNumber}`);

    await filterPending(lender, 'upcoming', withinDays);
    expect(await rowOf('pending-row', {}).count()).toBe(expected.length);
    await page.getByTestId('bulk-start').click();
    const dialog = page.getByTestId('confirm');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`${lender}, due within ${withinDays} day`);
    await dialog.getByTestId('confirm-ok').click();

    // started (or, if not, the error the page shows says why)
    const progress = page.getByTestId('bulk-progress');
    const alert = page.getByTestId('live-alert');
    await poll(async () =>
      (await progress.isVisible()) ? 'started' : (await alert.textContent()) || 'waiting',
    ).toBe('started');
    const csvLink = page.getByTestId('bulk-csv');
    await poll(
      async () =>
        (await csvLink.isVisible())
          ? 'csv'
          : `${await page.getByTestId('bulk-state').textContent()} ${await alert.textContent()}`,
      { timeout: 60_000, interval: 250 },
    ).toBe('csv');
    const counts = await page.getByTestId('bulk-counts').textContent();
    expect(counts).toContain(`${expected.length} of ${expected.length} processed`);
    expect(counts).toMatch(/\d+ new · \d+ reused · 0 failed/);
    expect(await progress.locator('progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(
      expected.length,
    );
    await screenshot('bulk-desktop');

    const csvUrl = await csvLink.getAttribute('href');
    expect(csvUrl).toBeTruthy();
    const res = await fetch(csvUrl!);
    expect(res.status).toBe(200);
    const lines = (await res.text())
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .filter((l) => l !== '');
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(expected.length + 1);
    for (const e of expected) expect(lines.some((l) => l.startsWith(`${e.loanId},`))).toBe(true);

    // the list reloads: every row of the selection now shows its open link
    await poll(async () => rowOf('pending-row', {}).locator('[data-testid="link-url"]').count(), {
      timeout: 15_000,
    }).toBe(expected.length);
  }, 120_000);

  it('while a bulk job runs, the bar and counts follow each poll, and failed rows are called out', async () => {
    // the job's answers are scripted in the browser, so every stage is seen whatever the machine's speed
    const job = {
      jobId: 'job_scriptedprogress000001',
      status: 'queued',
      total: 40,
      processed: 0,
      created: 0,
      reused: 0,
      failed: 0,
      skipped: 0,
      csvUrl: null as string | null,
      csvExpiresAt: null as string | null,
      error: null,
    };
    const stages = [
      { status: 'running', processed: 10, created: 9, reused: 1 },
      { status: 'running', processed: 25, created: 22, reused: 2, failed: 1 },
      {
        status: 'completed',
        processed: 40,
        created: 35,
        reused: 3,
        failed: 2,
        csvUrl: `${h.system.url}/scripted.csv`,
        csvExpiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
      },
    ];
    let polls = 0;
    await page.route('**/api/payment-links/bulk-generate-export', (route) =>
      route.fulfill({ status: 202, contentType: 'application/json', body: JSON.stringify(job) }),
    );
    await page.route(`**/api/payment-links/bulk-jobs/${job.jobId}`, (route) => {
      const stage = stages[Math.min(polls++, stages.length - 1)]!;
      return route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ ...job, ...stage }),
      });
    });
    try {
      await filterPending('Kaveri Finance', 'overdue');
      await page.getByTestId('bulk-start').click();
      await page.getByTestId('confirm-ok').click();
      const counts = page.getByTestId('bulk-counts');
      const bar = page.locator('#bulk-bar');
      await poll(() => counts.textContent()).toBe('10 of 40 processed · 9 new · 1 reused · 0 failed');
      expect(
        await bar.evaluate((b) => [(b as HTMLProgressElement).value, (b as HTMLProgressElement).max]),
      ).toEqual([10, 40]);
      expect(await page.getByTestId('bulk-start').isDisabled()).toBe(true); // one job at a time
      await poll(() => counts.textContent()).toBe('25 of 40 processed · 22 new · 2 reused · 1 failed');
      await screenshot('bulk-running-desktop');
      await page.getByTestId('bulk-csv').waitFor();
      expect(await counts.textContent()).toBe('40 of 40 processed · 35 new · 3 reused · 2 failed');
      expect(await page.getByTestId('bulk-failed').textContent()).toContain(
        "2 rows failed: those rows have no link, and the reason is in the CSV's error column",
      );
      expect(await page.getByTestId('bulk-csv').getAttribute('href')).toBe(`${h.system.url}/scripted.csv`);
      expect(await page.getByTestId('bulk-start').isEnabled()).toBe(true);
      expect(await page.getByTestId('bulk-scope').textContent()).toBe(' · Kaveri Finance, overdue');
      await page.getByRole('button', { name: 'Close the export panel' }).click();
      expect(await page.getByTestId('bulk-progress').isVisible()).toBe(false);
    } finally {
      await page.unroute('**/api/payment-links/bulk-generate-export');
      await page.unroute(`**/api/payment-links/bulk-jobs/${job.jobId}`);
    }
  });

  it('a generate lost to the network says so, and the retry reuses its Idempotency-Key', async () => {
    const lender = 'Kaveri Finance';
    const emi = await freshEmi(lender);
    await filterPending(lender, 'upcoming', 60);
    const row = await pendingRow(emi);
    const keys: string[] = [];
    let fail = true;
    await page.route('**/api/payment-links/generate', (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (fail) return route.abort('connectionreset');
      return route.continue();
    });
    try {
      await row.getByTestId('generate').click();
      await poll(() => page.getByTestId('live-alert').textContent()).toContain(
        `Could not generate a link for EMI ${emi.emiNumber} of ${emi.loanId}: Cannot reach the server`,
      );
      expect(await row.getByTestId('generate').isEnabled()).toBe(true);
      fail = false;
      await row.getByTestId('generate').click();
      await row.getByTestId('generated-link').waitFor();
      expect(await row.getByTestId('generated-link').textContent()).toContain('New link');
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe(keys[0]);
    } finally {
      await page.unroute('**/api/payment-links/generate');
    }
  });

  it('paying on the sandbox page: refresh shows the link paid and its sibling cancelled', async () => {
    const lender = 'Sahyadri Microfin';
    const emi = await freshEmi(lender);
    await filterPending(lender, 'upcoming', 60);
    const row = await pendingRow(emi);
    await row.getByTestId('generate').click();
    const payUrl = await row.getByTestId('generated-link').getByTestId('link-url').getAttribute('href');
    const first = (
      await h.api<{ items: LinkView[] }>(
        'GET',
        `/api/payment-links/list?loanId=${emi.loanId}&emiNumber=${emi.emiNumber}`,
      )
    ).body.items[0]!;
    expect(first.shortUrl).toBe(payUrl);
    // a second, open link for the same EMI: the sibling
    const sibling = await h.api<LinkView>('POST', '/api/payment-links/generate', {
      loanId: emi.loanId,
      emiNumber: emi.emiNumber,
      forceNew: true,
    });
    expect(sibling.status).toBe(201);
    expect(sibling.body.id).not.toBe(first.id);

    // the borrower pays in full on the sandbox's hosted page
    const payPage = await context.newPage();
    await payPage.goto(payUrl!);
    await payPage.locator('button[value="full"]').click();
    // Razorpay sends the browser back to our return page (callback_url), which checks its signature
    await payPage.getByText('Payment received').waitFor();
    expect(new URL(payPage.url()).pathname).toBe('/pay/return');
    await payPage.close();

    await showLinksForLoan(emi.loanId);
    const paidRow = rowOf('link-row', { 'link-id': first.id });
    const siblingRow = rowOf('link-row', { 'link-id': sibling.body.id });
    await siblingRow.waitFor();
    // (the webhook worker may already have applied the payment; Refresh asks Razorpay either way)

    const deadline = Date.now() + 20_000;
    while ((await paidRow.getAttribute('data-status')) !== 'paid' && Date.now() < deadline) {
      await paidRow.getByTestId('refresh').click();
      await page.waitForTimeout(300);
    }
    expect(await paidRow.getByTestId('status').textContent()).toBe('Paid');
    // the sibling was cancelled (by the refresh, or already by the webhook worker)
    while ((await siblingRow.getAttribute('data-status')) !== 'cancelled' && Date.now() < deadline) {
      await siblingRow.getByTestId('refresh').click();
      await page.waitForTimeout(300);
    }
    expect(await siblingRow.getByTestId('status').textContent()).toBe('Cancelled');
    expect(await siblingRow.getByTestId('cancel-reason').textContent()).toBe(
      'another link for this EMI was paid',
    );
    expect(await rowOf('link-row', { 'loan-id': emi.loanId }).count()).toBe(2);
    expect(await page.getByTestId('links-more').isVisible()).toBe(false); // the last page
    expect(await paidRow.getByTestId('cancel').count()).toBe(0);
    expect(await siblingRow.getByTestId('cancel').count()).toBe(0);
    await screenshot('links-paid-sibling-desktop');
    await expectNoTableScroll();
  }, 60_000);

  it('shows API errors in words: a 409 from cancelling a link paid meanwhile, a 400, and no network', async () => {
    const emi = await freshEmi('Kaveri Finance');
    const link = await h.api<LinkView>('POST', '/api/payment-links/generate', {
      loanId: emi.loanId,
      emiNumber: emi.emiNumber,
    });
    await showLinksForLoan(emi.loanId);
    const row = rowOf('link-row', { 'link-id': link.body.id });
    expect(await row.getAttribute('data-status')).toBe('created');

    // the borrower pays while the operator looks at the stale row
    await h.sandbox('POST', `/_sandbox/payment_links/${link.body.razorpayLinkId}/pay`, {});
    await row.getByTestId('cancel').click();
    const dialog = page.getByTestId('confirm');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(link.body.shortUrl!);
    await dialog.getByTestId('confirm-ok').click();
    const alert = page.getByTestId('live-alert');
    await poll(() => alert.textContent()).toContain(
      `Could not cancel link ${link.body.id}: Payment link ${link.body.id} cannot be cancelled: it has already been paid`,
    );
    // nothing stayed disabled
    expect(await row.getByTestId('cancel').isEnabled()).toBe(true);

    // a 400 with field details
    const loan = panel('links').getByLabel('Loan ID');
    await loan.fill('no such/loan!');
    await loan.press('Enter');
    await poll(() => alert.textContent()).toMatch(
      /Could not load payment links: loanId must use letters, digits/,
    );
    expect(await page.getByTestId('state-error').textContent()).toContain('loanId');

    // the server cannot be reached
    await page.route('**/api/payment-links/list**', (route) => route.abort('connectionrefused'));
    await loan.fill(emi.loanId);
    await loan.press('Enter');
    await poll(() => alert.textContent()).toContain('Cannot reach the server');
    await page.unroute('**/api/payment-links/list**');
    await page.getByTestId('links-show').click();
    await row.waitFor();
  }, 60_000);

  it('an admin adds a third payment account on the Accounts tab, and a link is generated through it', async () => {
    const keyId = 'rzp_test_PageTunga0001';
    await h.sandbox('PUT', '/_sandbox/accounts', {
      keyId,
      keySecret: 'page-tunga-secret-0001',
      webhookSecret: 'whsec-page-tunga-0001',
      webhookUrl: `${h.system.url.replace('localhost', '127.0.0.1')}/webhooks/razorpay/tunga`,
    });
    await h.api('POST', '/api/loans', {
      loans: [
        {
          loanId: 'PAGE-TUNGA-1',
          lender: 'Tunga Capital',
          clientName: 'Page Borrower',
          phone: '+919000000099',
          emis: [{ emiNumber: 1, dueDate: today(), amount: 150_000 }],
        },
      ],
    });
    await page.getByRole('tab', { name: 'Accounts' }).click();
    await page.getByTestId('account-sahyadri').waitFor();
    expect(await page.getByTestId('account-sahyadri').textContent()).toContain('/webhooks/razorpay/sahyadri');
    expect(await page.getByTestId('account-default').textContent()).toContain('Kaveri Finance');
    await page.getByLabel('Account id').fill('tunga');
    await page.getByLabel('Name').fill('Tunga Capital');
    await page.getByLabel('Key id').fill(keyId);
    await page.getByLabel('Key secret').fill('page-tunga-secret-0001');
    await page.getByLabel('Webhook secret').fill('whsec-page-tunga-0001');
    await page.getByLabel('Lenders (comma-separated)').fill('Tunga Capital');
    await page.getByTestId('account-save').click();
    await page.getByTestId('account-tunga').waitFor();
    expect(await page.getByTestId('account-tunga').textContent()).toContain('/webhooks/razorpay/tunga');
    // the secrets left the form once saved
    expect(await page.getByLabel('Key secret').inputValue()).toBe('');
    const link = await h.api<{ accountId: string }>('POST', '/api/payment-links/generate', {
      loanId: 'PAGE-TUNGA-1',
      emiNumber: 1,
    });
    expect(link.body.accountId).toBe('tunga');
    const merchants = await h.sandbox<{ items: { keyId: string; links: number }[] }>(
      'GET',
      '/_sandbox/accounts',
    );
    expect(merchants.items.find((m) => m.keyId === keyId)?.links).toBe(1);
    await openTab('pending');
    expect(pageErrors).toEqual([]);
  });

  it('reads at 1280 px and on a phone (390 px) without sideways scrolling; screenshots both tabs', async () => {
    for (const [name, width, height] of [
      ['desktop', 1280, 900],
      ['phone', 390, 844],
    ] as const) {
      await page.setViewportSize({ width, height });
      await page
        .getByTestId('live-alert')
        .locator('.notice-close')
        .click({ timeout: 1000 })
        .catch(() => {});
      await filterPending('', 'all', 7);
      await rowOf('pending-row', {}).first().waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await screenshot(`pending-${name}`);
      if (name === 'desktop') await expectNoTableScroll();

      await openTab('links');
      await panel('links').getByLabel('Loan ID').fill('');
      await page.getByTestId('links-show').click();
      await page.locator('#links-table:not([aria-busy])').waitFor();
      await rowOf('link-row', {}).first().waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await screenshot(`links-${name}`);
      if (name === 'desktop') await expectNoTableScroll();
    }
    expect(pageErrors).toEqual([]);
  }, 60_000);
  it('Import loans: an admin chooses a spreadsheet CSV, sees the upload and the import progress, then the report with the failed row; the EMIs are pending', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('tab', { name: 'Import loans' }).click();
    await poll(() => page.locator('#panel-import').isVisible()).toBe(true);
    const header =
      'loan_id,lender,client_name,phone,email,emi_number,due_date,amount_due_inr,amount_paid_inr';
    const rows = [header];
    for (let l = 0; l < 40; l++) {
      for (let e = 1; e <= 5; e++) {
        rows.push(
          `WEBIMP-${l},Kaveri Finance,"Iyer, Lata ${l}",+919812345${String(l).padStart(3, '0')},,${e},2026-0${e}-10,1999.50,`,
        );
      }
    }
    rows.push('WEBIMP-BAD,Kaveri Finance,Bad Amount,+919812345999,,1,2026-01-10,"1,999.50",');
    await page.getByTestId('import-file').setInputFiles({
      name: 'book from sheet.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`\uFEFF${rows.join('\r\n')}\r\n`),
    });
    await page.getByTestId('import-start').click();
    await poll(() => page.getByTestId('import-state').textContent(), { timeout: 60_000 }).toBe('Imported');
    expect(await page.getByTestId('import-name').textContent()).toBe('book from sheet.csv');
    const bar = page.getByTestId('import-bar');
    expect(
      await bar.evaluate((b) => (b as HTMLProgressElement).value === (b as HTMLProgressElement).max),
    ).toBe(true);
    expect(await page.getByTestId('import-counts').textContent()).toBe(
      '201 rows read · 200 new · 0 changed · 0 unchanged · 1 failed',
    );
    const failed = page.getByTestId('import-errors').locator('tbody tr');
    expect(await failed.count()).toBe(1);
    expect(await failed.first().locator('td').allTextContents()).toEqual([
      '202',
      'amount_due_inr',
      'must be rupees without thousands separators, e.g. 1234.50',
    ]);
    await screenshot('import-desktop');
    const pending = await h.api<{ items: PendingItem[] }>(
      'GET',
      '/api/payment-links/pending-emis?lender=Kaveri%20Finance&bucket=overdue&limit=200',
    );
    expect(pending.body.items.some((i) => i.loanId === 'WEBIMP-0' && i.amountOutstanding === 199_950)).toBe(
      true,
    );
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
