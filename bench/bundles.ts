/**
 * Issue 2 benchmark: each function's bundle as CDK builds it (esbuild, ESM, minified, node24,
 * @aws-sdk external — the Lambda runtime provides it), and the time to import that bundle in
 * a fresh Node process next to an empty module's. Goal: ≤ 300 KB per read-only function.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type FunctionAccess, routes, workers } from '../lib/routes';
import { ROOT } from '../local/aws-local';
import { median, table } from './stats';

const OUT = join(ROOT, '.local', 'bench-bundles');

function readOnly(access: FunctionAccess): boolean {
  const writes = [access.emis, access.links, access.ops].some((a) => a === 'write' || a === 'readWrite');
  return (
    !writes && !access.rawWebhooks && !access.webhookQueue && !access.bulkQueue && access.exports !== 'write'
  );
}

function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: {
      ...process.env,
      AWS_REGION: 'ap-south-1',
    },
    encoding: 'utf8',
  });
  return Number(out);
}

export async function benchBundles(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const empty = join(OUT, 'empty.mjs');
  writeFileSync(empty, 'export const handler = async () => ({});\n');
  const rows: string[][] = [];
  const defs = [
    ...routes.map((r) => ({ id: r.id, access: r.access })),
    ...workers.map((w) => ({ id: w.id, access: w.access })),
  ];
  const emptyTimes = Array.from({ length: 5 }, () => importMs(empty));
  for (const def of defs) {
    if (!existsSync(join(ROOT, 'functions', def.id, 'handler.ts'))) {
      rows.push([def.id, '', 'missing', '', '']);
      continue;
    }
    const outfile = join(OUT, `${def.id}.mjs`);
    await build({
      entryPoints: [join(ROOT, 'functions', def.id, 'handler.ts')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node24',
      minify: true,
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*'],
      outfile,
      banner: {
        js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    const kb = statSync(outfile).size / 1024;
    const times = Array.from({ length: 5 }, () => importMs(outfile));
    rows.push([
      def.id,
      readOnly(def.access) ? 'read-only' : 'writes',
      kb.toFixed(1),
      median(times).toFixed(1),
      readOnly(def.access) ? (kb <= 300 ? 'ok' : 'OVER') : '',
    ]);
  }
  rows.push(['(empty module)', '', '0.0', median(emptyTimes).toFixed(1), '']);
  table(['function', 'kind', 'bundle KB', 'import ms (median of 5)', '≤ 300 KB'], rows);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchBundles();
}
