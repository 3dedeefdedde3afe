/**
 * Upsert loans with their EMI schedules.
 *
 * Steps, per loan (loans run a few at a time):
 *   1. read the loan's current items (consistent Query on its partition);
 *   2. merge: new or changed EMIs are written, EMIs missing from the new schedule are marked
 *      removed (they leave the pending index at once, their links and credits stay), unchanged
 *      EMIs are not written at all;
 *   3. each EMI write is conditional on the version read in step 1, so a payment credited
 *      concurrently is never overwritten: on a conflict the loan is re-read and merged again.
 * The whole request is validated before the first write (the handler's schema), and so is
 * the caller's lender scope: a loan of a lender outside it, or an existing loan filed under such
 * a lender, is a 403 for the whole request before anything is written. The actor is recorded on
 * each loan as `updatedBy`.
 */
import * as z from 'zod/mini';
import { type Actor, actorRef } from '../auth/actor';
import { mayAccessLender } from '../auth/scope';
import type { Clock } from '../domain/dates';
import { ConflictError, type FieldIssue, ForbiddenError, ValidationError } from '../domain/errors';
import type { ActorRef, Emi } from '../domain/model';
import { CURRENCY } from '../domain/money';
import type { EmiStore } from '../domain/ports';
import {
  dueDateSchema,
  emiNumberSchema,
  lenderSchema,
  loanIdSchema,
  paiseSchema,
  safeTextSchema,
} from '../schemas/common';
import type { UpsertLoansResult } from '../schemas/responses';

export const MAX_LOANS_PER_REQUEST = 500;
export const MAX_EMIS_PER_LOAN = 600;

const emiInputSchema = z.strictObject({
  emiNumber: emiNumberSchema,
  dueDate: dueDateSchema,
  amount: z.int().check(z.minimum(1, 'must be at least 1 paisa'), z.maximum(100_000_000_000)),
  amountPaid: z.optional(paiseSchema),
});

const loanInputSchema = z.strictObject({
  loanId: loanIdSchema,
  lender: lenderSchema,
  clientName: safeTextSchema(120),
  phone: z.string().check(z.regex(/^\+?[0-9]{8,14}$/, 'must be 8 to 14 digits, optionally starting with +')),
  email: z.optional(z.email('must be a valid email address')),
  emis: z.array(emiInputSchema).check(z.minLength(1), z.maxLength(MAX_EMIS_PER_LOAN)),
});

export const upsertLoansSchema = z.strictObject({
  loans: z.array(loanInputSchema).check(z.minLength(1), z.maxLength(MAX_LOANS_PER_REQUEST)),
});

export type UpsertLoansInput = z.infer<typeof upsertLoansSchema>;
type LoanInput = UpsertLoansInput['loans'][number];

export type { UpsertLoansResult };

/** Cross-field rules zod cannot express per field; all problems reported together. */
export function checkLoansSemantics(input: UpsertLoansInput): void {
  const issues: FieldIssue[] = [];
  const seenLoans = new Map<string, number>();
  input.loans.forEach((loan, i) => {
    const prev = seenLoans.get(loan.loanId);
    if (prev !== undefined) {
      issues.push({ field: `loans.${i}.loanId`, message: `duplicates loans.${prev}.loanId in this request` });
    }
    seenLoans.set(loan.loanId, i);
    const seenEmis = new Map<number, number>();
    loan.emis.forEach((emi, j) => {
      const prevEmi = seenEmis.get(emi.emiNumber);
      if (prevEmi !== undefined) {
        issues.push({
          field: `loans.${i}.emis.${j}.emiNumber`,
          message: `duplicates loans.${i}.emis.${prevEmi}.emiNumber (${emi.emiNumber})`,
        });
      }
      seenEmis.set(emi.emiNumber, j);
      if ((emi.amountPaid ?? 0) > emi.amount) {
        issues.push({ field: `loans.${i}.emis.${j}.amountPaid`, message: 'must not exceed amount' });
      }
    });
  });
  if (issues.length > 0) {
    const first = issues[0]!;
    throw new ValidationError(
      issues.length === 1 ? `${first.field} ${first.message}` : `${issues.length} fields are invalid`,
      issues,
      true,
    );
  }
}

function sameEmi(a: Emi, b: Emi): boolean {
  return (
    a.lender === b.lender &&
    a.clientName === b.clientName &&
    a.phone === b.phone &&
    a.email === b.email &&
    a.dueDate === b.dueDate &&
    a.amount === b.amount &&
    a.amountPaidExternal === b.amountPaidExternal &&
    a.removed === b.removed
  );
}

/** The EMI as the request says it, keeping what only we know (credits, links) from `prev`. */
function emiFrom(loan: LoanInput, input: LoanInput['emis'][number], prev: Emi | undefined, now: string): Emi {
  return {
    loanId: loan.loanId,
    lender: loan.lender,
    clientName: loan.clientName,
    phone: loan.phone,
    email: loan.email,
    emiNumber: input.emiNumber,
    dueDate: input.dueDate,
    amount: input.amount,
    amountPaidExternal: input.amountPaid ?? 0,
    amountCredited: prev?.amountCredited ?? 0,
    currency: CURRENCY,
    links: prev?.links ?? {},
    removed: false,
    version: (prev?.version ?? 0) + 1,
    updatedAt: now,
  };
}

