/**
 * Typed domain errors. Use cases throw these; shared/http/errors.ts maps them to HTTP
 * responses in one place with `instanceof` (never by message text). Anything that is not
 * an AppError becomes a generic 500 whose detail goes only to the log.
 */

export interface FieldIssue {
  /** dotted path of the bad field, e.g. `loans.3.emis.0.amount` or `query.limit` */
  field: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input failed validation (400 or 422). */
export class ValidationError extends AppError {
  readonly code = 'VALIDATION_FAILED';
  constructor(
    message: string,
    readonly details: FieldIssue[] = [],
    /** 422 when the input is well-formed but semantically unacceptable */
    readonly semantic = false,
  ) {
    super(message);
  }
}

export class MalformedBodyError extends AppError {
  readonly code = 'MALFORMED_BODY';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
}

export class PayloadTooLargeError extends AppError {
  readonly code = 'PAYLOAD_TOO_LARGE';
}

export class NotFoundError extends AppError {
  readonly code = 'NOT_FOUND';
}

export class UnauthorizedError extends AppError {
  readonly code = 'UNAUTHORIZED';
}

/**
 * No usable access token (missing, garbled, expired, another issuer's or client's, a bad
 * signature, not an access token): 401 with `WWW-Authenticate: Bearer` (architecture §4a).
 * `reason` is for the log only; the caller sees one message whatever went wrong.
 */
export class UnauthenticatedError extends AppError {
  readonly code = 'UNAUTHENTICATED';
  constructor(
    readonly reason: string,
    readonly tokenPresented: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      tokenPresented
        ? 'The access token is invalid or has expired; log in again'
        : 'This route needs Authorization: Bearer <access token>',
      options,
    );
  }
}

/** A valid token that may not do this: no such permission, no known role, no lenders, another lender (403). */
export class ForbiddenError extends AppError {
  readonly code = 'FORBIDDEN';
  constructor(
    message: string,
    readonly details: FieldIssue[] = [],
  ) {
    super(message);
  }
}

/** The identity provider's keys could not be fetched: nobody can be verified right now (503). */
export class AuthUnavailableError extends AppError {
  readonly code = 'AUTH_UNAVAILABLE';
}

/** The request conflicts with the current state (e.g. EMI already paid, link not open). */
export class ConflictError extends AppError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The provider throttles this action (e.g. Razorpay's per-link resend limit): 429, try later. */
export class TooManyRequestsError extends AppError {
  readonly code = 'TOO_MANY_REQUESTS';
}

/** An Idempotency-Key was reused with a different request body. */
export class IdempotencyMismatchError extends AppError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
}

/** A request with this Idempotency-Key is still being processed. */
export class IdempotencyInProgressError extends AppError {
  readonly code = 'IDEMPOTENCY_KEY_IN_PROGRESS';
}

/** A missing or malformed environment variable: fails the cold start, names the variable. */
export class ConfigError extends AppError {
  readonly code = 'CONFIG_ERROR';
}

// ---- payment provider failures (raised only by the provider adapters) ----

export abstract class GatewayError extends AppError {
  /** safe to retry the same call */
  abstract readonly retryable: boolean;
  /** what went wrong, whichever provider it was: the code's second half */
  protected abstract readonly failure: string;
  /** the provider that failed, as people read it (the HTTP answer names it) */
  provider = 'Razorpay';

  /** `RAZORPAY_TIMEOUT`, `EXIMPE_TIMEOUT`, …: the provider's name, then the failure */
  get code(): string {
    return `${this.provider.toUpperCase()}_${this.failure}`;
  }
}

/** The provider refused the request (HTTP 400 with a reason); retrying cannot help. */
export class GatewayRejectedError extends GatewayError {
  protected readonly failure = 'REJECTED';
  readonly retryable = false;
  constructor(
    /** Razorpay's own `error.description`, safe to show (it describes our request) */
    readonly reason: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(`Razorpay rejected the request: ${reason}`, options);
  }
}

/**
 * The provider refused to cancel a link because it is no longer open: `paid` (paid or
 * partially paid) or `closed` (expired, or already cancelled — Razorpay answers the same text
 * for both). Use cases switch on `because`; only the adapter knows the provider's wording.
 */
export class GatewayNotCancellableError extends GatewayRejectedError {
  constructor(
    readonly because: 'paid' | 'closed',
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, undefined, options);
  }
}

/** The provider says the entity does not exist. */
export class GatewayNotFoundError extends GatewayError {
  protected readonly failure = 'NOT_FOUND';
  readonly retryable = false;
}

/** The provider answered 429. */
export class GatewayRateLimitedError extends GatewayError {
  protected readonly failure = 'RATE_LIMITED';
  readonly retryable = true;
}

/** The provider answered 5xx, or could not be reached. */
export class GatewayUnavailableError extends GatewayError {
  protected readonly failure = 'UNAVAILABLE';
  readonly retryable = true;
}

/** The provider did not answer in time; the request may or may not have taken effect. */
export class GatewayTimeoutError extends GatewayError {
  protected readonly failure = 'TIMEOUT';
  readonly retryable = true;
}

/** Our own credentials were refused (401): an operator must fix the configuration. */
export class GatewayAuthError extends GatewayError {
  protected readonly failure = 'AUTH_FAILED';
  readonly retryable = false;
}

/** The provider refused a refund (its reason is safe to show): 502, nothing was refunded. */
export class RefundRefusedError extends AppError {
  readonly code = 'REFUND_REFUSED';
  constructor(
    message: string,
    /** the provider's own words */
    readonly reason: string,
  ) {
    super(message);
  }
}

/**
 * The provider did not confirm a refund (no answer, 5xx, 429) and a look-up did not find it:
 * 503 with Retry-After. The refund stays `pending` (its amount reserved); a retry with the same
 * Idempotency-Key looks it up before anything is sent again.
 */
export class RefundOutcomeUnknownError extends AppError {
  readonly code = 'REFUND_PENDING';
}
