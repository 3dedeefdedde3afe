/**
 * Payment accounts at the edge (architecture §4b): the admin routes' input and answers. Secrets
 * appear only in input schemas; no answer schema has a field that could carry one.
 */
import * as z from 'zod/mini';
import { ACCOUNT_ID, MAX_LENDERS_PER_ACCOUNT, PROVIDERS, RAZORPAY_KEY_ID } from '../domain/accounts';
import { lenderSchema, safeTextSchema } from './common';

const META = z.globalRegistry;

export const accountIdSchema = z
  .string()
  .check(z.regex(ACCOUNT_ID, 'must be 3 to 32 characters: lower-case letters, digits or "-"'));

export const accountIdPathSchema = z.strictObject({ accountId: accountIdSchema });

/** Razorpay key ids: `rzp_test_…` or `rzp_live_…`. */
const keyIdSchema = z.string().check(z.regex(RAZORPAY_KEY_ID, 'must look like rzp_test_… or rzp_live_…'));

/** A secret: printable ASCII, no spaces; never echoed back (errors say what is wrong, not the value). */
const secretSchema = () =>
  z
    .string()
    .check(
      z.minLength(8, 'must be at least 8 characters'),
      z.maxLength(256, 'must be at most 256 characters'),
      z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
    );

/** EximPe's client id (`X-Client-ID`): an identifier, shown like a key id. */
const clientIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_.-]{3,128}$/, 'must be 3 to 128 letters, digits, ".", "_" or "-"'));

/** EximPe's `X-API-Version`: `1.0.0`, `2.0.0`, … */
const apiVersionSchema = z.string().check(z.regex(/^[1-9]\d?\.\d{1,3}\.\d{1,3}$/, 'must look like 1.0.0'));

/**
 * `provider: "razorpay"` (the default) takes `keyId` + `keySecret`; `provider: "eximpe"` takes
 * `clientId` + `clientSecret` and an optional `apiVersion` (default 1.0.0). Both take the
 * `webhookSecret` their webhooks are signed with. Another provider's fields are refused.
 */
export const putAccountSchema = z
  .strictObject({
    name: safeTextSchema(80),
    provider: z._default(z.enum(PROVIDERS), 'razorpay'),
    keyId: z.optional(keyIdSchema),
    keySecret: z.optional(secretSchema()),
    clientId: z.optional(clientIdSchema),
    clientSecret: z.optional(secretSchema()),
    apiVersion: z.optional(apiVersionSchema),
    webhookSecret: secretSchema(),
    lenders: z.array(lenderSchema).check(
      z.maxLength(MAX_LENDERS_PER_ACCOUNT, `at most ${MAX_LENDERS_PER_ACCOUNT} lenders per account`),
      z.refine((l) => new Set(l).size === l.length, 'must not name a lender twice'),
    ),
  })
  .check(
    z.superRefine((v, ctx) => {
      const fields: Record<string, [string[], string[]]> = {
        razorpay: [
          ['keyId', 'keySecret'],
          ['clientId', 'clientSecret', 'apiVersion'],
        ],
        eximpe: [
          ['clientId', 'clientSecret'],
          ['keyId', 'keySecret'],
        ],
      };
      const [needed, foreign] = fields[v.provider] ?? [[], []];
      const given = v as Record<string, unknown>;
      for (const f of needed) {
        if (given[f] === undefined)
          ctx.issues.push({
            code: 'custom',
            path: [f],
            message: `is required for provider ${v.provider}`,
            input: v,
          });
      }
      for (const f of foreign) {
        if (given[f] !== undefined)
          ctx.issues.push({
            code: 'custom',
            path: [f],
            message: `is not a field of provider ${v.provider}`,
            input: v,
          });
      }
    }),
  );
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
    'A payment account (a Razorpay merchant or an EximPe merchant): its public key id (EximPe: client id), lenders and webhook URL. Secrets are write-only and never appear here.',
});
export type PaymentAccountView = z.infer<typeof paymentAccountSchema>;

export const paymentAccountListSchema = z.strictObject({ items: z.array(paymentAccountSchema) });
META.add(paymentAccountListSchema, { id: 'PaymentAccountList' });
