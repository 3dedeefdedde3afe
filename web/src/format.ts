/**
 * Pure formatting for the operator page: money from integer paise, dates, and the words shown
 * for statuses, cancel reasons and attention flags. No DOM here, so it runs in Node tests too.
 */

const INR = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR' });

/** 123450 → "1234.50" by integer math (no floating point on the way). */
export function paiseToDecimal(paise: number): string {
  if (!Number.isSafeInteger(paise)) return '';
  const sign = paise < 0 ? '-' : '';
  const abs = Math.abs(paise);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * 123450 → "₹1,234.50". Intl formats the decimal *string* exactly (ES2023 string operands),
 * so a paise amount never drifts through a float division.
 */
export function formatPaise(paise: number): string {
  const decimal = paiseToDecimal(paise);
  if (decimal === '') return '—';
  return INR.format(decimal as `${number}`);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-03-07" (a calendar date in India time) → "7 Mar 2026", without any time-zone shift. */
export function formatDueDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return date;
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1] ?? m[2]} ${m[1]}`;
}

const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;

/**
 * An ISO-8601 instant → [date, time] in India time, whatever the browser's own zone:
 * ["2 Dec 2026", "2:53 pm IST"]. One format on every tab (due dates are "2 Dec 2026" too).
 */
export function dateTimeParts(iso: string | null | undefined): [string, string] | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return [iso, ''];
  const d = new Date(t + IST_OFFSET_MS);
  const date = formatDueDate(d.toISOString().slice(0, 10));
  const h24 = d.getUTCHours();
  const h12 = h24 % 12 === 0 ? 12 : h24 % 12;
  const time = `${h12}:${String(d.getUTCMinutes()).padStart(2, '0')} ${h24 < 12 ? 'am' : 'pm'} IST`;
  return [date, time];
}

/** An ISO-8601 instant → "2 Dec 2026, 2:53 pm IST". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const parts = dateTimeParts(iso)!;
  return parts[1] ? `${parts[0]}, ${parts[1]}` : parts[0];
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const STATUS_LABELS: Record<string, string> = {
  creating: 'Creating',
  created: 'Created',
  partially_paid: 'Partially paid',
  paid: 'Paid',
  expired: 'Expired',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status.replace(/_/g, ' ');
}

const CANCEL_REASONS: Record<string, string> = {
  sibling_paid: 'another link for this EMI was paid',
  emi_settled: 'the EMI was settled',
  emi_removed: 'the EMI left the loan schedule',
  manual: 'cancelled by an operator',
  razorpay: 'cancelled at Razorpay',
};

/** "EMI 3", or "EMIs 1, 2" for a loan link (it covers the loan's overdue EMIs). */
export function emiLabel(link: {
  emiNumber: number | null;
  covers?: { emiNumber: number }[] | null;
}): string {
  return link.emiNumber === null
    ? `EMIs ${(link.covers ?? []).map((c) => c.emiNumber).join(', ')}`
    : `EMI ${link.emiNumber}`;
}

export function cancelReasonText(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return CANCEL_REASONS[reason] ?? reason.replace(/_/g, ' ');
}

const ATTENTION: Record<string, string> = {
  paid_after_cancel: 'Paid after the link was cancelled — refund or credit it by hand',
  paid_after_expiry: 'Paid after the link expired — refund or credit it by hand',
  overpaid: 'Paid more than the EMI owed — refund the excess',
  sibling_partially_paid: 'Partly paid while another link for this EMI was paid — check and refund',
  invalid_event: 'Razorpay reported a payment that makes no sense — not credited; check it in the dashboard',
};

export function attentionText(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return ATTENTION[reason] ?? `Needs a person: ${reason.replace(/_/g, ' ')}`;
}

/** "body.amount" → "amount": the request part is noise to an operator. */
export function fieldLabel(field: string): string {
  return field.replace(/^(body|query|path|header)\./, '');
}
