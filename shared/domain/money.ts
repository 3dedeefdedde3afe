/** Money is integer paise everywhere. These helpers are the only place that formats it. */

export const CURRENCY = 'INR' as const;
export type Currency = typeof CURRENCY;

/** Razorpay's minimum for an INR payment link (₹1). */
export const MIN_LINK_AMOUNT_PAISE = 100;

export function isPaise(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** 123450 → "1234.50" (no floating point involved). */
export function paiseToRupeesString(paise: number): string {
  if (!Number.isSafeInteger(paise)) throw new RangeError('paise must be a safe integer');
  const sign = paise < 0 ? '-' : '';
  const abs = Math.abs(paise);
  const rupees = Math.floor(abs / 100);
  const rest = abs % 100;
  return `${sign}${rupees}.${rest.toString().padStart(2, '0')}`;
}
