/**
 * Loans files from the imports bucket (architecture §4e), through the real handlers against
 * DynamoDB Local and the S3 emulator: `POST /api/imports` → a presigned PUT of the file → the
 * S3 notification (as SQS delivers it) → the import worker → the report beside the file,
 * `GET /api/imports/{id}` and the EMIs on the pending list.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as importStatus } from '../../functions/import-status/handler';
import { handleImportMessage, handler as importWorker } from '../../functions/import-worker/handler';
import { handler as importsStart } from '../../functions/imports-start/handler';
import { handler as pending } from '../../functions/pending-emis/handler';
import { ImportStore } from '../../shared/adapters/dynamo/import-store';
import { localQueueRegistry } from '../../shared/adapters/queue/sender';
import { S3ImportFiles } from '../../shared/adapters/s3/imports';
import { addDays, systemClock } from '../../shared/domain/dates';
import { MAX_WRITE_ERRORS } from '../../shared/domain/ports';
import { type ImportDeps, runImport, startImport } from '../../shared/usecases/import-loans';
import { stores } from '../../shared/wiring';
import { today } from '../support/fixtures';
import { call } from '../support/http';
import { useLocalAws } from '../support/local-aws';
import { opsActor } from '../support/token-issuer';

const emis = () => stores().emis;

let names: Awaited<ReturnType<typeof useLocalAws>>;
let s3: S3Client;
const continuations: string[] = [];

beforeAll(async () => {
  names = await useLocalAws('imports');
  process.env.IMPORT_QUEUE_URL = 'local://imports-test';
  localQueueRegistry().set('local://imports-test', { send: async (b) => void continuations.push(b) });
  s3 = new S3Client({
    endpoint: names.s3,
    region: 'ap-south-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});

const HEADER = 'loan_id,lender,client_name,phone,email,emi_number,due_date,amount_due_inr,amount_paid_inr';

/** A spreadsheet's CSV export: BOM, CRLF, quoted names with commas. */
function spreadsheetCsv(loans: number, emisPerLoan: number, prefix: string, lender = 'Acme'): string {
  const lines = [HEADER];
  for (let l = 0; l < loans; l++) {
    for (let e = 1; e <= emisPerLoan; e++) {
      const due = addDays(today(), e * 7 - 14);
      lines.push(
        `${prefix}-${l},${lender},"Sharma, Priya ${l}",+919800000${String(l % 1000).padStart(3, '0')},,${e},${due},2500.50,`,
      );
    }
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

let seq = 0;
/** Puts a file and delivers its S3 notification the way SQS hands it to the worker. */
async function drop(key: string, body: string | Buffer) {
  const out = await s3.send(new PutObjectCommand({ Bucket: names.IMPORTS_BUCKET, Key: key, Body: body }));
  await deliver(key, out.ETag ?? '');
}

async function deliver(key: string, etag: string, sequencer?: string) {
  seq++;
  const notification = {
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: names.IMPORTS_BUCKET },
          object: {
            key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'),
            eTag: etag,
            sequencer: sequencer ?? `0A${(Date.now() * 100 + seq).toString(16).toUpperCase()}`,
          },
        },
      },
    ],
  };
  const event = {
    Records: [{ messageId: `m${seq}`, body: JSON.stringify(notification) }],
  } as unknown as SQSEvent;
  const res = await importWorker(event, {});
  expect(res.batchItemFailures).toEqual([]);
}

async function report(key: string) {
  const out = await s3.send(
    new GetObjectCommand({
      Bucket: names.IMPORTS_BUCKET,
      Key: key.replace(/\.[^./]*$/, '.report.json'),
    }),
  );
  return JSON.parse(await out.Body!.transformToString());
}

