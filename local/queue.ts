/**
 * An in-process stand-in for SQS with a dead-letter queue, for the one-machine runtime and
 * tests. Same semantics the Lambda event source gives the workers: batches of up to
 * `batchSize` SQSEvent records; a record listed in `batchItemFailures` (or every record, if
 * the handler throws) becomes visible again after `visibilityTimeoutMs`; after
 * `maxReceiveCount` receives it moves to the DLQ, where it can be counted and replayed.
 * At most `concurrency` batches run at once.
 */
import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { localQueueRegistry } from '../shared/adapters/queue/sender';

export interface LocalQueueOptions {
  name: string;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
  batchSize?: number;
  concurrency?: number;
  maxReceiveCount?: number;
  visibilityTimeoutMs?: number;
  onError?: (err: unknown) => void;
}

interface Message {
  id: string;
  body: string;
  receiveCount: number;
  firstReceivedAt?: number;
  sentAt: number;
  visibleAt: number;
}

export class LocalQueue {
  readonly url: string;
  private ready: Message[] = [];
  private dead: Message[] = [];
  private running = 0;
  private inFlight = 0;
  private timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly opts: Required<Omit<LocalQueueOptions, 'onError'>> & Pick<LocalQueueOptions, 'onError'>;

  constructor(options: LocalQueueOptions) {
    this.opts = {
      batchSize: 10,
      concurrency: 2,
      maxReceiveCount: 5,
      visibilityTimeoutMs: 1000,
      ...options,
    };
    this.url = `local://${options.name}`;
    localQueueRegistry().set(this.url, { send: async (body) => this.send(body) });
  }

  send(body: string): void {
    if (this.closed) throw new Error(`queue ${this.opts.name} is closed`);
    this.ready.push({ id: randomUUID(), body, receiveCount: 0, sentAt: Date.now(), visibleAt: Date.now() });
    this.pump();
  }

  /** messages waiting or being processed */
  get depth(): number {
    return this.ready.length + this.inFlight + this.timers.size;
  }

  get deadLetterCount(): number {
    return this.dead.length;
  }

  deadLetters(): { id: string; body: string; receiveCount: number }[] {
    return this.dead.map(({ id, body, receiveCount }) => ({ id, body, receiveCount }));
  }

  /** moves every dead letter back to the queue (receive count reset); returns how many */
  replayDeadLetters(): number {
    const n = this.dead.length;
    for (const m of this.dead.splice(0)) this.send(m.body);
    return n;
  }

  /** resolves when nothing is waiting, in flight or scheduled for redelivery */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    localQueueRegistry().delete(this.url);
  }

  private checkIdle() {
    if (this.depth === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private pump() {
    while (!this.closed && this.running < this.opts.concurrency && this.ready.length > 0) {
      const batch = this.ready.splice(0, this.opts.batchSize);
      this.running++;
      this.inFlight += batch.length;
      void this.deliver(batch).finally(() => {
        this.running--;
        this.inFlight -= batch.length;
        this.pump();
        this.checkIdle();
      });
    }
  }

  private record(m: Message): SQSRecord {
    return {
      messageId: m.id,
      receiptHandle: `${m.id}:${m.receiveCount}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${this.opts.name}`,
      awsRegion: 'local',
    };
  }

  private async deliver(batch: Message[]) {
    const now = Date.now();
    for (const m of batch) {
      m.receiveCount++;
      m.firstReceivedAt ??= now;
    }
    let failed: Set<string>;
    try {
      const res = await this.opts.handler({ Records: batch.map((m) => this.record(m)) });
      failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (err) {
      this.opts.onError?.(err);
      failed = new Set(batch.map((m) => m.id));
    }
    for (const m of batch) {
      if (!failed.has(m.id)) continue;
      if (m.receiveCount >= this.opts.maxReceiveCount) {
        this.dead.push(m);
        continue;
      }
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (this.closed) return;
        this.ready.push(m);
        this.pump();
      }, this.opts.visibilityTimeoutMs);
      this.timers.add(t);
    }
  }
}
