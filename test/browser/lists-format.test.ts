/** The page's CSV cells and IST dates (issue 17.4–17.5), pure helpers run in Node. */
import { describe, expect, it } from 'vitest';
import { phoneCell, rupeesCell, safeCell, toCsv } from '../../web/src/csv';
import { dateTimeParts, formatDateTime } from '../../web/src/format';
import { looksLikePhone } from '../../web/src/links';

describe('CSV of the rows shown', () => {
  it('keeps phones as text and never lets a cell run as a formula', () => {
    expect(phoneCell('+919876543210')).toBe("'+919876543210");
    expect(phoneCell('')).toBe('');
    expect(safeCell('=HYPERLINK("x")')).toBe('\'=HYPERLINK("x")');
    expect(safeCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(safeCell('-5')).toBe("'-5");
    expect(safeCell('KAV-10001')).toBe('KAV-10001');
    expect(safeCell(null)).toBe('');
  });

  it('writes rupees with two decimals from integer paise, exactly', () => {
    expect(rupeesCell(123450)).toBe('1234.50');
    expect(rupeesCell(7)).toBe('0.07');
    expect(rupeesCell(null)).toBe('');
  });

  it('is RFC 4180: CRLF records, quotes doubled, fields with commas or quotes quoted', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['x, y', 'say "hi"'],
          ['1', ''],
        ],
      ),
    ).toBe('a,b\r\n"x, y","say ""hi"""\r\n1,\r\n');
  });
});

describe('dates on the page', () => {
  it('are one Indian format in IST, whatever the zone the browser runs in', () => {
    expect(dateTimeParts('2026-12-02T09:23:00.000Z')).toEqual(['2 Dec 2026', '2:53 pm IST']);
    // 20:00 UTC is already the next day in India
    expect(formatDateTime('2026-02-28T20:00:00Z')).toBe('1 Mar 2026, 1:30 am IST');
    expect(formatDateTime('2026-06-30T18:30:00Z')).toBe('1 Jul 2026, 12:00 am IST');
    expect(formatDateTime('2026-06-30T06:30:00Z')).toBe('30 Jun 2026, 12:00 pm IST');
    expect(formatDateTime(null)).toBe('—');
  });
});

describe('the loan box', () => {
  it('takes a phone number (6+ digits, spaces, + and -) as a phone, anything else as a loan id', () => {
    expect(looksLikePhone('+91 98765 43210')).toBe(true);
    expect(looksLikePhone('98765-43210')).toBe(true);
    expect(looksLikePhone('KAV-10001')).toBe(false);
    expect(looksLikePhone('1234')).toBe(false);
  });
});
