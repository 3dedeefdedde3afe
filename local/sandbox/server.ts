/**
 * The Razorpay sandbox: Razorpay's Payment Links API under `/v1`, hosted pay pages under
 * `/rzp/<code>`, and the control API under `/_sandbox`, on one node:http server, all state in
 * memory. Point the official SDK at it by setting `rzp.api.rq.defaults.baseURL = sandbox.url`.
 *
 * Request path of a /v1 call: rate limit (429) → errorRate (500, nothing done) → hangRate
 * decided → Basic auth (401) → the API → answer after `latencyMs` (+ `hangMs` when hanging).
 * A hanging request is carried out at once; only its answer is late, as with the real thing.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { handleApi } from './api';
import { applyConfigPatch, type MerchantSpec, parseMerchantSpec, type SandboxConfig } from './config';
import { handleControl } from './control';
import {
  SANDBOX_ACCOUNT_ID,
  SANDBOX_DEFAULT_HANG_MS,
  SANDBOX_DEFAULT_PORT,
  SANDBOX_DEFAULT_WEBHOOK_URL,
  SANDBOX_HOST,
  SANDBOX_KEY_ID,
  SANDBOX_KEY_SECRET,
  SANDBOX_WEBHOOK_SECRET,
  WEBHOOK_RETRY_DELAYS_MS,
  WEBHOOK_TIMEOUT_MS,
} from './defaults';
import {
  type ErrorBody,
  gatewayErrorBody,
  INVALID_API_KEY,
  linkErrorBody,
  MSG,
  SERVER_ERROR,
  TOO_MANY_REQUESTS,
  URL_NOT_FOUND,
} from './errors';
import {
  BadJsonError,
  BodyTooLargeError,
  parseBody,
  parseForm,
  readBody,
  redirect,
  send,
  sendJson,
} from './http';
import { handlePage } from './page';
import { base62, seededRandom } from './random';
import { SlidingWindowLimiter } from './rate-limit';
import { Store } from './store';
import { type DeliveryRecord, WebhookDispatcher } from './webhooks';

export type { SandboxConfig } from './config';
export type { DeliveryRecord } from './webhooks';

export interface SandboxOptions {
  /** 0 = a free port; default RAZORPAY_SANDBOX_PORT or 4010 */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  keyId?: string;
  keySecret?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  /** base of `short_url` (default: the sandbox URL; Razorpay's is https://rzp.io) */
  publicBaseUrl?: string;
  /** initial fault-injection and delivery knobs */
  config?: Partial<SandboxConfig>;
  /** seeds fault injection and webhook shuffling, for deterministic tests */
  seed?: number;
  accountId?: string;
  /** the merchant's maximum link amount in paise (default ₹50 lakh) */
  maxAmount?: number;
  /** delays between webhook retries (default 0.2 s, 0.5 s, 1 s, 2 s, 5 s, 10 s, 30 s, 60 s) */
  webhookRetryDelaysMs?: readonly number[];
  /** a delivery not answered within this is a failure (default 5000, as Razorpay) */
  webhookTimeoutMs?: number;
  /** how often expired links are looked for (default 1000) */
  expiryIntervalMs?: number;
  /** milliseconds since the epoch; tests can move time forward */
  clock?: () => number;
}

/** One merchant's keys and where its webhooks go (PUT /_sandbox/accounts). */
export type { MerchantSpec } from './config';

/** A merchant as GET /_sandbox/accounts shows it: never its secrets. */
export interface SandboxAccount {
  keyId: string;
  /** Razorpay's `account_id` in its webhook envelopes */
  accountId: string;
  webhookUrl: string;
  rateLimitPerSecond: number;
  links: number;
}

interface Merchant extends MerchantSpec {
  store: Store;
  dispatcher: WebhookDispatcher;
  limiter: SlidingWindowLimiter;
}

export interface SandboxStats {
  /** links in memory */
  links: number;
  /** successful creates since start or reset */
  creates: number;
  /** /v1 requests received since start or reset, refused ones included */
  requests: number;
}

