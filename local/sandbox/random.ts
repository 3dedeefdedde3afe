/**
 * Randomness of the sandbox. Fault injection and webhook shuffling draw from a seedable PRNG
 * so a test can make them deterministic; ids come from the CSPRNG so they never collide across
 * sandboxes started with the same seed.
 */
import { randomBytes } from 'node:crypto';

export type Random = () => number;

/** mulberry32: tiny, fast and good enough for picking faults. Returns numbers in [0, 1). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

function nextByte(): number {
  if (poolOffset === POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  return pool[poolOffset++] as number;
}

/** `length` uniformly random base62 characters (bytes ≥ 248 are rejected to avoid modulo bias). */
export function base62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = nextByte();
    if (byte < 248) out += BASE62[byte % 62];
  }
  return out;
}

/** `length` random decimal digits, e.g. for a bank reference number (rrn). */
export function digits(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = nextByte();
    if (byte < 250) out += String(byte % 10);
  }
  return out;
}

/** Razorpay ids: a prefix and 14 base62 characters (`plink_ExjpAUN3gVHrPJ`). */
export function newId(prefix: 'plink' | 'order' | 'pay' | 'card' | 'rfnd'): string {
  return `${prefix}_${base62(14)}`;
}

/** A webhook event id: 14 base62 characters, no prefix (as in `x-razorpay-event-id`). */
export function newEventId(): string {
  return base62(14);
}

/** Fisher–Yates shuffle into a new array. */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}
