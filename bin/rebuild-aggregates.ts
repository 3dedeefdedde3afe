/**
 * `npm run rebuild-aggregates [-- --fix]`: recomputes the dashboard's totals from the records and
 * prints every difference from the kept ones (exit 1 when any); `--fix` repairs them. Reads the
 * tables named by EMIS_TABLE / LINKS_TABLE; locally, a running `npm start` (DYNAMODB_PORT).
 */
import { localAwsEnv, resourceNames } from '../local/aws-local';
import { rebuildAggregates } from '../shared/adapters/dynamo/aggregate-rebuild';

async function run(): Promise<void> {
  const fix = process.argv.includes('--fix');
  if (!process.env.EMIS_TABLE) {
    const port = Number(process.env.DYNAMODB_PORT ?? 8000);
    const s3 = Number(process.env.S3_PORT ?? 4569);
    Object.assign(
      process.env,
      localAwsEnv(
        { dynamodb: `http://127.0.0.1:${port}`, s3: `http://127.0.0.1:${s3}` },
        resourceNames('local'),
      ),
    );
  }
  const report = await rebuildAggregates(
    { emisTable: process.env.EMIS_TABLE!, linksTable: process.env.LINKS_TABLE! },
    { fix },
  );
  console.log(JSON.stringify(report, null, 2));
  console.log(
    report.exact
      ? 'aggregates exact: every kept total equals the records'
      : `aggregates differ: ${report.counters.differing} counters, ${report.summaries.differing} loan summaries, ${report.search.missing} missing and ${report.search.stale} stale search entries${fix ? ' (fixed)' : ' (run with --fix to repair)'}`,
  );
  if (!report.exact && !fix) process.exitCode = 1;
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
