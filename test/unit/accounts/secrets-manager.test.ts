/**
 * The payment accounts' Secrets Manager adapter (one secret per account under the project's
 * prefix), with the SDK mocked: reads go through Powertools Parameters' cache, a missing account
 * is remembered as missing, a write creates the secret when there is none and is seen at once,
 * and no error or value leaks a secret.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { secretsManagerStore } from '../../../shared/adapters/secrets/account-secrets';
import { webhookSecretsInForce } from '../../../shared/domain/accounts';
import { ConfigError } from '../../../shared/domain/errors';

const PREFIX = 'EmiLinks-test-Stateful/payment-accounts/';
const VALUE = {
  keyId: 'rzp_test_Unit0000001',
  keySecret: 'unit-key-secret-000001',
  webhookSecret: 'unit-webhook-secret-01',
};
const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });

describe('the payment accounts in Secrets Manager', () => {
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());

  it('reads one account by its name under the prefix, then from the cache', async () => {
    sm.on(GetSecretValueCommand, { SecretId: `${PREFIX}sahyadri` }).resolves({
      SecretString: JSON.stringify(VALUE),
    });
    const store = secretsManagerStore(PREFIX, new SecretsManagerClient({}));
    expect(await store.read('sahyadri')).toEqual(VALUE);
    expect(await store.read('sahyadri')).toEqual(VALUE);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    // `refresh` goes to Secrets Manager again (after Razorpay refused the cached keys)
    await store.read('sahyadri', { refresh: true });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('remembers an account that does not exist, so unknown webhook URLs cost one call per minute', async () => {
    sm.on(GetSecretValueCommand).rejects(notFound());
    const store = secretsManagerStore(PREFIX, new SecretsManagerClient({}));
    expect(await store.read('nobody')).toBeNull();
    expect(await store.read('nobody')).toBeNull();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('creates the secret for a new account, puts a new value on an existing one, and reads its own write', async () => {
    sm.on(PutSecretValueCommand, { SecretId: `${PREFIX}fresh` }).rejects(notFound());
    sm.on(PutSecretValueCommand, { SecretId: `${PREFIX}known` }).resolves({});
    sm.on(CreateSecretCommand).resolves({});
    const store = secretsManagerStore(PREFIX, new SecretsManagerClient({}));
    await store.write('fresh', VALUE);
    await store.write('known', VALUE);
    const created = sm.commandCalls(CreateSecretCommand);
    expect(created).toHaveLength(1);
    expect(created[0]!.args[0].input).toMatchObject({ Name: `${PREFIX}fresh` });
    expect(JSON.parse(created[0]!.args[0].input.SecretString!)).toEqual(VALUE);
    expect(await store.read('known')).toEqual(VALUE);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('refuses a secret without its fields, naming the account and the fields but no value', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ keySecret: VALUE.keySecret }) });
    const store = secretsManagerStore(PREFIX, new SecretsManagerClient({}));
    const err = await store.read('broken').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('broken');
    expect((err as Error).message).not.toContain(VALUE.keySecret);
  });
});

describe('the webhook secrets in force', () => {
  const now = new Date('2026-12-03T00:00:00Z');
  it('accepts the previous secret for its 24 hours only, current first', () => {
    const rotated = {
      ...VALUE,
      webhookSecret: 'new-secret-000000001',
      previousWebhookSecret: VALUE.webhookSecret,
      previousValidUntil: '2026-12-03T12:00:00Z',
    };
    expect(webhookSecretsInForce(rotated, now)).toEqual(['new-secret-000000001', VALUE.webhookSecret]);
    expect(webhookSecretsInForce(rotated, new Date('2026-12-03T12:00:01Z'))).toEqual([
      'new-secret-000000001',
    ]);
    expect(webhookSecretsInForce(VALUE, now)).toEqual([VALUE.webhookSecret]);
  });
});
