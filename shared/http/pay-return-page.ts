/**
 * The borrower's return page as HTML: small, mobile-first, no script, no outside resources, a
 * strict Content-Security-Policy (its one style block allowed by hash), never cached, never
 * framed, and no Referer (the URL carries Razorpay's parameters).
 */
import { createHash } from 'node:crypto';
import { paiseToRupeesString } from '../domain/money';
import type { PayReturnView } from '../usecases/pay-return';

const STYLE = `body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f6f8;color:#1c2430}
main{max-width:26rem;margin:0 auto;padding:2rem 1.25rem}
.card{background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.35rem;margin:0 0 1rem}
.ok h1{color:#17663a}.no h1{color:#8a4b00}
dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:.5rem 1rem}
dt{color:#5b6573}dd{margin:0;font-weight:600;word-break:break-all}
p{margin:1rem 0 0;color:#5b6573;font-size:.9rem}`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const PAY_RETURN_HEADERS: Record<string, string> = {
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

function page(title: string, kind: 'ok' | 'no', body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main><div class="card ${kind}" role="status">
<h1>${escapeHtml(title)}</h1>
${body}
</div></main>
</body>
</html>
`;
}

export function renderPayReturn(view: PayReturnView): string {
  if (!view.confirmed) {
    return page(
      'We could not confirm this payment',
      'no',
      '<p>If money left your account, it will reach your loan once the bank confirms it. Please check with your lender before paying again.</p>',
    );
  }
  const rows = [
    ...(view.amount === null ? [] : [['Amount', `₹${paiseToRupeesString(view.amount)}`]]),
    ['Loan', view.loanId],
    ['Status', view.status === 'paid' ? 'Paid in full' : 'Part payment received'],
  ];
  return page(
    'Payment received',
    'ok',
    `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k as string)}</dt><dd>${escapeHtml(v as string)}</dd>`).join('')}</dl>
<p>Thank you. Your lender will see this payment shortly; you may close this page.</p>`,
  );
}