describe('loans file import', () => {
  it('imports a spreadsheet CSV uploaded through a presigned URL, then the same file again changes nothing', async () => {
    const start = await call(importsStart, {
      method: 'POST',
      path: '/api/imports',
      body: { fileName: 'book.csv' },
    });
    expect(start.status).toBe(201);
    const { importId, uploadUrl, uploadExpiresAt } = start.json;
    expect(importId).toMatch(/^imp_[0-9a-f]{20}$/);
    expect(Date.parse(uploadExpiresAt)).toBeGreaterThan(Date.now());

    const waiting = await call(importStatus, {
      path: `/api/imports/${importId}`,
      pathParameters: { importId },
    });
    expect(waiting.json).toMatchObject({ importId, status: 'waiting', rows: 0 });

    const csv = spreadsheetCsv(400, 25, 'SP'); // 10,000 rows
    const put = await fetch(uploadUrl, { method: 'PUT', body: csv });
    expect(put.status).toBe(200);
    const key = `loans/${importId}/book.csv`;
    await deliver(key, put.headers.get('etag') ?? '');

    const done = await call(importStatus, { path: `/api/imports/${importId}`, pathParameters: { importId } });
    expect(done.json).toMatchObject({
      importId,
      status: 'completed',
      rows: 10_000,
      processed: 10_000,
      created: 10_000,
      updated: 0,
      unchanged: 0,
      failed: 0,
      errors: [],
    });
    const rep = await report(key);
    expect(rep).toMatchObject({
      rows: 10_000,
      loans: 400,
      created: 10_000,
      updated: 0,
      unchanged: 0,
      failed: 0,
      errors: [],
    });

    const list = await call(pending, {
      path: '/api/payment-links/pending-emis',
      query: { lender: 'Acme', bucket: 'overdue' },
    });
    expect(list.status).toBe(200);
    const first = list.json.items.find((i: { loanId: string }) => i.loanId === 'SP-0');
    expect(first).toMatchObject({ clientName: 'Sharma, Priya 0', amountDue: 250_050, currency: 'INR' });

    // the same file again: a new upload, nothing changes, and the report says so
    const again = await fetch(uploadUrl, { method: 'PUT', body: csv });
    await deliver(key, again.headers.get('etag') ?? '');
    expect(await report(key)).toMatchObject({
      rows: 10_000,
      created: 0,
      updated: 0,
      unchanged: 10_000,
      failed: 0,
    });
    // one notification delivered twice (SQS is at least once): the second one runs nothing
    const before = (await new ImportStore(names.OPS_TABLE).get(importId))!;
    expect(before.status).toBe('completed');
    await deliver(key, before.etag ?? '', before.runId);
    const after = (await new ImportStore(names.OPS_TABLE).get(importId))!;
    expect(after).toEqual(before);
  }, 300_000);

  it('a re-export with one changed row changes exactly one EMI', async () => {
    const csv = spreadsheetCsv(20, 6, 'RX');
    await drop('loans/rx.csv', csv);
    expect(await report('loans/rx.csv')).toMatchObject({ rows: 120, created: 120 });
    const changed = csv
      .replace(
        'RX-7,Acme,"Sharma, Priya 7",+919800000007,,3,',
        'RX-7,Acme,"Sharma, Priya 7",+919800000007,,3,',
      )
      .replace(/(RX-7,Acme,"Sharma, Priya 7",\+919800000007,,3,[0-9-]+,)2500\.50/, '$13000.00');
    expect(changed).not.toBe(csv);
    await drop('loans/rx.csv', changed);
    expect(await report('loans/rx.csv')).toMatchObject({
      rows: 120,
      created: 0,
      updated: 1,
      unchanged: 119,
      failed: 0,
    });
    const { emis: items } = await emis().getLoanItems('RX-7');
    expect(items.find((e) => e.emiNumber === 3)!.amount).toBe(300_000);
  }, 60_000);

  it('reports each bad row with its line, field and reason, and imports the good ones', async () => {
    const rows = [
      HEADER,
      `BAD-1,Acme,Good Row,+919811111111,a@example.com,1,${today()},1000,`, // 2 ok
      `BAD-1,Acme,Good Row,+919811111111,a@example.com,2,${today()},"1,000.00",`, // 3 comma
      `BAD-1,Acme,Good Row,+919811111111,a@example.com,3,${today()},10.505,`, // 4 three decimals
      `BAD-1,Other,Good Row,+919811111111,a@example.com,4,${today()},100,`, // 5 conflicting lender
      `BAD-1,Acme,Good Row,+919811111111,a@example.com,1,${today()},100,`, // 6 repeated EMI
      `BAD-2,Acme,Someone,12ab,,1,${today()},100,`, // 7 phone
      `BAD-3,Acme,Someone,+919811111112,,1,2026-13-40,100,`, // 8 date
      `BAD-4,Acme,Someone,+919811111113,,1,${today()},100,200`, // 9 paid > due
      `BAD-5,Acme,Someone,+919811111114,,1,${today()},100`, // 10 cell count
      `BAD-6,Acme,Someone,+919811111115,,2,${today()},100.5,0.50`, // 11 ok
    ];
    await drop('loans/bad rows.csv', `${rows.join('\n')}\n`);
    const rep = await report('loans/bad rows.csv');
    expect(rep).toMatchObject({ status: 'completed', rows: 10, created: 2, failed: 8 });
    const byRow = Object.fromEntries(rep.errors.map((e: { row: number; field: string }) => [e.row, e.field]));
    expect(byRow).toEqual({
      3: 'amount_due_inr',
      4: 'amount_due_inr',
      5: 'lender',
      6: 'emi_number',
      7: 'phone',
      8: 'due_date',
      9: 'amount_paid_inr',
      10: 'row',
    });
    expect(rep.errors.find((e: { row: number }) => e.row === 3).message).toMatch(/thousands separators/);
    const { emis: six } = await emis().getLoanItems('BAD-6');
    expect(six.map((e) => [e.emiNumber, e.amount, e.amountPaidExternal])).toEqual([[2, 10_050, 50]]);
  });

  it('fails a file it cannot read with a report, and ignores files outside loans/', async () => {
    await drop(
      'loans/unknown-col.csv',
      `${HEADER},nickname\nX-1,Acme,A,+919811111111,,1,${today()},100,,z\n`,
    );
    expect(await report('loans/unknown-col.csv')).toMatchObject({
      status: 'failed',
      created: 0,
      errors: [{ row: 1, field: 'nickname' }],
    });
    await drop('loans/missing.csv', 'loan_id,lender\nX-1,Acme\n');
    expect((await report('loans/missing.csv')).errors[0]).toMatchObject({ row: 1, field: 'client_name' });
    await drop('loans/empty.csv', '');
    expect(await report('loans/empty.csv')).toMatchObject({ status: 'failed', errors: [{ field: 'file' }] });
    await drop('loans/sheet.xlsx', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]));
    expect(await report('loans/sheet.xlsx')).toMatchObject({ status: 'failed', errors: [{ field: 'file' }] });
    // one enormous line after a good row: the good row is written, the file is refused from there
    const huge = `${HEADER}\nBIG-1,Acme,A,+919811111111,,1,${today()},100,\nBIG-2,Acme,"${'x'.repeat(200_000)}"\n`;
    await drop('loans/huge.csv', huge);
    const hugeReport = await report('loans/huge.csv');
    expect(hugeReport).toMatchObject({ status: 'failed', created: 1 });
    expect(hugeReport.errors[0].message).toMatch(/longer than/);
    // a mixed-encoding row (Latin-1 bytes in a UTF-8 file) fails alone
    const latin = Buffer.concat([
      Buffer.from(`${HEADER}\nENC-1,Acme,Ok,+919811111111,,1,${today()},100,\nENC-2,Acme,Jos`),
      Buffer.from([0xe9]),
      Buffer.from(`,+919811111112,,1,${today()},100,\n`),
    ]);
    await drop('loans/latin.csv', latin);
    expect(await report('loans/latin.csv')).toMatchObject({
      created: 1,
      failed: 1,
      errors: [{ row: 3, field: 'client_name', message: 'is not valid UTF-8' }],
    });
    // elsewhere in the bucket: no import, no report
    await drop('other/x.csv', `${HEADER}\n`);
    await expect(report('other/x.csv')).rejects.toThrow();
  });

  it('imports JSON Lines with the same column names', async () => {
    const lines = [1, 2, 3].map((n) =>
      JSON.stringify({
        loan_id: 'JL-1',
        lender: 'Acme',
        client_name: 'Json Person',
        phone: '+919822222222',
        email: 'j@example.com',
        emi_number: n,
        due_date: addDays(today(), n),
        amount_due_inr: '1500.00',
        amount_paid_inr: n === 1 ? 100 : null,
      }),
    );
    await drop('loans/feed.jsonl', `\uFEFF${lines.join('\n')}\n{"loan_id":"JL-2","oops":1}\n`);
    expect(await report('loans/feed.jsonl')).toMatchObject({
      rows: 4,
      created: 3,
      failed: 1,
      errors: [{ row: 4, field: 'oops' }],
    });
  });

  it('continues across invocations from its checkpoint, and a crash resumes without writing twice', async () => {
    const key = 'loans/resume.csv';
    const csv = spreadsheetCsv(50, 10, 'RS'); // 500 rows
    const put = await s3.send(new PutObjectCommand({ Bucket: names.IMPORTS_BUCKET, Key: key, Body: csv }));
    const imports = new ImportStore(names.OPS_TABLE);
    let writes = 0;
    let crashAfter = 3; // the 4th batch's write throws, as if the Lambda died there
    const store = emis();
    const counting = new Proxy(store, {
      get(target, prop, recv) {
        if (prop === 'writeEmis') {
          // one loan's EMIs in one transaction (with the dashboard's totals): count the EMIs
          return async (...args: Parameters<typeof store.writeEmis>) => {
            const ok = await target.writeEmis(...args);
            if (ok) writes += args[1].length;
            return ok;
          };
        }
        if (prop === 'getLoanItems') {
          return async (...args: Parameters<typeof store.getLoanItems>) => {
            if (crashAfter === 0) throw new Error('simulated crash');
            return target.getLoanItems(...args);
          };
        }
        return Reflect.get(target, prop, recv);
      },
    });
    const sent: { importId: string; runId: string }[] = [];
    const deps = (owner: string): ImportDeps => ({
      emis: counting,
      imports,
      files: new S3ImportFiles(names.IMPORTS_BUCKET),
      clock: systemClock,
      continueLater: async (m) => void sent.push(m),
      batchLoans: 5, // 50 rows a batch
      maxRowsPerInvocation: 100,
      leaseMs: 1,
      owner,
    });
    // first invocation: two batches, then it hands on
    expect(await startImport(deps('w1'), { key, etag: put.ETag ?? '', sequencer: 'FF0001' }, opsActor)).toBe(
      'started',
    );
    expect(sent).toHaveLength(1);
    let rec = (await imports.get(sent[0]!.importId))!;
    expect(rec).toMatchObject({ status: 'running', checkpointLine: 101, created: 100 });
    expect(writes).toBe(100);

    // second invocation crashes mid-way: its checkpoint stays where the last whole batch ended
    crashAfter = 0;
    await expect(runImport(deps('w2'), sent[0]!.importId, sent[0]!.runId, opsActor)).rejects.toThrow(
      'simulated crash',
    );
    rec = (await imports.get(sent[0]!.importId))!;
    expect(rec.checkpointLine).toBe(101);

    // the message comes back: the next worker (lease lapsed) resumes at line 102
    crashAfter = 99;
    writes = 0;
    const third = { ...deps('w3'), maxRowsPerInvocation: undefined };
    await runImport(third, sent[0]!.importId, sent[0]!.runId, opsActor);
    expect(writes).toBe(400);
    expect(await report(key)).toMatchObject({
      status: 'completed',
      rows: 500,
      created: 500,
      unchanged: 0,
      failed: 0,
    });
  }, 60_000);

  it("imports only the caller's lenders: other lenders' rows fail with a reason, and their import is unknown to others", async () => {
    const admin = await names.issuer.person('admin', ['Acme']);
    const start = await call(importsStart, {
      method: 'POST',
      path: '/api/imports',
      body: { fileName: 'scoped.csv' },
      token: admin,
    });
    expect(start.status).toBe(201);
    const { importId, uploadUrl } = start.json;
    const csv = [
      HEADER,
      `SC-1,Acme,Mine,+919811111111,,1,${today()},100,`,
      `SC-2,Elsewhere Bank,Not Mine,+919811111112,,1,${today()},100,`,
      `SC-1,Acme,Mine,+919811111111,,2,${today()},100,`,
    ].join('\n');
    const put = await fetch(uploadUrl, { method: 'PUT', body: csv });
    await deliver(`loans/${importId}/scoped.csv`, put.headers.get('etag') ?? '');
    const done = await call(importStatus, {
      path: `/api/imports/${importId}`,
      pathParameters: { importId },
      token: admin,
    });
    expect(done.json).toMatchObject({
      status: 'completed',
      rows: 3,
      created: 2,
      failed: 1,
      errors: [{ row: 3, field: 'lender', message: expect.stringMatching(/not one of the lenders/) }],
    });
    expect((await emis().getLoanItems('SC-2')).emis).toEqual([]);
    // someone working on other lenders only: the import answers like an unknown id
    const other = await names.issuer.person('admin', ['Elsewhere Bank']);
    const hidden = await call(importStatus, {
      path: `/api/imports/${importId}`,
      pathParameters: { importId },
      token: other,
    });
    expect(hidden.status).toBe(404);
  });

  it('completes a file of thousands of refused rows: the record keeps the first errors and counts them all', async () => {
    // 450 loans filed under another lender (the warehouse's drop, all lenders), then the same
    // loan ids sent as Acme's by someone who works on Acme only: each of the 4,500 rows is refused
    // at write time. Their errors alone would be ~500 KB, over DynamoDB's 400 KB item, if the
    // record kept them all (it then could never checkpoint, and the import never finished)
    await drop('loans/refused-seed.csv', spreadsheetCsv(450, 10, 'RF', 'Elsewhere Bank'));
    const admin = await names.issuer.person('admin', ['Acme']);
    const start = await call(importsStart, {
      method: 'POST',
      path: '/api/imports',
      body: { fileName: 'refused.csv' },
      token: admin,
    });
    expect(start.status).toBe(201);
    const { importId, uploadUrl } = start.json;
    const csv = spreadsheetCsv(450, 10, 'RF', 'Acme');
    const put = await fetch(uploadUrl, { method: 'PUT', body: csv });
    await deliver(`loans/${importId}/refused.csv`, put.headers.get('etag') ?? '');
    const done = await call(importStatus, {
      path: `/api/imports/${importId}`,
      pathParameters: { importId },
      token: admin,
    });
    expect(done.json).toMatchObject({ status: 'completed', rows: 4500, created: 0, failed: 4500 });
    const rec = (await new ImportStore(names.OPS_TABLE).get(importId))!;
    expect(rec.writeErrors).toHaveLength(MAX_WRITE_ERRORS);
    expect(rec.writeFailedRows).toBe(4500);
  }, 300_000);

  it('drops queue messages that are not S3 events or continuations, whatever JSON they are', async () => {
    // none of these may touch a store: a deps object that throws on any use proves it
    const untouchable = new Proxy({} as ImportDeps, {
      get: (_t, prop) => {
        throw new Error(`touched deps.${String(prop)}`);
      },
    });
    for (const body of ['null', '[]', '42', '"text"', '{"Records":{}}', '{"Records":[{}]}', 'not json'])
      await expect(handleImportMessage(body, untouchable), body).resolves.toBeUndefined();
  });

  it('refuses bad requests with the contract error body', async () => {
    const bad = await call(importsStart, {
      method: 'POST',
      path: '/api/imports',
      body: { fileName: '../x.csv' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].field).toBe('fileName');
    const badExt = await call(importsStart, {
      method: 'POST',
      path: '/api/imports',
      body: { fileName: 'x.exe' },
    });
    expect(badExt.status).toBe(400);
    const unknown = await call(importStatus, {
      path: '/api/imports/imp_00000000000000000000',
      pathParameters: { importId: 'imp_00000000000000000000' },
    });
    expect(unknown.status).toBe(404);
    const malformed = await call(importStatus, {
      path: '/api/imports/zzz',
      pathParameters: { importId: 'zzz' },
    });
    expect(malformed.status).toBe(400);
    // a person without the loans permission (a collector) may not import
    const collector = await names.issuer.person('collector', ['Acme']);
    const denied = await call(importsStart, {
      method: 'POST',
      path: '/api/imports',
      body: { fileName: 'a.csv' },
      token: collector,
    });
    expect(denied.status).toBe(403);
  });
});
