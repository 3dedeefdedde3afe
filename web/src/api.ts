/**
 * The API client: one fetch wrapper that turns every failure into an ApiError whose message a
 * person can read (the API's own message and field details, or "Cannot reach the server").
 * Types mirror the HTTP contract (architecture.md §4); amounts are integer paise.
 */

// The response shapes are the server's own types (type-only imports: erased from the bundle),
// so the page and the API cannot drift apart.
import type { ImportStatus, LinkListItem, SearchPage, StartedImport } from '../../shared/schemas/responses';
import type { BulkJobView } from '../../shared/usecases/bulk-job';
import type { Dashboard } from '../../shared/usecases/dashboard';
import type { LinkView } from '../../shared/usecases/link-view';
import type { ActiveLink, PendingEmi, PendingEmisPage } from '../../shared/usecases/list-pending-emis';
import { accessToken, endSession, renewAfter401 } from './auth';
import { fieldLabel } from './format';

export type { ActiveLink, ImportStatus, PendingEmi, StartedImport };
export type PendingPage = PendingEmisPage;
/** a link as the list and generate routes answer it (generate adds `reused`) */
export type Link = LinkView & { reused?: boolean };

/** a link as the list answers it: with the borrower's phone, e-mail and the EMI's due date */
export type ListedLink = Link & Partial<Pick<LinkListItem, 'phone' | 'email' | 'dueDate'>>;

export interface LinkPage {
  items: ListedLink[];
  nextCursor: string | null;
}

/** `skipped`/`error` optional: scripted answers in tests may leave them out */
export type BulkJob = Omit<BulkJobView, 'skipped' | 'error' | 'createdAt' | 'completedAt'> &
  Partial<Pick<BulkJobView, 'skipped' | 'error' | 'createdAt' | 'completedAt'>>;

export interface ErrorDetail {
  field?: string;
  message?: string;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * The message plus each bad field it does not already name, e.g.
   * "2 fields are invalid: loanId must not be empty; limit must be between 1 and 200".
   */
  describe(): string {
    const message = this.message.replace(/\b(body|query|path|header)\.(?=\w)/g, '');
    const parts = this.details
      .filter((d) => d.message)
      .map((d) => (d.field ? `${fieldLabel(d.field)} ${d.message}` : String(d.message)))
      .filter((d) => !message.includes(d) && !message.includes(d.replace(/^\S+ /, '')));
    return parts.length > 0 ? `${message.replace(/[.:]?$/, ':')} ${parts.join('; ')}` : message;
  }
}

const STATUS_WORDS: Record<number, string> = {
  400: 'The server could not understand the request',
  401: 'You are not logged in, or your session has ended: log in again',
  403: 'You are not allowed to do this',
  404: 'Not found',
  409: 'This conflicts with the current state; reload and try again',
  413: 'The request is too large',
  429: 'Too many requests; wait a moment and try again',
  500: 'Something went wrong on the server',
  502: 'The payment provider is unavailable; try again shortly',
  503: 'The service is busy or unavailable; try again shortly',
  504: 'The server took too long to answer; try again',
};

export const NETWORK_MESSAGE =
  'Cannot reach the server. Check your connection and that the service is running, then try again.';

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.describe();
  if (err instanceof Error && err.name === 'AbortError') return 'The request was cancelled';
  return NETWORK_MESSAGE;
}

interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
}

