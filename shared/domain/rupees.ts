/**
 * EximPe amounts are decimal rupees, usually strings (`"2499.99"`), sometimes numbers (the v2
 * create schema; reference §2.1). We keep integer paise everywhere; these convert exactly, with
 * no floating point: more than two decimals, a sign, an exponent or anything else is refused.
 */
import { paiseToRupeesString } from './money';

const DECIMAL_RUPEES = /^(0|[1-9][0-9]{0,12})(?:\.([0-9]{1,2}))?$/;

/** Why an amount cannot be read, for errors and logs (never the value itself in a message). */
export class AmountFormatError extends Error {
  constructor(reason: string) {
    super(`EximPe amount ${reason}`);
    this.name = 'AmountFormatError';
  }
}

/**
 * `"1234.5"` / `"1234.50"` / `1234.5` → 123450. Refuses negatives, more than two decimals,
 * exponents, blanks and anything over ~10^13 rupees. A number is read through its shortest
 * decimal form (`String(1234.5)`), so `0.1 + 0.2` (which prints with 17 digits) is refused,
 * never rounded.
 */
export function rupeesToPaise(value: unknown): number {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AmountFormatError('is not a finite number');
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new AmountFormatError('is neither a string nor a number');
  }
  if (text.startsWith('-')) throw new AmountFormatError('is negative');
  const m = DECIMAL_RUPEES.exec(text);
  if (!m) {
    if (/^[0-9]+\.[0-9]{3,}$/.test(text)) throw new AmountFormatError('has more than two decimals');
    throw new AmountFormatError('is not a decimal number of rupees');
  }
  const rupees = Number(m[1]);
  const fraction = (m[2] ?? '').padEnd(2, '0');
  return rupees * 100 + Number(fraction);
}

/** 123450 → `"1234.50"`, the form EximPe's own client sends (`toFixed(2)`). */
export function paiseToRupees(paise: number): string {
  if (!Number.isSafeInteger(paise) || paise < 0)
    throw new AmountFormatError('in paise must be a whole number ≥ 0');
  return paiseToRupeesString(paise);
}

/** EximPe collects INR only (reference §2.1); an absent currency is INR. Anything else: refused. */
export function checkCurrency(value: unknown): 'INR' {
  if (value === undefined || value === null || value === '') return 'INR';
  if (typeof value === 'string' && value.trim().toUpperCase() === 'INR') return 'INR';
  throw new AmountFormatError('currency is not INR');
}