export interface Sandbox {
  /** e.g. http://127.0.0.1:4010 — the SDK's baseURL */
  readonly url: string;
  readonly port: number;
  readonly publicBaseUrl: string;
  readonly keyId: string;
  readonly keySecret: string;
  /** a copy of the knobs; assigning a partial config validates and applies it like PUT /_sandbox/config */
  get config(): SandboxConfig;
  set config(patch: Partial<SandboxConfig>);
  /** number of links */
  readonly links: number;
  readonly deliveries: DeliveryRecord[];
  readonly stats: SandboxStats;
  /** forgets every link, payment and delivery (the config stays) */
  reset(): void;
  /** resolves once every queued webhook is delivered or has used up its retries */
  webhooksIdle(): Promise<void>;
  /** runs the expiry check now; returns how many links expired */
  expireDue(): number;
  /** adds or replaces a merchant, like PUT /_sandbox/accounts (throws ConfigError on bad input) */
  addAccount(spec: MerchantSpec): SandboxAccount;
  /** every merchant, the first one first (no secrets) */
  readonly accounts: SandboxAccount[];
  /** how many links the merchant with this key id holds */
  linksOf(keyId: string): number;
  close(): Promise<void>;
}

const DEFAULT_MAX_AMOUNT = 500_000_000;

