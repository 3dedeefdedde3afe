/**
 * Payment accounts (architecture §4b): each lender collects into its own provider account — a
 * Razorpay merchant with its own keys and webhook secret — and lenders without one use the
 * `default` account. The record is provider-neutral: `provider` says which gateway adapter
 * serves it; key material lives apart from it (AccountSecrets), never in the record.
 */
import { ConflictError } from './errors';

export const DEFAULT_ACCOUNT_ID = 'default';

/** `[a-z0-9-]{3,32}`: it goes into a URL path, a DynamoDB key and a Secrets Manager name. */
export const ACCOUNT_ID = /^[a-z0-9-]{3,32}$/;

export const PROVIDERS = ['razorpay', 'eximpe'] as const;

/** Razorpay key ids: `rzp_test_…` or `rzp_live_…` (what our API and the sandbox accept). */
export const RAZORPAY_KEY_ID = /^rzp_(test|live)_[A-Za-z0-9]{6,40}$/;

/** How people read a provider's name (messages, the page). */
export const PROVIDER_NAMES: Record<(typeof PROVIDERS)[number], string> = {
  razorpay: 'Razorpay',
  eximpe: 'EximPe',
};

/**
 * A create we sent but never saw answered, that the provider does not have either (looked up by
 * reference id): the link fails for good with this code and message.
 */
export function noLinkAtProvider(provider: Provider = 'razorpay'): { code: string; message: string } {
  return {
    code: `${provider.toUpperCase()}_NO_LINK`,
    message: `${PROVIDER_NAMES[provider]} has no link for this request`,
  };
}

/**
 * Saving an account is one DynamoDB transaction (at most 100 items): the record plus one item
 * per lender gained or dropped.
 */
export const MAX_LENDERS_PER_ACCOUNT = 45;
export type Provider = (typeof PROVIDERS)[number];

/** How long a rotated-out webhook secret keeps verifying deliveries (Razorpay retries for 24 h). */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/** Where a link was (or will be) created: kept on the link for life. */
export interface AccountRef {
  accountId: string;
  provider: Provider;
}

/** The account record: everything about an account except its secrets. */
export interface PaymentAccount extends AccountRef {
  name: string;
  /** the provider's public key id (Razorpay `rzp_test_…`/`rzp_live_…`); not a secret */
  keyId: string;
  lenders: string[];
  webhookSecretSetAt: string;
  createdAt: string;
  updatedAt: string;
  /** optimistic-lock counter */
  version: number;
  updatedBy?: { sub: string; name: string };
}

/** An account's secrets: write-only through the API, never logged, never returned. */
export interface AccountSecrets {
  /** EximPe's `X-API-Version` (not a secret; kept with the credentials it goes out with) */
  apiVersion?: string;
  /**
   * Kept beside its secret so the pair always changes together (a reader never sees one key
   * id with another key's secret); the record's `keyId` is for people.
   */
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  /** the secret `webhookSecret` replaced, accepted until `previousValidUntil` */
  previousWebhookSecret?: string;
  /** ISO time */
  previousValidUntil?: string;
}

/** Credentials a gateway adapter needs for one account. */
export interface AccountCredentials extends AccountRef {
  /** Razorpay key id, or EximPe client id */
  keyId: string;
  /** Razorpay key secret, or EximPe client secret */
  keySecret: string;
  /** EximPe's `X-API-Version` */
  apiVersion?: string;
}

/** The webhook secrets in force at `now`, current first. */
export function webhookSecretsInForce(secrets: AccountSecrets, now: Date): string[] {
  const out = [secrets.webhookSecret];
  if (
    secrets.previousWebhookSecret &&
    secrets.previousWebhookSecret !== secrets.webhookSecret &&
    secrets.previousValidUntil !== undefined &&
    Date.parse(secrets.previousValidUntil) > now.getTime()
  ) {
    out.push(secrets.previousWebhookSecret);
  }
  return out;
}

/** The account of a stored link: links made before accounts existed belong to `default`. */
export function accountOfLink(link: { accountId?: string; provider?: Provider }): AccountRef {
  return { accountId: link.accountId ?? DEFAULT_ACCOUNT_ID, provider: link.provider ?? 'razorpay' };
}

/** The payment-account records (adapter: shared/adapters/dynamo/account-store.ts). */
export interface AccountRepository {
  listAccounts(): Promise<PaymentAccount[]>;
  getAccount(accountId: string): Promise<PaymentAccount | null>;
  /** The account a lender is in, or null (it uses `default`). */
  accountOfLender(lender: string): Promise<AccountRef | null>;
  /**
   * Writes the account (version previous + 1, or 1), claims the lenders it gains and releases
   * those it drops, all or nothing; ConflictError LENDER_IN_OTHER_ACCOUNT or CONCURRENT_UPDATE.
   */
  saveAccount(next: PaymentAccount, previous: PaymentAccount | null): Promise<void>;
  /** The first of these lenders that another account holds, or null. */
  lenderHeldElsewhere(accountId: string, lenders: readonly string[]): Promise<string | null>;
}

/** Each account's secrets (adapter: shared/adapters/secrets/account-secrets.ts). */
export interface AccountSecretStore {
  /** The account's secrets, or null when it has none. `refresh` skips the cache. */
  read(accountId: string, options?: { refresh?: boolean }): Promise<AccountSecrets | null>;
  write(accountId: string, secrets: AccountSecrets): Promise<void>;
}

export function lenderTaken(lender: string): ConflictError {
  return new ConflictError(
    'LENDER_IN_OTHER_ACCOUNT',
    `Lender "${lender}" already belongs to another payment account; remove it there first`,
  );
}

/** What a provider's payment links can do beyond create, fetch, cancel (architecture §4c). */
export type ProviderFeature =
  | 'partialPayments'
  | 'notify'
  | 'reminders'
  | 'upiLink'
  | 'refunds'
  | 'extendExpiry'
  | 'editLink';

/**
 * Each provider's features. EximPe's Payment Links API (docs/eximpe.md) has no partial payments,
 * no notify or reminder flags we can rely on (v2's `send_sms`/`send_email` are not on v1), no UPI
 * link, no link edit; it can extend an expiry. Its refunds API exists but is not wired here.
 */
export const PROVIDER_FEATURES: Record<Provider, readonly ProviderFeature[]> = {
  razorpay: ['partialPayments', 'notify', 'reminders', 'upiLink', 'refunds', 'editLink'],
  eximpe: ['extendExpiry'],
};

export function supports(provider: Provider | undefined, feature: ProviderFeature): boolean {
  return PROVIDER_FEATURES[provider ?? 'razorpay'].includes(feature);
}
