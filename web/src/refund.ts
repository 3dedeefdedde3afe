/**
 * The Refund dialog of the link drawer (admins only; architecture §4c): which payment, how much
 * (prefilled with what is left of its surplus) and why. One Idempotency-Key per dialog, so a
 * second press or a retry after "try again" can never refund twice; the outcome is said in the
 * dialog and the drawer shows the link after it. Bundled as refund.js, loaded on first use.
 */
import { rupeesToPaise } from '../../shared/domain/rupees';
import { h } from './dom';
import { formatPaise, paiseToDecimal } from './format';
import type { RefundDialogContext } from './refund-api';

/** RefundModule.openRefundDialog (refund-api.ts) */
export function openRefundDialog(ctx: RefundDialogContext): void {
  const { link } = ctx;
  const choices = link.refundable.filter((r) => r.left > 0);
  if (choices.length === 0) return;
  const key = ctx.newIdempotencyKey();
  const payment = h(
    'select',
    { id: 'refund-payment', 'data-testid': 'refund-payment' },
    ...choices.map((c) =>
      h(
        'option',
        { value: c.paymentId },
        `${c.paymentId} · ${formatPaise(c.left)} left of ${formatPaise(c.surplus)}`,
      ),
    ),
  );
  const amount = h('input', {
    id: 'refund-amount',
    type: 'text',
    inputMode: 'decimal',
    'data-testid': 'refund-amount',
    value: paiseToDecimal(choices[0]!.left),
  });
  const reason = h('input', {
    id: 'refund-reason',
    type: 'text',
    maxLength: 200,
    required: true,
    'data-testid': 'refund-reason',
    placeholder: 'e.g. paid twice on two links',
  });
  const outcome = h('p', { className: 'muted', 'data-testid': 'refund-outcome', role: 'status' });
  const send = h(
    'button',
    { type: 'button', className: 'btn btn-primary', 'data-testid': 'refund-send' },
    'Refund',
  );
  const close = h('button', { type: 'button', className: 'btn', 'data-testid': 'refund-close' }, 'Close');
  const dialog = h(
    'dialog',
    { className: 'refund-dialog', 'aria-labelledby': 'refund-title', 'data-testid': 'refund-dialog' },
    h('h2', { id: 'refund-title' }, 'Refund surplus money'),
    h(
      'p',
      { className: 'muted' },
      'Only money the EMI did not need can be refunded. Razorpay sends it back to the borrower.',
    ),
    h('div', { className: 'form-row' }, h('label', { for: 'refund-payment' }, 'Payment'), payment),
    h('div', { className: 'form-row' }, h('label', { for: 'refund-amount' }, 'Amount (₹)'), amount),
    h('div', { className: 'form-row' }, h('label', { for: 'refund-reason' }, 'Reason'), reason),
    outcome,
    h('div', { className: 'dialog-actions' }, close, send),
  );
  payment.addEventListener('change', () => {
    const c = choices.find((x) => x.paymentId === payment.value);
    if (c) amount.value = paiseToDecimal(c.left);
  });
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  send.addEventListener('click', () => {
    let paise: number;
    try {
      paise = rupeesToPaise(amount.value);
    } catch {
      outcome.textContent = 'Enter the amount in rupees, e.g. 1500 or 1500.50.';
      amount.focus();
      return;
    }
    if (reason.value.trim() === '') {
      outcome.textContent = 'Say why the money goes back.';
      reason.focus();
      return;
    }
    void ctx.whileBusy(send, 'Refunding…', async () => {
      try {
        const res = await ctx.request('POST', `/api/payment-links/${encodeURIComponent(link.id)}/refunds`, {
          body: { paymentId: payment.value, amount: paise, reason: reason.value.trim() },
          headers: { 'idempotency-key': key },
        });
        const r = res.data.refund;
        const text = `Refund of ${formatPaise(r.amount)} ${r.status === 'processed' ? 'processed' : 'sent to Razorpay (pending)'}.`;
        outcome.textContent = text;
        ctx.notify(text, 'success');
        send.hidden = true;
        ctx.done(res.data.link);
      } catch (err) {
        outcome.textContent = `Not refunded: ${ctx.errorText(err)}`;
      }
    });
  });
  document.body.append(dialog);
  dialog.showModal();
  reason.focus();
}
