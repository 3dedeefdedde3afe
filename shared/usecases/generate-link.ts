/**
 * Generate a payment link for one EMI.
 *
 * Steps:
 *   1. re-check the EMI with a strongly consistent read (unknown, or another lender's than the
 *      caller's → the same 404; settled → 409);
 *   2. work out amount, expiry and partial-payment options (422 when Razorpay would refuse);
 *   3. resolve links left unresolved on the EMI by an earlier timeout (looked up by their
 *      reference id: adopted when Razorpay has them);
 *   4. reuse an open link of the same amount (unless forceNew); wait for one being created;
 *   5. claim: the link record (`creating`) and its entry on the EMI anchor in ONE transaction
 *      guarded by the EMI's version — concurrent requests for one EMI serialise here, and the
 *      losers re-read and reuse the winner's link;
 *   6. create at Razorpay with reference_id = our link id (deterministic: a retry or timeout
 *      recovery finds the same link, never a second one);
 *   7. record the answer: created, or failed with Razorpay's reason (or unresolved when
 *      Razorpay never answered), and re-check the EMI: if money landed on a sibling
 *      meanwhile, cancel the new link at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { mayAccessLender } from '../auth/scope';
import {
  type AccountRef,
  noLinkAtProvider,
  PROVIDER_NAMES,
  type Provider,
  type ProviderFeature,
  supports,
} from '../domain/accounts';
import { sleepOn } from '../domain/dates';
import {
  ConflictError,
  GatewayError,
  GatewayRejectedError,
  NotFoundError,
  ValidationError,
} from '../domain/errors';
import type { CreateLinkRequest } from '../domain/gateway';
import {
  type ActorRef,
  type CancelReason,
  type Emi,
  type EmiLinkRef,
  emiOutstanding,
  type Link,
  OPEN_STATUSES,
} from '../domain/model';
import { CURRENCY, MIN_LINK_AMOUNT_PAISE, paiseToRupeesString } from '../domain/money';
import type { StoredLink } from '../domain/ports';
import { log } from '../log';
import { metrics } from '../metrics';
import { correlate } from '../observe';
import { emiNumberSchema, loanIdSchema } from '../schemas/common';
import { anchorEmis, bump, gatewayOf, type LinkDeps, withRef } from './link-deps';
import { type LinkView, toLinkView } from './link-view';
import {
  applyObservation,
  cancelAtRazorpay,
  observationFromGatewayLink,
  updateWithAnchor,
} from './sync-link';

/** Razorpay wants expire_by ≥ 15 minutes ahead; we keep a minute of margin for clock skew. */
export const MIN_EXPIRY_SECONDS = 16 * 60;
/** Razorpay allows at most six months; 180 days stays inside it whatever the month lengths. */
export const MAX_EXPIRY_SECONDS = 180 * 24 * 60 * 60;
/** A link this close to expiry is not worth handing out again. */
const REUSE_MIN_REMAINING_SECONDS = 15 * 60;
/** How long another request's in-flight create is awaited before it is considered stuck. */
const CREATING_WAIT_MS = 10_000;
export const CREATING_STALE_MS = 60_000;

export const linkOptionsSchema = {
  amount: z.optional(
    z.int().check(z.minimum(MIN_LINK_AMOUNT_PAISE, `must be at least ${MIN_LINK_AMOUNT_PAISE} paise`)),
  ),
  expireBy: z.optional(
    z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time, e.g. 2026-12-01T18:30:00Z' }),
  ),
  acceptPartial: z.optional(z.boolean()),
  minPartialAmount: z.optional(
    z.int().check(z.minimum(MIN_LINK_AMOUNT_PAISE, `must be at least ${MIN_LINK_AMOUNT_PAISE} paise`)),
  ),
  notify: z.optional(z.strictObject({ sms: z.optional(z.boolean()), email: z.optional(z.boolean()) })),
  reminders: z.optional(z.boolean()),
  forceNew: z.optional(z.boolean()),
  /** a Razorpay UPI link (`upi_link`): UPI only, no partial payments (reference.md §1.4) */
  upiLink: z.optional(z.boolean()),
};

/** `emi` (default): a link for one EMI (`emiNumber`); `loan`: one for the loan's overdue EMIs. */
export const LINK_SCOPES = ['emi', 'loan'] as const;
export const scopeSchema = z.enum(LINK_SCOPES, { error: 'must be "emi" or "loan"' });

