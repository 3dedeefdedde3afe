/**
 * Reconciliation (scheduled): webhooks are at-least-once but may also never arrive, so every
 * link a borrower can still pay, or whose create never got an answer, is checked against
 * Razorpay now and then — bounded per run, least recently synced first.
 *
 * Steps:
 *   1. pick up to `limit` watched links: those not heard of for `staleAfterMs`
 *      (links().listWatched), then recently synced ones already past their `expire_by`;
 *   2. for each, a few at a time:
 *      - `created` / `partially_paid`: fetch from Razorpay and apply through syncLink (credits
 *        missed payments, moves status, cancels siblings);
 *      - `creating` (stuck for CREATING_STALE_MS) / `failed` unresolved: look the reference id up
 *        at Razorpay — adopt the link it has (through syncLink), or mark it failed for good;
 *      - record that it was looked at (markSynced), so the next run starts with other links;
 *   3. then every link still `created` whose EMI is settled (e.g. paid through another channel)
 *      is cancelled at Razorpay and locally (`emi_settled`);
 *   4. a link that fails is counted and left for the next run; the others go on.
 */
import { noLinkAtProvider } from '../domain/accounts';
import type { GatewayLink } from '../domain/gateway';
import { emiOutstanding } from '../domain/model';
import type { StoredLink } from '../domain/ports';
import { log, withLogContext } from '../log';
import { metrics } from '../metrics';
import { finishFailed } from './generate-link';
import { gatewayOf, type LinkDeps } from './link-deps';
import { cancelAtRazorpay, observationFromGatewayLink, syncLink } from './sync-link';

export interface ReconcileOptions {
  /** links per run (default 200) */
  limit?: number;
  /** a link heard of within this is left alone unless past its expiry (default 10 minutes) */
  staleAfterMs?: number;
  /** links checked at once (default 4): gentle on Razorpay's rate limit */
  concurrency?: number;
}

export interface ReconcileCounts {
  examined: number;
  /** fetched from Razorpay and applied */
  refreshed: number;
  /** whose state changed (payment credited, status moved, adopted, failed, cancelled) */
  changed: number;
  /** found at Razorpay by reference id after an unanswered create */
  adopted: number;
  /** Razorpay has no link for them: failed for good */
  failedForGood: number;
  /** open links cancelled because their EMI is already settled */
  cancelledSettled: number;
  errors: number;
}

/** A `creating` link younger than this may still have its create in flight. */
const CREATING_STALE_MS = 2 * 60_000;

export async function reconcile(deps: LinkDeps, options: ReconcileOptions = {}): Promise<ReconcileCounts> {
  const limit = options.limit ?? 200;
  const now = deps.clock.now();
  const syncedBefore = new Date(now.getTime() - (options.staleAfterMs ?? 10 * 60_000)).toISOString();
  const stale = await deps.links.listWatched(syncedBefore, limit);
  const pastExpiry =
    stale.length < limit
      ? await deps.links.listWatchedPastExpiry(
          Math.floor(now.getTime() / 1000),
          syncedBefore,
          limit - stale.length,
        )
      : [];
  const batch = [...new Map([...stale, ...pastExpiry].map((l) => [l.id, l])).values()];

  const counts: ReconcileCounts = {
    examined: batch.length,
    refreshed: 0,
    changed: 0,
    adopted: 0,
    failedForGood: 0,
    cancelledSettled: 0,
    errors: 0,
  };
  const changed = new Set<string>();
  // open links whose state Razorpay had moved without a webhook telling us
  let missed = 0;
  const stillOpen: StoredLink[] = [];
  const concurrency = Math.max(1, options.concurrency ?? 4);
  // money first: every payment is credited (and its siblings settled) before any link is judged
  // to belong to a settled EMI, so a sibling is cancelled as `sibling_paid`, never raced into
  // `emi_settled` by a payment this very run is about to credit
  await eachLimited(batch, concurrency, counts, async (link) => {
    const after = await refreshOrResolve(deps, link, now, counts);
    if (after && after.rev !== link.rev) {
      changed.add(link.id);
      if (link.status === 'created' || link.status === 'partially_paid') {
        missed++;
        log.warn('reconcile: a webhook was missed', {
          linkId: link.id,
          before: link.status,
          after: after.status,
        });
      }
    }
    if (after?.status === 'created') stillOpen.push(after);
    // behind the others in the open index, changed or not (a no-op once it is not watched)
    await deps.links.markSynced(link.id, deps.clock.now().toISOString());
  });
  await eachLimited(stillOpen, concurrency, counts, async (link) => {
    if (await cancelIfSettled(deps, link)) {
      counts.cancelledSettled++;
      changed.add(link.id);
    }
  });
  counts.changed = changed.size;
  metrics.reconcileMissedByWebhooks(missed);
  log.info('reconcile done', { ...counts, missedByWebhooks: missed });
  return counts;
}