export async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  path: string,
  opts: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(opts.query ?? {})) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const url = qs.size > 0 ? `${path}?${qs}` : path;
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const send = async (token: string): Promise<Response> => {
    try {
      return await fetch(url, {
        method,
        headers: { ...headers, authorization: `Bearer ${token}` },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') throw err;
      throw new ApiError(NETWORK_MESSAGE, 0, 'NETWORK');
    }
  };
  // every /api call carries the access token; a 401 renews it once and retries, and when that
  // does not help the person is asked to log in again
  const token = await accessToken();
  if (!token) {
    endSession();
    throw new ApiError(STATUS_WORDS[401]!, 401, 'UNAUTHENTICATED');
  }
  let res = await send(token);
  if (res.status === 401) {
    const renewed = await renewAfter401(token);
    if (renewed) res = await send(renewed);
    if (res.status === 401) endSession();
  }
  const text = await res.text().catch(() => '');
  let data: unknown;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
      ?.error;
    const message =
      typeof e?.message === 'string' && e.message !== ''
        ? e.message
        : (STATUS_WORDS[res.status] ?? `The server answered with an error (HTTP ${res.status})`);
    const details = Array.isArray(e?.details) ? (e.details as ErrorDetail[]) : [];
    throw new ApiError(
      message,
      res.status,
      typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`,
      details,
    );
  }
  if (data === undefined) {
    throw new ApiError('The server sent an answer this page cannot read', res.status, 'BAD_RESPONSE');
  }
  return { status: res.status, data: data as T };
}

/** GET /api/me (architecture §4a): who is logged in and what they may do */
export interface Me {
  sub: string;
  name: string;
  role: string | null;
  permissions: string[];
  lenders: string[] | '*';
}

/** A payment account as the admin routes answer it (secrets are never answered). */
export interface PaymentAccount {
  accountId: string;
  name: string;
  provider: string;
  keyId: string;
  lenders: string[];
  webhookUrl: string;
  webhookSecretSetAt: string;
}

export interface PaymentAccountInput {
  name: string;
  provider: 'razorpay' | 'eximpe';
  /** Razorpay */
  keyId?: string;
  keySecret?: string;
  /** EximPe */
  clientId?: string;
  clientSecret?: string;
  webhookSecret: string;
  lenders: string[];
}

export const api = {
  accounts: () => request<{ items: PaymentAccount[] }>('GET', '/api/payment-accounts'),
  putAccount: (accountId: string, body: PaymentAccountInput) =>
    request<PaymentAccount>('PUT', `/api/payment-accounts/${encodeURIComponent(accountId)}`, { body }),
  rotateWebhookSecret: (accountId: string, webhookSecret: string) =>
    request<PaymentAccount>('POST', `/api/payment-accounts/${encodeURIComponent(accountId)}/webhook-secret`, {
      body: { webhookSecret },
    }),
  me: () => request<Me>('GET', '/api/me'),
  lenders: () => request<{ lenders: string[] }>('GET', '/api/lenders'),
  pending: (q: {
    lender?: string;
    bucket: string;
    withinDays?: number;
    sort?: string;
    cursor?: string | null;
    limit?: number;
  }) => request<PendingPage>('GET', '/api/payment-links/pending-emis', { query: q }),
  generate: (
    body: { loanId: string; emiNumber?: number; scope?: 'loan'; forceNew?: boolean },
    idempotencyKey: string,
  ) =>
    request<Link>('POST', '/api/payment-links/generate', {
      body,
      headers: { 'idempotency-key': idempotencyKey },
    }),
  links: (q: {
    status?: string;
    lender?: string;
    loanId?: string;
    emiNumber?: number;
    attention?: boolean;
    from?: string;
    to?: string;
    cursor?: string | null;
    limit?: number;
  }) =>
    request<LinkPage>('GET', '/api/payment-links/list', {
      query: { ...q, attention: q.attention ? 'true' : undefined },
    }),
  refresh: (id: string) =>
    request<Link>('POST', `/api/payment-links/${encodeURIComponent(id)}/refresh-status`),
  cancel: (id: string) => request<Link>('POST', `/api/payment-links/${encodeURIComponent(id)}/cancel`),
  bulkStart: (body: { lender?: string; bucket: string; withinDays?: number; scope?: 'loan' }) =>
    request<BulkJob>('POST', '/api/payment-links/bulk-generate-export', { body }),
  bulkJobs: (limit = 10) =>
    request<{ items: BulkJob[]; nextCursor: string | null }>('GET', '/api/payment-links/bulk-jobs', {
      query: { limit },
    }),
  bulkJob: (jobId: string) =>
    request<BulkJob>('GET', `/api/payment-links/bulk-jobs/${encodeURIComponent(jobId)}`),
  dashboard: (q: { lender?: string }) => request<Dashboard>('GET', '/api/dashboard', { query: q }),
  search: (q: string) => request<SearchPage>('GET', '/api/search', { query: { q } }),
  startImport: (fileName: string) => request<StartedImport>('POST', '/api/imports', { body: { fileName } }),
  importStatus: (importId: string) =>
    request<ImportStatus>('GET', `/api/imports/${encodeURIComponent(importId)}`),
};

/** A fresh Idempotency-Key (works outside secure contexts too, unlike crypto.randomUUID). */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