export const generateLinkSchema = z.strictObject({
  loanId: loanIdSchema,
  /** required with scope `emi`, refused with scope `loan` (checked by `scopeOf`) */
  emiNumber: z.optional(emiNumberSchema),
  scope: z.optional(scopeSchema),
  ...linkOptionsSchema,
});

export type GenerateRequest = z.infer<typeof generateLinkSchema>;
export type GenerateLinkInput = Omit<GenerateRequest, 'scope' | 'emiNumber'> & { emiNumber: number };
export type LinkOptions = Omit<GenerateRequest, 'loanId' | 'emiNumber' | 'scope'>;

/**
 * Which link a generate body asks for: one EMI's (it names `emiNumber`) or the loan's (it names
 * only `loanId`). The other combinations are a 400 naming `emiNumber`.
 */
export function scopeOf(
  body: GenerateRequest,
): { scope: 'emi'; input: GenerateLinkInput } | { scope: 'loan'; input: LoanLinkInput } {
  const { scope = 'emi', emiNumber, ...rest } = body;
  if (scope === 'loan') {
    if (emiNumber !== undefined)
      throw new ValidationError(
        'emiNumber must be absent with scope "loan": the link covers every overdue EMI',
        [{ field: 'emiNumber', message: 'must be absent with scope "loan"' }],
      );
    if (rest.amount !== undefined)
      throw new ValidationError(
        'amount must be absent with scope "loan": the link asks for the overdue EMIs\' sum',
        [{ field: 'amount', message: 'must be absent with scope "loan"' }],
      );
    return { scope, input: rest };
  }
  if (emiNumber === undefined)
    throw new ValidationError('emiNumber is required (or scope "loan" for the whole overdue amount)', [
      { field: 'emiNumber', message: 'is required with scope "emi"' },
    ]);
  return { scope, input: { ...rest, emiNumber } };
}

/** A loan link's request: the loan and the link options (the amount is the overdue sum). */
export type LoanLinkInput = Omit<GenerateRequest, 'scope' | 'emiNumber'>;

export interface GenerateResult {
  reused: boolean;
  link: LinkView;
}

/** Link ids are also Razorpay reference ids (≤ 40 chars): `lnk_` + 24 base32hex chars. */
export function newLinkId(seed?: string): string {
  const bytes = seed ? createHash('sha256').update(seed).digest().subarray(0, 15) : randomBytes(15);
  return `lnk_${bytes
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 20)}`;
}

export interface Plan {
  amount: number;
  expireBy: number;
  acceptPartial: boolean;
  minPartialAmount?: number;
  upiLink: boolean;
}

/** Razorpay's UPI links take no partial payments ("partial payment not supported in upi link"). */
export const UPI_NO_PARTIAL = 'is not allowed on a UPI link: Razorpay takes no partial payments there';

function semantic(field: string, message: string): ValidationError {
  return new ValidationError(`${field} ${message}`, [{ field, message }], true);
}

export function planLink(emi: Emi, opts: LinkOptions, nowSeconds: number, defaultExpiryDays: number): Plan {
  const outstanding = emiOutstanding(emi);
  const amount = opts.amount ?? outstanding;
  if (opts.amount === undefined && outstanding < MIN_LINK_AMOUNT_PAISE) {
    throw semantic(
      'amount',
      `outstanding ₹${paiseToRupeesString(outstanding)} is below Razorpay's minimum of ₹1; collect it another way`,
    );
  }
  if (amount > outstanding) {
    throw semantic(
      'amount',
      `must not exceed the outstanding ${outstanding} paise (₹${paiseToRupeesString(outstanding)})`,
    );
  }
  let expireBy = nowSeconds + defaultExpiryDays * 24 * 60 * 60;
  if (opts.expireBy !== undefined) {
    expireBy = Math.floor(Date.parse(opts.expireBy) / 1000);
    if (expireBy < nowSeconds + MIN_EXPIRY_SECONDS)
      throw semantic('expireBy', 'must be at least 16 minutes in the future');
    if (expireBy > nowSeconds + MAX_EXPIRY_SECONDS)
      throw semantic('expireBy', 'must be at most 180 days in the future');
  }
  const acceptPartial = opts.acceptPartial ?? false;
  const upiLink = opts.upiLink ?? false;
  if (upiLink && acceptPartial) throw semantic('acceptPartial', UPI_NO_PARTIAL);
  if (opts.minPartialAmount !== undefined) {
    if (!acceptPartial) throw semantic('minPartialAmount', 'is allowed only with acceptPartial: true');
    if (opts.minPartialAmount > amount)
      throw semantic('minPartialAmount', `must not exceed the link amount ${amount}`);
  }
  return {
    amount,
    expireBy,
    acceptPartial,
    minPartialAmount: acceptPartial ? opts.minPartialAmount : undefined,
    upiLink,
  };
}

