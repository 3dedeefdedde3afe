/**
 * The answer of `GET /api/payment-links/{id}` (architecture §4c): the Link plus its failed
 * attempts, refunds, siblings and timeline. Kept beside responses.ts (same conventions) so the
 * OpenAPI description and the use case's type come from one schema.
 */
import * as z from 'zod/mini';
import { LINK_STATUSES } from '../domain/model';
import { LINK_EVENT_TYPES } from '../domain/timeline';
import { actorRefSchema, coverSchema, linkSchema } from './responses';

type Meta = { id?: string; description?: string; example?: unknown };

function doc<T extends z.ZodMiniType>(schema: T, meta: Meta): T {
  z.globalRegistry.add(schema, meta);
  return schema;
}

const paise = (description: string) => doc(z.int().check(z.minimum(0)), { description });

export const linkAttemptSchema = doc(
  z.strictObject({
    paymentId: doc(z.string(), { description: "Razorpay's payment id (pay_…)" }),
    amount: paise('paise'),
    method: z.string(),
    errorReason: doc(z.nullable(z.string()), { description: "Razorpay's reason, when it gave one" }),
    at: doc(z.iso.datetime(), { description: 'when the attempt was made' }),
  }),
  { id: 'LinkAttempt', description: 'A failed payment attempt (from `payment.failed`): no money moved.' },
);

export const linkSiblingSchema = doc(
  z.strictObject({ id: z.string(), status: z.enum(LINK_STATUSES), amount: paise('paise') }),
  { id: 'LinkSibling', description: 'Another link of the same EMI (of a covered EMI, for a loan link).' },
);

export const linkEventSchema = doc(
  z.strictObject({
    at: doc(z.iso.datetime(), { description: 'when it happened (a payment: when Razorpay took it)' }),
    type: z.enum(LINK_EVENT_TYPES),
    actor: doc(z.nullable(actorRefSchema), {
      description: 'who did it; null when Razorpay or the system did',
    }),
    detail: doc(z.nullable(z.record(z.string(), z.unknown())), {
      description:
        'what changed: amounts (paise), payment ids, `via`, `reason`, the new `expireBy`, … — never a borrower’s name, phone or e-mail',
    }),
  }),
  { id: 'LinkEvent', description: 'One entry of a link’s timeline, written when it happened.' },
);

export const linkRefundSchema = doc(
  z.strictObject({
    refundId: doc(z.string(), { description: 'ours (`rfd_…`): Razorpay’s `receipt` and idempotency key' }),
    providerRefundId: doc(z.nullable(z.string()), {
      description: 'Razorpay’s (`rfnd_…`); null until Razorpay confirmed it',
    }),
    paymentId: doc(z.string(), { description: 'the refunded payment (pay_…), captured on this link' }),
    amount: paise('paise'),
    status: doc(z.enum(['pending', 'processed', 'failed']), {
      description:
        '`pending` holds the amount against the surplus; `processed`: the money went back; `failed`: the amount is back in the surplus',
    }),
    reason: doc(z.nullable(z.string()), {
      description: 'why the admin refunded it; null for refunds made elsewhere',
    }),
    requestedAt: z.iso.datetime(),
    requestedBy: z.nullable(actorRefSchema),
    failureReason: doc(z.nullable(z.string()), {
      description: 'Razorpay’s reason when it refused or failed it',
    }),
    external: doc(z.boolean(), {
      description: 'made outside this tool (Razorpay’s Dashboard), learnt from a webhook',
    }),
  }),
  { id: 'LinkRefund', description: 'A refund of surplus money on one of the link’s payments.' },
);

export const linkDetailSchema = doc(
  z.strictObject({
    ...linkSchema.shape,
    reminders: doc(z.nullable(z.boolean()), {
      description: 'Razorpay sends its reminders for this link (null: links made before this was kept)',
    }),
    attempts: z.array(linkAttemptSchema),
    refunds: doc(z.array(linkRefundSchema), {
      description: 'refunds of surplus money on this link, oldest first',
    }),
    refundable: doc(
      z.array(
        z.strictObject({
          paymentId: z.string(),
          surplus: paise('the money the EMI did not need, flagged when the payment was credited'),
          left: paise('what may still be refunded: the surplus minus refunds pending or processed'),
        }),
      ),
      {
        description:
          'the payments with surplus money (only while the link is flagged or has refunds; otherwise empty)',
      },
    ),
    siblings: z.array(linkSiblingSchema),
    allocations: doc(z.array(z.strictObject({ paymentId: z.string(), emis: z.array(coverSchema) })), {
      description:
        'a loan link: how each captured payment was credited to the covered EMIs, oldest first (a surplus sits on the newest); empty for an EMI link',
    }),
    events: doc(z.array(linkEventSchema), { description: 'the timeline, oldest first' }),
  }),
  {
    id: 'LinkDetail',
    description: 'One link in full: the Link, its attempts, refunds, siblings and timeline.',
  },
);
export type LinkDetail = z.infer<typeof linkDetailSchema>;

export const refundResultSchema = doc(z.strictObject({ refund: linkRefundSchema, link: linkDetailSchema }), {
  id: 'RefundResult',
  description: 'The refund as it stands (pending until Razorpay reports it processed) and the link in full.',
});
