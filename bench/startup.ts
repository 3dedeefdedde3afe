/**
 * Issue 11 benchmark: `npm start` from a cold process to "ready" with the demo data loaded
 * (goal ≤ 6 s on this machine), and where the time goes. Each run starts local/start.ts in a
 * fresh Node process on free ports, exactly as `npm start` does minus npm's own launch, and
 * stops it with SIGINT. Printed: the median of the runs for the time until the port answers
 * (503s), until "ready", and each start-up step (steps overlap: they run side by side).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../local/aws-local';
import { ROOT } from '../local/paths';
import type { StartupStep } from '../local/system';
import { median, table } from './stats';

const RUNS = Number(process.env.STARTUP_RUNS ?? 5);

interface Run {
  wallReadyMs: number;
  firstAnswerMs: number | undefined;
  processReadyMs: number;
  steps: StartupStep[];
}

async function once(): Promise<Run> {
  const [port, sandboxPort, dynamodbPort, s3Port, authPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'start.ts')], {
    cwd: ROOT,
    // its own process group: a last-resort SIGKILL then reaches DynamoDB Local's JVM too
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      PORT: String(port),
      RAZORPAY_SANDBOX_PORT: String(sandboxPort),
      DYNAMODB_PORT: String(dynamodbPort),
      S3_PORT: String(s3Port),
      AUTH_PORT: String(authPort),
      EXIMPE_SANDBOX_PORT: String(await freePort()),
      DEMO_DATA: '1',
      LOCAL_PERSIST: '0',
    },
  });
  let firstAnswerMs: number | undefined;
  let polling = true;
  const poll = (async () => {
    while (polling && firstAnswerMs === undefined) {
      try {
        await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(500) });
        firstAnswerMs = performance.now() - started;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  })();
  try {
    const ready = await new Promise<{ readyMs: number; startup: StartupStep[] }>((resolve, reject) => {
      child.on('message', (m: { type?: string; readyMs: number; startup: StartupStep[] }) => {
        if (m.type === 'ready') resolve(m);
      });
      child.once('exit', (code) => reject(new Error(`npm start exited early (code ${code})`)));
    });
    const wallReadyMs = performance.now() - started;
    polling = false;
    await poll;
    return { wallReadyMs, firstAnswerMs, processReadyMs: ready.readyMs, steps: ready.startup };
  } finally {
    polling = false;
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      // a loaded machine can take a while to stop a JVM; give the clean path time first
      const last = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is gone already
        }
      }, 30_000);
      child.once('exit', () => {
        clearTimeout(last);
        // whatever the stop left behind in the group (a JVM still shutting down) goes too
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is gone already
        }
        resolve();
      });
      // Ctrl-C as a terminal sends it: to the whole process group, DynamoDB Local's JVM included
      if (child.pid) process.kill(-child.pid, 'SIGINT');
    });
  }
}

export async function benchStartup(): Promise<void> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once());
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const med = (xs: number[]) => median(xs);
  console.log(
    `  ${RUNS} cold starts with demo data; load average now ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  table(
    ['milestone', 'median s', 'runs (s)'],
    [
      [
        'port answers (503 "starting")',
        s(med(runs.map((r) => r.firstAnswerMs ?? Number.NaN))),
        runs.map((r) => s(r.firstAnswerMs ?? Number.NaN)).join(' '),
      ],
      [
        '"ready" printed (process clock)',
        s(med(runs.map((r) => r.processReadyMs))),
        runs.map((r) => s(r.processReadyMs)).join(' '),
      ],
      [
        'ready, from spawn (goal ≤ 6 s)',
        s(med(runs.map((r) => r.wallReadyMs))),
        runs.map((r) => s(r.wallReadyMs)).join(' '),
      ],
    ],
  );
  console.log('');
  const names = [...new Set(runs.flatMap((r) => r.steps.map((st) => st.step.replace(/ \(.*\)$/, ''))))];
  const stepOf = (r: Run, name: string) => r.steps.find((st) => st.step.replace(/ \(.*\)$/, '') === name);
  const rows = names.map((name) => {
    const found = runs.map((r) => stepOf(r, name)).filter((x): x is StartupStep => x !== undefined);
    return [
      name,
      s(med(found.map((f) => f.startMs))),
      s(med(found.map((f) => f.endMs))),
      s(med(found.map((f) => f.endMs - f.startMs))),
    ];
  });
  rows.sort((a, b) => Number(a[1]) - Number(b[1]));
  table(['step (since the process started; steps overlap)', 'start s', 'end s', 'takes s'], rows);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchStartup();
}
