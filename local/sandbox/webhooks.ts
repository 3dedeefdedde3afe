/**
 * Webhook delivery as Razorpay does it (reference §3.3–3.6): compact JSON, signed with the
 * secret in force when the event was created, Razorpay's headers, a 5 s answer budget, retries
 * with backoff, at-least-once. Each group (the events of one payment, or one link change) is
 * delivered in order: an event's first attempt starts once the previous one's first attempt is
 * answered or has failed; retries then run on their own timers, so one slow receiver never
 * blocks other payments. Knobs: `duplicateWebhooks` sends every event N times with the same
 * event id; `shuffleWebhooks` sends a group in a random order with small random gaps.
 */
import http from 'node:http';
import https from 'node:https';
import type { SandboxConfig } from './config';
import type { WebhookEvent } from './entities';
import { newEventId, type Random, shuffled } from './random';
import { hmacSha256Hex } from './signature';

/** One row of `GET /_sandbox/webhooks` (one per copy of an event when duplicating). */
export interface DeliveryRecord {
  event_id: string;
  event: string;
  url: string;
  /** last HTTP status received; null before an answer or after a timeout/connection error */
  status_code: number | null;
  attempts: number;
  /** ISO-8601 time of the successful attempt; null until then */
  delivered_at: string | null;
  // extensions
  state: 'pending' | 'delivered' | 'failed';
  /** 1-based copy number when `duplicateWebhooks` > 1 */
  copy: number;
  created_at: string;
  /** why the last attempt failed, e.g. `HTTP 500`, `timeout after 5000 ms`, `ECONNREFUSED` */
  last_error: string | null;
}

/** upper bound of the random gap between shuffled deliveries */
const SHUFFLE_GAP_MS = 50;

interface Job {
  record: DeliveryRecord;
  body: string;
  signature: string;
  generation: number;
}

export interface DispatcherOptions {
  config: () => SandboxConfig;
  random: Random;
  retryDelaysMs: readonly number[];
  timeoutMs: number;
}

export class WebhookDispatcher {
  private records: DeliveryRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly requests = new Set<http.ClientRequest>();
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  /** bumped by reset/close: jobs of an older generation stop silently */
  private generation = 0;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });

  constructor(private readonly options: DispatcherOptions) {}

  get deliveries(): DeliveryRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** Signs and queues one group of events. Returns at once: delivery is asynchronous. */
  publish(events: readonly WebhookEvent[]): void {
    const config = this.options.config();
    if (config.webhookUrl === '' || events.length === 0) return;
    const copies = Math.max(1, config.duplicateWebhooks);
    const createdAt = new Date().toISOString();
    let jobs: Job[] = [];
    for (const event of events) {
      const eventId = newEventId();
      const body = JSON.stringify(event.body);
      const signature = hmacSha256Hex(config.webhookSecret, body);
      for (let copy = 1; copy <= copies; copy++) {
        const record: DeliveryRecord = {
          event_id: eventId,
          event: event.event,
          url: config.webhookUrl,
          status_code: null,
          attempts: 0,
          delivered_at: null,
          state: 'pending',
          copy,
          created_at: createdAt,
          last_error: null,
        };
        this.records.push(record);
        jobs.push({ record, body, signature, generation: this.generation });
      }
    }
    if (config.shuffleWebhooks) jobs = shuffled(jobs, this.options.random);
    this.pending += jobs.length;
    void this.runGroup(jobs, config.shuffleWebhooks);
  }

  private async runGroup(jobs: Job[], gaps: boolean): Promise<void> {
    // let the API answer go out before the first delivery
    await this.sleep(0);
    for (const job of jobs) {
      if (job.generation !== this.generation) return;
      if (gaps) await this.sleep(Math.floor(this.options.random() * SHUFFLE_GAP_MS));
      if (job.generation !== this.generation) return;
      await this.attempt(job);
    }
  }

  private async attempt(job: Job): Promise<void> {
    const { record } = job;
    record.attempts++;
    const outcome = await this.send(job);
    if (job.generation !== this.generation) return;
    record.status_code = outcome.status;
    if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) {
      record.state = 'delivered';
      record.delivered_at = new Date().toISOString();
      record.last_error = null;
      this.settle();
      return;
    }
    record.last_error = outcome.error;
    const delay = this.options.retryDelaysMs[record.attempts - 1];
    if (delay === undefined) {
      record.state = 'failed';
      this.settle();
      return;
    }
    this.schedule(delay, () => void this.attempt(job));
  }

  private send(job: Job): Promise<{ status: number | null; error: string }> {
    const { record, body, signature } = job;
    return new Promise((resolve) => {
      let settled = false;
      const done = (status: number | null, error: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.requests.delete(req);
        resolve({ status, error });
      };
      const url = new URL(record.url);
      const client = url.protocol === 'https:' ? https : http;
      const req = client.request(url, {
        method: 'POST',
        agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'Razorpay-Webhook/v1',
          'request-id': record.event_id,
          'x-razorpay-event-id': record.event_id,
          'x-razorpay-signature': signature,
          'accept-encoding': 'gzip',
        },
      });
      this.requests.add(req);
      const timer = setTimeout(() => {
        done(null, `timeout after ${this.options.timeoutMs} ms`);
        req.destroy();
      }, this.options.timeoutMs);
      req.on('response', (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        done(status, `HTTP ${status}`);
      });
      req.on('error', (err: NodeJS.ErrnoException) => done(null, err.code ?? err.message));
      req.end(body);
    });
  }

  private settle(): void {
    this.pending--;
    if (this.pending === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves once every queued delivery has succeeded or used up its retries. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }

  /** Forgets every delivery and stops pending retries. */
  reset(): void {
    this.generation++;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const req of this.requests) req.destroy();
    this.requests.clear();
    this.records = [];
    this.pending = 0;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  close(): void {
    this.reset();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
