/**
 * Throughput of the Razorpay sandbox: payment-link creates per second with no added latency,
 * through (a) raw `fetch` (undici, keep-alive) and (b) the official `razorpay` SDK (axios),
 * each with 32 requests in flight, ~3000 creates per run, median of 3 runs (the sandbox is
 * reset between runs so every run starts from the same state).
 *
 * The sandbox runs in this process, so client and server share one event loop: the numbers
 * are a lower bound for what the sandbox alone sustains.
 *
 * Run alone: npx tsx bench/sandbox.ts   (BENCH_CREATES, BENCH_CONCURRENCY override the defaults)
 */
import { performance } from 'node:perf_hooks';
import Razorpay from 'razorpay';
import { startSandbox } from '../local/sandbox/server';

const CREATES = Number(process.env['BENCH_CREATES'] ?? 3000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 32);
const RUNS = 3;
// enough for the JIT to settle; with less the first measured run is half as fast
const WARMUP = 1500;

interface Run {
  perSecond: number;
  p50: number;
  p99: number;
}

type Create = (referenceId: string) => Promise<void>;

function body(referenceId: string) {
  return {
    amount: 150000,
    currency: 'INR',
    description: 'EMI 3 of loan L-1001',
    reference_id: referenceId,
    customer: { name: 'Asha Rao', contact: '9000090000', email: 'asha@example.com' },
    notify: { sms: false, email: false },
    reminder_enable: false,
    notes: { loan_id: 'L-1001', emi_number: '3', lender: 'acme' },
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** `total` creates with `concurrency` workers pulling from one counter. */
async function run(create: Create, tag: string, total: number, concurrency: number): Promise<Run> {
  let next = 0;
  const latencies: number[] = [];
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await create(`bench-${tag}-${i}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: total / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

export async function benchSandbox(): Promise<void> {
  const sandbox = await startSandbox({ port: 0, webhookUrl: '', config: { latencyMs: 0 } });
  try {
    const auth = `Basic ${Buffer.from(`${sandbox.keyId}:${sandbox.keySecret}`).toString('base64')}`;
    const viaFetch: Create = async (referenceId) => {
      const res = await fetch(`${sandbox.url}/v1/payment_links`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body(referenceId)),
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`create answered ${res.status}`);
    };
    const rzp = new Razorpay({ key_id: sandbox.keyId, key_secret: sandbox.keySecret });
    (rzp.api as unknown as { rq: { defaults: { baseURL?: string } } }).rq.defaults.baseURL = sandbox.url;
    const viaSdk: Create = async (referenceId) => {
      await rzp.paymentLink.create(body(referenceId));
    };

    const clients: [string, Create][] = [
      ['raw fetch (keep-alive)', viaFetch],
      ['razorpay SDK 2.9.8', viaSdk],
    ];
    const rows: string[][] = [];
    for (const [name, create] of clients) {
      sandbox.reset();
      await run(create, 'warmup', WARMUP, CONCURRENCY);
      const runs: Run[] = [];
      for (let r = 0; r < RUNS; r++) {
        sandbox.reset();
        runs.push(await run(create, `run${r}`, CREATES, CONCURRENCY));
        if (sandbox.links !== CREATES) throw new Error(`expected ${CREATES} links, found ${sandbox.links}`);
      }
      const median = [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(RUNS / 2)] as Run;
      rows.push([
        name,
        ...runs.map((r) => r.perSecond.toFixed(0)),
        median.perSecond.toFixed(0),
        median.p50.toFixed(1),
        median.p99.toFixed(1),
      ]);
    }

    const header = [
      'client',
      ...Array.from({ length: RUNS }, (_, i) => `run ${i + 1}/s`),
      'median/s',
      'p50 ms',
      'p99 ms',
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
    const line = (cells: string[]) =>
      cells
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ');
    console.log(
      `\nRazorpay sandbox: payment-link creates/s — ${CREATES} creates per run, ${CONCURRENCY} in flight, ` +
        `no added latency, sandbox in the same process (median run's p50/p99 per request)`,
    );
    console.log(line(header));
    for (const row of rows) console.log(line(row));
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchSandbox();
}
