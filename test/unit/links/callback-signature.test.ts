/** The payment-link callback signature (reference.md §3.5), with Razorpay's verified vector. */
import { describe, expect, it } from 'vitest';
import { verifyCallbackSignature } from '../../../shared/domain/webhook-signature';

const fields = {
  linkId: 'plink_IH3cNucfVEgV68',
  referenceId: 'TSsd1989',
  status: 'paid',
  paymentId: 'pay_IH3d0ara9bSsjQ',
};
const SECRET = 'EnLs21M47BllR3X8PSFtjtbd';
const SIGNATURE = '07ae18789e35093e51d0a491eb9922646f3f82773547e5b0f67ee3f2d3bf7d5b';

describe('verifyCallbackSignature', () => {
  it("accepts Razorpay's documented vector (key secret over link|reference|status|payment)", () => {
    expect(verifyCallbackSignature(fields, SIGNATURE, SECRET)).toBe(true);
  });

  it('refuses any changed field, another secret, a missing or malformed signature', () => {
    expect(verifyCallbackSignature({ ...fields, status: 'partially_paid' }, SIGNATURE, SECRET)).toBe(false);
    expect(verifyCallbackSignature({ ...fields, paymentId: 'pay_IH3d0ara9bSsjR' }, SIGNATURE, SECRET)).toBe(
      false,
    );
    expect(verifyCallbackSignature(fields, SIGNATURE, 'another-secret')).toBe(false);
    expect(verifyCallbackSignature(fields, SIGNATURE, '')).toBe(false);
    expect(verifyCallbackSignature(fields, undefined, SECRET)).toBe(false);
    expect(verifyCallbackSignature(fields, SIGNATURE.slice(2), SECRET)).toBe(false);
    expect(verifyCallbackSignature(fields, `${SIGNATURE.slice(0, 63)}z`, SECRET)).toBe(false);
  });
});
