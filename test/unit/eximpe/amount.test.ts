/** EximPe's decimal rupees ↔ our integer paise: exact, and refusing what is not a plain amount. */
import { describe, expect, it } from 'vitest';
import { eximpeTime, linkStatusOf, toEximpeLink } from '../../../shared/adapters/eximpe/gateway';
import {
  AmountFormatError,
  checkCurrency,
  paiseToRupees,
  rupeesToPaise,
} from '../../../shared/domain/rupees';

describe('EximPe amounts', () => {
  it.each([
    ['1.00', 100],
    ['1', 100],
    ['2499.99', 249_999],
    ['1234.5', 123_450],
    ['0.01', 1],
    [' 10.10 ', 1010],
    [2499.99, 249_999],
    [1234.5, 123_450],
    [7, 700],
    ['9999999999999.99', 999_999_999_999_999],
  ])('%j is %i paise', (value, paise) => {
    expect(rupeesToPaise(value)).toBe(paise);
  });

  it.each([
    ['1.001', 'more than two decimals'],
    ['-1.00', 'negative'],
    [-5, 'negative'],
    ['1e3', 'not a decimal'],
    ['', 'not a decimal'],
    ['01.00', 'not a decimal'],
    ['1,000.00', 'not a decimal'],
    [0.1 + 0.2, 'more than two decimals'],
    [Number.NaN, 'finite'],
    [null, 'neither'],
    [{ amount: '1.00' }, 'neither'],
  ])('%j is refused (%s)', (value, why) => {
    expect(() => rupeesToPaise(value)).toThrow(AmountFormatError);
    expect(() => rupeesToPaise(value)).toThrow(new RegExp(why));
  });

  it('formats paise as EximPe sends them, and refuses what is not whole paise', () => {
    expect(paiseToRupees(123_450)).toBe('1234.50');
    expect(paiseToRupees(100)).toBe('1.00');
    expect(() => paiseToRupees(1.5)).toThrow(AmountFormatError);
    expect(() => paiseToRupees(-1)).toThrow(AmountFormatError);
  });

  it('takes INR only (absent means INR)', () => {
    expect(checkCurrency(undefined)).toBe('INR');
    expect(checkCurrency('inr')).toBe('INR');
    expect(() => checkCurrency('USD')).toThrow(/not INR/);
  });
});

describe('EximPe links and times', () => {
  it('reads the three event_time forms, zone-less ones as UTC', () => {
    expect(eximpeTime('2024-02-15 16:53:15')).toBe(Date.UTC(2024, 1, 15, 16, 53, 15) / 1000);
    expect(eximpeTime('2024-02-15 16:53:15Z')).toBe(Date.UTC(2024, 1, 15, 16, 53, 15) / 1000);
    expect(eximpeTime('2026-05-27T14:30:01.359434')).toBe(Date.UTC(2026, 4, 27, 14, 30, 1) / 1000);
    expect(eximpeTime('')).toBe(0);
    expect(eximpeTime('garbage')).toBe(0);
  });

  it('maps statuses case-insensitively and knows no status it was not told about', () => {
    expect(linkStatusOf('ACTIVE')).toBe('created');
    expect(linkStatusOf('paid')).toBe('paid');
    expect(linkStatusOf('Deactivated')).toBe('cancelled');
    expect(linkStatusOf('EXPIRED')).toBe('expired');
    expect(linkStatusOf('on_hold')).toBeUndefined();
  });

  it('reads v1 (flat) and v2 (object) amounts, and refuses a link in another currency', () => {
    const v1 = toEximpeLink({ payment_id: 'PR1', status: 'ACTIVE', amount: '10.50', currency: 'INR' });
    const v2 = toEximpeLink({
      payment_id: 'PR1',
      status: 'active',
      amount: { amount: '10.50', total_amount: '10.50', currency: 'INR' },
    });
    expect(v1.amount).toBe(1050);
    expect(v2.amount).toBe(1050);
    expect(() =>
      toEximpeLink({ payment_id: 'PR1', status: 'ACTIVE', amount: '10.50', currency: 'USD' }),
    ).toThrow(/unexpected payment link amount/);
    expect(() => toEximpeLink({ payment_id: 'PR1', status: 'ACTIVE', amount: '10.505' })).toThrow(
      /unexpected payment link amount/,
    );
    expect(() => toEximpeLink({ payment_id: 'PR1', status: 'weird', amount: '1.00' })).toThrow(/status/);
  });
});
