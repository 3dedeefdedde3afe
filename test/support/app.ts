/**
 * The application wired against real local services for integration tests: DynamoDB Local
 * and s3rver from the run's global setup, and an in-process Razorpay sandbox driven through
 * the official SDK by the app's gateway adapter.
 */
import {
  type EximpeSandbox,
  type EximpeSandboxOptions,
  startEximpeSandbox,
} from '../../local/eximpe-sandbox/server';
import { type Sandbox, startSandbox } from '../../local/sandbox/server';
import { useLocalAws } from './local-aws';

export interface TestApp {
  sandbox: Sandbox;
  /** the EximPe sandbox, when asked for (`eximpe` option) */
  eximpe?: EximpeSandbox;
  names: Awaited<ReturnType<typeof useLocalAws>>;
  /** calls a sandbox control route */
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startTestApp(
  label: string,
  opts: {
    webhookUrl?: string;
    timeoutMs?: number;
    sandbox?: Parameters<typeof startSandbox>[0];
    /** also start an EximPe sandbox (EXIMPE_API_BASE_URL points at it) */
    eximpe?: EximpeSandboxOptions;
  } = {},
): Promise<TestApp> {
  const names = await useLocalAws(label);
  const sandbox = await startSandbox({
    port: 0,
    // nowhere by default: these tests drive state by refresh; webhook tests pass their URL
    webhookUrl: opts.webhookUrl ?? 'http://127.0.0.1:9/webhooks/razorpay',
    webhookRetryDelaysMs: [50],
    ...opts.sandbox,
  });
  Object.assign(process.env, {
    RAZORPAY_API_BASE_URL: sandbox.url,
    RAZORPAY_KEY_ID: sandbox.keyId,
    RAZORPAY_KEY_SECRET: sandbox.keySecret,
    RAZORPAY_TIMEOUT_MS: String(opts.timeoutMs ?? 1500),
  });
  const eximpe = opts.eximpe
    ? await startEximpeSandbox({ port: 0, webhookRetryDelaysMs: [50], ...opts.eximpe })
    : undefined;
  if (eximpe) {
    Object.assign(process.env, {
      EXIMPE_API_BASE_URL: eximpe.url,
      EXIMPE_TIMEOUT_MS: String(opts.timeoutMs ?? 1500),
    });
  }
  return {
    sandbox,
    eximpe,
    names,
    async control<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${sandbox.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`sandbox ${method} ${path} → ${res.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    close: async () => {
      await Promise.all([sandbox.close(), eximpe?.close()]);
    },
  };
}

/** Every link the sandbox holds (control route), e.g. to count Razorpay links per EMI. */
export async function sandboxLinks(
  app: TestApp,
): Promise<{ id: string; reference_id: string; status: string; notes: Record<string, string> }[]> {
  const out = await app.control<{
    payment_links: { id: string; reference_id: string; status: string; notes: Record<string, string> }[];
  }>('GET', '/_sandbox/payment_links');
  return out.payment_links;
}
