/**
 * A sliding one-second window: at most `limit` requests in any 1000 ms. A ring of the last
 * `limit` accepted request times; a request is refused when the oldest of them is younger than
 * a second. Refused requests do not count, as with Razorpay's limiter (clients that back off recover).
 */
export class SlidingWindowLimiter {
  private ring = new Float64Array(0);
  private next = 0;

  /** true when the request may proceed; `limit` 0 means unlimited */
  allow(limit: number, nowMs: number): boolean {
    if (limit <= 0) return true;
    if (this.ring.length !== limit) {
      this.ring = new Float64Array(limit).fill(Number.NEGATIVE_INFINITY);
      this.next = 0;
    }
    if (nowMs - (this.ring[this.next] as number) < 1000) return false;
    this.ring[this.next] = nowMs;
    this.next = (this.next + 1) % limit;
    return true;
  }

  reset(): void {
    this.ring = new Float64Array(0);
    this.next = 0;
  }
}
