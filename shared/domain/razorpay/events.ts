/**
 * Razorpay webhook bodies, as far as we read them (reference.md §3). Tolerant by design: unknown
 * fields pass through (`looseObject`), entities we do not read are left alone, and
 * Razorpay's shape quirks are normalised — `notes` as an object, `[]`, `null` or `[{key,value}]`
 * becomes a Record<string, string>; an absent or null optional text becomes `null`; an empty
 * `error_code`/`error_description` (card samples send "") becomes `null`.
 *
 * zod/mini keeps the webhook Lambda's bundle small (~15 KB instead of ~440 KB for classic zod).
 */
import * as z from 'zod/mini';
import { MalformedBodyError, ValidationError } from '../errors';
import { RAZORPAY_LINK_STATUSES as LINK_STATUSES } from '../gateway';
import { normaliseNotes } from './notes';

const notes = z.pipe(z.unknown(), z.transform(normaliseNotes));

/** string, or null when absent/null */
const text = z.pipe(
  z.nullish(z.string()),
  z.transform((value): string | null => value ?? null),
);

/** like `text`, and "" also means none */
const errorText = z.pipe(
  z.nullish(z.string()),
  z.transform((value): string | null =>
    value === undefined || value === null || value === '' ? null : value,
  ),
);

export const webhookPaymentSchema = z.looseObject({
  id: z.string(),
  amount: z.number(),
  currency: z.string(),
  /** created | authorized | captured | failed | refunded */
  status: z.string(),
  method: text,
  order_id: text,
  /** for link payments `#<plink id without "plink_">` */
  description: text,
  notes,
  created_at: z.number(),
  error_code: errorText,
  error_description: errorText,
});

export const webhookPaymentLinkSchema = z.looseObject({
  id: z.string(),
  /** "" when the link has none */
  reference_id: z.pipe(
    z.nullish(z.string()),
    z.transform((value) => value ?? ''),
  ),
  status: z.enum(LINK_STATUSES),
  amount: z.number(),
  amount_paid: z.number(),
  currency: z.optional(z.string()),
  notes,
  /** present once the customer opened checkout */
  order_id: text,
  created_at: z.optional(z.number()),
  /** use this (not the envelope's created_at, which is the link's creation time) for ordering */
  updated_at: z.nullish(z.number()),
});

export const webhookOrderSchema = z.looseObject({
  /** `order_…` in real traffic; the docs samples show an internal id without the prefix */
  id: z.string(),
  /** the link's reference_id for link orders */
  receipt: text,
  notes,
  amount: z.optional(z.number()),
  amount_paid: z.number(),
  status: z.string(),
});

export const webhookRefundSchema = z.looseObject({
  id: z.string(),
  amount: z.number(),
  currency: z.string(),
  payment_id: z.string(),
  /** pending | processed | failed */
  status: z.string(),
  /** what we sent as receipt (our refund id); null for refunds made in Razorpay's Dashboard */
  receipt: text,
  notes,
  created_at: z.optional(z.number()),
});

const wrapped = <T extends z.ZodMiniType>(entity: T) => z.optional(z.looseObject({ entity }));

export const webhookEventSchema = z.looseObject({
  event: z.string(),
  account_id: z.optional(z.string()),
  contains: z.optional(z.array(z.string())),
  payload: z.looseObject({
    payment: wrapped(webhookPaymentSchema),
    payment_link: wrapped(webhookPaymentLinkSchema),
    order: wrapped(webhookOrderSchema),
    refund: wrapped(webhookRefundSchema),
  }),
  /**
   * Unix seconds. For `payment_link.*` it is the LINK's creation time, not the event's; the
   * documented `refund.speed_changed` sample has none.
   */
  created_at: z.optional(z.number()),
});

export type WebhookEvent = z.output<typeof webhookEventSchema>;
export type WebhookPayment = z.output<typeof webhookPaymentSchema>;
export type WebhookPaymentLink = z.output<typeof webhookPaymentLinkSchema>;
export type WebhookOrder = z.output<typeof webhookOrderSchema>;
export type WebhookRefund = z.output<typeof webhookRefundSchema>;

export type WebhookParseResult =
  | { ok: true; event: WebhookEvent }
  | { ok: false; error: MalformedBodyError | ValidationError };

/**
 * Parses a webhook body: raw bytes or text (after the signature check), or an already parsed
 * value. Never throws; the error names the bad fields, never their values.
 */
export function parseWebhookEvent(body: Buffer | string | object): WebhookParseResult {
  let value: unknown = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      value = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
    } catch {
      return { ok: false, error: new MalformedBodyError('Webhook body is not valid JSON') };
    }
  }
  const parsed = webhookEventSchema.safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data };
  const details = parsed.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
  return {
    ok: false,
    error: new ValidationError(
      `Webhook body does not match the expected shape (${details.length} issues)`,
      details,
    ),
  };
}
