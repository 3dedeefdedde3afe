/**
 * Every DynamoDB key and index in one place (plain data, read by the adapters, the CDK
 * stateful stack and the local table bootstrap). Each access pattern is a named function in
 * the stores; this module only says how keys are spelled.
 *
 * Three tables, each with generic `pk`/`sk` string keys:
 * - emis:  loans, EMIs (the consistency anchor for links), the lender registry, the
 *          payment-credit ledger (one item per Razorpay payment id: "credit once"), the
 *          dashboard's kept totals (`AGG#…`, `LOAN#…/#AGG`), search entries (`SEARCH#…`) and
 *          the payment accounts with their lenders.
 * - links: payment links, with the loan+EMI GSI for sibling listing and listing indexes.
 * - ops:   webhook event ids (dedupe), idempotency keys, bulk jobs and their work items.
 */

import { ValidationError } from '../../domain/errors';
import type { SearchKind } from '../../domain/search-terms';

export interface IndexDef {
  name: string;
  pk: string;
  sk: string;
}

export interface TableDef {
  /** logical id (CDK construct id) and the env var carrying the physical name */
  id: 'Emis' | 'Links' | 'Ops';
  envVar: 'EMIS_TABLE' | 'LINKS_TABLE' | 'OPS_TABLE';
  pk: 'pk';
  sk: 'sk';
  indexes: IndexDef[];
  /** attribute holding an epoch-seconds expiry, when the table uses TTL */
  ttlAttribute?: string;
  /** a DynamoDB stream of new item images (the EMI table's feeds the curated payments feed) */
  stream?: 'NEW_IMAGE';
}

export const EMIS_INDEX = {
  /** sparse: only pending EMIs carry these keys. PK `PENDING#<lender>`, SK `<dueDate>#<loanId>#<emi>` */
  pendingByLender: { name: 'pendingByLender', pk: 'gsi1pk', sk: 'gsi1sk' },
  /** sparse: only pending EMIs. PK `PENDING`, SK as above: the all-lenders view */
  pendingAll: { name: 'pendingAll', pk: 'gsi2pk', sk: 'gsi2sk' },
  /**
   * sparse: only pending EMIs. PK `PENDING#<lender>` (the same attribute as pendingByLender), SK
   * `<outstanding, 15 digits>#<dueDate>#<loanId>#<emi>`: the list sorted by amount still owed
   */
  pendingByAmount: { name: 'pendingByAmount', pk: 'gsi1pk', sk: 'gsi3sk' },
} as const satisfies Record<string, IndexDef>;

export const LINKS_INDEX = {
  /** the loan+EMI GSI: PK `<loanId>`, SK `<emi>#<createdAt>#<id>` (siblings, per-EMI and per-loan listing) */
  byLoanEmi: { name: 'byLoanEmi', pk: 'loanId', sk: 'emiKey' },
  /** PK `plink_…`: maps a Razorpay link id back to ours */
  byRazorpayId: { name: 'byRazorpayId', pk: 'razorpayLinkId', sk: 'pk' },
  /** listing, newest first. PK `ALL`, SK `<createdAt>#<id>` */
  all: { name: 'all', pk: 'listAll', sk: 'createdKey' },
  /** PK `<status>` */
  byStatus: { name: 'byStatus', pk: 'status', sk: 'createdKey' },
  /** PK `<lender>` */
  byLender: { name: 'byLender', pk: 'lender', sk: 'createdKey' },
  /** PK `<lender>#<status>` */
  byLenderStatus: { name: 'byLenderStatus', pk: 'lenderStatus', sk: 'createdKey' },
  /** sparse: only links needing a person. PK `ATTENTION` */
  attention: { name: 'attention', pk: 'attentionPk', sk: 'createdKey' },
  /** sparse: only open or unresolved links, for reconciliation. PK `OPEN`, SK `<lastSyncedAt>#<id>` */
  open: { name: 'open', pk: 'openPk', sk: 'syncKey' },
} as const satisfies Record<string, IndexDef>;

export const TABLES: Record<'emis' | 'links' | 'ops', TableDef> = {
  emis: {
    id: 'Emis',
    envVar: 'EMIS_TABLE',
    pk: 'pk',
    sk: 'sk',
    indexes: Object.values(EMIS_INDEX),
    stream: 'NEW_IMAGE',
  },
  links: {
    id: 'Links',
    envVar: 'LINKS_TABLE',
    pk: 'pk',
    sk: 'sk',
    indexes: Object.values(LINKS_INDEX),
  },
  ops: {
    id: 'Ops',
    envVar: 'OPS_TABLE',
    pk: 'pk',
    sk: 'sk',
    indexes: [],
    ttlAttribute: 'expiresAt',
  },
};

const REFUND_SK_PREFIX = '#REFUND#';

