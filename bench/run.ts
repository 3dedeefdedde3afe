/**
 * `npm run bench`: every benchmark, one after another, each printing its own table. Numbers
 * are medians of interleaved runs measured in this one process on this machine; compare
 * ratios, not absolute values, across machines.
 * Run one alone: `npm run bench -- pending` (names: see BENCHES).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../local/aws-local';

process.env.LOG_LEVEL ??= 'silent';

const BENCHES: [name: string, file: string, fn: string, what: string][] = [
  ['pending', 'pending.ts', 'benchPending', 'Pending EMIs: one page at 1,000 vs 100,000 EMIs (issue 2)'],
  ['bundles', 'bundles.ts', 'benchBundles', 'Function bundles: size and cold import time (issue 2)'],
  ['sandbox', 'sandbox.ts', 'benchSandbox', 'Razorpay sandbox: creates per second (issue 3)'],
  ['adapter', 'adapter.ts', 'benchAdapter', 'Gateway adapter: overhead per call (issue 3)'],
  ['links', 'links.ts', 'benchLinks', 'Generate and list latency at 10,000 links (issue 4)'],
  ['webhook', 'webhook.ts', 'benchWebhook', 'Webhook acknowledgement and sibling cancellation (issue 5)'],
  ['bulk', 'bulk.ts', 'benchBulk', 'Bulk generate & export under Razorpay limits (issue 6)'],
];

const only = process.argv.slice(2);
for (const [name, file, fn, what] of BENCHES) {
  if (only.length > 0 && !only.includes(name)) continue;
  const path = join(ROOT, 'bench', file);
  console.log(`\n== ${what}`);
  if (!existsSync(path)) {
    console.log('  (not built yet)');
    continue;
  }
  const started = performance.now();
  const mod = (await import(path)) as Record<string, () => Promise<void>>;
  await mod[fn]!();
  console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
