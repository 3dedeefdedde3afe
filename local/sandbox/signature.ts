/** The two HMACs Razorpay uses, reproduced byte for byte. */
import { createHmac } from 'node:crypto';

/** hex(HMAC-SHA256(secret, message)): `x-razorpay-signature` over the exact webhook body bytes. */
export function hmacSha256Hex(secret: string, message: string | Buffer): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

/**
 * `razorpay_signature` of a payment-link callback redirect: signed with the API key secret over
 * `link id|reference id|status|payment id` (reference id empty when the link has none).
 */
export function callbackSignature(
  keySecret: string,
  fields: { linkId: string; referenceId: string; status: string; paymentId: string },
): string {
  return hmacSha256Hex(
    keySecret,
    `${fields.linkId}|${fields.referenceId}|${fields.status}|${fields.paymentId}`,
  );
}
