/**
 * Managing payment accounts (architecture §4b; admin only).
 *
 * putAccount (create or replace):
 *   1. a lender another account holds → 409 LENDER_IN_OTHER_ACCOUNT, before anything is written;
 *   2. the keys are checked with one harmless provider call → 422 when the provider refuses them;
 *   3. the secrets are written (one secret per account: key id, key secret, webhook secret; a
 *      changed webhook secret keeps the old one valid for 24 h, as a rotation does);
 *   4. the record is written with its lender claims in one transaction (a lender claimed by
 *      another account meanwhile → 409; a concurrent change of this account → 409).
 * rotateWebhookSecret: the same secret again → 409; else current → previous (valid 24 h), new →
 * current, and the record's webhookSecretSetAt moves.
 * Secrets are never returned, never logged and never in an error message.
 */

import type { Actor } from '../auth/actor';
import { actorRef } from '../auth/actor';
import {
  type AccountCredentials,
  type AccountRepository,
  type AccountSecretStore,
  type AccountSecrets,
  DEFAULT_ACCOUNT_ID,
  lenderTaken,
  type PaymentAccount,
  PREVIOUS_SECRET_GRACE_MS,
  PROVIDER_NAMES,
  type Provider,
  webhookSecretsInForce,
} from '../domain/accounts';
import type { Clock } from '../domain/dates';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { log } from '../log';
import type { PaymentAccountView, PutAccountInput, RotateWebhookSecretInput } from '../schemas/accounts';

export interface AccountDeps {
  accounts: Pick<AccountRepository, 'listAccounts' | 'getAccount' | 'saveAccount' | 'lenderHeldElsewhere'>;
  secrets: AccountSecretStore;
  /** one harmless call with these keys: does the provider accept them? */
  checkKeys: (creds: AccountCredentials) => Promise<'accepted' | 'rejected'>;
  clock: Clock;
  /** where the API is reached from outside, e.g. https://abc.execute-api…amazonaws.com */
  publicBaseUrl: string;
  /** called after a change, so this process sees it at once (cached lender → account) */
  changed?: () => void;
}

/**
 * The provider credentials of a PUT (the schema has checked each provider's fields are there):
 * Razorpay's key pair, or EximPe's client id and secret (with its API version, 1.0.0 by default).
 */
export function credentialsOf(accountId: string, input: PutAccountInput): AccountCredentials {
  if (input.provider === 'eximpe') {
    return {
      accountId,
      provider: 'eximpe',
      keyId: input.clientId ?? '',
      keySecret: input.clientSecret ?? '',
      apiVersion: input.apiVersion ?? '1.0.0',
    };
  }
  return { accountId, provider: input.provider, keyId: input.keyId ?? '', keySecret: input.keySecret ?? '' };
}

/** The webhook URL to paste into the provider's dashboard. */
export function webhookUrlOf(
  publicBaseUrl: string,
  accountId: string,
  provider: Provider = 'razorpay',
): string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  if (provider === 'eximpe') return `${base}/webhooks/eximpe/${accountId}`;
  return accountId === DEFAULT_ACCOUNT_ID
    ? `${base}/webhooks/razorpay`
    : `${base}/webhooks/razorpay/${accountId}`;
}

function view(account: PaymentAccount, publicBaseUrl: string): PaymentAccountView {
  return {
    accountId: account.accountId,
    name: account.name,
    provider: account.provider,
    keyId: account.keyId,
    lenders: account.lenders,
    webhookUrl: webhookUrlOf(publicBaseUrl, account.accountId, account.provider),
    webhookSecretSetAt: account.webhookSecretSetAt,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
  };
}

export async function listAccounts(deps: AccountDeps): Promise<{ items: PaymentAccountView[] }> {
  const accounts = await deps.accounts.listAccounts();
  return { items: accounts.map((a) => view(a, deps.publicBaseUrl)) };
}

