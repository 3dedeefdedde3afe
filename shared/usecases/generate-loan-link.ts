/**
 * Generate one payment link for a loan's whole overdue amount (`scope: "loan"`, architecture §4c).
 *
 * Steps:
 *   1. read the loan's EMIs with a strongly consistent read (unknown, or another lender's than the
 *      caller's → the same 404); the link covers its overdue EMIs (due before today in IST,
 *      something outstanding), oldest first, at most MAX_LOAN_LINK_EMIS; none → 409;
 *   2. work out expiry and partial-payment options as for an EMI's link; the amount is the sum
 *      of what the covered EMIs owe;
 *   3. resolve loan links an earlier timeout left unresolved (by their reference id);
 *   4. reuse an open loan link covering exactly these EMIs for exactly these amounts (unless
 *      forceNew); wait for one being created;
 *   5. claim: the link record (`creating`) and its entry on EVERY covered EMI's anchor in ONE
 *      transaction, each EMI guarded by its version — a payment or another link on any of them
 *      meanwhile makes the claim fail and the request look again;
 *   6. create at the provider with reference_id = our link id, which is deterministic: derived
 *      from the loan and the covered set (EMI numbers and amounts), so a retry after a timeout
 *      finds the same link instead of making a second one (a settled link of the same set moves
 *      the derivation on to its next number);
 *   7. record the answer, and re-check the covered EMIs: if money landed on one meanwhile, the
 *      new link no longer fits and is cancelled at once (`covered_emi_paid`).
 */
import { mayAccessLender } from '../auth/scope';
import { MAX_LOAN_LINK_EMIS, overdueCovers } from '../domain/allocation';
import { istDate } from '../domain/dates';
import { ConflictError, NotFoundError } from '../domain/errors';
import { type Emi, type EmiLinkRef, LOAN_SCOPE_EMI_NUMBER } from '../domain/model';
import { log } from '../log';
import {
  awaitCreation,
  createAtRazorpay,
  type GenerateOptions,
  type GenerateResult,
  type LoanLinkInput,
  newLinkId,
  newLinkRecord,
  planLink,
  refuseUnsupported,
  resolveUnresolved,
  resume,
  reusable,
} from './generate-link';
import { anchorWrites, type LinkDeps } from './link-deps';
import { toLinkView } from './link-view';

/** How many settled links of one covered set the deterministic id steps over before giving up. */
const MAX_GENERATIONS = 50;

function coversKey(covers: readonly { emiNumber: number; amount: number }[]): string {
  return covers.map((c) => `${c.emiNumber}:${c.amount}`).join(',');
}

/** The loan's links registered on its EMIs' anchors (strongly consistent), deduplicated. */
function loanRefs(emis: readonly Emi[]): EmiLinkRef[] {
  const refs = new Map<string, EmiLinkRef>();
  for (const emi of emis)
    for (const ref of Object.values(emi.links)) if (ref.scope === 'loan') refs.set(ref.linkId, ref);
  return [...refs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export async function generateLoanLink(
  deps: LinkDeps,
  input: LoanLinkInput,
  options: GenerateOptions,
): Promise<GenerateResult> {
  for (let attempt = 0; attempt < 25; attempt++) {
    const nowMs = deps.clock.now().getTime();
    const nowSeconds = Math.floor(nowMs / 1000);
    const { emis: all } = await deps.emis.getLoanItems(input.loanId);
    const lender = all[0]?.lender;
    if (lender === undefined || !mayAccessLender(options, lender))
      throw new NotFoundError(`Loan ${input.loanId} not found`);

    // a retried request (same deterministic link id) resumes its own link
    if (options.linkId) {
      const own = await deps.links.getLink(options.linkId);
      if (own) return resume(deps, own, input);
    }
    const { covers, overdue } = overdueCovers(all, istDate(new Date(nowMs)));
    if (covers.length === 0)
      throw new ConflictError(
        'NOTHING_OVERDUE',
        `Loan ${input.loanId} has no overdue EMI with anything outstanding: generate a link for one EMI instead`,
      );
    if (overdue > covers.length)
      log.info('loan link capped', { loanId: input.loanId, overdue, covered: MAX_LOAN_LINK_EMIS });
    const covered = covers.map((c) => all.find((e) => e.emiNumber === c.emiNumber)!);
    const amount = covers.reduce((sum, c) => sum + c.amount, 0);
    // the plan of an EMI owing the whole sum: the same expiry and partial-payment rules
    const plan = planLink(
      { ...covered[0]!, amount, amountPaidExternal: 0, amountCredited: 0 },
      input,
      nowSeconds,
      deps.settings.defaultExpiryDays,
    );
    const account = await deps.gateways.accountFor(lender);
    refuseUnsupported(account.provider, input);

    const refs = loanRefs(covered);
    if (
      await resolveUnresolved(
        deps,
        { ...covered[0]!, links: Object.fromEntries(refs.map((r) => [r.linkId, r])) },
        nowMs,
      )
    )
      continue;

    const key = coversKey(covers);
    if (!input.forceNew) {
      for (const ref of refs.filter((r) => reusable(r, plan.amount, nowSeconds, plan.upiLink, 'loan'))) {
        const link = await deps.links.getLink(ref.linkId);
        if (link && coversKey(link.covers ?? []) === key) return { reused: true, link: toLinkView(link) };
      }
      const inFlight = refs.find((r) => r.status === 'creating' && r.amount === plan.amount);
      if (inFlight) {
        const done = await awaitCreation(deps, inFlight.linkId);
        if (done?.status === 'creating') return resume(deps, done, input);
        continue;
      }
    }

    // the deterministic id: the first of this set's derivations with no link yet (one being made
    // or left unresolved by a timeout is finished instead)
    let id = options.linkId;
    for (let n = 0; id === undefined && n < MAX_GENERATIONS; n++) {
      const candidate = newLinkId(`loan:${input.loanId}:${key}:${plan.upiLink ? 'upi' : 'std'}:${n}`);
      const existing = await deps.links.getLink(candidate);
      if (!existing) id = candidate;
      else if (existing.status === 'creating') {
        const done = await awaitCreation(deps, candidate);
        // another request is making this very link: its answer is ours
        return done?.status === 'creating'
          ? resume(deps, done, input)
          : { reused: true, link: toLinkView(done ?? existing) };
      } else if (existing.status === 'failed' && existing.error?.unresolved)
        return resume(deps, existing, input);
      // settled, or open (whether to reuse it was decided above from the anchors): the next one
    }
    if (id === undefined)
      throw new ConflictError(
        'TOO_MANY_LINKS',
        `Loan ${input.loanId} has had too many links for the same EMIs`,
      );

    const now = new Date(nowMs).toISOString();
    const link = newLinkRecord(
      {
        id,
        loanId: input.loanId,
        emiNumber: LOAN_SCOPE_EMI_NUMBER,
        scope: 'loan',
        covers,
        lender,
        clientName: covered[0]!.clientName,
      },
      plan,
      { reminders: input.reminders ?? deps.settings.reminders, ...options },
      account,
      now,
    );
    const outcome = await deps.links.commit({
      link: { link, expectedRev: 0 },
      ...anchorWrites(covered, link, now),
    });
    if (outcome !== 'ok') continue; // another writer changed an EMI (or made this id): look again
    const created = await createAtRazorpay(deps, link, input);
    return { reused: false, link: toLinkView(created) };
  }
  throw new ConflictError('CONCURRENT_UPDATE', `Loan ${input.loanId} is changing too fast; try again`);
}