export function reusable(
  ref: EmiLinkRef,
  amount: number,
  nowSeconds: number,
  upiLink = false,
  scope: 'emi' | 'loan' = 'emi',
): boolean {
  return (
    OPEN_STATUSES.includes(ref.status) &&
    // a loan link on the EMI's anchor answers only a request for a loan link, and vice versa
    (ref.scope ?? 'emi') === scope &&
    ref.amount === amount &&
    // a UPI link answers only a request for one, and a standard link only a standard request
    (ref.upiLink ?? false) === upiLink &&
    Boolean(ref.shortUrl) &&
    (ref.expireBy === 0 || ref.expireBy > nowSeconds + REUSE_MIN_REMAINING_SECONDS)
  );
}

/** Waits for another request's in-flight create of `linkId` to finish. */
export async function awaitCreation(deps: LinkDeps, linkId: string): Promise<StoredLink | null> {
  const until = deps.clock.now().getTime() + CREATING_WAIT_MS;
  let delay = 25;
  // bounded by count too: a clock that stands still (a test's) must not wait forever
  for (let i = 0; i < 64 && deps.clock.now().getTime() < until; i++) {
    const link = await deps.links.getLink(linkId);
    if (link?.status !== 'creating') return link;
    await sleepOn(deps.clock, delay);
    delay = Math.min(delay * 2, 400);
  }
  return deps.links.getLink(linkId);
}

/** Adopts (or fails for good) links an earlier create left unresolved: Razorpay never answered. */
export async function resolveUnresolved(deps: LinkDeps, emi: Emi, nowMs: number): Promise<boolean> {
  let changed = false;
  for (const ref of Object.values(emi.links)) {
    const stale = ref.status === 'creating' && nowMs - Date.parse(ref.createdAt) > CREATING_STALE_MS;
    if (!(ref.status === 'failed' || stale)) continue;
    const found = await (await gatewayOf(deps, ref)).findLinkByReferenceId(ref.linkId);
    if (found) {
      await applyObservation(deps, ref.linkId, observationFromGatewayLink(found));
    } else {
      const { code, message } = noLinkAtProvider(ref.provider);
      await finishFailed(deps, ref.linkId, code, message, false);
    }
    changed = true;
  }
  return changed;
}

/**
 * An option the lender's provider cannot honour is a 422 naming it, never a silent no-op. Only
 * what the request asks for counts: the deployment's defaults (LINK_NOTIFY_*, LINK_REMINDERS) are
 * Razorpay's and simply do not apply to other providers.
 */
export function refuseUnsupported(provider: Provider, opts: LinkOptions): void {
  const asked: [string, ProviderFeature, boolean][] = [
    ['acceptPartial', 'partialPayments', opts.acceptPartial === true],
    ['minPartialAmount', 'partialPayments', opts.minPartialAmount !== undefined],
    ['notify', 'notify', opts.notify?.sms === true || opts.notify?.email === true],
    ['reminders', 'reminders', opts.reminders === true],
  ];
  const issues = asked
    .filter(([, feature, wanted]) => wanted && !supports(provider, feature))
    .map(([field]) => ({
      field,
      message: `is not supported by this lender's provider (${PROVIDER_NAMES[provider]})`,
    }));
  if (issues.length > 0) {
    throw new ValidationError(
      `${issues.map((i) => i.field).join(', ')} ${issues.length > 1 ? 'are' : 'is'} not supported by this lender's provider (${PROVIDER_NAMES[provider]})`,
      issues,
      true,
    );
  }
}

/** Records a link as failed: for good, or `unresolved` when Razorpay never answered. */
export async function finishFailed(
  deps: LinkDeps,
  linkId: string,
  code: string,
  message: string,
  unresolved: boolean,
): Promise<void> {
  await updateWithAnchor(deps, linkId, (link, now) =>
    link.status === 'creating' || link.status === 'failed'
      ? { ...bump(link, now), status: 'failed', error: { code, message, unresolved } }
      : null,
  );
}

