/**
 * How Razorpay signs webhooks (a rule of the provider's contract, pure: no secret loading here —
 * shared/adapters/razorpay/signature.ts reads the secrets). Razorpay webhook signatures: `X-Razorpay-Signature` = hex(HMAC-SHA256(webhook secret, raw
 * body bytes)) (reference.md §3.4). Verify the bytes exactly as received — never a parsed and
 * re-serialised body — with a constant-time compare. During a secret rotation Razorpay keeps
 * signing older events (and their retries) with the old secret, so every given secret is tried.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

function bytes(rawBody: Buffer | string): Buffer {
  return typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
}

/** Hex HMAC-SHA256 of the raw body, as Razorpay (and the local sandbox) signs it. */
export function signWebhookBody(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(bytes(rawBody)).digest('hex');
}

/**
 * True when the header is the body's signature under any of the secrets. A missing, non-hex
 * or wrong-length header is simply false (no throw). Every secret is checked, so the time
 * taken does not reveal which one matched.
 */
export function verifyWebhookSignature(
  rawBody: Buffer | string,
  signatureHeader: string | undefined,
  secrets: string[],
): boolean {
  if (signatureHeader === undefined) return false;
  const candidate = signatureHeader.trim();
  if (!SHA256_HEX.test(candidate)) return false;
  const given = Buffer.from(candidate, 'hex');
  const body = bytes(rawBody);
  let matched = false;
  for (const secret of secrets) {
    if (secret === '') continue;
    const expected = createHmac('sha256', secret).update(body).digest();
    // both are 32 bytes here, as timingSafeEqual requires
    if (timingSafeEqual(expected, given)) matched = true;
  }
  return matched;
}

/**
 * `razorpay_signature` of a payment-link callback redirect (reference.md §3.5): hex
 * HMAC-SHA256 under the account's API key secret (not the webhook secret) over
 * `link id|reference id|status|payment id` (an absent reference id is empty). Compared in
 * constant time; a missing or malformed signature is simply false.
 */
export function verifyCallbackSignature(
  fields: { linkId: string; referenceId: string; status: string; paymentId: string },
  signature: string | undefined,
  keySecret: string,
): boolean {
  if (signature === undefined || !SHA256_HEX.test(signature) || keySecret === '') return false;
  const message = `${fields.linkId}|${fields.referenceId}|${fields.status}|${fields.paymentId}`;
  const expected = createHmac('sha256', keySecret).update(message, 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