export async function putAccount(
  deps: AccountDeps,
  accountId: string,
  input: PutAccountInput,
  actor: Actor,
): Promise<{ created: boolean; account: PaymentAccountView }> {
  const [previous, held] = await Promise.all([
    deps.accounts.getAccount(accountId),
    deps.accounts.lenderHeldElsewhere(accountId, input.lenders),
  ]);
  if (held !== null) throw lenderTaken(held);

  const creds = credentialsOf(accountId, input);
  const verdict = await deps.checkKeys(creds);
  if (verdict === 'rejected') {
    const eximpe = input.provider === 'eximpe';
    throw new ValidationError(
      `${PROVIDER_NAMES[input.provider]} rejected these keys`,
      [
        eximpe
          ? { field: 'clientSecret', message: 'EximPe rejected this client id and client secret (401)' }
          : { field: 'keySecret', message: 'Razorpay rejected this key id and key secret (401)' },
      ],
      true,
    );
  }

  const now = deps.clock.now();
  const at = now.toISOString();
  const old = previous ? await deps.secrets.read(accountId, { refresh: true }) : null;
  const webhookChanged = old?.webhookSecret !== input.webhookSecret;
  const secrets: AccountSecrets = {
    keyId: creds.keyId,
    keySecret: creds.keySecret,
    ...(creds.apiVersion ? { apiVersion: creds.apiVersion } : {}),
    webhookSecret: input.webhookSecret,
    ...(old && webhookChanged
      ? // Razorpay keeps retrying deliveries signed with the old secret: accept it for 24 h
        {
          previousWebhookSecret: old.webhookSecret,
          previousValidUntil: new Date(now.getTime() + PREVIOUS_SECRET_GRACE_MS).toISOString(),
        }
      : old?.previousWebhookSecret && old.previousValidUntil
        ? { previousWebhookSecret: old.previousWebhookSecret, previousValidUntil: old.previousValidUntil }
        : {}),
  };
  const next: PaymentAccount = {
    accountId,
    name: input.name,
    provider: input.provider,
    keyId: creds.keyId,
    lenders: input.lenders,
    webhookSecretSetAt: previous && !webhookChanged ? previous.webhookSecretSetAt : at,
    createdAt: previous?.createdAt ?? at,
    updatedAt: at,
    version: (previous?.version ?? 0) + 1,
    updatedBy: actorRef(actor),
  };
  await saveWithSecrets(deps, next, previous, secrets, old);
  deps.changed?.();
  log.info('payment account saved', {
    accountId,
    created: previous === null,
    lenders: next.lenders.length,
    webhookSecretChanged: webhookChanged,
  });
  return { created: previous === null, account: view(next, deps.publicBaseUrl) };
}

export async function rotateWebhookSecret(
  deps: AccountDeps,
  accountId: string,
  input: RotateWebhookSecretInput,
  actor: Actor,
): Promise<PaymentAccountView> {
  const account = await deps.accounts.getAccount(accountId);
  const old = account ? await deps.secrets.read(accountId, { refresh: true }) : null;
  if (!account || !old) throw new NotFoundError(`Payment account ${accountId} not found`);
  const now = deps.clock.now();
  if (webhookSecretsInForce(old, now).includes(input.webhookSecret)) {
    throw new ConflictError(
      'SAME_WEBHOOK_SECRET',
      'The new webhook secret must differ from the current and the previous one',
    );
  }
  const secrets: AccountSecrets = {
    keyId: old.keyId,
    keySecret: old.keySecret,
    ...(old.apiVersion ? { apiVersion: old.apiVersion } : {}),
    webhookSecret: input.webhookSecret,
    previousWebhookSecret: old.webhookSecret,
    previousValidUntil: new Date(now.getTime() + PREVIOUS_SECRET_GRACE_MS).toISOString(),
  };
  const at = now.toISOString();
  const next: PaymentAccount = {
    ...account,
    webhookSecretSetAt: at,
    updatedAt: at,
    version: account.version + 1,
    updatedBy: actorRef(actor),
  };
  await saveWithSecrets(deps, next, account, secrets, old);
  deps.changed?.();
  log.info('payment account webhook secret rotated', { accountId });
  return view(next, deps.publicBaseUrl);
}

/**
 * Writes the secrets, then the record (guarded by its version and the lenders' claims). The
 * secret goes first so a saved record never points at keys that are not there yet; when the
 * record then loses (409: a lender taken meanwhile, a concurrent change), the secrets it
 * replaced are put back, so a refused request changes nothing. (A new account's secret has
 * nothing to go back to: it stays, unused, until the account is saved; the webhook route answers
 * only for accounts with secrets, and saving it later overwrites them.)
 */
async function saveWithSecrets(
  deps: AccountDeps,
  next: PaymentAccount,
  previous: PaymentAccount | null,
  secrets: AccountSecrets,
  old: AccountSecrets | null,
): Promise<void> {
  await deps.secrets.write(next.accountId, secrets);
  try {
    await deps.accounts.saveAccount(next, previous);
  } catch (err) {
    if (old) {
      await deps.secrets.write(next.accountId, old).catch((restoreErr: unknown) => {
        log.error('payment account secrets could not be put back after a refused save', {
          accountId: next.accountId,
          error: restoreErr instanceof Error ? restoreErr.name : 'unknown',
        });
      });
    }
    throw err;
  }
}
