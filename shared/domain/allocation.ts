/**
 * A loan link's money, split across the EMIs it covers (architecture §4c: "allocated to the
 * covered EMIs oldest first"). Pure arithmetic on integer paise, shared by the crediting path
 * (shared/usecases/sync-link.ts) and its unit tests.
 */
import type { Allocation, Cover, Emi } from './model';
import { emiOutstanding } from './model';

/**
 * Loan links cover at most this many EMIs. Creating one writes the link, each covered EMI (its
 * anchor), the loan's pending summary and the dashboard's counters (one day, one month and one
 * DPD item per EMI at worst) in one DynamoDB transaction of ≤ 100 items; a payment adds the
 * ledger entry. 24 EMIs (two years of monthly instalments) keep that under 80 items. A loan
 * further behind gets a link for its oldest 24 overdue EMIs (the link's `covers` says which);
 * once those are paid, the next link covers the rest.
 */
export const MAX_LOAN_LINK_EMIS = 24;

/** Oldest first: due date, then EMI number (two EMIs may share a due date). */
export function byDueDate(
  a: Pick<Emi, 'dueDate' | 'emiNumber'>,
  b: Pick<Emi, 'dueDate' | 'emiNumber'>,
): number {
  return a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.emiNumber - b.emiNumber;
}

/** The loan's overdue EMIs a new loan link covers (due before `today`, IST; something outstanding). */
export function overdueCovers(emis: readonly Emi[], today: string): { covers: Cover[]; overdue: number } {
  const overdue = emis
    .filter((e) => !e.removed && e.dueDate < today && emiOutstanding(e) > 0)
    .sort(byDueDate);
  return {
    covers: overdue
      .slice(0, MAX_LOAN_LINK_EMIS)
      .map((e) => ({ emiNumber: e.emiNumber, amount: emiOutstanding(e) })),
    overdue: overdue.length,
  };
}

export interface Split {
  /** what each EMI takes, oldest first, each at most its outstanding; EMIs taking nothing left out */
  applied: Allocation[];
  /** what no covered EMI owed (flagged `overpaid`, never dropped) */
  surplus: number;
}

/**
 * Splits `amount` across `emis` (taken in due-date order, whatever order they come in): each
 * takes at most what it still owes, the oldest first; a partial payment fills the oldest and
 * part-pays the next. `Σ applied + surplus = amount`, exactly.
 */
export function allocate(
  amount: number,
  emis: readonly Pick<Emi, 'emiNumber' | 'dueDate' | 'amount' | 'amountPaidExternal' | 'amountCredited'>[],
): Split {
  let left = amount;
  const applied: Allocation[] = [];
  for (const emi of [...emis].sort(byDueDate)) {
    if (left === 0) break;
    const take = Math.min(left, emiOutstanding(emi));
    if (take > 0) {
      applied.push({ emiNumber: emi.emiNumber, amount: take });
      left -= take;
    }
  }
  return { applied, surplus: left };
}

/**
 * What each EMI record is credited with: the split, and the surplus on the newest covered EMI,
 * so the EMIs' credited sums always equal the money received (as an overpaid EMI link's EMI
 * holds all of its payment); its outstanding stays 0 and the link carries the flag.
 */
export function creditsOf(split: Split, newestEmiNumber: number): Allocation[] {
  if (split.surplus === 0) return split.applied;
  const out = split.applied.map((a) => ({ ...a }));
  const last = out.find((a) => a.emiNumber === newestEmiNumber);
  if (last) last.amount += split.surplus;
  else out.push({ emiNumber: newestEmiNumber, amount: split.surplus });
  return out;
}