function createRequest(
  link: Link,
  emis: readonly Emi[],
  opts: LinkOptions,
  deps: LinkDeps,
): CreateLinkRequest {
  const emi = emis[0]!;
  const loanScope = link.scope === 'loan';
  const numbers = (link.covers ?? []).map((c) => c.emiNumber).join(', ');
  return {
    amount: link.amount,
    currency: CURRENCY,
    description: loanScope
      ? `Overdue EMIs ${numbers} of loan ${emi.loanId}`.slice(0, 2048)
      : `EMI ${emi.emiNumber} of loan ${emi.loanId} (due ${emi.dueDate})`,
    referenceId: link.referenceId,
    customer: { name: emi.clientName, contact: emi.phone, email: emi.email },
    expireBy: link.expireBy,
    acceptPartial: link.acceptPartial,
    minPartialAmount: link.minPartialAmount,
    notify: {
      sms: opts.notify?.sms ?? deps.settings.notifySms,
      email: opts.notify?.email ?? deps.settings.notifyEmail,
    },
    reminderEnable: opts.reminders ?? deps.settings.reminders,
    ...(deps.settings.payReturnUrl ? { callbackUrl: deps.settings.payReturnUrl } : {}),
    ...(link.upiLink ? { upiLink: true } : {}),
    notes: {
      link_id: link.id,
      loan_id: emi.loanId,
      // a loan link: the EMIs it covers (notes values hold 256 characters: 24 numbers fit)
      emi_number: loanScope ? numbers.replaceAll(' ', '') : String(emi.emiNumber),
      ...(loanScope ? { scope: 'loan' } : {}),
      lender: emi.lender.slice(0, 255),
    },
  };
}

/**
 * What must happen to a link just created when money moved on its EMIs while the provider was
 * creating it: nothing (null), or cancel it for this reason. A loan link no longer fits when any
 * covered EMI's outstanding differs from what it covers.
 */
function staleReason(link: Link, before: readonly Emi[], after: readonly Emi[]): CancelReason | null {
  if (after.every((e) => emiOutstanding(e) === 0)) return 'emi_settled';
  if (link.scope === 'loan') {
    const covered = new Map((link.covers ?? []).map((c) => [c.emiNumber, c.amount]));
    return after.some((e) => emiOutstanding(e) !== covered.get(e.emiNumber)) ? 'covered_emi_paid' : null;
  }
  return after[0]!.amountCredited > before[0]!.amountCredited ? 'sibling_paid' : null;
}

/** Step 6–7: create at Razorpay and record the answer. Safe to call again for the same link. */
export async function createAtRazorpay(
  deps: LinkDeps,
  link: StoredLink,
  opts: LinkOptions,
): Promise<StoredLink> {
  correlate({ linkId: link.id });
  const emis = await anchorEmis(deps, link);
  try {
    const g = await (await gatewayOf(deps, link)).createLink(createRequest(link, emis, opts, deps));
    const created = await applyObservation(deps, link.id, observationFromGatewayLink(g));
    log.info('link created', {
      linkId: link.id,
      razorpayLinkId: g.id,
      loanId: link.loanId,
      emiNumber: link.emiNumber,
    });
    metrics.linkCreated();
    // money may have landed on a sibling while Razorpay was creating this one
    const reason = staleReason(link, emis, await anchorEmis(deps, link));
    if (reason && created.status === 'created') return cancelAtRazorpay(deps, created, reason);
    return created;
  } catch (err) {
    if (err instanceof GatewayError) metrics.linkFailed();
    if (err instanceof GatewayRejectedError) {
      await finishFailed(deps, link.id, err.code, err.reason, false);
    } else if (err instanceof GatewayError) {
      // outcome unknown (the adapter already looked the reference id up where it could):
      // keep the link unresolved on the EMI so the next attempt or reconciliation finds it
      await finishFailed(deps, link.id, err.code, err.message, true);
    }
    throw err;
  }
}

/**
 * A new link's record, `creating`, written with its anchors before the provider is called: the
 * same fields for an EMI's link and for a loan's (which adds `scope` and `covers`).
 */
