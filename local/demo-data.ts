/**
 * Demo loans for the one-machine runtime: several lenders, hundreds of loans with monthly
 * EMI schedules around today (India time) — overdue, due within a week, later, partly paid
 * and paid. Shaped like a real book: most loans are current, with a thinning tail through
 * SMA-0, SMA-1, SMA-2 and NPA (RBI's classes by the oldest unpaid EMI's days past due).
 * Deterministic (seeded), fictional names, phone numbers in a reserved-looking range
 * and example.com emails: no real personal data.
 */
import { addDays, istDate } from '../shared/domain/dates';

const LENDERS = ['Kaveri Finance', 'Deccan Credit', 'Sahyadri Microfin'];
const FIRST = [
  'Aarav',
  'Diya',
  'Ishaan',
  'Meera',
  'Kabir',
  'Ananya',
  'Vihaan',
  'Saanvi',
  'Arjun',
  'Kavya',
  'Rohan',
  'Priya',
  'Aditya',
  'Nisha',
  'Farhan',
  'Lakshmi',
  'Gurpreet',
  'Tenzin',
  'Joseph',
  'Fatima',
];
const LAST = [
  'Sharma',
  'Iyer',
  'Reddy',
  'Nair',
  'Patel',
  'Banerjee',
  'Khan',
  'Singh',
  'Das',
  'Menon',
  'Gowda',
  'Joshi',
  'Pillai',
  'Mehta',
  "D'Souza",
  'Chatterjee',
];

/** Small seeded PRNG (mulberry32): the same demo book on every start. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoLoan {
  loanId: string;
  lender: string;
  clientName: string;
  phone: string;
  email: string;
  emis: { emiNumber: number; dueDate: string; amount: number; amountPaid: number }[];
}

export function demoLoans(count = 360, now = new Date()): DemoLoan[] {
  const rand = rng(20261122);
  const today = istDate(now);
  const loans: DemoLoan[] = [];
  for (let i = 0; i < count; i++) {
    const lender = LENDERS[i % LENDERS.length]!;
    const first = FIRST[Math.floor(rand() * FIRST.length)]!;
    const last = LAST[Math.floor(rand() * LAST.length)]!;
    const tenure = [6, 12, 18, 24][Math.floor(rand() * 4)]!;
    // EMI amounts in whole rupees between ₹1,500 and ₹25,000, some with paise
    const amount = (1500 + Math.floor(rand() * 23_500)) * 100 + (rand() < 0.2 ? 50 : 0);
    // the first EMI fell due up to ~10 months ago; every loan has its next EMI within ~5 weeks
    const firstDueOffset = -Math.floor(rand() * 300) - 5 + Math.floor(rand() * 40);
    // how far behind the borrower is: EMIs older than `behind` days are paid, later ones are not
    const standing = rand();
    // about 80% current, then SMA-0 ~9%, SMA-1 ~5%, SMA-2 ~3% and NPA ~3% (91–210 days)
    const behind =
      standing < 0.8
        ? 0
        : standing < 0.89
          ? 30
          : standing < 0.94
            ? 60
            : standing < 0.97
              ? 90
              : 100 + Math.floor(rand() * 110);
    const emis: DemoLoan['emis'] = [];
    for (let n = 1; n <= tenure; n++) {
      const dueDate = addDays(today, firstDueOffset + (n - 1) * 30);
      const ageDays = Math.round(
        (Date.parse(`${today}T00:00:00Z`) - Date.parse(`${dueDate}T00:00:00Z`)) / 86_400_000,
      );
      let amountPaid = 0;
      if (ageDays > behind) amountPaid = amount;
      // some who are behind have paid part of an overdue EMI
      else if (ageDays > 0 && rand() < 0.2) amountPaid = Math.floor(amount / 200) * 100;
      emis.push({ emiNumber: n, dueDate, amount, amountPaid });
    }
    const id = (10_000 + i).toString();
    loans.push({
      loanId: `${lender.split(' ')[0]!.slice(0, 3).toUpperCase()}-${id}`,
      lender,
      clientName: `${first} ${last}`,
      phone: `+9190000${(10_000 + i).toString().slice(-5)}`,
      email: `${first.toLowerCase()}.${last.toLowerCase().replace(/[^a-z]/g, '')}${i}@example.com`,
      emis,
    });
  }
  return loans;
}
