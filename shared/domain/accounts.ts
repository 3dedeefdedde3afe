/**
 * Payment accounts (architecture §4b): each lender collects into its own provider account — a
 * Razorpay merchant with its own keys and webhook secret — and lenders without one use the
 * `default` account. The record is provider-neutral: `provider` says which gateway adapter
 * serves it; key material lives apart from it (AccountSecrets), never in the record.
 */

export const DEFAULT_ACCOUNT_ID = 'default';

/** `[a-z0-9-]{3,32}`: it goes into a URL path, a DynamoDB key and a Secrets Manager name. */
export const ACCOUNT_ID = /^[a-z0-9-]{3,32}$/;

export const PROVIDERS = ['razorpay'] as const;
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
  keyId: string;
  keySecret: string;
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
