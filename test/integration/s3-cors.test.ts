/**
 * The local S3 front's CORS, as the imports bucket's CORS rule on AWS: only the page's origin,
 * only PUT, only the imports bucket; a preflight needs no signature but the PUT itself still does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, LOCAL_CREDENTIALS, type LocalService, startS3 } from '../../local/aws-local';

const PAGE = 'http://localhost:3100';
const dir = mkdtempSync(join(tmpdir(), 'emi-s3-cors-'));
let s3srv: LocalService;
let s3: S3Client;

beforeAll(async () => {
  s3srv = await startS3({
    port: await freePort(),
    directory: dir,
    cors: { buckets: ['imports-b'], origins: [PAGE], methods: ['PUT'] },
  });
  s3 = new S3Client({
    endpoint: s3srv.endpoint,
    region: 'ap-south-1',
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  for (const Bucket of ['imports-b', 'other-b']) await s3.send(new CreateBucketCommand({ Bucket }));
});
afterAll(async () => {
  s3?.destroy();
  await s3srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const preflight = (path: string, origin: string, method: string) =>
  fetch(`${s3srv.endpoint}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'content-type',
    },
  });

describe('local S3 CORS for the page', () => {
  it("answers the page's preflight for a PUT into the imports bucket", async () => {
    const res = await preflight('/imports-b/loans/x.csv', PAGE, 'PUT');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(res.headers.get('access-control-allow-methods')).toBe('PUT');
  });

  it('gives no CORS permission to another origin, another bucket or another method', async () => {
    for (const [path, origin, method] of [
      ['/imports-b/loans/x.csv', 'https://evil.example', 'PUT'],
      ['/other-b/x.csv', PAGE, 'PUT'],
      ['/imports-b/loans/x.csv', PAGE, 'GET'],
      ['/imports-b/loans/x.csv', PAGE, 'DELETE'],
    ] as const) {
      const res = await preflight(path, origin, method);
      expect(res.headers.get('access-control-allow-origin'), `${origin} ${method} ${path}`).toBeNull();
    }
  });

  it('still checks the signature: a presigned PUT from the page works, an unsigned one is refused', async () => {
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'imports-b', Key: 'loans/a.csv' }), {
      expiresIn: 60,
    });
    const ok = await fetch(url, { method: 'PUT', headers: { origin: PAGE }, body: 'loan_id\n' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(PAGE);
    const unsigned = await fetch(`${s3srv.endpoint}/imports-b/loans/b.csv`, {
      method: 'PUT',
      headers: { origin: PAGE },
      body: 'loan_id\n',
    });
    expect(unsigned.status).toBe(403);
  });
});
