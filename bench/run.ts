/**
 * `npm run bench`: every benchmark, one after another, each in a fresh process (module-scope
 * SDK clients and emulators never leak from one into the next), each printing its own table.
 * Numbers are medians of interleaved runs on this machine; compare ratios, not absolute
 * values, across machines. Run some: `npm run bench -- pending links` (names: see BENCHES).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../local/aws-local';

process.env.LOG_LEVEL ??= 'silent';

const BENCHES: [name: string, file: string, what: string][] = [
  ['pending', 'pending.ts', 'Pending EMIs: one page at 1,000 vs 100,000 EMIs (issue 2)'],
  ['bundles', 'bundles.ts', 'Function bundles: size and cold import time (issue 2)'],
  ['sandbox', 'sandbox.ts', 'Razorpay sandbox: creates per second (issue 3)'],
  ['adapter', 'adapter.ts', 'Gateway adapter: overhead per call (issue 3)'],
  ['links', 'links.ts', 'Generate and list latency at 10,000 links (issue 4)'],
  ['webhook', 'webhook.ts', 'Webhook acknowledgement and sibling cancellation (issue 5)'],
  ['bulk', 'bulk.ts', 'Bulk generate & export under Razorpay limits (issue 6)'],
  [
    'hardening',
    'hardening.ts',
    'What the hardening costs: loopback DynamoDB start, verified S3, sealed cursors (issue 14)',
  ],
  ['startup', 'startup.ts', 'npm start: time to ready with demo data, and where it goes (issue 11)'],
  ['auth', 'auth.ts', 'Access control: token verification per request, warm and cold (issue 13)'],
  [
    'dashboard',
    'dashboard.ts',
    'Dashboard and search at 1,000 vs 100,000 EMIs, and the write cost of the kept totals (issue 17)',
  ],
  ['import', 'import.ts', 'Loans file import (10k vs 50k rows) and the curated feed lag (issue 18)'],
  [
    'accounts',
    'accounts.ts',
    'Two payment accounts, two bulk jobs at once, each at its own limit (issue 15)',
  ],
  ['providers', 'providers.ts', 'The same bulk job through Razorpay and EximPe, side by side (issue 19)'],
];

const only = process.argv.slice(2);
const failures: string[] = [];
for (const [name, file, what] of BENCHES) {
  if (only.length > 0 && !only.includes(name)) continue;
  const path = join(ROOT, 'bench', file);
  console.log(`\n== ${what}`);
  if (!existsSync(path)) {
    console.log('  (not built yet)');
    continue;
  }
  const started = performance.now();
  const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [path], {
    stdio: 'inherit',
    env: process.env,
  });
  console.log(
    `  (${((performance.now() - started) / 1000).toFixed(1)} s${run.status === 0 ? '' : `, FAILED: exit ${run.status}`})`,
  );
  if (run.status !== 0) failures.push(name);
}
if (failures.length > 0) {
  console.error(`\nbenchmarks failed: ${failures.join(', ')}`);
  process.exit(1);
}