export function newLinkRecord(
  who: Pick<StoredLink, 'id' | 'loanId' | 'emiNumber' | 'lender' | 'clientName'> &
    Partial<Pick<StoredLink, 'scope' | 'covers'>>,
  plan: Plan,
  options: Pick<GenerateOptions, 'jobId' | 'createdBy'> & { reminders: boolean },
  account: AccountRef,
  now: string,
): StoredLink {
  return {
    ...who,
    referenceId: who.id,
    amount: plan.amount,
    amountPaid: 0,
    currency: CURRENCY,
    status: 'creating',
    expireBy: plan.expireBy,
    acceptPartial: plan.acceptPartial,
    minPartialAmount: plan.minPartialAmount,
    createdAt: now,
    updatedAt: now,
    payments: [],
    failedAttempts: 0,
    jobId: options.jobId,
    createdBy: options.createdBy,
    reminders: options.reminders,
    ...(plan.upiLink ? { upiLink: true } : {}),
    accountId: account.accountId,
    provider: account.provider,
    rev: 1,
  };
}

export interface GenerateOptions {
  linkId?: string;
  jobId?: string;
  /** who asks: recorded on a new link as `createdBy` */
  createdBy?: ActorRef;
  /** the lenders the caller may work on; another lender's EMI is "not found" */
  lenders: readonly string[] | '*';
}

export async function generateLink(
  deps: LinkDeps,
  input: GenerateLinkInput,
  options: GenerateOptions,
): Promise<GenerateResult> {
  for (let attempt = 0; attempt < 25; attempt++) {
    const nowMs = deps.clock.now().getTime();
    const nowSeconds = Math.floor(nowMs / 1000);
    const emi = await deps.emis.getEmi(input.loanId, input.emiNumber, true);
    if (!emi || emi.removed || !mayAccessLender(options, emi.lender))
      throw new NotFoundError(`EMI ${input.emiNumber} of loan ${input.loanId} not found`);

    // a retried request (same deterministic link id) resumes its own link
    if (options.linkId) {
      const own = await deps.links.getLink(options.linkId);
      if (own) return resume(deps, own, input);
    }
    if (emiOutstanding(emi) === 0)
      throw new ConflictError(
        'EMI_ALREADY_PAID',
        `EMI already paid: EMI ${input.emiNumber} of loan ${input.loanId} has nothing outstanding`,
      );
    const plan = planLink(emi, input, nowSeconds, deps.settings.defaultExpiryDays);
    // the lender's account now; a new link keeps it for life, even if the lender moves later
    const account = await deps.gateways.accountFor(emi.lender);
    refuseUnsupported(account.provider, input);

    if (await resolveUnresolved(deps, emi, nowMs)) continue;

    if (!input.forceNew) {
      const refs = Object.values(emi.links).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      const open = refs.find((r) => reusable(r, plan.amount, nowSeconds, plan.upiLink));
      if (open) {
        const link = await deps.links.getLink(open.linkId);
        if (link) return { reused: true, link: toLinkView(link) };
      }
      const inFlight = refs.find(
        (r) => r.status === 'creating' && r.amount === plan.amount && r.scope !== 'loan',
      );
      if (inFlight) {
        const done = await awaitCreation(deps, inFlight.linkId);
        if (done?.status === 'creating') return resume(deps, done, input);
        continue;
      }
    }

    const now = new Date(nowMs).toISOString();
    const id = options.linkId ?? newLinkId();
    const link = newLinkRecord(
      { id, loanId: emi.loanId, emiNumber: emi.emiNumber, lender: emi.lender, clientName: emi.clientName },
      plan,
      { reminders: input.reminders ?? deps.settings.reminders, ...options },
      account,
      now,
    );
    const outcome = await deps.links.commit({
      link: { link, expectedRev: 0 },
      emi: { emi: withRef(emi, link, now), expectedVersion: emi.version, before: emi },
    });
    if (outcome !== 'ok') continue; // another writer changed the EMI: look again
    const created = await createAtRazorpay(deps, link, input);
    return { reused: false, link: toLinkView(created) };
  }
  throw new ConflictError(
    'CONCURRENT_UPDATE',
    `EMI ${input.emiNumber} of loan ${input.loanId} is changing too fast; try again`,
  );
}

/** Finishes a link whose create may not have completed (a retry, or a stuck creator). */
export async function resume(deps: LinkDeps, link: StoredLink, opts: LinkOptions): Promise<GenerateResult> {
  if (link.status === 'creating' || (link.status === 'failed' && link.error?.unresolved)) {
    const found = await (await gatewayOf(deps, link)).findLinkByReferenceId(link.referenceId);
    const done = found
      ? await applyObservation(deps, link.id, observationFromGatewayLink(found))
      : await createAtRazorpay(deps, link, opts);
    return { reused: false, link: toLinkView(done) };
  }
  return { reused: false, link: toLinkView(link) };
}
