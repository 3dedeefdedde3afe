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

describe('the page login settings (/auth-config.json)', () => {
  const AUTH_VARS = [
    'AUTH_ISSUER',
    'AUTH_WEB_CLIENT_ID',
    'AUTH_WEB_REDIRECT_URI',
    'AUTH_LOGIN_URL',
    'IMPORTS_UPLOAD_ORIGIN',
  ];
  const saved = Object.fromEntries(AUTH_VARS.map((k) => [k, process.env[k]]));
  const setEnv = (vars: Record<string, string | undefined>) => {
    for (const k of AUTH_VARS) {
      const v = vars[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  afterAll(() => setEnv(saved));

  it('answers the issuer, the public client and the redirect; no secrets, nothing else', async () => {
    setEnv({
      AUTH_ISSUER: 'http://localhost:4020',
      AUTH_WEB_CLIENT_ID: 'emi-links-web',
      AUTH_WEB_REDIRECT_URI: 'http://localhost:3000/',
    });
    const res = await get('/auth-config.json');
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '')).toEqual({
      issuer: 'http://localhost:4020',
      clientId: 'emi-links-web',
      redirectUri: 'http://localhost:3000/',
    });
    expect((await get('/auth-config.json', 'POST')).statusCode).toBe(405);
  });

  it("lets the page's script reach the issuer, and on Cognito the hosted-UI domain, and nothing more", async () => {
    setEnv({
      AUTH_ISSUER: 'https://cognito-idp.ap-south-1.amazonaws.com/ap-south-1_Abc',
      AUTH_WEB_CLIENT_ID: 'abc123',
      AUTH_LOGIN_URL: 'https://emi.auth.ap-south-1.amazoncognito.com',
    });
    const csp = String((await get('/')).headers?.['content-security-policy']);
    expect(csp).toContain(
      "connect-src 'self' https://cognito-idp.ap-south-1.amazonaws.com https://emi.auth.ap-south-1.amazoncognito.com;",
    );
    expect(csp).toContain("script-src 'self';");
    expect(JSON.parse((await get('/auth-config.json')).body ?? '')).toEqual({
      issuer: 'https://cognito-idp.ap-south-1.amazonaws.com/ap-south-1_Abc',
      clientId: 'abc123',
      logoutUrl: 'https://emi.auth.ap-south-1.amazoncognito.com/logout',
      revokeUrl: 'https://emi.auth.ap-south-1.amazoncognito.com/oauth2/revoke',
    });
  });

  it('lets the Import tab PUT to the imports bucket: its origin only, no path', async () => {
    setEnv({
      AUTH_ISSUER: 'https://cognito-idp.ap-south-1.amazonaws.com/ap-south-1_Abc',
      AUTH_WEB_CLIENT_ID: 'abc123',
      IMPORTS_UPLOAD_ORIGIN: 'https://imports-bucket.s3.ap-south-1.amazonaws.com/ignored/path',
    });
    const csp = String((await get('/')).headers?.['content-security-policy']);
    expect(csp).toContain(
      "connect-src 'self' https://cognito-idp.ap-south-1.amazonaws.com https://imports-bucket.s3.ap-south-1.amazonaws.com;",
    );
  });

  it('says logging in is not configured when there is no issuer (503, the contract error body)', async () => {
    setEnv({ AUTH_WEB_CLIENT_ID: 'emi-links-web' });
    const res = await get('/auth-config.json');
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body ?? '')).toMatchObject({ error: { code: 'AUTH_NOT_CONFIGURED' } });
    expect(String((await get('/')).headers?.['content-security-policy'])).toContain("connect-src 'self';");
  });
});
