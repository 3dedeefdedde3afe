/**
 * What issue 14's hardening costs, side by side (medians of interleaved runs):
 *   - DynamoDB Local start: `java -jar` (every interface) vs the loopback launcher;
 *   - an S3 GET/PUT straight to s3rver vs through the SigV4-verifying front;
 *   - a page cursor: sealing and opening one (AES-256-GCM).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import {
  dynamoClient,
  ensureDynamoJar,
  ensureDynamoLauncher,
  freePort,
  LOCAL_CREDENTIALS,
} from '../local/aws-local';
import { startS3Front } from '../local/s3-verify';
import { decodeCursor, encodeCursor } from '../shared/http/cursor';
import { median, table } from './stats';

async function dynamoStartMs(loopback: boolean): Promise<number> {
  const dir = ensureDynamoJar();
  const port = await freePort();
  const cp = loopback
    ? [
        '-cp',
        [ensureDynamoLauncher(dir), 'DynamoDBLocal.jar', join('DynamoDBLocal_lib', '*')].join(delimiter),
        'LoopbackDynamoDb',
      ]
    : ['-jar', 'DynamoDBLocal.jar'];
  const started = performance.now();
  const child = spawn(
    'java',
    [
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      ...cp,
      '-sharedDb',
      '-disableTelemetry',
      '-inMemory',
      '-port',
      String(port),
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  const client = dynamoClient(`http://127.0.0.1:${port}`);
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({}));
        return performance.now() - started;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    client.destroy();
    child.kill('SIGKILL');
  }
}

async function s3Latency(): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-s3-'));
  const upstreamPort = await freePort();
  const s3rver = new S3rver({ port: upstreamPort, address: '127.0.0.1', directory: dir, silent: true });
  await s3rver.run();
  const front = await startS3Front({
    host: '127.0.0.1',
    port: 0,
    upstreamPort,
    credentials: LOCAL_CREDENTIALS,
  });
  const client = (port: number) =>
    new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'ap-south-1',
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
  const direct = client(upstreamPort);
  const verified = client(front.port);
  const bucket = 'bench-hardening';
  await direct.send(new CreateBucketCommand({ Bucket: bucket }));
  const body = Buffer.alloc(16 * 1024, 0x61);
  const times = {
    direct: { put: [] as number[], get: [] as number[] },
    verified: { put: [] as number[], get: [] as number[] },
  };
  for (let i = 0; i < 200; i++) {
    for (const [name, c] of [
      ['direct', direct],
      ['verified', verified],
    ] as const) {
      let t = performance.now();
      await c.send(new PutObjectCommand({ Bucket: bucket, Key: `k${i % 10}`, Body: body }));
      times[name].put.push(performance.now() - t);
      t = performance.now();
      const out = await c.send(new GetObjectCommand({ Bucket: bucket, Key: `k${i % 10}` }));
      await out.Body!.transformToByteArray();
      times[name].get.push(performance.now() - t);
    }
  }
  direct.destroy();
  verified.destroy();
  await front.close();
  await s3rver.close();
  rmSync(dir, { recursive: true, force: true });
  const ms = (xs: number[]) => median(xs.slice(20)).toFixed(2);
  return [
    [
      'S3 PUT 16 KB, ms',
      ms(times.direct.put),
      ms(times.verified.put),
      (median(times.verified.put.slice(20)) / median(times.direct.put.slice(20))).toFixed(2),
    ],
    [
      'S3 GET 16 KB, ms',
      ms(times.direct.get),
      ms(times.verified.get),
      (median(times.verified.get.slice(20)) / median(times.direct.get.slice(20))).toFixed(2),
    ],
  ];
}

async function cursorCost(): Promise<string[][]> {
  const ctx = {
    scope: 'all-lenders',
    query: '["links",{"attention":false}]',
  };
  // a links-list page position: pk, sk, listAll, createdKey
  const key = [
    'LINK#lnk_abcdefghij0123456789',
    '#LINK',
    'ALL',
    '2026-12-02T21:00:00.000Z#lnk_abcdefghij0123456789',
  ];
  const enc: number[] = [];
  const dec: number[] = [];
  for (let i = 0; i < 2000; i++) {
    let t = performance.now();
    const c = (await encodeCursor(ctx, key))!;
    enc.push(performance.now() - t);
    t = performance.now();
    await decodeCursor(c, ctx);
    dec.push(performance.now() - t);
  }
  return [
    ['cursor seal, µs', '—', (median(enc.slice(200)) * 1000).toFixed(1), '—'],
    ['cursor open, µs', '—', (median(dec.slice(200)) * 1000).toFixed(1), '—'],
  ];
}

const starts = { jar: [] as number[], loopback: [] as number[] };
for (let i = 0; i < 3; i++) {
  starts.jar.push(await dynamoStartMs(false));
  starts.loopback.push(await dynamoStartMs(true));
}
const rows = [
  [
    'DynamoDB Local start, ms',
    median(starts.jar).toFixed(0),
    median(starts.loopback).toFixed(0),
    (median(starts.loopback) / median(starts.jar)).toFixed(2),
  ],
  ...(await s3Latency()),
  ...(await cursorCost()),
];
table(['measure', 'before (open)', 'after (hardened)', 'ratio'], rows);
process.exit(0);
