import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/web/handler';
import { buildWeb } from '../../web/build';
import { httpEvent } from '../support/http';

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'web-'));
  await buildWeb({ outdir: dir });
  process.env.WEB_ROOT = dir;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const get = (path: string, method = 'GET') => handler(httpEvent({ method, path }));

describe('the web function ($default route)', () => {
  it('serves the page at / with a strict content security policy', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers?.['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers?.['content-security-policy']).not.toContain('unsafe-inline');
    expect(Buffer.from(res.body ?? '', 'base64').toString('utf8')).toContain(
      '<script type="module" src="app.js">',
    );
  });

  it('serves the script and the stylesheet with their types', async () => {
    expect((await get('/app.js')).headers?.['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/styles.css')).headers?.['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers HEAD without a body', async () => {
    const res = await get('/', 'HEAD');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });

  it.each(['/api/payment-links/nothing', '/../../etc/passwd', '/package.json', '/web/build.ts'])(
    'answers 404 with the contract error body for %s',
    async (path) => {
      const res = await get(path);
      expect(res.statusCode).toBe(404);
      expect(JSON.parse(res.body ?? '')).toMatchObject({ error: { code: 'NOT_FOUND' } });
    },
  );

  it('answers 405 for a POST to the page', async () => {
    const res = await get('/', 'POST');
    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toBe('GET, HEAD');
  });
});
