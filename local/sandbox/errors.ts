/**
 * Razorpay's error bodies. Two families are observed (reference §2.1) and each endpoint family
 * keeps its own:
 * - gateway-level errors (auth, routing, throttling, server errors): `source/step/reason` are the
 *   string "NA" and `metadata` is `{}`;
 * - payment-link validation errors: `metadata` is `[]` (a PHP empty array) and
 *   `reason/source/step` are `null`.
 */

export type ErrorBody = { error: Record<string, unknown> };

/** An error answer of the /v1 API: thrown by validation and state rules, turned into a response once. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(String(body.error['description']));
    this.name = 'ApiError';
  }
}

export function gatewayErrorBody(description: string, code = 'BAD_REQUEST_ERROR'): ErrorBody {
  return { error: { code, description, source: 'NA', step: 'NA', reason: 'NA', metadata: {} } };
}

export function linkErrorBody(description: string): ErrorBody {
  return {
    error: { code: 'BAD_REQUEST_ERROR', description, metadata: [], reason: null, source: null, step: null },
  };
}

/** A payment-links validation or state error (always 400, as Razorpay answers them). */
export function linkError(description: string, status = 400): ApiError {
  return new ApiError(status, linkErrorBody(description));
}

export const INVALID_API_KEY = 'The api key provided is invalid';
export const URL_NOT_FOUND = 'The requested URL was not found on the server';
export const TOO_MANY_REQUESTS = 'Too many requests';
export const SERVER_ERROR =
  'We are facing some trouble completing your request at the moment. Please try again shortly.';

/** Exact description texts of the payment-links API (reference §2.3). */
export const MSG = {
  amountBlank: 'amount: cannot be blank.',
  amountWhole: 'amount, should be a whole number for e.g. 2234 to create a payment link for INR 22.34.',
  amountMin: 'amount: amount should be minimum 100 for INR.',
  amountMax: 'amount exceeds maximum amount allowed.',
  currency:
    'amount: currency: wrong input field, please find the list of supported currencies on the documentation.',
  upiCurrency: 'upi is currently supported only in indian currency',
  upiTestMode: 'UPI Payment Links is not supported in Test Mode. Please experience the product in Live Mode.',
  upiPartial: 'partial payment not supported in upi link',
  partialMin: 'first_min_partial_amount: amount should be minimum 100 for INR.',
  partialMax: 'first_min_partial_amount must be less than or equal to amount.',
  referenceLength: 'reference_id: the length must be no more than 40.',
  referenceDuplicate: 'payment link creation with reference ID already attempted',
  expireTooSoon: 'timestamp must be atleast 15 minutes in future',
  expireNotInteger: 'incorrect JSON object received - faulty key: expire_by.',
  /** [inferred] Razorpay documents the six-month cap but not its error text. */
  expireTooLate: 'timestamp must not be more than 6 months in future',
  notesValueLength: 'value: the length must not be greater than 255.',
  /** [inferred] the 15-pair limit is documented without its text; Laravel's max-items wording, like the receipt error. */
  notesCount: 'The notes may not have more than 15 items.',
  extraFields: 'extra fields sent.',
  email: 'email: must be in a valid format for e.g. abcxyz@domain.com.',
  contact: 'contact: the length must be between 8 and 14.',
  callbackUrl: 'callback_url: URL should be sent in callback_url field.',
  callbackMethod: 'callback_method: must be a valid value.',
  idNotFound: 'The id provided does not exist',
  cancelPaid: 'cannot cancel or expire an already paid/partially paid link',
  cancelExpired: 'cannot cancel or expire an expired link',
  updateState: 'update can only be made in created or partially paid state',
  notifyMedium: 'not a valid notification medium',
  notifyIdLength: 'Length of id should be exactly 14.',
  notifyThrottled: 'Request rate limit exceeded. Please try again later.',
  receiptLength: 'The receipt may not be greater than 40 characters.',
  /** [inferred] refunds: Razorpay documents the rules (amount ≤ captured − refunded) but not every text */
  refundAmountTooLarge: 'The refund amount provided is greater than amount captured',
  refundFully: 'The payment has been fully refunded already',
  refundNotCaptured: 'Only captured payments can be refunded',
  refundAmountInvalid: 'The amount must be an integer.',
  /** [inferred] what the sandbox answers in `refundMode: "refused"` */
  refundRefused: 'Refund could not be initiated for this payment',
  /** [inferred] a body that is not JSON; Razorpay's exact text is unknown. */
  badJson: 'incorrect JSON object received.',
} as const;

export const extraFieldsInState = (status: string): string => `extra fields sent in state ${status}`;
export const invalidStrippedId = (stripped: string): string => `invalid input [strippedId] = [${stripped}]`;
export const invalidId = (id: string): string => `invalid input [id] = [${id}]`;
