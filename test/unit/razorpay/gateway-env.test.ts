import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountDirectory } from '../../../shared/adapters/account-directory';
import { accountGateways, gatewaySettingsFromEnv } from '../../../shared/adapters/payment-gateways';
import { loadRazorpayCredentials } from '../../../shared/adapters/razorpay/gateway';
import { DEFAULT_ACCOUNT_ID } from '../../../shared/domain/accounts';
import { ConfigError, GatewayAuthError } from '../../../shared/domain/errors';
import { razorpayError, type StubRazorpay, startStubRazorpay } from './stub-server';

const VARIABLES = [
  'RAZORPAY_API_BASE_URL',
  'RAZORPAY_TIMEOUT_MS',
  'RAZORPAY_API_SECRET_ARN',
  'RAZORPAY_KEY_ID',
  'RAZORPAY_KEY_SECRET',
];
/** one secret per test: the secrets cache lives as long as the process, as on Lambda */
let secretNumber = 0;
let ARN = '';

const noAccounts = { accountOfLender: async () => null };
const noAccountSecrets = { read: async () => null, write: async () => {} };

/**
 * The default account's gateway as the link functions build it (shared/wiring-links.ts): its
 * settings read from the environment now, its credentials (RAZORPAY_KEY_* or the secret named by
 * RAZORPAY_API_SECRET_ARN) on the first call.
 */
function defaultGatewayFromEnv() {
  const gateways = accountGateways(
    new AccountDirectory(noAccounts, noAccountSecrets, loadRazorpayCredentials),
    gatewaySettingsFromEnv(),
  );
  return {
    findLinkByReferenceId: async (ref: string) =>
      (
        await gateways.forAccount({ accountId: DEFAULT_ACCOUNT_ID, provider: 'razorpay' })
      ).findLinkByReferenceId(ref),
  };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('the default account’s gateway from the environment', () => {
  const sm = mockClient(SecretsManagerClient);
  const saved = { ...process.env };
  let stub: StubRazorpay;

  beforeAll(async () => {
    stub = await startStubRazorpay();
  });
  afterAll(async () => {
    await stub.close();
  });
  beforeEach(() => {
    sm.reset();
    ARN = `arn:aws:secretsmanager:ap-south-1:123456789012:secret:razorpay-api-${++secretNumber}`;
    for (const name of VARIABLES) delete process.env[name];
    process.env.RAZORPAY_API_BASE_URL = stub.url;
    stub.reset();
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('uses RAZORPAY_KEY_ID/RAZORPAY_KEY_SECRET and RAZORPAY_API_BASE_URL when no secret ARN is set', async () => {
    process.env.RAZORPAY_KEY_ID = 'rzp_test_EnvKey000001';
    process.env.RAZORPAY_KEY_SECRET = 'env-secret';
    const gateway = defaultGatewayFromEnv();
    expect(await gateway.findLinkByReferenceId('ref-env')).toBeNull();
    expect(stub.requests[0]?.headers.authorization).toBe(basic('rzp_test_EnvKey000001', 'env-secret'));
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('fails naming the variable, and sends nothing, when the key variables are missing', async () => {
    const gateway = defaultGatewayFromEnv();
    await expect(gateway.findLinkByReferenceId('ref-none')).rejects.toThrow(ConfigError);
    await expect(gateway.findLinkByReferenceId('ref-none')).rejects.toThrow(/RAZORPAY_KEY_ID/);
    expect(stub.requests).toHaveLength(0);
  });

  it('fails at creation when RAZORPAY_TIMEOUT_MS is not an integer', () => {
    process.env.RAZORPAY_KEY_ID = 'k';
    process.env.RAZORPAY_KEY_SECRET = 's';
    process.env.RAZORPAY_TIMEOUT_MS = 'soon';
    expect(() => defaultGatewayFromEnv()).toThrow(/RAZORPAY_TIMEOUT_MS/);
  });

  it('reads {keyId, keySecret} from Secrets Manager once and reuses it across calls', async () => {
    process.env.RAZORPAY_API_SECRET_ARN = ARN;
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({
      SecretString: JSON.stringify({ keyId: 'rzp_test_SmKey0000001', keySecret: 'sm-secret' }),
    });
    const gateway = defaultGatewayFromEnv();
    await gateway.findLinkByReferenceId('ref-a');
    await gateway.findLinkByReferenceId('ref-b');
    expect(stub.requests.map((r) => r.headers.authorization)).toEqual([
      basic('rzp_test_SmKey0000001', 'sm-secret'),
      basic('rzp_test_SmKey0000001', 'sm-secret'),
    ]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('re-reads a rotated secret once when Razorpay refuses the cached credentials', async () => {
    process.env.RAZORPAY_API_SECRET_ARN = ARN;
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ keyId: 'rzp_test_OldKey0000001', keySecret: 'old' }) })
      .resolves({ SecretString: JSON.stringify({ keyId: 'rzp_test_NewKey0000001', keySecret: 'new' }) });
    const gateway = defaultGatewayFromEnv();
    stub.faults.list.push({ status: 401, body: razorpayError('The api key provided is invalid') });
    expect(await gateway.findLinkByReferenceId('ref-rotated')).toBeNull();
    expect(stub.requests.map((r) => r.headers.authorization)).toEqual([
      basic('rzp_test_OldKey0000001', 'old'),
      basic('rzp_test_NewKey0000001', 'new'),
    ]);
  });

  it('still throws GatewayAuthError when the fresh secret is the same one Razorpay refused', async () => {
    process.env.RAZORPAY_API_SECRET_ARN = ARN;
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ keyId: 'rzp_test_BadKey0000001', keySecret: 'bad' }),
    });
    stub.faults.list.push({ status: 401, body: razorpayError('The api key provided is invalid') });
    await expect(defaultGatewayFromEnv().findLinkByReferenceId('ref-bad')).rejects.toThrow(GatewayAuthError);
    expect(stub.count('list')).toBe(1);
  });

  it('names the missing secret field without echoing the secret', async () => {
    process.env.RAZORPAY_API_SECRET_ARN = ARN;
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ key_id: 'x', key_secret: 'hush' }),
    });
    const err = await loadRazorpayCredentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/keyId/);
    expect((err as Error).message).not.toContain('hush');
  });
});
