/**
 * Cold start, measured against its floor (issue 11 item 8). Each function's bundle is built as
 * CDK builds it (lib/function.ts BUNDLING: esbuild, ESM, minified with names kept, node24,
 * linked source map without sources, @aws-sdk external — the Lambda runtime provides it). Its
 * floor is a module built the same way that only imports the SDK clients the function's declared
 * access needs (lib/routes.ts): a table → client-dynamodb and the document client
 * (lib-dynamodb), a bucket → client-s3 (+ the presigner to hand out exports, lib-storage to
 * write them), a queue → client-sqs, a secret (Razorpay's, the cursor key) → client-secrets-manager, the Razorpay API →
 * Razorpay's official SDK (bundled, as in the function; alone ~100 ms CPU here: axios probes
 * fetch, which loads undici, and form-data parses mime-db). A function with none (web) is
 * compared with an empty module.
 *
 * Every round spawns, for every function in a shuffled order and itself shuffled, three fresh
 * Node processes that each time one `await import()`: the floor, the bundle, and the bundle with
 * `--enable-source-maps`. The figure is the median over rounds of bundle ÷ floor from the same
 * round (goal ≤ 1.2×), beside the absolute medians. A ratio near 1 means the function loads
 * little beyond its SDK clients; `SDK at init` lists what its bundle imports statically, and a
 * package there that its access does not need is flagged (lazy ones, `import()`ed on first use,
 * are listed apart). Bundle sizes: read-only functions ≤ 300 KB.
 *
 * Run alone: npx tsx bench/bundles.ts   (BUNDLE_ROUNDS=n to change the 15 rounds)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from '../lib/function';
import { type FunctionAccess, routes, workers } from '../lib/routes';
import { ROOT } from '../local/aws-local';
import { median, table } from './stats';

const OUT = join(ROOT, '.local', 'bench-bundles');
const ROUNDS = Number(process.env.BUNDLE_ROUNDS ?? 15);

function readOnly(access: FunctionAccess): boolean {
  const writes = [access.emis, access.links, access.ops].some((a) => a === 'write' || a === 'readWrite');
  return (
    !writes && !access.rawWebhooks && !access.webhookQueue && !access.bulkQueue && access.exports !== 'write'
  );
}

/** The SDK packages a function with this access needs: its floor. */
export function sdkFloor(access: FunctionAccess): string[] {
  const pkgs = new Set<string>();
  if (access.emis || access.links || access.ops) {
    pkgs.add('@aws-sdk/client-dynamodb');
    pkgs.add('@aws-sdk/lib-dynamodb');
  }
  if (access.exports || access.rawWebhooks) pkgs.add('@aws-sdk/client-s3');
  if (access.exports === 'read' || access.exports === 'readWrite') pkgs.add('@aws-sdk/s3-request-presigner');
  if (access.exports === 'write' || access.exports === 'readWrite') pkgs.add('@aws-sdk/lib-storage');
  if (access.webhookQueue || access.bulkQueue) pkgs.add('@aws-sdk/client-sqs');
  if (access.razorpayApi || access.razorpayWebhook || access.cursorKey) {
    pkgs.add('@aws-sdk/client-secrets-manager');
  }
  if (access.razorpayApi) pkgs.add('razorpay');
  return [...pkgs].sort();
}

const short = (pkg: string) => pkg.replace('@aws-sdk/', '').replace('client-', '');

interface ImportCost {
  /** wall-clock ms of the `await import()` */
  ms: number;
  /** CPU ms the process spent in it (user + system): steadier than wall time on a busy machine */
  cpu: number;
}