/** Runs `fn` over `items`, `limit` at a time; a failure is counted and logged, the rest go on. */
async function eachLimited(
  items: StoredLink[],
  limit: number,
  counts: ReconcileCounts,
  fn: (link: StoredLink) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const link = items[next++]!;
      try {
        await withLogContext({ linkId: link.id }, () => fn(link));
      } catch (err) {
        counts.errors++;
        log.warn('reconcile: link left for the next run', { linkId: link.id, loanId: link.loanId, err });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Brings one link in line with Razorpay; returns it as stored after, or null when left alone. */
async function refreshOrResolve(
  deps: LinkDeps,
  link: StoredLink,
  now: Date,
  counts: ReconcileCounts,
): Promise<StoredLink | null> {
  if (link.status === 'creating' || link.status === 'failed') {
    if (link.status === 'creating' && now.getTime() - Date.parse(link.createdAt) < CREATING_STALE_MS)
      return null;
    if (link.status === 'failed' && !link.error?.unresolved) return null;
    const found = await findByReference(deps, link);
    if (!found) {
      const { code, message } = noLinkAtProvider(link.provider);
      await finishFailed(deps, link.id, code, message, false);
      counts.failedForGood++;
      log.info('reconcile: unanswered create failed for good', { linkId: link.id, loanId: link.loanId });
      return deps.links.getLink(link.id);
    }
    counts.adopted++;
    log.info('reconcile: link adopted', { linkId: link.id, razorpayLinkId: found.id, loanId: link.loanId });
    return syncLink(deps, link.id, observationFromGatewayLink(found));
  }
  const g = link.razorpayLinkId
    ? await (await gatewayOf(deps, link)).fetchLink(link.razorpayLinkId)
    : await findByReference(deps, link);
  if (!g) return null;
  counts.refreshed++;
  return syncLink(deps, link.id, observationFromGatewayLink(g));
}

/**
 * The link Razorpay holds for our reference id, with its payments: Razorpay's list (which the
 * reference-id lookup uses) leaves `payments` empty, so a link that took money is fetched by id.
 */
async function findByReference(deps: LinkDeps, link: StoredLink): Promise<GatewayLink | null> {
  const gateway = await gatewayOf(deps, link);
  const found = await gateway.findLinkByReferenceId(link.referenceId);
  if (!found || found.amountPaid === 0) return found;
  return gateway.fetchLink(found.id);
}

/**
 * Cancels an open link whose EMI has nothing left to pay (e.g. paid through another channel),
 * or that a later schedule from the lender no longer contains.
 */
async function cancelIfSettled(deps: LinkDeps, link: StoredLink): Promise<boolean> {
  const emi = await deps.emis.getEmi(link.loanId, link.emiNumber, true);
  if (!emi || (emiOutstanding(emi) > 0 && !emi.removed)) return false;
  const current = await deps.links.getLink(link.id);
  if (current?.status !== 'created') return false;
  const after = await cancelAtRazorpay(deps, current, emi.removed ? 'emi_removed' : 'emi_settled');
  if (after.status !== 'cancelled') return false;
  log.info('reconcile: link of a settled EMI cancelled', { linkId: link.id, loanId: link.loanId });
  return true;
}
