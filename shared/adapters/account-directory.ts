/**
 * Payment accounts as the functions read them (architecture §4b): which account a lender's new
 * links go to (remembered briefly), and each account's credentials and webhook secrets (cached by
 * the secret store). No provider SDK here: the webhook receiver uses this module too.
 *
 * `default` without stored secrets uses the deployment's own configuration (RAZORPAY_KEY_ID /
 * RAZORPAY_KEY_SECRET or RAZORPAY_API_SECRET_ARN, RAZORPAY_WEBHOOK_SECRET or
 * RAZORPAY_WEBHOOK_SECRET_ARN), as before accounts existed.
 */
import {
  type AccountCredentials,
  type AccountRef,
  type AccountRepository,
  type AccountSecretStore,
  DEFAULT_ACCOUNT_ID,
  webhookSecretsInForce,
} from '../domain/accounts';
import { ConfigError } from '../domain/errors';
import { loadWebhookSecrets } from './razorpay/signature';

/** The deployment's own API credentials, for `default` without stored ones. */
export type DefaultCredentials = (options: {
  refresh?: boolean;
}) => Promise<{ keyId: string; keySecret: string }>;

const noDefaultCredentials: DefaultCredentials = async () => {
  throw new ConfigError('The default payment account has no API credentials here');
};

/** How long a lender's account is remembered: a lender moved by an admin goes there within this. */
export const LENDER_ACCOUNT_TTL_MS = 30_000;

/**
 * Accounts as the functions read them: the lender → account map (cached briefly) and each
 * account's secrets (cached by the secret store).
 */
export class AccountDirectory {
  private readonly lenders = new Map<string, { ref: AccountRef; until: number }>();

  constructor(
    private readonly store: Pick<AccountRepository, 'accountOfLender'>,
    private readonly secrets: AccountSecretStore,
    private readonly defaultCredentials: DefaultCredentials = noDefaultCredentials,
    private readonly now: () => number = Date.now,
  ) {}

  async accountFor(lender: string): Promise<AccountRef> {
    const hit = this.lenders.get(lender);
    if (hit && hit.until > this.now()) return hit.ref;
    const ref = (await this.store.accountOfLender(lender)) ?? {
      accountId: DEFAULT_ACCOUNT_ID,
      provider: 'razorpay' as const,
    };
    this.lenders.set(lender, { ref, until: this.now() + LENDER_ACCOUNT_TTL_MS });
    return ref;
  }

  /** The API credentials of an account; ConfigError when it has none (its secret is missing). */
  async credentials(ref: AccountRef, options: { refresh?: boolean } = {}): Promise<AccountCredentials> {
    const stored = await this.secrets.read(ref.accountId, options);
    if (stored)
      return {
        ...ref,
        keyId: stored.keyId,
        keySecret: stored.keySecret,
        ...(stored.apiVersion ? { apiVersion: stored.apiVersion } : {}),
      };
    if (ref.accountId === DEFAULT_ACCOUNT_ID) return { ...ref, ...(await this.defaultCredentials(options)) };
    throw new ConfigError(`Payment account ${ref.accountId} has no keys`);
  }

  /** The webhook secrets in force for an account, current first; null for an unknown account. */
  async webhookSecrets(accountId: string, options: { refresh?: boolean } = {}): Promise<string[] | null> {
    const stored = await this.secrets.read(accountId, options);
    if (stored) return webhookSecretsInForce(stored, new Date(this.now()));
    if (accountId === DEFAULT_ACCOUNT_ID) return loadWebhookSecrets(options);
    return null;
  }

  /** After an admin change in this process: the next lookup reads the store again. */
  forget(): void {
    this.lenders.clear();
  }
}
