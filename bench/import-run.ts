/**
 * One loans file import in a process of its own, for bench/import.ts: what an import worker's
 * Lambda holds in memory is this process's RSS, without the emulators or the benchmark's own
 * file text beside it. Reads the local endpoints and names from the environment, imports one key,
 * and prints one JSON line: `{ ms, created, status, baselineMb, peakMb, peakHeapMb }`.
 * Usage: tsx bench/import-run.ts <key> <sequencer>
 */
import { ImportStore } from '../shared/adapters/dynamo/import-store';
import { S3ImportFiles } from '../shared/adapters/s3/imports';
import { env } from '../shared/config';
import { systemClock } from '../shared/domain/dates';
import { importIdFor, startImport } from '../shared/usecases/import-loans';
import { stores } from '../shared/wiring';
import { benchActor } from './actor';

const emis = () => stores().emis;

const [key, sequencer] = process.argv.slice(2) as [string, string];
const imports = new ImportStore(env('OPS_TABLE'));
const files = new S3ImportFiles(env('IMPORTS_BUCKET'));
// a first small call loads the SDK clients, as a warm Lambda has them
await imports.get(importIdFor(key));
const baseline = process.memoryUsage().rss;
let peak = baseline;
let peakHeap = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peak = Math.max(peak, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 20);
const t0 = performance.now();
await startImport(
  {
    emis: emis(),
    imports,
    files,
    clock: systemClock,
    continueLater: async () => {
      throw new Error('no continuation expected without a time budget');
    },
    owner: 'bench',
  },
  { key, etag: '', sequencer },
  benchActor,
);
const ms = performance.now() - t0;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const rec = await imports.get(importIdFor(key));
process.stdout.write(
  `${JSON.stringify({ ms, created: rec?.created, status: rec?.status, baselineMb: baseline / 2 ** 20, peakMb: peak / 2 ** 20, peakHeapMb: peakHeap / 2 ** 20 })}\n`,
);
