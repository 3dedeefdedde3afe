import { describe, expect, it } from 'vitest';
import { Semaphore, TokenBucket } from '../../shared/pacing';
import { chunkMessages, parseBulkMessage } from '../../shared/usecases/bulk-messages';

describe('TokenBucket', () => {
  it('spaces calls one interval apart once the burst is spent', () => {
    let now = 0;
    const bucket = new TokenBucket(20, { now: () => now });
    // five callers arriving together are promised slots 0, 50, 100, 150, 200 ms ahead
    expect([1, 2, 3, 4, 5].map(() => bucket.reserve())).toEqual([0, 50, 100, 150, 200]);
    now = 1000;
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(50);
  });

  it('allows a burst after a quiet spell, never more than its size', () => {
    let now = 0;
    const bucket = new TokenBucket(10, { burst: 3, now: () => now });
    now = 10_000;
    expect([1, 2, 3, 4].map(() => bucket.reserve())).toEqual([0, 0, 0, 100]);
  });

  it('hands out nothing while paused after a 429, then resumes at the same pace', () => {
    let now = 0;
    const bucket = new TokenBucket(10, { now: () => now });
    expect(bucket.reserve()).toBe(0);
    bucket.pause(1000);
    expect(bucket.reserve()).toBeGreaterThanOrEqual(1000);
    now = 5000;
    expect(bucket.reserve()).toBe(0);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket(0)).toThrow(RangeError);
  });
});

describe('Semaphore', () => {
  it('runs at most `limit` tasks at once and all of them eventually', async () => {
    const pool = new Semaphore(3);
    let active = 0;
    let peak = 0;
    const done = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pool.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 2));
          active--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(done).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(pool.inFlight).toBe(0);
  });

  it('frees the slot when a task throws', async () => {
    const pool = new Semaphore(1);
    await expect(pool.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(pool.run(async () => 'next')).resolves.toBe('next');
  });
});

describe('bulk messages', () => {
  const jobId = 'job_0123456789abcdefghij';

  it('covers scattered pending items with one message per chunk of 25', () => {
    expect(chunkMessages(jobId, [0, 1, 24, 25, 80, 3])).toEqual([
      { kind: 'items', jobId, from: 0, to: 24 },
      { kind: 'items', jobId, from: 25, to: 25 },
      { kind: 'items', jobId, from: 80, to: 80 },
    ]);
  });

  it('drops bodies that can never be processed', () => {
    expect(parseBulkMessage('not json')).toBeNull();
    expect(parseBulkMessage(JSON.stringify({ kind: 'items', jobId: 'x', from: 0, to: 1 }))).toBeNull();
    expect(parseBulkMessage(JSON.stringify({ kind: 'finalize', jobId }))).toEqual({
      kind: 'finalize',
      jobId,
    });
  });
});
