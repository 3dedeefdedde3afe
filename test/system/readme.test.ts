/**
 * `npm start` as a newcomer meets it, and the README's walk-through run as written:
 * - `npm start` (the real command, on free ports) answers nothing from half-loaded data: from
 *   the first moment, every request gets a refused connection or 503 + Retry-After with the
 *   contract's error body (health: `{"status":"starting"}`), never a partial list; after "ready"
 *   the first page is full;
 * - what it prints has the lines the README shows;
 * - every shell block marked `<!-- walkthrough: expect="…" -->` in README.md runs in bash, in
 *   order, sharing shell variables like one terminal would, against that stack; each must exit
 *   0 and print every `expect` string the marker names.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENTS } from '../../local/auth/identities';
import { clientCredentialsToken } from '../../local/auth/tokens';
import { freePort } from '../../local/aws-local';
import { ROOT } from '../../local/paths';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

interface Block {
  expects: string[];
  script: string;
}

/** The marked shell blocks, in README order. */
function walkthroughBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const re = /<!-- walkthrough:((?:\s+expect="(?:[^"\\]|\\.)*")*)\s*-->\n```sh\n([\s\S]*?)```/g;
  for (const m of markdown.matchAll(re)) {
    const expects = [...m[1]!.matchAll(/expect="((?:[^"\\]|\\.)*)"/g)].map((e) =>
      e[1]!.replace(/\\(.)/g, '$1'),
    );
    blocks.push({ expects, script: m[2]! });
  }
  return blocks;
}

interface Answer {
  at: number;
  kind: 'refused' | 'answer';
  status?: number;
  retryAfter?: string | null;
  body?: { status?: string; items?: unknown[]; error?: { code?: string } };
}

describe('npm start and the README walk-through', () => {
  let child: ChildProcess;
  let output = '';
  const ports = { PORT: '', RAZORPAY_SANDBOX_PORT: '', DYNAMODB_PORT: '', S3_PORT: '', AUTH_PORT: '' };
  const answers: Answer[] = [];
  const health: Answer[] = [];
  let work: string;

  beforeAll(async () => {
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = String(await freePort());
    work = mkdtempSync(join(tmpdir(), 'emi-readme-'));
    const started = performance.now();
    // detached: its own process group, so Ctrl-C (SIGINT) reaches npm's child like a terminal's would
    child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...ports, DEMO_DATA: '1', LOCAL_PERSIST: '0', LOG_LEVEL: 'silent' },
    });
    child.stdout!.on('data', (d) => {
      output += String(d);
    });
    child.stderr!.on('data', (d) => {
      output += String(d);
    });
    const base = `http://127.0.0.1:${ports.PORT}`;
    // the list needs a token: the demo-ops client's, from the local provider once it answers
    // (until then the list is asked without one; before "ready" every answer must still be 503)
    const ops = DEMO_CLIENTS.find((c) => c.clientId === 'demo-ops')!;
    let token: string | undefined;
    const ask = async (path: string, into: Answer[]) => {
      const at = performance.now() - started;
      if (!token && into === answers) {
        token = await clientCredentialsToken(
          `http://localhost:${ports.AUTH_PORT}`,
          ops.clientId,
          ops.secret!,
        ).catch(() => undefined);
      }
      const headers: Record<string, string> =
        into === answers && token ? { authorization: `Bearer ${token}` } : {};
      try {
        const res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
        into.push({
          at,
          kind: 'answer',
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: await res.json(),
        });
      } catch {
        into.push({ at, kind: 'refused' });
      }
    };
    // from the first moment until a full answer: one list request and one health check at a time
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline && !output.includes('is ready in')) {
      await Promise.all([
        ask('/api/payment-links/pending-emis?bucket=all&withinDays=365&limit=200', answers),
        ask('/api/health', health),
      ]);
      await new Promise((r) => setTimeout(r, 50));
    }
    await ask('/api/payment-links/pending-emis?bucket=all&withinDays=365&limit=200', answers);
    await ask('/api/health', health);
  }, 180_000);

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGINT');
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('printed "ready" and the lines the README shows', () => {
    expect(output).toContain('is ready in');
    const shown = README.match(/<!-- npm-start-output -->\n```\n([\s\S]*?)```/)?.[1];
    expect(shown, 'README keeps the printed output under <!-- npm-start-output -->').toBeDefined();
    const printed = output.split('\n');
    for (const line of shown!.split('\n').filter((l) => l.trim() !== '')) {
      // numbers (ports, timings, versions, counts) may differ; the words and their order may not
      const pattern = new RegExp(
        `^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d[\d.,]*/g, '[\\d.,]+')}$`,
      );
      expect(
        printed.some((p) => pattern.test(p)),
        `npm start no longer prints a line like: ${line}`,
      ).toBe(true);
    }
  });

  it('answers nothing from half-loaded data: refused or 503 + Retry-After until ready, then a full page', () => {
    const firstFull = answers.findIndex((a) => a.status === 200);
    expect(firstFull, JSON.stringify(answers.slice(-3))).toBeGreaterThan(0);
    const before = answers.slice(0, firstFull);
    // the test asked from the first moment, so it saw start-up, not just the ready system
    expect(before.length).toBeGreaterThan(0);
    for (const a of before) {
      if (a.kind === 'refused') continue;
      expect(a.status).toBe(503);
      expect(a.retryAfter).toBe('1');
      expect(a.body?.error?.code).toBe('STARTING');
    }
    // every 200, from the first on, is a full page: never fewer rows
    for (const a of answers.slice(firstFull)) {
      expect(a.status).toBe(200);
      expect(a.body?.items).toHaveLength(200);
    }
    const healthStarting = health.filter((h) => h.kind === 'answer' && h.status === 503);
    for (const h of healthStarting) expect(h.body).toEqual({ status: 'starting' });
    expect(health.at(-1)).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('runs every walk-through block of the README as written, each exiting 0 and printing what it says', () => {
    const blocks = walkthroughBlocks(README);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const state = join(work, '.walkthrough-env');
    writeFileSync(state, '');
    for (const [i, block] of blocks.entries()) {
      // one terminal: variables and functions carry from block to block
      // (set -a: every variable a block assigns is kept for the next one)
      const script = `source ${JSON.stringify(state)}\nset -a -eo pipefail\n${block.script}\n{ export -p; declare -f; } > ${JSON.stringify(state)}\n`;
      const run = spawnSync('bash', ['-c', script], {
        cwd: work,
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          PORT: ports.PORT,
          RAZORPAY_SANDBOX_PORT: ports.RAZORPAY_SANDBOX_PORT,
          AUTH_PORT: ports.AUTH_PORT,
        },
      });
      const where = `README walk-through block ${i + 1}:\n${block.script}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
      expect(run.status, where).toBe(0);
      for (const e of block.expects) expect(run.stdout, where).toContain(e);
    }
  }, 240_000);
});
