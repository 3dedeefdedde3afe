/**
 * The demo payment accounts (architecture §4b), seeded by `npm start` with its demo data:
 * `default` collects for Kaveri Finance and Deccan Credit with the sandbox's first merchant,
 * `sahyadri` for Sahyadri Microfin with a second merchant, whose webhooks go to its own URL.
 * Saved through the same use case as PUT /api/payment-accounts/{accountId}: keys are checked
 * with the sandbox first.
 */
import type { Actor } from '../shared/auth/actor';
import type { Sandbox } from './sandbox/server';

const DEMO_ADMIN: Actor = {
  sub: 'local-demo-data',
  name: 'demo data (npm start)',
  kind: 'machine',
  permissions: new Set(['admin']),
  lenders: '*',
};

export async function seedDemoAccounts(sandbox: Sandbox, apiUrl: string): Promise<number> {
  const [defaults, { accountSecrets }, { AccountStore }, gateways, { putAccount }, { systemClock }, env] =
    await Promise.all([
      import('./sandbox/defaults'),
      import('../shared/adapters/secrets/account-secrets'),
      import('../shared/adapters/dynamo/account-store'),
      import('../shared/adapters/payment-gateways'),
      import('../shared/usecases/payment-accounts'),
      import('../shared/domain/dates'),
      import('../shared/config'),
    ]);
  const base = apiUrl.replace('localhost', '127.0.0.1');
  sandbox.addAccount({
    keyId: defaults.SANDBOX_SAHYADRI_KEY_ID,
    keySecret: defaults.SANDBOX_SAHYADRI_KEY_SECRET,
    webhookSecret: defaults.SANDBOX_SAHYADRI_WEBHOOK_SECRET,
    webhookUrl: `${base}/webhooks/razorpay/sahyadri`,
  });
  const settings = gateways.gatewaySettingsFromEnv();
  const deps = {
    accounts: new AccountStore(env.env('EMIS_TABLE')),
    secrets: accountSecrets(),
    checkKeys: (creds: Parameters<typeof gateways.checkKeys>[1]) => gateways.checkKeys(settings, creds),
    clock: systemClock,
    publicBaseUrl: apiUrl,
  };
  const accounts = [
    {
      accountId: 'default',
      name: 'Kaveri and Deccan (default)',
      keyId: env.env('RAZORPAY_KEY_ID'),
      keySecret: env.env('RAZORPAY_KEY_SECRET'),
      webhookSecret: env.env('RAZORPAY_WEBHOOK_SECRET'),
      lenders: ['Kaveri Finance', 'Deccan Credit'],
    },
    {
      accountId: 'sahyadri',
      name: 'Sahyadri Microfin',
      keyId: defaults.SANDBOX_SAHYADRI_KEY_ID,
      keySecret: defaults.SANDBOX_SAHYADRI_KEY_SECRET,
      webhookSecret: defaults.SANDBOX_SAHYADRI_WEBHOOK_SECRET,
      lenders: ['Sahyadri Microfin'],
    },
  ];
  for (const { accountId, ...input } of accounts) {
    await putAccount(deps, accountId, { ...input, provider: 'razorpay' }, DEMO_ADMIN);
  }
  return accounts.length;
}
