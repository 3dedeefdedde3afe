/**
 * How the public webhook routes read an account's webhook secrets without letting anyone on the
 * internet drive the secret store. `/webhooks/razorpay/{accountId}` takes no token, so every
 * distinct made-up `accountId` would otherwise be one Secrets Manager call (billed, and sharing
 * the account's GetSecretValue quota with the real webhooks) and one more entry in the cache.
 *
 * - An account whose secrets were found once in this container is "known": it is read through
 *   the secret cache as before.
 * - An id never found here is looked up at most UNKNOWN_LOOKUPS_PER_MINUTE times a minute per
 *   container (a token bucket with that burst). Past that, it is answered as unknown (404)
 *   without a lookup: Razorpay retries a refused delivery for 24 hours, so a real account created
 *   during a flood is served as soon as the flood stops, and reconciliation catches up meanwhile.
 * - A re-read after a signature mismatch (`refresh`, in case the secret was rotated) happens at
 *   most once per REFRESH_INTERVAL_MS per account.
 */
import { TokenBucket } from '../pacing';

export const UNKNOWN_LOOKUPS_PER_MINUTE = 10;
export const REFRESH_INTERVAL_MS = 60_000;

export type WebhookSecrets = (accountId: string, options?: { refresh?: boolean }) => Promise<string[] | null>;

export function gatedWebhookSecrets(
  read: WebhookSecrets,
  options: { now?: () => number } = {},
): WebhookSecrets {
  const now = options.now ?? Date.now;
  const known = new Set<string>();
  const lastRefresh = new Map<string, number>();
  const unknownLookups = new TokenBucket(UNKNOWN_LOOKUPS_PER_MINUTE / 60, {
    burst: UNKNOWN_LOOKUPS_PER_MINUTE,
    now,
  });
  return async (accountId, opts = {}) => {
    if (!known.has(accountId)) {
      // no waiting: a slot not free now is a refusal, never a queue of unauthenticated callers
      if (!unknownLookups.tryTake()) return null;
      const found = await read(accountId);
      if (found !== null) known.add(accountId);
      return found;
    }
    if (opts.refresh) {
      const last = lastRefresh.get(accountId) ?? Number.NEGATIVE_INFINITY;
      if (now() - last < REFRESH_INTERVAL_MS) return read(accountId);
      lastRefresh.set(accountId, now());
      return read(accountId, { refresh: true });
    }
    return read(accountId);
  };
}