/** Key spellings. */
export const keys = {
  loan: (loanId: string) => ({ pk: `LOAN#${loanId}`, sk: '#LOAN' }),
  emi: (loanId: string, emiNumber: number) => ({ pk: `LOAN#${loanId}`, sk: `EMI#${emiPart(emiNumber)}` }),
  emiPrefix: 'EMI#',
  lender: (lender: string) => ({ pk: LENDERS_PK, sk: lender }),
  lendersPk: () => LENDERS_PK,
  /** payment accounts (§4b): one small partition, listed with one Query */
  account: (accountId: string) => ({ pk: ACCOUNTS_PK, sk: accountId }),
  accountsPk: () => ACCOUNTS_PK,
  /** a lender's account: the conditional put that keeps a lender in at most one account */
  lenderAccount: (lender: string) => ({ pk: `LENDER_ACCOUNT#${lender}`, sk: '#ACCOUNT' }),
  /** an account's secrets in the local run only (on AWS they live in Secrets Manager) */
  accountSecret: (accountId: string) => ({ pk: `ACCOUNT_SECRET#${accountId}`, sk: '#SECRET' }),
  credit: (paymentId: string) => ({ pk: `PAYMENT#${paymentId}`, sk: '#CREDIT' }),
  /** a processed refund's ledger line (once per refund id), beside its payment's credit */
  refund: (paymentId: string, refundId: string) => ({
    pk: `PAYMENT#${paymentId}`,
    sk: `#REFUND#${refundId}`,
  }),
  creditSk: '#CREDIT',
  refundSkPrefix: REFUND_SK_PREFIX,
  link: (linkId: string) => ({ pk: `LINK#${linkId}`, sk: '#LINK' }),
  webhookEvent: (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: '#EVENT' }),
  idempotency: (scope: string, key: string) => ({ pk: `IDEMP#${scope}#${key}`, sk: '#IDEMP' }),
  job: (jobId: string) => ({ pk: `JOB#${jobId}`, sk: '#JOB' }),
  jobItem: (jobId: string, seq: number) => ({
    pk: `JOB#${jobId}`,
    sk: `ITEM#${seq.toString().padStart(6, '0')}`,
  }),
  jobItemPrefix: 'ITEM#',
  /** one entry per bulk job not yet finished: the stuck-job check Queries this, never Scans */
  activeJob: (jobId: string) => ({ pk: 'JOBS#ACTIVE', sk: jobId }),
  /** one entry per bulk job, newest first: the recent-jobs list Queries this, never Scans */
  recentJob: (createdAt: string, jobId: string) => ({ pk: 'JOBS#RECENT', sk: `${createdAt}#${jobId}` }),
  /** the dashboard's kept totals (aggregate-store.ts): `T#…`, `D#<month>#…`, `C#<day>#…` items */
  aggregate: (lender: string, sk: string) => ({ pk: `AGG#${lender}`, sk }),
  /** a loan's pending EMIs (due date, outstanding), the anchor of its DPD counters */
  loanAggregate: (loanId: string) => ({ pk: `LOAN#${loanId}`, sk: '#AGG' }),
  /** search entries (search-store.ts): PK `SEARCH#<lender>#<kind>`, SK `<term>#<loanId>` */
  search: (lender: string, kind: SearchKind, term: string, loanId: string) => ({
    pk: `SEARCH#${lender}#${kind}`,
    sk: `${term}#${loanId}`,
  }),
  /** one loans file import (architecture §4e) */
  importFile: (importId: string) => ({ pk: `IMPORT#${importId}`, sk: '#IMPORT' }),
};

const LENDERS_PK = 'LENDERS';
const ACCOUNTS_PK = 'ACCOUNTS';

/**
 * Index partition values and sort-key ranges: spelled here only. Stores build their Query keys
 * from these; use cases speak in lenders, statuses and dates.
 */
export const indexKeys = {
  /** pendingByLender (with a lender) or pendingAll */
  pending: (lender?: string) => (lender === undefined ? 'PENDING' : `PENDING#${lender}`),
  /**
   * the pending sort-key range for due dates `fromDate`..`toDate` (inclusive): keys are
   * `<date>#<loan>#<emi>`, and '#' sorts before and '~' after every such tail
   */
  pendingRange: (fromDate: string | undefined, toDate: string) => ({
    fromSk: fromDate === undefined ? undefined : `${fromDate}#`,
    toSk: `${toDate}~`,
  }),
  linksAll: 'ALL',
  attention: 'ATTENTION',
  open: 'OPEN',
  lenderStatus: (lender: string, status: string) => `${lender}#${status}`,
  emiKey: (emiNumber: number, createdAt: string, id: string) => `${emiPart(emiNumber)}#${createdAt}#${id}`,
  emiKeyPrefix: (emiNumber: number) => `${emiPart(emiNumber)}#`,
} as const;

/**
 * A store's page position as it leaves the store: the key's values in the order of `names`, no
 * attribute name. Use cases seal it into a cursor and hand it back unread.
 */
export function toPageKey(names: readonly string[], key: Record<string, unknown>): (string | number)[] {
  return names.map((n) => {
    const v = key[n];
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`page key lacks ${n}`);
    return v;
  });
}

/** The DynamoDB key a page position stands for; undefined when it does not fit this query. */
export function fromPageKey(
  names: readonly string[],
  values: readonly (string | number)[] | undefined,
): Record<string, unknown> | undefined {
  if (values === undefined) return undefined;
  if (values.length !== names.length) throw new InvalidPageKeyError();
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

/** A page position that does not belong to the query it was handed to. */
export class InvalidPageKeyError extends ValidationError {
  constructor() {
    super('cursor is invalid or belongs to another query', [
      { field: 'query.cursor', message: 'is invalid or belongs to another query; start again without it' },
    ]);
  }
}

/** EMI numbers sort as text in keys: zero-pad them. */
export function emiPart(emiNumber: number): string {
  return emiNumber.toString().padStart(4, '0');
}

/** The amount index's sort key: outstanding paise zero-padded (15 digits: up to ₹10 lakh crore). */
export function pendingAmountSortKey(
  outstanding: number,
  dueDate: string,
  loanId: string,
  emiNumber: number,
): string {
  return `${outstanding.toString().padStart(15, '0')}#${pendingSortKey(dueDate, loanId, emiNumber)}`;
}

export function pendingSortKey(dueDate: string, loanId: string, emiNumber: number): string {
  return `${dueDate}#${loanId}#${emiPart(emiNumber)}`;
}
