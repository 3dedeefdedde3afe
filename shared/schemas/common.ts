/** Field rules shared by several routes (zod/mini: small bundles). */
import * as z from 'zod/mini';
import { isCalendarDate } from '../domain/dates';

/** Ids go into DynamoDB keys and Razorpay reference ids: a conservative alphabet. */
export const loanIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(40),
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
      'must use letters, digits, "_", "." or "-" and start with a letter or digit',
    ),
  );

export const lenderSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9 _.&()-]*$/, 'must use letters, digits, spaces or _ . & ( ) -'),
  );

/**
 * Characters no free text may hold: C0/C1 controls and DEL (`\u0000`, escape sequences),
 * lone surrogates (not UTF-8: DynamoDB refuses them), bidirectional overrides and isolates
 * (`\u202e` makes "gpj.exe" read as "exe.jpg"), line/paragraph separators and a stray BOM.
 * Zero-width (non-)joiners stay allowed: Indic scripts need them.
 */
export const UNSAFE_TEXT = /[\p{Cc}\p{Cs}\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/u;

/** Free text a person typed (names, notes, reasons): trimmed, 1..maxLength, no control characters. */
export function safeTextSchema(maxLength: number) {
  return z.string().check(
    z.trim(),
    z.minLength(1),
    z.maxLength(maxLength),
    z.refine((s) => !UNSAFE_TEXT.test(s), 'must not contain control characters or bidirectional overrides'),
  );
}

export const emiNumberSchema = z.int().check(z.minimum(1), z.maximum(9999));

/** integer paise */
export const paiseSchema = z.int().check(z.minimum(0), z.maximum(100_000_000_000));

export const dueDateSchema = z
  .string()
  .check(z.refine((s) => isCalendarDate(s), 'must be a real calendar date in YYYY-MM-DD form'));

/** A query-string integer: digits only, then range-checked. */
export function queryInt(min: number, max: number) {
  return z.pipe(
    z.string().check(z.regex(/^\d{1,9}$/, 'must be a whole number')),
    z.pipe(
      z.transform((s: string) => Number(s)),
      z
        .int()
        .check(
          z.minimum(min, `must be between ${min} and ${max}`),
          z.maximum(max, `must be between ${min} and ${max}`),
        ),
    ),
  );
}

/**
 * The pending list's orders (GET /api/payment-links/pending-emis `sort`): due date (default,
 * oldest first), amount outstanding, days past due; a leading `-` is descending.
 */
export const PENDING_SORTS = [
  'dueDate',
  '-dueDate',
  'amount',
  '-amount',
  'daysPastDue',
  '-daysPastDue',
] as const;
