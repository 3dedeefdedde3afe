/**
 * Pacing calls toward Razorpay from one worker process.
 *
 * - TokenBucket: at most `ratePerSecond` calls per second, spaced evenly (a burst of `burst`
 *   calls may go at once after a quiet spell). Callers reserve a slot and sleep until it, so
 *   waiting callers are served in order and never spin.
 * - Semaphore: at most `limit` tasks in flight (the bulk worker's BULK_CONCURRENCY).
 * - rateLimitedGateway: the PaymentGateway port with every call paced by a bucket.
 * - AccountPacers: one bucket per payment account.
 *
 * Both are per process (per Lambda container): the fleet's rate is this rate times the number
 * of containers the event source runs at once, which CDK caps (maxConcurrency).
 */
import { GatewayRateLimitedError } from './domain/errors';
import type { PaymentGateway } from './domain/gateway';

export interface Pacer {
  /** resolves when the caller may make one call */
  take(): Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class TokenBucket implements Pacer {
  private readonly intervalMs: number;
  private readonly burst: number;
  /** tokens available at `updatedAt`; negative = slots already promised to waiting callers */
  private tokens: number;
  private updatedAt: number;
  /** no token is handed out before this instant (a cool-down after Razorpay said 429) */
  private pausedUntil = 0;

  constructor(
    ratePerSecond: number,
    options: { burst?: number; now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.intervalMs = 1000 / ratePerSecond;
    this.burst = Math.max(1, options.burst ?? 1);
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? realSleep;
    this.tokens = this.burst;
    this.updatedAt = this.now();
  }

  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /** Reserves the next slot and waits for it. */
  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.sleep(wait);
  }

  /** Reserves a slot; returns how many milliseconds the caller must wait for it. */
  reserve(): number {
    const now = this.now();
    const from = Math.max(this.updatedAt, this.pausedUntil);
    if (now > from) {
      this.tokens = Math.min(this.burst, this.tokens + (now - from) / this.intervalMs);
      this.updatedAt = now;
    }
    this.tokens -= 1;
    const startAt = Math.max(now, this.pausedUntil);
    // a slot in debt is paid back at one interval per token
    return Math.max(0, startAt - now) + (this.tokens < 0 ? -this.tokens * this.intervalMs : 0);
  }

  /** Takes a slot only if one is free now (never goes into debt); false when none is. */
  tryTake(): boolean {
    if (this.reserve() === 0) return true;
    this.tokens += 1;
    return false;
  }

  /** Hands out nothing for `ms` (Razorpay answered 429 even after the adapter's retries). */
  pause(ms: number): void {
    const until = this.now() + ms;
    if (until > this.pausedUntil) {
      // tokens left now are forfeited: the limit we were told about is lower than we thought
      this.tokens = Math.min(this.tokens, 0);
      this.updatedAt = Math.max(this.updatedAt, until);
      this.pausedUntil = until;
    }
  }
}

export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('limit must be at least 1');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // the slot passes straight to the next waiter: `active` stays the same
      if (next) next();
      else this.active--;
    }
  }

  get inFlight(): number {
    return this.active;
  }
}

/**
 * The gateway with one paced slot per call (retries inside the adapter pace through its `sleep`).
 * When the provider still answers 429 through the adapter's retries, the bucket hands out nothing
 * for `pauseOnRateLimitMs`: the limit we were told about is lower than we thought.
 */
export function rateLimitedGateway(
  gateway: PaymentGateway,
  pacer: Pacer & { pause?(ms: number): void },
  pauseOnRateLimitMs = 0,
): PaymentGateway {
  const paced = async <T>(op: () => Promise<T>): Promise<T> => {
    await pacer.take();
    try {
      return await op();
    } catch (err) {
      if (err instanceof GatewayRateLimitedError && pauseOnRateLimitMs > 0) pacer.pause?.(pauseOnRateLimitMs);
      throw err;
    }
  };
  return {
    createLink: (req) => paced(() => gateway.createLink(req)),
    fetchLink: (id) => paced(() => gateway.fetchLink(id)),
    findLinkByReferenceId: (ref) => paced(() => gateway.findLinkByReferenceId(ref)),
    cancelLink: (id) => paced(() => gateway.cancelLink(id)),
  };
}

/**
 * One bucket per payment account (architecture §4b): providers limit each merchant on its own,
 * so one lender's big job never spends another account's budget, and two accounts' jobs run at
 * their full rates side by side.
 */
export class AccountPacers {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly ratePerSecond: (accountId: string) => number) {}

  of(accountId: string): TokenBucket {
    let bucket = this.buckets.get(accountId);
    if (!bucket) {
      bucket = new TokenBucket(this.ratePerSecond(accountId));
      this.buckets.set(accountId, bucket);
    }
    return bucket;
  }
}

/** One Semaphore per payment account, each of `limit` (the bulk worker's BULK_CONCURRENCY). */
export class AccountPools {
  private readonly pools = new Map<string, Semaphore>();

  constructor(private readonly limit: number) {}

  of(accountId: string): Semaphore {
    let pool = this.pools.get(accountId);
    if (!pool) {
      pool = new Semaphore(this.limit);
      this.pools.set(accountId, pool);
    }
    return pool;
  }
}
