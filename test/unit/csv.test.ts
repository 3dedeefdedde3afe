import { describe, expect, it } from 'vitest';
import type { JobItem } from '../../shared/adapters/dynamo/job-store';
import { CSV_COLUMNS, csvRow, csvStream, phoneCell, safeCell } from '../../shared/usecases/bulk-csv';

const HEADER =
  'loan_id,client_name,phone,email,lender,emi_number,due_date,amount_inr,payment_link,link_id,link_status,expires_at,error';

function item(overrides: Partial<JobItem> = {}): JobItem {
  return {
    jobId: 'job_aaaaaaaaaaaaaaaaaaaa',
    seq: 0,
    loanId: 'L-1',
    emiNumber: 3,
    state: 'done',
    attempts: 1,
    outcome: 'created',
    linkId: 'lnk_abc',
    shortUrl: 'http://127.0.0.1:4010/rzp/abc',
    linkStatus: 'created',
    expireBy: 1_800_000_000,
    amount: 123_450,
    clientName: 'Asha Rao',
    phone: '+919876543210',
    email: 'asha@example.com',
    lender: 'Acme',
    dueDate: '2026-11-05',
    ...overrides,
  };
}

async function text(items: JobItem[][]): Promise<string> {
  async function* pages() {
    for (const p of items) yield p;
  }
  const chunks: Buffer[] = [];
  for await (const c of csvStream(pages())) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

describe('CSV cells', () => {
  it.each([
    ['=HYPERLINK("http://evil.example","x")', `'=HYPERLINK("http://evil.example","x")`],
    ['+cmd', "'+cmd"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\tpadded', "'\tpadded"],
    ['\rreturn', "'\rreturn"],
    ['Asha Rao', 'Asha Rao'],
    ['', ''],
  ])('neutralises formula-looking cell %j', (raw, safe) => {
    expect(safeCell(raw)).toBe(safe);
  });

  it('writes every phone number as text so a spreadsheet keeps the + and the leading zeros', () => {
    expect(phoneCell('+919876543210')).toBe("'+919876543210");
    expect(phoneCell('09876543210')).toBe("'09876543210");
    expect(phoneCell(undefined)).toBe('');
  });

  it('formats amounts from integer paise with two decimals, never through floats', () => {
    expect(csvRow(item({ amount: 123_450 }))[7]).toBe('1234.50');
    expect(csvRow(item({ amount: 100 }))[7]).toBe('1.00');
    expect(csvRow(item({ amount: 5 }))[7]).toBe('0.05');
    expect(csvRow(item({ amount: 999_999_999_999 }))[7]).toBe('9999999999.99');
  });

  it('leaves payment_link empty on a failed row and puts the reason in error', () => {
    const row = csvRow(
      item({
        outcome: 'failed',
        shortUrl: undefined,
        linkId: undefined,
        linkStatus: undefined,
        error: 'EMI not found',
      }),
    );
    expect(row[CSV_COLUMNS.indexOf('payment_link')]).toBe('');
    expect(row[CSV_COLUMNS.indexOf('error')]).toBe('EMI not found');
  });

  it('gives an ISO expiry for a link row', () => {
    expect(csvRow(item())[CSV_COLUMNS.indexOf('expires_at')]).toBe('2027-01-15T08:00:00.000Z');
  });
});

describe('CSV stream', () => {
  it('writes the exact header, CRLF records and RFC 4180 quoting, in page order', async () => {
    const out = await text([
      [item({ seq: 0, clientName: 'Rao, Asha "A"' })],
      [item({ seq: 1, loanId: 'L-2', clientName: 'Line\nbreak' }), item({ seq: 2, loanId: 'L-3' })],
    ]);
    const lines = out.split('\r\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toBe(
      `L-1,"Rao, Asha ""A""",'+919876543210,asha@example.com,Acme,3,2026-11-05,1234.50,http://127.0.0.1:4010/rzp/abc,lnk_abc,created,2027-01-15T08:00:00.000Z,`,
    );
    expect(lines[2]).toBe(
      `L-2,"Line\nbreak",'+919876543210,asha@example.com,Acme,3,2026-11-05,1234.50,http://127.0.0.1:4010/rzp/abc,lnk_abc,created,2027-01-15T08:00:00.000Z,`,
    );
    expect(lines[3]?.startsWith('L-3,')).toBe(true);
    expect(lines[4]).toBe('');
  });

  it('writes only the header for an empty job', async () => {
    expect(await text([])).toBe(`${HEADER}\r\n`);
  });

  it('fails the stream when reading the items fails, instead of ending it short', async () => {
    async function* broken(): AsyncGenerator<JobItem[]> {
      yield [item()];
      throw new Error('DynamoDB went away');
    }
    const read = async () => {
      for await (const _ of csvStream(broken())) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow('DynamoDB went away');
  });
});