function importCost(file: string, sourceMaps = false): ImportCost {
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(file)}); const ms = performance.now() - t; const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ ms, cpu: (u.user + u.system) / 1000 }));`;
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: 'ap-south-1' };
  delete env.NODE_OPTIONS;
  delete env.NODE_COMPILE_CACHE;
  const flags = sourceMaps ? ['--enable-source-maps'] : [];
  return JSON.parse(
    execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    }),
  ) as ImportCost;
}

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

interface Built {
  id: string;
  access: FunctionAccess;
  file: string;
  floorFile: string;
  kb: number;
  mapKb: number;
  floor: string[];
  staticSdk: string[];
  lazySdk: string[];
}

async function buildFunction(id: string, access: FunctionAccess): Promise<Built> {
  const dir = join(OUT, id);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.mjs');
  const result = await build({
    ...esbuildOptions(join(ROOT, 'functions', id, 'handler.ts'), file),
    metafile: true,
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
  const sdk = (kind: string) =>
    [
      ...new Set(
        output.imports
          .filter((i) => i.external && i.kind === kind && i.path.startsWith('@aws-sdk/'))
          .map((i) => i.path),
      ),
    ].sort();
  const floor = sdkFloor(access);
  const floorEntry = join(dir, 'floor-entry.mjs');
  writeFileSync(
    floorEntry,
    `${floor.map((p, i) => `import * as m${i} from '${p}';`).join('\n')}\nglobalThis.floor = [${floor.map((_, i) => `m${i}`).join(', ')}];\n`,
  );
  const floorFile = join(dir, 'floor.mjs');
  await build(esbuildOptions(floorEntry, floorFile));
  return {
    id,
    access,
    file,
    floorFile,
    kb: statSync(file).size / 1024,
    mapKb: statSync(`${file}.map`).size / 1024,
    floor,
    staticSdk: sdk('import-statement'),
    lazySdk: sdk('dynamic-import'),
  };
}

export async function benchBundles(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const empty = join(OUT, 'empty.mjs');
  writeFileSync(empty, 'export const handler = async () => ({});\n');
  const defs = [...routes, ...workers];
  const built = await Promise.all(defs.map((d) => buildFunction(d.id, d.access)));

  const times = new Map<string, Record<'floor' | 'bundle' | 'maps', ImportCost[]>>();
  for (const b of built) times.set(b.id, { floor: [], bundle: [], maps: [] });
  const emptyTimes: ImportCost[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    emptyTimes.push(importCost(empty));
    for (const b of shuffle(built)) {
      const t = times.get(b.id)!;
      for (const what of shuffle(['floor', 'bundle', 'maps'] as const)) {
        t[what].push(what === 'floor' ? importCost(b.floorFile) : importCost(b.file, what === 'maps'));
      }
    }
  }
  const med = (xs: ImportCost[], k: keyof ImportCost) => median(xs.map((x) => x[k]));
  /** the median over rounds of bundle ÷ floor measured in the same round */
  const ratio = (t: Record<'floor' | 'bundle', ImportCost[]>, k: keyof ImportCost) =>
    median(t.bundle.map((x, i) => x[k] / t.floor[i]![k]));

  const rows: string[][] = [];
  for (const b of built) {
    const t = times.get(b.id)!;
    const wall = ratio(t, 'ms');
    const cpu = ratio(t, 'cpu');
    const floor = new Set(b.floor);
    const unneeded = b.staticSdk.filter((p) => !floor.has(p));
    const noFloor = b.floor.length === 0;
    const sdkAtInit = [
      ...b.staticSdk.map((p) => (floor.has(p) ? short(p) : `${short(p)} (NOT NEEDED)`)),
      ...b.lazySdk.map((p) => `${short(p)} (lazy)`),
    ].join(', ');
    rows.push([
      b.id,
      readOnly(b.access) ? 'read-only' : 'writes',
      b.kb.toFixed(1),
      readOnly(b.access) ? (b.kb <= 300 ? 'ok' : 'OVER') : '',
      med(t.bundle, 'ms').toFixed(0),
      med(t.floor, 'ms').toFixed(0),
      `${wall.toFixed(2)}×`,
      `${cpu.toFixed(2)}×`,
      noFloor ? '(no SDK)' : Math.min(wall, cpu) <= 1.2 && unneeded.length === 0 ? 'ok' : 'OVER',
      `+${(med(t.maps, 'ms') - med(t.bundle, 'ms')).toFixed(0)}`,
      b.mapKb.toFixed(0),
      [sdkAtInit, b.floor.includes('razorpay') ? 'razorpay' : ''].filter(Boolean).join(', ') || '—',
    ]);
  }
  console.log(
    `\nfunction bundles as CDK builds them; import times: medians of ${ROUNDS} interleaved rounds, one fresh process each`,
  );
  table(
    [
      'function',
      'kind',
      'bundle KB',
      '≤300KB',
      'import ms',
      'SDK floor ms',
      'ratio',
      'CPU ratio',
      '≤1.2×',
      'src maps ms',
      'map KB',
      'SDK at init',
    ],
    rows,
  );
  console.log(
    `  empty module: ${med(emptyTimes, 'ms').toFixed(0)} ms. ratio: wall time; CPU ratio: the same on the importing process's CPU time.\n  "src maps ms": what --enable-source-maps adds to the import (medians).`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchBundles();
}
