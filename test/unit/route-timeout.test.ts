import { describe, expect, it } from 'vitest';
import { httpRoute } from '../../shared/http/route';
import { httpEvent, lambdaContext } from '../support/http';

describe('a route whose time runs out', () => {
  it('answers 503 TIMEOUT with Retry-After in the contract body, never a 500', async () => {
    // a public route (no token) whose work outlasts the function's remaining time
    const slow = httpRoute('health', {}, () => new Promise(() => {}));
    const res = await slow(httpEvent({ method: 'GET', path: '/api/health', token: null }), {
      ...lambdaContext(),
      getRemainingTimeInMillis: () => 100,
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['retry-after']).toBe('5');
    expect(JSON.parse(res.body!)).toEqual({
      error: { code: 'TIMEOUT', message: 'The request took too long; what was done stays done. Try again' },
    });
  });
});
