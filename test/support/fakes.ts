/**
 * In-memory fakes of the domain's ports (shared/domain/ports.ts, shared/domain/gateway.ts), for
 * fast unit tests of the money rules. They keep the guarantees the use cases rely on — the
 * link's revision, the EMI's version and "a payment id is credited once" are checked in one
 * atomic commit, as the DynamoDB adapter's transaction does — and nothing else. Methods a rule
 * test does not reach throw, so a test can never pass by silently skipping a port call.
 * The DynamoDB Local tests (test/integration) remain the proof of the real adapters.
 */
import type { Clock } from '../../shared/domain/dates';
import {
  type CreateLinkRequest,
  type GatewayLink,
  type PaymentGateway,
  singleAccount,
} from '../../shared/domain/gateway';
import type { Emi } from '../../shared/domain/model';
import type {
  CommitOutcome,
  CreditEntry,
  EmiStore,
  LinkStore,
  OpsStore,
  RefundEntry,
  StoredLink,
} from '../../shared/domain/ports';
import { DEFAULT_LINK_SETTINGS, type LinkDeps } from '../../shared/usecases/link-deps';

const unused = (what: string) => () => {
  throw new Error(`fake: ${what} is not part of this test's port surface`);
};

export class FakeStores {
  readonly links = new Map<string, StoredLink>();
  readonly emis = new Map<string, Emi>();
  readonly ledger = new Map<string, CreditEntry>();
  /** processed refunds' ledger lines, by our refund id */
  readonly refundLedger = new Map<string, RefundEntry>();
  commits = 0;

  static emiKey(loanId: string, emiNumber: number): string {
    return `${loanId}#${emiNumber}`;
  }

  emiOf(loanId: string, emiNumber: number): Emi {
    const emi = this.emis.get(FakeStores.emiKey(loanId, emiNumber));
    if (!emi) throw new Error(`no EMI ${loanId}#${emiNumber}`);
    return emi;
  }

  linkStore(): LinkStore {
    return {
      getLink: async (id) => structuredClone(this.links.get(id) ?? null),
      getCredit: async (paymentId) => structuredClone(this.ledger.get(paymentId) ?? null),
      findByRazorpayId: async (rid) =>
        structuredClone([...this.links.values()].find((l) => l.razorpayLinkId === rid) ?? null),
      listForEmi: async (loanId, emiNumber) =>
        structuredClone(
          [...this.links.values()].filter((l) => l.loanId === loanId && l.emiNumber === emiNumber),
        ),
      commit: async (args): Promise<CommitOutcome> => {
        // every guard first, then every write: all or nothing, like TransactWriteItems
        if (args.credit && this.ledger.has(args.credit.paymentId)) return 'already-credited';
        if (args.refund && this.refundLedger.has(args.refund.refundId)) return 'already-credited';
        if (args.link) {
          const current = this.links.get(args.link.link.id);
          if ((current?.rev ?? 0) !== args.link.expectedRev) return 'conflict';
        }
        // one EMI, or a loan link's covered EMIs
        const emiWrites = [...(args.emi ? [args.emi] : []), ...(args.emis ?? [])];
        for (const w of emiWrites) {
          const current = this.emis.get(FakeStores.emiKey(w.emi.loanId, w.emi.emiNumber));
          if ((current?.version ?? 0) !== w.expectedVersion) return 'conflict';
        }
        if (args.credit) this.ledger.set(args.credit.paymentId, structuredClone(args.credit));
        if (args.refund) this.refundLedger.set(args.refund.refundId, structuredClone(args.refund));
        if (args.link) this.links.set(args.link.link.id, structuredClone(args.link.link));
        for (const w of emiWrites) {
          this.emis.set(FakeStores.emiKey(w.emi.loanId, w.emi.emiNumber), structuredClone(w.emi));
        }
        this.commits++;
        return 'ok';
      },
      listLinks: unused('links.listLinks'),
      listLinksOfLenders: unused('links.listLinksOfLenders'),
      listWatched: unused('links.listWatched'),
      listWatchedPastExpiry: unused('links.listWatchedPastExpiry'),
      markSynced: async () => {},
    };
  }

