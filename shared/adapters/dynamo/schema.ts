/**
 * Every DynamoDB key and index in one place (plain data, read by the adapters, the CDK
 * stateful stack and the local table bootstrap). Each access pattern is a named function in
 * the stores; this module only says how keys are spelled.
 *
 * Three tables, each with generic `pk`/`sk` string keys:
 * - emis:  loans, EMIs (the consistency anchor for links), the lender registry, the
 *          payment-credit ledger (one item per Razorpay payment id: "credit once"), and the
 *          payment accounts with their lenders.
 * - links: payment links, with the loan+EMI GSI for sibling listing and listing indexes.
 * - ops:   webhook event ids (dedupe), idempotency keys, bulk jobs and their work items.
 */

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
}

export const EMIS_INDEX = {
  /** sparse: only pending EMIs carry these keys. PK `PENDING#<lender>`, SK `<dueDate>#<loanId>#<emi>` */
  pendingByLender: { name: 'pendingByLender', pk: 'gsi1pk', sk: 'gsi1sk' },
  /** sparse: only pending EMIs. PK `PENDING`, SK as above: the all-lenders view */
  pendingAll: { name: 'pendingAll', pk: 'gsi2pk', sk: 'gsi2sk' },
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

/** Key spellings. */
export const keys = {
  loan: (loanId: string) => ({ pk: `LOAN#${loanId}`, sk: '#LOAN' }),
  emi: (loanId: string, emiNumber: number) => ({ pk: `LOAN#${loanId}`, sk: `EMI#${emiPart(emiNumber)}` }),
  emiPrefix: 'EMI#',
  lender: (lender: string) => ({ pk: 'LENDERS', sk: lender }),
  /** payment accounts (§4b): one small partition, listed with one Query */
  account: (accountId: string) => ({ pk: 'ACCOUNTS', sk: accountId }),
  accountsPk: 'ACCOUNTS',
  /** a lender's account: the conditional put that keeps a lender in at most one account */
  lenderAccount: (lender: string) => ({ pk: `LENDER_ACCOUNT#${lender}`, sk: '#ACCOUNT' }),
  /** an account's secrets in the local run only (on AWS they live in Secrets Manager) */
  accountSecret: (accountId: string) => ({ pk: `ACCOUNT_SECRET#${accountId}`, sk: '#SECRET' }),
  credit: (paymentId: string) => ({ pk: `PAYMENT#${paymentId}`, sk: '#CREDIT' }),
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
};

/** EMI numbers sort as text in keys: zero-pad them. */
export function emiPart(emiNumber: number): string {
  return emiNumber.toString().padStart(4, '0');
}

export function pendingSortKey(dueDate: string, loanId: string, emiNumber: number): string {
  return `${dueDate}#${loanId}#${emiPart(emiNumber)}`;
}
