/**
 * Turns whatever the razorpay SDK rejects with into the typed Gateway* errors of the domain.
 *
 * The SDK (2.9.8) rejects with:
 * - a plain object `{statusCode, error}` for HTTP errors (`error` is undefined for non-JSON
 *   bodies such as a proxy's 502 page);
 * - a bare string for a missing id (`Payment Link ID is mandatory`);
 * - `TypeError: Cannot read properties of undefined (reading 'status')` for network errors and
 *   timeouts, because its normalizeError assumes `err.response`. The gateway installs an axios
 *   interceptor (transportFailure below) so that case arrives as `{statusCode: 0, error:
 *   <typed error>}` with its cause kept; the TypeError branch remains as a fallback.
 *
 * Messages never carry credentials, customer data or response bodies: only the status, the
 * network error code and Razorpay's own `error.description` (which describes our request).
 */
import {
  GatewayAuthError,
  GatewayError,
  GatewayNotCancellableError,
  GatewayNotFoundError,
  GatewayRateLimitedError,
  GatewayRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
} from '../../domain/errors';
import { isRecord } from '../../domain/records';

/** Razorpay's descriptions the adapter acts on (exact texts: reference.md §2.3). */
export const RAZORPAY_REASONS = {
  notFound: 'The id provided does not exist',
  referenceAlreadyAttempted: 'payment link creation with reference ID already attempted',
  cannotCancelExpired: 'cannot cancel or expire an expired link',
  cannotCancelPaid: 'cannot cancel or expire an already paid/partially paid link',
  updateInProgress: 'an update is already in progress',
} as const;

/** Network failures after which the request may have reached Razorpay and taken effect. */
const outcomeUnknown = new WeakSet<GatewayError>();

/**
 * True when Razorpay may have applied the request although we got no answer (timeout,
 * connection reset mid-request). A create must then be resolved by reference id, never
 * repeated blindly.
 */
export function isOutcomeUnknown(err: GatewayError): boolean {
  return err instanceof GatewayTimeoutError || outcomeUnknown.has(err);
}

/** Errors raised before a request could have left this process: nothing can have happened. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Classifies an axios error that has no HTTP response (the interceptor calls this). The
 * original error is not kept as `cause`: axios errors carry the request config, including
 * the Basic-auth credentials, and causes end up in logs. A sanitised Error with the same
 * code and message is kept instead.
 */
export function transportFailure(err: unknown, timeoutMs: number): GatewayError {
  const code = isRecord(err) && typeof err.code === 'string' ? err.code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  const cause = Object.assign(new Error(message), code === undefined ? {} : { code });
  const timedOut =
    code === 'ETIMEDOUT' ||
    (code === 'ECONNABORTED' && /timeout/i.test(message)) ||
    // the wall-clock deadline (AbortSignal.timeout) surfaces as a cancel whose reason is a TimeoutError
    (code === 'ERR_CANCELED' && isTimeoutAbort(err));
  if (timedOut) {
    return new GatewayTimeoutError(`Razorpay did not answer within ${timeoutMs} ms`, { cause });
  }
  const unavailable = new GatewayUnavailableError(`Could not reach Razorpay (${code ?? 'network error'})`, {
    cause,
  });
  if (code === undefined || !NOT_SENT_CODES.has(code)) outcomeUnknown.add(unavailable);
  return unavailable;
}

function isTimeoutAbort(err: unknown): boolean {
  if (!isRecord(err) || !isRecord(err.config)) return false;
  const signal = err.config.signal;
  if (!(signal instanceof AbortSignal) || !signal.aborted) return false;
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'TimeoutError';
}

/** Maps any SDK rejection to a GatewayError (idempotent: GatewayErrors pass through). */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (typeof err === 'string') {
    // the SDK's own argument checks (`Payment Link ID is mandatory`): constant texts, safe to show
    return new GatewayRejectedError(err);
  }
  if (isRecord(err) && 'statusCode' in err) return fromHttpError(err);
  if (err instanceof TypeError && /reading 'status'/.test(err.message)) {
    // normalizeError tripped over a network error that bypassed the interceptor: the cause is lost
    const unavailable = new GatewayUnavailableError('Could not reach Razorpay (no response)', { cause: err });
    outcomeUnknown.add(unavailable);
    return unavailable;
  }
  const unexpected = new GatewayUnavailableError('Unexpected failure calling Razorpay', {
    cause: err instanceof Error ? new Error(err.message) : undefined,
  });
  outcomeUnknown.add(unexpected);
  return unexpected;
}

function fromHttpError(err: Record<string, unknown>): GatewayError {
  const body = err.error;
  // set by the gateway's interceptor for failures without a response
  if (body instanceof GatewayError) return body;
  const status = Number(err.statusCode);
  const detail = isRecord(body) ? body : undefined;
  const description = typeof detail?.description === 'string' ? detail.description : undefined;
  const field = typeof detail?.field === 'string' ? detail.field : undefined;
  // keep the status and Razorpay's error object (code/description/field; no request data) as cause
  const cause = { statusCode: status, error: detail };

  if (status === 401 || status === 403) {
    return new GatewayAuthError(`Razorpay refused our API credentials (${status})`, { cause });
  }
  if (status === 429) return new GatewayRateLimitedError('Razorpay rate limit hit (429)', { cause });
  if (status >= 500) return new GatewayUnavailableError(`Razorpay answered ${status}`, { cause });
  if (status === 408) return new GatewayTimeoutError('Razorpay answered 408 (request timeout)', { cause });
  if (description?.startsWith(RAZORPAY_REASONS.notFound)) {
    return new GatewayNotFoundError(`Razorpay: ${RAZORPAY_REASONS.notFound}`, { cause });
  }
  if (status >= 400 && status < 500) {
    return new GatewayRejectedError(description ?? `Razorpay answered ${status}`, field, { cause });
  }
  return new GatewayUnavailableError(`Razorpay answered an unexpected status ${status}`, { cause });
}

/**
 * A refused cancel as the typed outcome the use cases switch on (other errors unchanged):
 * Razorpay's two "not open any more" texts become GatewayNotCancellableError.
 */
export function cancelRefusal(err: GatewayError): GatewayError {
  if (!(err instanceof GatewayRejectedError) || err instanceof GatewayNotCancellableError) return err;
  if (isRejectedBecause(err, RAZORPAY_REASONS.cannotCancelPaid))
    return new GatewayNotCancellableError('paid', err.reason, { cause: err.cause });
  if (isRejectedBecause(err, RAZORPAY_REASONS.cannotCancelExpired))
    return new GatewayNotCancellableError('closed', err.reason, { cause: err.cause });
  return err;
}

/** A 400 whose description starts with one of RAZORPAY_REASONS. */
export function isRejectedBecause(err: GatewayError, reason: string): boolean {
  return err instanceof GatewayRejectedError && err.reason.toLowerCase().startsWith(reason.toLowerCase());
}