/** 403 unless every loan, as sent and as already filed, is one of the caller's lenders'. */
async function checkLenderScope(store: EmiStore, input: UpsertLoansInput, actor: Actor): Promise<void> {
  if (actor.lenders === '*') return;
  const issues: FieldIssue[] = [];
  input.loans.forEach((loan, i) => {
    if (!mayAccessLender(actor, loan.lender)) {
      issues.push({ field: `loans.${i}.lender`, message: 'is not one of your lenders' });
    }
  });
  if (issues.length === 0) {
    const filed = await Promise.all(input.loans.map((loan) => store.getLoanLender(loan.loanId)));
    filed.forEach((lender, i) => {
      if (lender !== null && !mayAccessLender(actor, lender)) {
        issues.push({
          field: `loans.${i}.loanId`,
          message: 'is filed under a lender that is not one of yours',
        });
      }
    });
  }
  if (issues.length > 0) {
    throw new ForbiddenError(
      issues.length === 1
        ? `${issues[0]!.field} ${issues[0]!.message}`
        : `${issues.length} loans are outside your lenders`,
      issues,
    );
  }
}

async function upsertOne(
  store: EmiStore,
  loan: LoanInput,
  now: string,
  counts: UpsertLoansResult['emis'],
  by: ActorRef,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const local = { created: 0, updated: 0, unchanged: 0, removed: 0 };
    const { emis: existing } = await store.getLoanItems(loan.loanId);
    const byNumber = new Map(existing.map((e) => [e.emiNumber, e]));
    const writes: { emi: Emi; expected: number }[] = [];

    for (const input of loan.emis) {
      const prev = byNumber.get(input.emiNumber);
      byNumber.delete(input.emiNumber);
      const next = emiFrom(loan, input, prev, now);
      if (!prev) {
        local.created++;
        writes.push({ emi: next, expected: 0 });
      } else if (sameEmi(prev, next)) {
        local.unchanged++;
      } else {
        local.updated++;
        writes.push({ emi: next, expected: prev.version });
      }
    }
    // EMIs no longer in the schedule leave the pending list; their links and credits stay.
    for (const gone of byNumber.values()) {
      if (gone.removed) continue;
      local.removed++;
      writes.push({
        emi: { ...gone, removed: true, version: gone.version + 1, updatedAt: now },
        expected: gone.version,
      });
    }

    const results = await Promise.all(writes.map((w) => store.putEmiIfVersion(w.emi, w.expected)));
    if (results.every(Boolean)) {
      await store.putLoan(
        {
          loanId: loan.loanId,
          lender: loan.lender,
          clientName: loan.clientName,
          phone: loan.phone,
          email: loan.email,
        },
        now,
        by,
      );
      counts.created += local.created;
      counts.updated += local.updated;
      counts.unchanged += local.unchanged;
      counts.removed += local.removed;
      return;
    }
    // someone (a payment credit, a link) changed an EMI meanwhile: re-read and merge again;
    // writes that did land are idempotent under the re-merge.
  }
  throw new ConflictError(
    'CONCURRENT_UPDATE',
    `Loan ${loan.loanId} is changing too often right now; retry the request`,
  );
}

export async function upsertLoans(
  deps: { emis: EmiStore; clock: Clock; concurrency?: number },
  input: UpsertLoansInput,
  actor: Actor,
): Promise<UpsertLoansResult> {
  checkLoansSemantics(input);
  await checkLenderScope(deps.emis, input, actor);
  const by = actorRef(actor);
  const now = deps.clock.now().toISOString();
  const counts = { created: 0, updated: 0, unchanged: 0, removed: 0 };
  const lenders = [...new Set(input.loans.map((l) => l.lender))];
  await Promise.all(lenders.map((l) => deps.emis.putLender(l)));
  const queue = [...input.loans];
  const workers = Array.from({ length: Math.min(deps.concurrency ?? 8, queue.length) }, async () => {
    for (let loan = queue.shift(); loan; loan = queue.shift()) {
      await upsertOne(deps.emis, loan, now, counts, by);
    }
  });
  await Promise.all(workers);
  return { loans: input.loans.length, emis: counts };
}

/**
 * Loads loans into tables that are known to be empty (the local runtime's demo data on a fresh
 * start): the same validation and the same items as upsertLoans creating every EMI, written
 * with batch writes instead of a read and a conditional put per EMI — 5,000 EMIs in a second
 * or two instead of several. Never use it on a table that may hold data: it overwrites.
 */
export async function seedLoansIntoEmptyTable(
  deps: { emis: EmiStore; clock: Clock },
  input: UpsertLoansInput,
): Promise<UpsertLoansResult> {
  const parsed = upsertLoansSchema.parse(input);
  checkLoansSemantics(parsed);
  const now = deps.clock.now().toISOString();
  const emis = parsed.loans.flatMap((loan) => loan.emis.map((e) => emiFrom(loan, e, undefined, now)));
  await deps.emis.batchPutIntoEmptyTable({
    lenders: [...new Set(parsed.loans.map((l) => l.lender))],
    loans: parsed.loans.map(({ emis: _emis, ...loan }) => loan),
    emis,
    now,
  });
  return {
    loans: parsed.loans.length,
    emis: { created: emis.length, updated: 0, unchanged: 0, removed: 0 },
  };
}
