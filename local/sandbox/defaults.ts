/**
 * Fixed local credentials and addresses of the Razorpay sandbox. The one-machine runtime
 * (`npm start`) and the tests import these so the app and the sandbox agree without any
 * configuration. None of them is a secret: they only ever unlock the local sandbox.
 */

/** A test-mode key id (`rzp_test_` prefix), so UPI links are refused as Razorpay does in test mode. */
export const SANDBOX_KEY_ID = 'rzp_test_LocalSandboxKey1';
export const SANDBOX_KEY_SECRET = 'localsandboxsecret0000000000';
export const SANDBOX_WEBHOOK_SECRET = 'local-webhook-secret';

export const SANDBOX_HOST = '127.0.0.1';
/** Overridable with RAZORPAY_SANDBOX_PORT. */
export const SANDBOX_DEFAULT_PORT = 4010;
/** Where the local API gateway receives Razorpay webhooks (PORT 3000, route `/webhooks/razorpay`). */
export const SANDBOX_DEFAULT_WEBHOOK_URL = 'http://127.0.0.1:3000/webhooks/razorpay';

/** `account_id` in webhook envelopes (Razorpay's shape: `acc_` + 14 characters). */
export const SANDBOX_ACCOUNT_ID = 'acc_LocalSandbox01';

/** How long a stalled request hangs when `hangRate` picks it, unless the config says otherwise. */
export const SANDBOX_DEFAULT_HANG_MS = 10_000;

/** Razorpay allows 5 s for a webhook answer; anything slower counts as a failed delivery. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/**
 * Delay before each retry of a failed webhook delivery (Razorpay's own schedule is unpublished:
 * "exponential backoff for 24 hours"). After the last one the delivery is marked failed.
 */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [
  200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000,
];

/**
 * The second demo merchant (architecture §4b: account `sahyadri`, lender Sahyadri Microfin).
 * Like the first, these only ever unlock the local sandbox.
 */
export const SANDBOX_SAHYADRI_KEY_ID = 'rzp_test_SahyadriSandbox1';
export const SANDBOX_SAHYADRI_KEY_SECRET = 'localsahyadrisecret000000000';
export const SANDBOX_SAHYADRI_WEBHOOK_SECRET = 'local-sahyadri-webhook-secret';