  emiStore(): EmiStore {
    return {
      getEmi: async (loanId, emiNumber) =>
        structuredClone(this.emis.get(FakeStores.emiKey(loanId, emiNumber)) ?? null),
      getLoanItems: async (loanId) => ({
        loan: null,
        emis: structuredClone([...this.emis.values()].filter((e) => e.loanId === loanId)),
      }),
      writeEmis: unused('emis.writeEmis'),
      getLoanLender: unused('emis.getLoanLender'),
      putLoan: unused('emis.putLoan'),
      putLender: unused('emis.putLender'),
      batchPutIntoEmptyTable: unused('emis.batchPutIntoEmptyTable'),
      listLenders: unused('emis.listLenders'),
      queryPending: unused('emis.queryPending'),
      queryPendingOfLenders: unused('emis.queryPendingOfLenders'),
      queryPendingSorted: unused('emis.queryPendingSorted'),
      contactsOf: unused('emis.contactsOf'),
    };
  }
}

/** A provider that knows a few links by id; cancel refuses what is not open, as Razorpay does. */
export class FakeGateway implements PaymentGateway {
  readonly links = new Map<string, GatewayLink>();
  cancels: string[] = [];
  constructor(private readonly refuse?: (link: GatewayLink) => Error | undefined) {}
  createLink = unused('gateway.createLink') as (req: CreateLinkRequest) => Promise<GatewayLink>;
  findLinkByReferenceId = unused('gateway.findLinkByReferenceId') as (
    ref: string,
  ) => Promise<GatewayLink | null>;
  async fetchLink(id: string): Promise<GatewayLink> {
    const link = this.links.get(id);
    if (!link) throw new Error(`fake gateway: no link ${id}`);
    return structuredClone(link);
  }
  async cancelLink(id: string): Promise<GatewayLink> {
    this.cancels.push(id);
    const link = await this.fetchLink(id);
    const refusal = this.refuse?.(link);
    if (refusal) throw refusal;
    link.status = 'cancelled';
    this.links.set(id, link);
    return structuredClone(link);
  }
}

export function fixedClock(iso = '2026-06-10T06:30:00.000Z'): Clock {
  return { now: () => new Date(iso) };
}

export function fakeLinkDeps(stores: FakeStores, gateway: PaymentGateway, clock = fixedClock()): LinkDeps {
  const ops: OpsStore = {
    claimIdempotency: unused('ops.claimIdempotency'),
    completeIdempotency: unused('ops.completeIdempotency'),
    releaseIdempotency: unused('ops.releaseIdempotency'),
  };
  return {
    emis: stores.emiStore(),
    links: stores.linkStore(),
    ops,
    gateways: singleAccount(gateway),
    clock,
    settings: DEFAULT_LINK_SETTINGS,
  };
}

export function anEmi(over: Partial<Emi> = {}): Emi {
  return {
    loanId: 'LN-1',
    lender: 'Kaveri Finance',
    clientName: 'A Borrower',
    phone: '+919000000001',
    emiNumber: 1,
    dueDate: '2026-06-05',
    amount: 150_000,
    amountPaidExternal: 0,
    amountCredited: 0,
    currency: 'INR',
    links: {},
    removed: false,
    version: 1,
    updatedAt: '2026-06-01T00:00:00.000Z',
    ...over,
  };
}

export function aLink(over: Partial<StoredLink> = {}): StoredLink {
  const id = over.id ?? 'lnk_aaaaaaaaaaaaaaaaaaaa';
  return {
    id,
    razorpayLinkId: 'plink_AAAAAAAAAAAAAA',
    referenceId: id,
    loanId: 'LN-1',
    emiNumber: 1,
    lender: 'Kaveri Finance',
    clientName: 'A Borrower',
    amount: 150_000,
    amountPaid: 0,
    currency: 'INR',
    shortUrl: 'https://rzp.io/i/abc',
    status: 'created',
    expireBy: 1_800_000_000,
    acceptPartial: false,
    createdAt: '2026-06-01T00:00:00.000Z',
    updatedAt: '2026-06-01T00:00:00.000Z',
    payments: [],
    failedAttempts: 0,
    rev: 1,
    ...over,
  };
}
