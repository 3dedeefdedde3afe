import { type RebuildReport, rebuildAggregates } from '../../shared/adapters/dynamo/aggregate-rebuild';
import { env } from '../../shared/config';
import { log } from '../../shared/log';
import { observedHandler } from '../../shared/observe';

/**
 * The dashboard's kept totals against the records (daily, EventBridge): logs the report (counts
 * and keys only, no borrower data). Invoked by hand with `{"fix": true}` it also repairs them.
 */
export async function main(event: { fix?: boolean } = {}): Promise<RebuildReport> {
  return rebuildAggregates(
    { emisTable: env('EMIS_TABLE'), linksTable: env('LINKS_TABLE') },
    { fix: event?.fix === true },
  );
}

export const handler = observedHandler('rebuild-aggregates', async (event: { fix?: boolean }) => {
  const report = await main(event);
  const summary = {
    exact: report.exact,
    fixed: report.fixed,
    scanned: report.scanned,
    countersDiffering: report.counters.differing,
    countersNegative: report.counters.negative,
    summariesDiffering: report.summaries.differing,
    searchMissing: report.search.missing,
    searchStale: report.search.stale,
  };
  if (report.exact) log.info('aggregates exact', summary);
  else log.warn('aggregates differ from the records', summary);
  return summary;
});
