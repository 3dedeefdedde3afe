import { type ReconcileCounts, type ReconcileOptions, reconcile } from '../../shared/usecases/reconcile';
import { linkDeps } from '../../shared/wiring-links';

/**
 * Scheduled reconciliation (EventBridge, every 15 minutes; a timer under the local runtime).
 * Per-link failures are counted, not thrown: a throw would make EventBridge re-run the whole
 * batch, and the next scheduled run picks the same links up anyway.
 */
export async function main(options: ReconcileOptions = {}): Promise<ReconcileCounts> {
  return reconcile(linkDeps(), options);
}

export const handler = async (): Promise<ReconcileCounts> => main();
