/** The page's pure helpers: money from integer paise without float drift, dates, error words. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../web/src/api';
import {
  attentionText,
  cancelReasonText,
  formatDueDate,
  formatPaise,
  paiseToDecimal,
  statusLabel,
} from '../../web/src/format';

describe('formatPaise', () => {
  it('formats integer paise as rupees with Indian digit grouping', () => {
    expect(formatPaise(0)).toBe('₹0.00');
    expect(formatPaise(5)).toBe('₹0.05');
    expect(formatPaise(150)).toBe('₹1.50');
    expect(formatPaise(123450)).toBe('₹1,234.50');
    expect(formatPaise(123456789)).toBe('₹12,34,567.89');
  });

  it('never drifts through a float: amounts where paise/100 is inexact stay exact', () => {
    // 0.07 * 100 and friends are the classic float traps; 2^53-1 paise is the largest safe amount
    expect(formatPaise(7)).toBe('₹0.07');
    expect(formatPaise(1005)).toBe('₹10.05');
    expect(formatPaise(999_999_999_999_99)).toBe('₹9,99,99,99,99,999.99');
    expect(formatPaise(Number.MAX_SAFE_INTEGER)).toBe('₹9,00,71,99,25,47,409.91');
    expect(paiseToDecimal(-1234)).toBe('-12.34');
    expect(formatPaise(Number.NaN)).toBe('—');
  });
});

describe('words on the page', () => {
  it('writes due dates without a time-zone shift', () => {
    expect(formatDueDate('2026-03-01')).toBe('1 Mar 2026');
    expect(formatDueDate('2026-12-31')).toBe('31 Dec 2026');
  });

  it('names every link status, cancel reason and attention flag in words', () => {
    for (const s of ['creating', 'created', 'partially_paid', 'paid', 'expired', 'cancelled', 'failed']) {
      expect(statusLabel(s)).not.toContain('_');
    }
    expect(cancelReasonText('sibling_paid')).toBe('another link for this EMI was paid');
    expect(attentionText('paid_after_cancel')).toMatch(/refund/);
    expect(attentionText('invalid_event')).toMatch(/not credited/);
    expect(attentionText('something_new')).toBe('Needs a person: something new');
    expect(attentionText(null)).toBeNull();
  });

  it('turns an API error body into one readable sentence', () => {
    const one = new ApiError('query.loanId must not be empty', 400, 'VALIDATION_FAILED', [
      { field: 'query.loanId', message: 'must not be empty' },
    ]);
    expect(one.describe()).toBe('loanId must not be empty');
    const two = new ApiError('2 fields are invalid', 400, 'VALIDATION_FAILED', [
      { field: 'body.amount', message: 'must be at least 100 paise' },
      { field: 'body.expireBy', message: 'must be an ISO-8601 date-time' },
    ]);
    expect(two.describe()).toBe(
      '2 fields are invalid: amount must be at least 100 paise; expireBy must be an ISO-8601 date-time',
    );
    expect(
      new ApiError('Payment link x cannot be cancelled: it has already been paid', 409, 'X').describe(),
    ).toBe('Payment link x cannot be cancelled: it has already been paid');
  });
});
