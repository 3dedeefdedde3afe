/**
 * What access control adds to each request (issue 13): the gate every /api function runs before
 * its use case — `Authorization` parsed, the RS256 signature checked against the issuer's JWKS,
 * `iss`/`exp`/`token_use`/`client_id` checked, the actor derived and its permission checked.
 *
 * - warm: the JWKS is cached at module scope (as in a warm Lambda): 2,000 gates over 200 distinct
 *   access tokens, one at a time; median and p99, and the signature check alone beside it;
 * - cold: the first verification after the key set is forgotten (a new container): the JWKS
 *   fetched over HTTP from a local issuer, its key imported, then the check; median of 30, and
 *   the very first one in the process (module and crypto warm-up included) on its own.
 * The tokens are real: RS256 (2048-bit key, what Cognito and the local provider sign with),
 * Cognito's claim names, the JWKS served by a node:http server on 127.0.0.1.
 * Run alone: npx tsx bench/auth.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { authenticate } from '../shared/auth/gate';
import { resetJwksCache, verifyAccessToken } from '../shared/auth/verifier';
import { median, percentile, table } from './stats';

const WARM_RUNS = 2000;
const TOKENS = 200;
const COLD_RUNS = 30;

const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ keys: [jwk] }));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
Object.assign(process.env, {
  AUTH_ISSUER: issuer,
  AUTH_JWKS_URI: `${issuer}/.well-known/jwks.json`,
  AUTH_CLIENT_IDS: 'emi-links-web,demo-ops,demo-warehouse',
});

const now = Math.floor(Date.now() / 1000);
const tokens = await Promise.all(
  Array.from({ length: TOKENS }, (_, i) =>
    new SignJWT({
      token_use: 'access',
      client_id: 'emi-links-web',
      sub: `user-${i}`,
      username: `collector-${i}`,
      'cognito:groups': ['collector'],
      lenders: ['Kaveri Finance', 'Deccan Credit'],
      scope: 'openid profile',
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench-1', typ: 'JWT' })
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey),
  ),
);

const time = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

// cold: the first verification of a fresh process, then of a forgotten key set
const firstInProcess = await time(() => authenticate(`Bearer ${tokens[0]}`, 'read'));
const cold: number[] = [];
for (let i = 0; i < COLD_RUNS; i++) {
  resetJwksCache();
  cold.push(await time(() => authenticate(`Bearer ${tokens[i % TOKENS]}`, 'read')));
}

// warm: interleave the whole gate and the signature check alone
const gate: number[] = [];
const verify: number[] = [];
for (let i = 0; i < WARM_RUNS; i++) {
  const token = tokens[i % TOKENS]!;
  gate.push(await time(() => authenticate(`Bearer ${token}`, 'write')));
  verify.push(await time(() => verifyAccessToken(token)));
}
server.close();

const ms = (x: number) => `${x.toFixed(3)} ms`;
table(
  ['what', 'median', 'p99', 'runs'],
  [
    [
      'warm: the gate per request (JWKS cached)',
      ms(median(gate)),
      ms(percentile(gate, 99)),
      String(WARM_RUNS),
    ],
    [
      'warm: signature + claims check alone',
      ms(median(verify)),
      ms(percentile(verify, 99)),
      String(WARM_RUNS),
    ],
    [
      'cold: first check after the JWKS cache is empty',
      ms(median(cold)),
      ms(percentile(cold, 99)),
      String(COLD_RUNS),
    ],
    ['cold: very first check in the process', ms(firstInProcess), '', '1'],
  ],
);
const goal = median(gate) <= 1;
console.log(`  goal: warm median ≤ 1 ms — ${goal ? 'met' : 'NOT met'} (${ms(median(gate))})`);