function defaultPort(): number {
  const raw = process.env['RAZORPAY_SANDBOX_PORT'];
  if (raw === undefined || raw.trim() === '') return SANDBOX_DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`RAZORPAY_SANDBOX_PORT must be a port number, got "${raw}"`);
  }
  return port;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? SANDBOX_HOST;
  const keyId = options.keyId ?? SANDBOX_KEY_ID;
  const keySecret = options.keySecret ?? SANDBOX_KEY_SECRET;
  const clock = options.clock ?? Date.now;
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  let config: SandboxConfig = applyConfigPatch(
    {
      webhookUrl: options.webhookUrl ?? SANDBOX_DEFAULT_WEBHOOK_URL,
      webhookSecret: options.webhookSecret ?? SANDBOX_WEBHOOK_SECRET,
      latencyMs: 0,
      rateLimitPerSecond: 0,
      errorRate: 0,
      hangRate: 0,
      hangMs: SANDBOX_DEFAULT_HANG_MS,
      duplicateWebhooks: 1,
      shuffleWebhooks: false,
      notifyPerMinute: 3,
      refundMode: 'processed',
    },
    // explicit webhookUrl/webhookSecret options win over the same keys in `config`
    {
      ...options.config,
      ...(options.webhookUrl === undefined ? {} : { webhookUrl: options.webhookUrl }),
      ...(options.webhookSecret === undefined ? {} : { webhookSecret: options.webhookSecret }),
    },
  );
  let publicBaseUrl = '';
  let requests = 0;

  /**
   * The merchants (architecture §4b): each key pair sees only its own links, signs with its own
   * webhook secret, posts to its own URL and has its own rate limit. The first is the one the
   * options name; its webhook URL and secret are `config`'s unless a PUT /_sandbox/accounts gave
   * it its own. Every other knob of `config` applies to all.
   */
  const merchants = new Map<string, Merchant>();
  const addMerchant = (spec: MerchantSpec, razorpayAccountId?: string): Merchant => {
    const existing = merchants.get(spec.keyId);
    if (existing) {
      Object.assign(existing, spec);
      return existing;
    }
    const merchant = { ...spec } as Merchant;
    merchant.limiter = new SlidingWindowLimiter();
    merchant.dispatcher = new WebhookDispatcher({
      config: () => ({
        ...config,
        webhookUrl: merchant.webhookUrl ?? config.webhookUrl,
        webhookSecret: merchant.webhookSecret ?? config.webhookSecret,
      }),
      random,
      retryDelaysMs: options.webhookRetryDelaysMs ?? WEBHOOK_RETRY_DELAYS_MS,
      timeoutMs: options.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS,
    });
    merchant.store = new Store({
      accountId: razorpayAccountId ?? `acc_${base62(14)}`,
      testMode: spec.keyId.startsWith('rzp_test_'),
      maxAmount: options.maxAmount ?? DEFAULT_MAX_AMOUNT,
      clock,
      shortUrl: (code) => `${publicBaseUrl}/rzp/${code}`,
      publish: (events) => merchant.dispatcher.publish(events),
      notifyPerMinute: () => config.notifyPerMinute,
      refundMode: () => config.refundMode,
    });
    merchants.set(spec.keyId, merchant);
    return merchant;
  };
  const primary = addMerchant({ keyId, keySecret }, options.accountId ?? SANDBOX_ACCOUNT_ID);
  const store = primary.store;
  const all = () => [...merchants.values()];

  /** The merchant whose key pair the HTTP Basic header carries, or undefined (→ 401). */
  const merchantOf = (header: string | undefined): Merchant | undefined => {
    const match = header === undefined ? null : /^basic\s+(\S+)$/i.exec(header);
    if (match === null) return undefined;
    const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return undefined;
    const merchant = merchants.get(decoded.slice(0, colon));
    return merchant && merchant.keySecret === decoded.slice(colon + 1) ? merchant : undefined;
  };
  const answerTimers = new Set<NodeJS.Timeout>();

  const reset = (): void => {
    for (const m of all()) {
      m.store.reset();
      m.dispatcher.reset();
      m.limiter.reset();
    }
    requests = 0;
  };
  const stats = (): SandboxStats => ({
    links: all().reduce((n, m) => n + m.store.links.size, 0),
    creates: all().reduce((n, m) => n + m.store.creates, 0),
    requests,
  });
  const merchantView = (m: Merchant): SandboxAccount => ({
    keyId: m.keyId,
    accountId: m.store.accountId,
    webhookUrl: m.webhookUrl ?? config.webhookUrl,
    rateLimitPerSecond: m.rateLimitPerSecond ?? config.rateLimitPerSecond,
    links: m.store.links.size,
  });
  const updateConfig = (patch: unknown): SandboxConfig => {
    config = applyConfigPatch(config, patch);
    return { ...config };
  };

  /** Answers now, or after `delayMs` unless the client has gone. */
  const answerLater = (res: ServerResponse, delayMs: number, status: number, body: unknown): void => {
    if (delayMs <= 0) {
      sendJson(res, status, body);
      return;
    }
    const timer = setTimeout(() => {
      answerTimers.delete(timer);
      sendJson(res, status, body);
    }, delayMs);
    answerTimers.add(timer);
  };

  const onApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
  ): Promise<void> => {
    requests++;
    const knobs = config;
    const latency = knobs.latencyMs;
    const reply = (status: number, body: ErrorBody | unknown, extraDelay = 0) =>
      answerLater(res, latency + extraDelay, status, body);
    let text: string;
    try {
      text = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return reply(413, gatewayErrorBody('Request entity too large'));
      throw error;
    }
    // Razorpay limits each merchant on its own; a request no merchant's keys open shares the
    // first merchant's window, and is refused 401 below
    const merchant = merchantOf(req.headers.authorization);
    const limit = merchant?.rateLimitPerSecond ?? knobs.rateLimitPerSecond;
    // real elapsed time (monotonic), not the injectable clock that tests move around
    if (!(merchant ?? primary).limiter.allow(limit, performance.now())) {
      return reply(429, gatewayErrorBody(TOO_MANY_REQUESTS));
    }
    // decided before anything is applied: a 500 changes nothing
    if (knobs.errorRate > 0 && random() < knobs.errorRate) {
      return reply(500, gatewayErrorBody(SERVER_ERROR, 'SERVER_ERROR'));
    }
    const hangMs = knobs.hangRate > 0 && random() < knobs.hangRate ? knobs.hangMs : 0;
    if (merchant === undefined) return reply(401, gatewayErrorBody(INVALID_API_KEY), hangMs);
    let body: unknown;
    try {
      body = parseBody(text, req.headers['content-type']);
    } catch (error) {
      if (error instanceof BadJsonError) return reply(400, linkErrorBody(MSG.badJson), hangMs);
      throw error;
    }
    const answer = handleApi(
      merchant.store,
      req.method ?? 'GET',
      path,
      new URLSearchParams(query),
      body,
      req.headers,
    );
    reply(answer.status, answer.body, answer.late ? Math.max(hangMs, knobs.hangMs) : hangMs);
  };

  const onControl = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    let body: unknown;
    try {
      body = parseBody(await readBody(req), 'application/json');
    } catch (error) {
      if (error instanceof BadJsonError) {
        return sendJson(res, 400, {
          error: { code: 'BAD_REQUEST_ERROR', description: 'the body must be JSON' },
        });
      }
      throw error;
    }
    const answer = handleControl(
      {
        store,
        stores: () => all().map((m) => m.store),
        config: () => ({ ...config }),
        updateConfig,
        deliveries: () => all().flatMap((m) => m.dispatcher.deliveries),
        refunds: () => all().flatMap((m) => [...m.store.refunds.values()]),
        reset,
        stats: () => stats(),
        accounts: () => all().map((m) => merchantView(m)),
        putAccount: (spec) => merchantView(addMerchant(spec)),
      },
      req.method ?? 'GET',
      path,
      body,
    );
    sendJson(res, answer.status, answer.body);
  };

  const onPage = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
  ): Promise<void> => {
    const [, , code = '', action] = path.split('/');
    const text = await readBody(req);
    const code_ = code;
    const owner = all().find((m) => m.store.byShortCodeOrUndefined(code_) !== undefined) ?? primary;
    const answer = handlePage(
      { store: owner.store, keySecret: owner.keySecret },
      req.method ?? 'GET',
      code,
      action,
      new URLSearchParams(query),
      req.method === 'POST' ? parseForm(text) : {},
    );
    if ('redirect' in answer) return redirect(res, answer.redirect);
    send(res, answer.status, 'text/html; charset=utf-8', answer.html);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q === -1 ? target : target.slice(0, q);
    const query = q === -1 ? '' : target.slice(q + 1);
    if (path.startsWith('/v1/')) return onApi(req, res, path, query);
    if (path.startsWith('/_sandbox/')) return onControl(req, res, path);
    if (path.startsWith('/rzp/')) return onPage(req, res, path, query);
    req.resume();
    sendJson(res, 400, gatewayErrorBody(URL_NOT_FOUND));
  };

  const server = http.createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) {
        sendJson(res, 413, gatewayErrorBody('Request entity too large'));
        return;
      }
      // a sandbox bug must not look like a Razorpay answer: say what broke
      console.error('[razorpay-sandbox] internal error', error);
      sendJson(res, 500, gatewayErrorBody(SERVER_ERROR, 'SERVER_ERROR'));
    });
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Razorpay sandbox: port ${options.port ?? defaultPort()} on ${host} is already in use`,
              {
                cause: error,
              },
            )
          : error,
      );
    };
    server.once('error', onError);
    server.listen(options.port ?? defaultPort(), host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  publicBaseUrl = (options.publicBaseUrl ?? url).replace(/\/+$/, '');

  const expireDue = () => all().reduce((n, m) => n + m.store.expireDue(), 0);
  const expiryTimer = setInterval(expireDue, options.expiryIntervalMs ?? 1000);
  expiryTimer.unref();

  const closeServer = async (): Promise<void> => {
    clearInterval(expiryTimer);
    for (const m of all()) m.dispatcher.close();
    for (const timer of answerTimers) clearTimeout(timer);
    answerTimers.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };

  // a class (not an object literal) so the `config` getter and setter may have different types
  class RunningSandbox implements Sandbox {
    readonly url = url;
    readonly port = port;
    readonly publicBaseUrl = publicBaseUrl;
    readonly keyId = keyId;
    readonly keySecret = keySecret;
    get config(): SandboxConfig {
      return { ...config };
    }
    set config(patch: Partial<SandboxConfig>) {
      updateConfig(patch);
    }
    get links(): number {
      return all().reduce((n, m) => n + m.store.links.size, 0);
    }
    get deliveries(): DeliveryRecord[] {
      return all().flatMap((m) => m.dispatcher.deliveries);
    }
    get stats(): SandboxStats {
      return stats();
    }
    reset(): void {
      reset();
    }
    async webhooksIdle(): Promise<void> {
      await Promise.all(all().map((m) => m.dispatcher.idle()));
    }
    expireDue(): number {
      return expireDue();
    }
    addAccount(spec: MerchantSpec): SandboxAccount {
      return merchantView(addMerchant(parseMerchantSpec(spec)));
    }
    get accounts(): SandboxAccount[] {
      return all().map((m) => merchantView(m));
    }
    linksOf(keyId: string): number {
      return merchants.get(keyId)?.store.links.size ?? 0;
    }
    close(): Promise<void> {
      return closeServer();
    }
  }
  return new RunningSandbox();
}
