/**
 * The hosted pay page at each `short_url` (Razorpay's lives at https://rzp.io/rzp/<code>; the
 * sandbox serves it at `${publicBaseUrl}/rzp/<code>`). Plain server-rendered HTML with no
 * external assets and no script: a borrower (or a demo) pays in full, pays part, or fails, by
 * method. After a captured payment on a link with a `callback_url`, the browser is redirected
 * there with Razorpay's `razorpay_*` parameters and signature; otherwise the page shows the result.
 */
import { type Link, PAYMENT_METHODS, type PaymentMethod, TERMINAL_STATUSES } from './model';
import { callbackSignature } from './signature';
import { ControlError, type Store } from './store';

export type PageAnswer = { status: number; html: string } | { redirect: string };

const rupees = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR' });
const METHOD_LABELS: Record<PaymentMethod, string> = {
  upi: 'UPI',
  card: 'Card',
  netbanking: 'Net banking',
  wallet: 'Wallet',
};
const STATUS_LABELS: Record<string, string> = {
  created: 'Awaiting payment',
  partially_paid: 'Partially paid',
  paid: 'Paid',
  cancelled: 'Cancelled',
  expired: 'Expired',
};

function money(paise: number): string {
  return rupees.format(paise / 100);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** "250", "250.5" or "250.50" rupees → paise; undefined when not a plain amount. */
function rupeesToPaise(text: string): number | undefined {
  const match = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (match === null) return undefined;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

export interface PageContext {
  store: Store;
  keySecret: string;
}

export function handlePage(
  ctx: PageContext,
  method: string,
  code: string,
  action: string | undefined,
  query: URLSearchParams,
  form: Record<string, unknown>,
): PageAnswer {
  const link = ctx.store.byShortCodeOrUndefined(code);
  if (link === undefined) {
    return { status: 404, html: layout('Link not found', '<p>This payment link does not exist.</p>') };
  }
  if (method === 'GET' && action === undefined) {
    const paymentId = query.get('payment');
    return { status: 200, html: renderLink(ctx.store, link, { paymentId: paymentId ?? undefined }) };
  }
  if (method === 'POST' && action === 'pay') return pay(ctx, link, form);
  return { status: 404, html: layout('Not found', '<p>Nothing here.</p>') };
}

function pay(ctx: PageContext, link: Link, form: Record<string, unknown>): PageAnswer {
  const choice = String(form['action'] ?? 'full');
  const methodText = String(form['method'] ?? 'upi');
  const method = (PAYMENT_METHODS as readonly string[]).includes(methodText)
    ? (methodText as PaymentMethod)
    : 'upi';
  let amount: number | undefined;
  if (choice === 'partial') {
    amount = rupeesToPaise(String(form['amount'] ?? ''));
    if (amount === undefined || amount === 0) {
      return {
        status: 400,
        html: renderLink(ctx.store, link, { error: 'Enter the amount to pay in rupees, e.g. 250.00.' }),
      };
    }
  }
  try {
    const payment = ctx.store.pay(link, {
      amount,
      method,
      outcome: choice === 'fail' ? 'failed' : 'captured',
    });
    if (payment.status === 'captured' && link.callbackUrl !== '') {
      const target = new URL(link.callbackUrl);
      const params = {
        razorpay_payment_id: payment.id,
        razorpay_payment_link_id: link.id,
        razorpay_payment_link_reference_id: link.referenceId,
        razorpay_payment_link_status: link.status,
      };
      for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
      target.searchParams.set(
        'razorpay_signature',
        callbackSignature(ctx.keySecret, {
          linkId: link.id,
          referenceId: link.referenceId,
          status: link.status,
          paymentId: payment.id,
        }),
      );
      return { redirect: target.toString() };
    }
    return { redirect: `/rzp/${link.shortCode}?payment=${payment.id}` };
  } catch (error) {
    if (error instanceof ControlError)
      return { status: 400, html: renderLink(ctx.store, link, { error: error.message }) };
    throw error;
  }
}

function renderLink(store: Store, link: Link, notice: { paymentId?: string; error?: string }): string {
  const due = link.amount - link.amountPaid;
  const parts: string[] = [];
  parts.push(
    `<p class="status status-${link.status}">${escapeHtml(STATUS_LABELS[link.status] ?? link.status)}</p>`,
  );
  if (link.description !== '') parts.push(`<p class="description">${escapeHtml(link.description)}</p>`);
  if (link.customer.name !== undefined)
    parts.push(`<p class="muted">For ${escapeHtml(link.customer.name)}</p>`);

  const payment = notice.paymentId ? link.payments.find((p) => p.id === notice.paymentId) : undefined;
  if (payment !== undefined) {
    parts.push(
      payment.status === 'captured'
        ? `<div class="notice ok" role="status"><strong>Payment successful.</strong> ${money(payment.amount)} paid by ${METHOD_LABELS[payment.method]}. Payment id <code>${payment.id}</code>.</div>`
        : `<div class="notice bad" role="alert"><strong>Payment failed.</strong> Your ${METHOD_LABELS[payment.method]} payment of ${money(payment.amount)} did not go through. Nothing was charged; you can try again. Payment id <code>${payment.id}</code>.</div>`,
    );
  }
  if (notice.error !== undefined) {
    parts.push(
      `<div class="notice bad" role="alert"><strong>Could not pay.</strong> ${escapeHtml(notice.error)}</div>`,
    );
  }

  parts.push('<dl class="amounts">');
  parts.push(`<div><dt>Amount</dt><dd>${money(link.amount)}</dd></div>`);
  if (link.amountPaid > 0) parts.push(`<div><dt>Paid</dt><dd>${money(link.amountPaid)}</dd></div>`);
  parts.push(`<div class="due"><dt>Amount due</dt><dd id="amount-due">${money(due)}</dd></div>`);
  if (link.expireBy > 0) {
    parts.push(`<div><dt>Expires</dt><dd>${new Date(link.expireBy * 1000).toUTCString()}</dd></div>`);
  }
  parts.push('</dl>');

  if (TERMINAL_STATUSES.has(link.status)) {
    const why =
      link.status === 'paid'
        ? 'This link has been paid in full.'
        : `This link is ${link.status} and can no longer be paid.`;
    parts.push(`<p class="closed">${why}</p>`);
  } else {
    parts.push(payForm(link, due));
  }
  const captured = link.payments.filter((p) => p.status === 'captured');
  if (captured.length > 0) {
    parts.push('<h2>Payments</h2><ul class="payments">');
    for (const p of captured)
      parts.push(`<li>${money(p.amount)} by ${METHOD_LABELS[p.method]} <code>${p.id}</code></li>`);
    parts.push('</ul>');
  }
  parts.push(`<p class="muted small">Link <code>${link.id}</code> · ${escapeHtml(store.shortUrl(link))}</p>`);
  const title = TERMINAL_STATUSES.has(link.status)
    ? `Payment link ${STATUS_LABELS[link.status]?.toLowerCase()}`
    : `Pay ${money(due)}`;
  return layout(title, parts.join('\n'));
}

function payForm(link: Link, due: number): string {
  const methods = PAYMENT_METHODS.map(
    (m, i) =>
      `<label class="method"><input type="radio" name="method" value="${m}"${i === 0 ? ' checked' : ''}> ${METHOD_LABELS[m]}</label>`,
  ).join('');
  const partial = link.acceptPartial
    ? `<div class="partial">
  <label for="amount">Pay part (₹)</label>
  <input id="amount" name="amount" inputmode="decimal" autocomplete="off" placeholder="${(Math.min(link.amountPaid === 0 ? link.firstMinPartialAmount : 100, due) / 100).toFixed(2)}" aria-describedby="partial-hint">
  <button type="submit" name="action" value="partial" class="secondary">Pay this amount</button>
  <p id="partial-hint" class="muted small">At least ${money(Math.min(link.amountPaid === 0 ? link.firstMinPartialAmount : 100, due))}, at most ${money(due)}.</p>
</div>`
    : '';
  return `<form method="post" action="/rzp/${link.shortCode}/pay">
<fieldset><legend>Payment method</legend>${methods}</fieldset>
<button type="submit" name="action" value="full" class="primary">Pay ${money(due)}</button>
${partial}
<button type="submit" name="action" value="fail" class="danger">Simulate a failed payment</button>
</form>`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Razorpay sandbox</title>
<style>
  :root { color-scheme: light; --ink:#1b2330; --muted:#5b6676; --brand:#0b5cff; --ok:#0a7a3d; --bad:#b3261e; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #eef2f8; }
  header { background: #0c2451; color: #fff; padding: .75rem 1rem; font-weight: 600; }
  header small { font-weight: 400; opacity: .8; }
  main { max-width: 28rem; margin: 2rem auto; background: #fff; border-radius: 12px; padding: 1.5rem; box-shadow: 0 2px 12px rgba(12,36,81,.12); }
  h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
  h2 { font-size: 1rem; margin: 1.5rem 0 .25rem; }
  .muted { color: var(--muted); } .small { font-size: .85rem; }
  .status { display: inline-block; margin: 0 0 .5rem; padding: .1rem .6rem; border-radius: 999px; font-size: .85rem; font-weight: 600; background: #e4ebff; color: #143a9c; }
  .status-paid { background: #ddf3e6; color: var(--ok); } .status-cancelled, .status-expired { background: #f6e0de; color: var(--bad); }
  .amounts { margin: 1rem 0; } .amounts div { display: flex; justify-content: space-between; padding: .25rem 0; border-bottom: 1px solid #edf0f5; }
  .amounts dt { color: var(--muted); } .amounts dd { margin: 0; font-variant-numeric: tabular-nums; }
  .amounts .due dd { font-size: 1.25rem; font-weight: 700; }
  fieldset { border: 1px solid #d5dbe5; border-radius: 8px; margin: 0 0 1rem; padding: .5rem .75rem; }
  legend { padding: 0 .25rem; color: var(--muted); }
  .method { display: inline-flex; align-items: center; gap: .3rem; margin: .25rem 1rem .25rem 0; }
  button { display: block; width: 100%; margin: .5rem 0; padding: .7rem 1rem; font: inherit; font-weight: 600; border-radius: 8px; border: 2px solid transparent; cursor: pointer; }
  button:focus-visible, input:focus-visible { outline: 3px solid #ffb000; outline-offset: 2px; }
  .primary { background: var(--brand); color: #fff; } .secondary { background: #fff; color: var(--brand); border-color: var(--brand); }
  .danger { background: #fff; color: var(--bad); border-color: #e3b7b3; }
  .partial { margin: 1rem 0; padding: .75rem; background: #f6f8fb; border-radius: 8px; }
  .partial label { display: block; font-weight: 600; margin-bottom: .25rem; }
  .partial input { width: 100%; padding: .55rem .6rem; font: inherit; border: 1px solid #b9c2d0; border-radius: 6px; }
  .notice { padding: .75rem; border-radius: 8px; margin: 1rem 0; } .ok { background: #ddf3e6; } .bad { background: #f9e3e1; }
  .closed { font-weight: 600; }
  code { font-size: .85em; background: #f1f3f7; padding: 0 .25rem; border-radius: 4px; word-break: break-all; }
</style>
</head>
<body>
<header>Razorpay <small>local sandbox — no real money moves</small></header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
}
