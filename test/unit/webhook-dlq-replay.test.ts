/**
 * `npm run dlq:replay` against a stand-in for the local runtime's two routes, in the shapes
 * local/system.ts serves: GET /_local/queues and POST /_local/dlq/replay.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, replayDeadLetters } from '../../local/dlq-replay';

let server: Server;
let baseUrl: string;
const calls: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/_local/queues') {
      return json({ webhooks: { depth: 0, deadLetters: 2 }, bulk: { depth: 1, deadLetters: 0 } });
    }
    if (req.method === 'POST' && req.url === '/_local/dlq/replay')
      return json({ replayed: { webhooks: 2, bulk: 0 } });
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('dlq:replay', () => {
  it('reads the queues, replays their dead letters and reports per queue', async () => {
    const report = await replayDeadLetters(baseUrl);
    expect(calls).toEqual(['GET /_local/queues', 'POST /_local/dlq/replay']);
    expect(report.replayed).toEqual({ webhooks: 2, bulk: 0 });
    const text = formatReport(report);
    expect(text).toMatch(/webhooks\s+dead letters\s+2\s+replayed\s+2/);
    expect(text).toMatch(/2 message\(s\) back on their queues/);
  });

  it('says how to start the runtime when nothing answers', async () => {
    await expect(replayDeadLetters('http://127.0.0.1:9')).rejects.toThrow(/is `npm start` running\?/);
  });
});
