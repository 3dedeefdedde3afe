/** Loans for tests, with due dates relative to today's India-time date. */
import { addDays, istDate } from '../../shared/domain/dates';

export const today = () => istDate(new Date());

export interface LoanFixture {
  loanId: string;
  lender: string;
  clientName: string;
  phone: string;
  email?: string;
  emis: { emiNumber: number; dueDate: string; amount: number; amountPaid?: number }[];
}

/** A loan with EMIs due at the given offsets (days from today; negative = overdue). */
export function loan(loanId: string, lender: string, offsets: number[], amount = 250_000): LoanFixture {
  return {
    loanId,
    lender,
    clientName: `Client ${loanId}`,
    phone: '+919876543210',
    email: `${loanId.toLowerCase()}@example.com`,
    emis: offsets.map((d, i) => ({ emiNumber: i + 1, dueDate: addDays(today(), d), amount })),
  };
}
