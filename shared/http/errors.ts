/**
 * The one place that turns errors into HTTP responses. Domain errors map by `instanceof`;
 * anything else is a generic 500 whose detail goes to the log only (never to the caller).
 */
import {
  AppError,
  AuthUnavailableError,
  ConflictError,
  ForbiddenError,
  GatewayAuthError,
  GatewayNotFoundError,
  GatewayRateLimitedError,
  GatewayRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
  IdempotencyInProgressError,
  IdempotencyMismatchError,
  MalformedBodyError,
  NotFoundError,
  PayloadTooLargeError,
  RefundOutcomeUnknownError,
  RefundRefusedError,
  TooManyRequestsError,
  UnauthenticatedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../domain/errors';
import { log } from '../log';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown[] };
}

export interface HttpErrorResponse {
  statusCode: number;
  body: ErrorBody;
  headers?: Record<string, string>;
}

function body(code: string, message: string, details?: unknown[]): ErrorBody {
  return { error: details && details.length > 0 ? { code, message, details } : { code, message } };
}

export function toHttpError(err: unknown): HttpErrorResponse {
  if (err instanceof ValidationError) {
    return { statusCode: err.semantic ? 422 : 400, body: body(err.code, err.message, err.details) };
  }
  if (err instanceof MalformedBodyError) return { statusCode: 400, body: body(err.code, err.message) };
  if (err instanceof UnsupportedMediaTypeError) return { statusCode: 415, body: body(err.code, err.message) };
  if (err instanceof PayloadTooLargeError) return { statusCode: 413, body: body(err.code, err.message) };
  if (err instanceof NotFoundError) return { statusCode: 404, body: body(err.code, err.message) };
  if (err instanceof UnauthenticatedError) {
    return {
      statusCode: 401,
      body: body(err.code, err.message),
      // RFC 6750 §3: a bare challenge when no token came, `invalid_token` when one did
      headers: { 'www-authenticate': err.tokenPresented ? 'Bearer error="invalid_token"' : 'Bearer' },
    };
  }
  if (err instanceof ForbiddenError)
    return { statusCode: 403, body: body(err.code, err.message, err.details) };
  if (err instanceof AuthUnavailableError) {
    log.error('identity provider keys unavailable', { err });
    return { statusCode: 503, body: body(err.code, err.message), headers: { 'retry-after': '5' } };
  }
  if (err instanceof UnauthorizedError) return { statusCode: 401, body: body(err.code, err.message) };
  if (err instanceof ConflictError) return { statusCode: 409, body: body(err.code, err.message) };
  if (err instanceof TooManyRequestsError) {
    return { statusCode: 429, body: body(err.code, err.message), headers: { 'retry-after': '60' } };
  }
  if (err instanceof IdempotencyMismatchError) return { statusCode: 422, body: body(err.code, err.message) };
  if (err instanceof IdempotencyInProgressError) {
    return { statusCode: 409, body: body(err.code, err.message), headers: { 'retry-after': '1' } };
  }
  if (err instanceof RefundRefusedError) {
    return {
      statusCode: 502,
      body: body(err.code, err.message, [{ field: 'paymentId', message: err.reason }]),
    };
  }
  if (err instanceof RefundOutcomeUnknownError) {
    return { statusCode: 503, body: body(err.code, err.message), headers: { 'retry-after': '5' } };
  }
  if (err instanceof GatewayRejectedError) {
    return {
      statusCode: 422,
      body: body(err.code, err.message, err.field ? [{ field: err.field, message: err.reason }] : undefined),
    };
  }
  if (err instanceof GatewayRateLimitedError) {
    return {
      statusCode: 503,
      body: body(err.code, `${err.provider} is rate-limiting requests; try again in a few seconds`),
      headers: { 'retry-after': '5' },
    };
  }
  if (err instanceof GatewayTimeoutError) {
    return {
      statusCode: 503,
      body: body(err.code, `${err.provider} did not answer in time; try again shortly`),
    };
  }
  if (err instanceof GatewayUnavailableError) {
    return { statusCode: 502, body: body(err.code, `${err.provider} is unavailable; try again shortly`) };
  }
  if (err instanceof GatewayAuthError) {
    log.error('razorpay refused our credentials', { err });
    return {
      statusCode: 502,
      body: body(err.code, `${err.provider} refused our credentials; an operator must check them`),
    };
  }
  if (err instanceof GatewayNotFoundError) {
    return { statusCode: 502, body: body(err.code, `${err.provider} does not know this link`) };
  }
  if (err instanceof Error && err.name === 'TimeoutError') {
    // the function's time ran out (middy answers just before Lambda would) or a call it made timed
    // out: what finished stays finished, and every write route is safe to repeat
    log.warn('request timed out', { err });
    return {
      statusCode: 503,
      body: body('TIMEOUT', 'The request took too long; what was done stays done. Try again'),
      headers: { 'retry-after': '5' },
    };
  }
  if (err instanceof AppError) {
    log.error('unmapped application error', { err });
    return { statusCode: 500, body: body('INTERNAL_ERROR', 'Something went wrong on our side') };
  }
  log.error('unhandled error', { err });
  return { statusCode: 500, body: body('INTERNAL_ERROR', 'Something went wrong on our side') };
}
