/**
 * Payment accounts at the edge (architecture §4b): the admin routes' input and answers. Secrets
 * appear only in input schemas; no answer schema has a field that could carry one.
 */
import * as z from 'zod/mini';
import { ACCOUNT_ID, MAX_LENDERS_PER_ACCOUNT, PROVIDERS } from '../domain/accounts';
import { lenderSchema, safeTextSchema } from './common';

const META = z.globalRegistry;

export const accountIdSchema = z
  .string()
  .check(z.regex(ACCOUNT_ID, 'must be 3 to 32 characters: lower-case letters, digits or "-"'));

export const accountIdPathSchema = z.strictObject({ accountId: accountIdSchema });

/** Razorpay key ids: `rzp_test_…` or `rzp_live_…`. */
const keyIdSchema = z
  .string()
  .check(z.regex(/^rzp_(test|live)_[A-Za-z0-9]{6,40}$/, 'must look like rzp_test_… or rzp_live_…'));

/** A secret: printable ASCII, no spaces; never echoed back (errors say what is wrong, not the value). */
const secretSchema = () =>
  z
    .string()
    .check(
      z.minLength(8, 'must be at least 8 characters'),
      z.maxLength(256, 'must be at most 256 characters'),
      z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
    );

export const putAccountSchema = z.strictObject({
  name: safeTextSchema(80),
  provider: z._default(z.enum(PROVIDERS), 'razorpay'),
  keyId: keyIdSchema,
  keySecret: secretSchema(),
  webhookSecret: secretSchema(),
  lenders: z.array(lenderSchema).check(
    z.maxLength(MAX_LENDERS_PER_ACCOUNT, `at most ${MAX_LENDERS_PER_ACCOUNT} lenders per account`),
    z.refine((l) => new Set(l).size === l.length, 'must not name a lender twice'),
  ),
});
export type PutAccountInput = z.infer<typeof putAccountSchema>;

export const rotateWebhookSecretSchema = z.strictObject({ webhookSecret: secretSchema() });
export type RotateWebhookSecretInput = z.infer<typeof rotateWebhookSecretSchema>;

export const paymentAccountSchema = z.strictObject({
  accountId: z.string(),
  name: z.string(),
  provider: z.enum(PROVIDERS),
  keyId: z.string(),
  lenders: z.array(z.string()),
  webhookUrl: z.string(),
  webhookSecretSetAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
META.add(paymentAccountSchema, {
  id: 'PaymentAccount',
  description:
    'A payment account (a Razorpay merchant): its public key id, lenders and webhook URL. Secrets are write-only and never appear here.',
});
export type PaymentAccountView = z.infer<typeof paymentAccountSchema>;

export const paymentAccountListSchema = z.strictObject({ items: z.array(paymentAccountSchema) });
META.add(paymentAccountListSchema, { id: 'PaymentAccountList' });
