/**
 * Finding 3 of issue 14: every listener of the local stack (`npm start`'s system: the gateway,
 * DynamoDB Local, the S3 emulator, the Razorpay sandbox) is on loopback only. Proven two ways:
 *   - from outside: a TCP connect to each port on every non-loopback address this machine has
 *     (os.networkInterfaces()) is refused;
 *   - from the kernel: /proc/net/tcp{,6} lists each port's listening socket on a loopback
 *     address only (and so does every listening socket this process holds).
 * DynamoDB Local (Java) has no bind option; local/LoopbackDynamoDb.java binds it.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/aws-local';
import { type System, startSystem } from '../../local/system';

let system: System;
let ports: Record<string, number>;

beforeAll(async () => {
  const [port, sandboxPort, dynamodbPort, s3Port] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const eximpePort = await freePort();
  ports = { gateway: port, sandbox: sandboxPort, eximpe: eximpePort, dynamodb: dynamodbPort, s3: s3Port };
  system = await startSystem({
    port,
    sandboxPort,
    dynamodbPort,
    s3Port,
    eximpeSandboxPort: eximpePort,
    demoData: false,
    reconcileEveryMs: 0,
  });
}, 90_000);

afterAll(async () => {
  await system?.stop();
});

/** This machine's addresses that are not loopback (link-local IPv6 needs a scope: left out). */
function outsideAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
    .map((a) => a!.address);
}

function tryConnect(host: string, port: number): Promise<'connected' | 'refused' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ECONNREFUSED' ? 'refused' : (err.code ?? 'error')),
    );
  });
}

interface Listener {
  address: string;
  port: number;
  inode: string;
}

/** Listening TCP sockets from /proc/net/tcp and tcp6 (Linux). */
function procListeners(): Listener[] | undefined {
  if (!existsSync('/proc/net/tcp')) return undefined;
  const out: Listener[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [hex, portHex] = cols[1]!.split(':') as [string, string];
      out.push({ address: hex, port: Number.parseInt(portHex, 16), inode: cols[9]! });
    }
  }
  return out;
}

/** 127.0.0.0/8, ::1 or ::ffff:127.x, from /proc's little-endian-per-word hex. */
function isLoopbackHex(hex: string): boolean {
  const words = hex
    .toLowerCase()
    .match(/.{8}/g)!
    .map((w) => w.match(/../g)!.reverse().join(''));
  if (words.length === 1) return words[0]!.startsWith('7f');
  const [a, b, c, d] = words;
  if (a === '00000000' && b === '00000000' && c === '00000000' && d === '00000001') return true;
  return a === '00000000' && b === '00000000' && c === '0000ffff' && d!.startsWith('7f');
}

describe('the local stack listens on loopback only', () => {
  it('answers on 127.0.0.1 (every service is up)', async () => {
    for (const [name, port] of Object.entries(ports)) {
      expect(await tryConnect('127.0.0.1', port), name).toBe('connected');
    }
  });

  it('refuses connections on every non-loopback address of this machine', async () => {
    const addresses = outsideAddresses();
    if (addresses.length === 0) {
      // nothing to connect to from "outside": the kernel's own table (next test) is the proof here
      console.warn(
        'listeners test: this machine has no non-loopback address; the connect half proves nothing here',
      );
      expect(
        procListeners(),
        'no non-loopback address and no /proc/net/tcp: cannot prove the bind',
      ).toBeDefined();
      return;
    }
    for (const address of addresses) {
      for (const [name, port] of Object.entries(ports)) {
        expect(await tryConnect(address, port), `${name} on ${address}:${port}`).toBe('refused');
      }
    }
  });

  it("the kernel lists each service's listening sockets on loopback addresses only", () => {
    const listeners = procListeners();
    if (!listeners) {
      expect(
        outsideAddresses().length,
        'no /proc/net/tcp and no non-loopback address: cannot prove the bind',
      ).toBeGreaterThan(0);
      return;
    }
    for (const [name, port] of Object.entries(ports)) {
      const found = listeners.filter((l) => l.port === port);
      expect(found.length, `${name} listens on ${port}`).toBeGreaterThan(0);
      for (const l of found) expect(isLoopbackHex(l.address), `${name} bound to ${l.address}`).toBe(true);
    }
    // and no other listener of this process (the in-process gateway, sandbox, s3rver, queues…)
    const mine = new Set<string>();
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (m) mine.add(m[1]!);
      } catch {
        // the fd closed meanwhile
      }
    }
    const own = listeners.filter((l) => mine.has(l.inode));
    expect(own.length).toBeGreaterThan(0);
    for (const l of own) expect(isLoopbackHex(l.address), `listener on port ${l.port}`).toBe(true);
  });
});
