/**
 * What the Razorpay adapter costs on top of the bare SDK: N sequential fetchLink calls against
 * the in-process sandbox (port 0, no latency), once through the raw SDK and once through
 * RazorpayGateway (interceptors, per-request deadline, error wrapping, entity mapping).
 * Prints the median and p90 per call of each and the adapter's overhead (difference of medians).
 * The sandbox runs in the same process, so every number includes its share of the CPU.
 *
 * Run alone: npx tsx bench/adapter.ts   (N defaults to 1000; BENCH_N overrides)
 */
import { performance } from 'node:perf_hooks';
import Razorpay from 'razorpay';
import { SANDBOX_KEY_ID, SANDBOX_KEY_SECRET } from '../local/sandbox/defaults';
import { startSandbox } from '../local/sandbox/server';
import { RazorpayGateway } from '../shared/adapters/razorpay/gateway';

// enough for the JIT to settle; without it whichever side runs first looks twice as slow
const WARMUP = 500;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * Times both sides interleaved (A B, then B A, …) so drift — JIT, GC, socket reuse — falls on
 * both alike instead of on whichever ran later.
 */
async function timeInterleaved(
  n: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<{ a: number[]; b: number[] }> {
  for (let i = 0; i < WARMUP; i++) {
    await a();
    await b();
  }
  const out = { a: [] as number[], b: [] as number[] };
  const timed = async (call: () => Promise<unknown>, into: number[]) => {
    const start = performance.now();
    await call();
    into.push(performance.now() - start);
  };
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      await timed(a, out.a);
      await timed(b, out.b);
    } else {
      await timed(b, out.b);
      await timed(a, out.a);
    }
  }
  out.a.sort((x, y) => x - y);
  out.b.sort((x, y) => x - y);
  return out;
}

const ms = (value: number) => `${(value * 1000).toFixed(0)} µs`;

export async function benchAdapter(): Promise<void> {
  const n = Number(process.env.BENCH_N ?? 1000);
  const sandbox = await startSandbox({ port: 0, webhookUrl: '', config: { latencyMs: 0 } });
  try {
    const gateway = new RazorpayGateway({
      keyId: SANDBOX_KEY_ID,
      keySecret: SANDBOX_KEY_SECRET,
      baseUrl: sandbox.url,
    });
    const link = await gateway.createLink({
      amount: 100_000,
      currency: 'INR',
      description: 'bench',
      referenceId: `bench-${Date.now()}`,
      customer: { name: 'Bench' },
      expireBy: Math.floor(Date.now() / 1000) + 86_400,
      acceptPartial: false,
      notify: { sms: false, email: false },
      reminderEnable: false,
      notes: { purpose: 'bench' },
    });

    const raw = new Razorpay({ key_id: SANDBOX_KEY_ID, key_secret: SANDBOX_KEY_SECRET });
    (raw.api as unknown as { rq: { defaults: { baseURL?: string } } }).rq.defaults.baseURL = sandbox.url;

    const { a: sdk, b: adapter } = await timeInterleaved(
      n,
      () => raw.paymentLink.fetch(link.id),
      () => gateway.fetchLink(link.id),
    );

    const sdkMedian = quantile(sdk, 0.5);
    const adapterMedian = quantile(adapter, 0.5);
    console.log(
      `Razorpay adapter overhead: ${n} sequential fetchLink calls each (interleaved), in-process sandbox, no latency`,
    );
    console.log(`  raw SDK   median ${ms(sdkMedian)}  p90 ${ms(quantile(sdk, 0.9))}`);
    console.log(`  adapter   median ${ms(adapterMedian)}  p90 ${ms(quantile(adapter, 0.9))}`);
    console.log(`  adapter overhead (median difference): ${ms(adapterMedian - sdkMedian)} per call`);
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchAdapter().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
