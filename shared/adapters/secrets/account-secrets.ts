/**
 * Each payment account's secrets (key id + key secret, webhook secret and, during a rotation,
 * the previous one): on AWS one Secrets Manager secret per account, named
 * `<PAYMENT_ACCOUNT_SECRET_PREFIX><accountId>`; locally (no prefix set) one item per account in
 * the emis table. Both are read through a Powertools Parameters provider, which caches each
 * account's value for SECRET_MAX_AGE_SECONDS: warm invocations reuse it, and a change made by
 * another function is seen within that time (a write in this process is seen at once). A missing
 * account is cached too, so unknown webhook URLs cannot make every request a Secrets Manager call.
 *
 * Secret values are registered with the log redactor as soon as they are read or written.
 */

import { BaseProvider } from '@aws-lambda-powertools/parameters/base';
import { ParameterNotFoundError } from '@aws-lambda-powertools/parameters/errors';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { envOptional } from '../../config';
import type { AccountSecretStore, AccountSecrets } from '../../domain/accounts';
import { ConfigError } from '../../domain/errors';
import { registerSecret } from '../../observability/redact';
import { perContainer } from '../../per-container';
import { traced } from '../../tracing';
import { documentClient } from '../dynamo/client';
import { keys } from '../dynamo/schema';
import { SECRET_MAX_AGE_SECONDS } from './secret-json';

export type { AccountSecretStore };

/** Marks every value of a secret as key material for the log redactor. */
function register(secrets: AccountSecrets): void {
  registerSecret(secrets.keySecret);
  registerSecret(secrets.webhookSecret);
  registerSecret(secrets.previousWebhookSecret);
}

function parse(accountId: string, value: unknown): AccountSecrets | null {
  if (value === null || value === undefined) return null;
  const v = value as Partial<AccountSecrets>;
  if (typeof v.keyId !== 'string' || typeof v.keySecret !== 'string' || typeof v.webhookSecret !== 'string') {
    // names the account and the fields, never a value
    throw new ConfigError(
      `The secret of payment account ${accountId} lacks keyId, keySecret or webhookSecret`,
    );
  }
  const secrets: AccountSecrets = { keyId: v.keyId, keySecret: v.keySecret, webhookSecret: v.webhookSecret };
  if (typeof v.previousWebhookSecret === 'string') secrets.previousWebhookSecret = v.previousWebhookSecret;
  if (typeof v.apiVersion === 'string') secrets.apiVersion = v.apiVersion;
  if (typeof v.previousValidUntil === 'string') secrets.previousValidUntil = v.previousValidUntil;
  register(secrets);
  return secrets;
}

/** The local run's store: one item per account in the emis table, read like a parameter. */
class TableSecretsProvider extends BaseProvider {
  constructor(
    private readonly table: string,
    private readonly db: DynamoDBDocumentClient,
  ) {
    super({ awsSdkV3Client: db });
  }

  protected async _get(accountId: string): Promise<string | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.accountSecret(accountId), ConsistentRead: true }),
    );
    return typeof out.Item?.value === 'string' ? out.Item.value : undefined;
  }

  protected async _getMultiple(): Promise<Record<string, unknown> | undefined> {
    throw new Error('not used: accounts are read one at a time');
  }

  async put(accountId: string, value: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...keys.accountSecret(accountId), type: 'ACCOUNT_SECRET', value },
      }),
    );
  }
}

/** Reads through the provider's cache; writes through `put` and refreshes the cache. */
class ProviderSecretStore implements AccountSecretStore {
  constructor(
    private readonly provider: BaseProvider,
    private readonly nameOf: (accountId: string) => string,
    private readonly put: (name: string, value: string) => Promise<void>,
  ) {}

  async read(accountId: string, options: { refresh?: boolean } = {}): Promise<AccountSecrets | null> {
    const name = this.nameOf(accountId);
    try {
      const value = await this.provider.get(name, {
        maxAge: SECRET_MAX_AGE_SECONDS,
        transform: 'json',
        forceFetch: options.refresh === true,
        throwOnMissing: true,
      });
      return parse(accountId, value);
    } catch (err) {
      if (!(err instanceof ParameterNotFoundError)) throw err;
      // remembered as missing for as long as a value would be
      this.provider.addToCache(`${name},json`, null, SECRET_MAX_AGE_SECONDS);
      return null;
    }
  }

  async write(accountId: string, secrets: AccountSecrets): Promise<void> {
    register(secrets);
    const name = this.nameOf(accountId);
    await this.put(name, JSON.stringify(secrets));
    this.provider.addToCache(`${name},json`, secrets, SECRET_MAX_AGE_SECONDS);
  }
}

/** Secrets Manager, one secret per account under the project's prefix (the only ones IAM allows). */
export function secretsManagerStore(prefix: string, client = traced(new SecretsManagerClient({}))) {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  return new ProviderSecretStore(
    provider,
    (accountId) => `${prefix}${accountId}`,
    async (name, value) => {
      try {
        await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
        await client.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: value,
            Description: 'EMI Payment Links: one payment account (key id, key secret, webhook secrets)',
          }),
        );
      }
    },
  );
}

/** The local run's store (the emis table). */
export function tableSecretStore(table: string, db = documentClient()): AccountSecretStore {
  const provider = new TableSecretsProvider(table, db);
  return new ProviderSecretStore(
    provider,
    (accountId) => accountId,
    (name, value) => provider.put(name, value),
  );
}

/** No account store configured: no account has stored secrets (`default` uses the deployment's). */
const noStore: AccountSecretStore = {
  read: async () => null,
  write: async () => {
    throw new ConfigError(
      'Set PAYMENT_ACCOUNT_SECRET_PREFIX (or, locally, EMIS_TABLE) to save payment accounts',
    );
  },
};

/**
 * Secrets Manager when PAYMENT_ACCOUNT_SECRET_PREFIX is set (AWS), else the emis table (local),
 * else none. One per process (shared/wiring.ts's `perContainer`): every function of the process
 * reads through the same cache, so a saved account is seen by the others at once.
 */
export const accountSecrets = perContainer(
  () => ({ prefix: envOptional('PAYMENT_ACCOUNT_SECRET_PREFIX'), table: envOptional('EMIS_TABLE') }),
  ({ prefix, table }): AccountSecretStore =>
    prefix !== undefined
      ? secretsManagerStore(prefix)
      : table !== undefined
        ? tableSecretStore(table)
        : noStore,
);
