/**
 * The demo payment accounts (architecture §4b), seeded by `npm start` with its demo data:
 * `default` collects for Kaveri Finance with the sandbox's first merchant, `sahyadri` for
 * Sahyadri Microfin with a second merchant, whose webhooks go to its own URL, and `deccan` for
 * Deccan Credit on EximPe (the EximPe sandbox's `deccan` merchant, webhooks to
 * /webhooks/eximpe/deccan) — when the EximPe sandbox runs; otherwise Deccan stays on `default`.
 * Saved through the same use case as PUT /api/payment-accounts/{accountId}: keys are checked
 * with the sandbox first.
 */
import type { Actor } from '../shared/auth/actor';
import type { EximpeSandbox } from './eximpe-sandbox/server';
import type { Sandbox } from './sandbox/server';

const DEMO_ADMIN: Actor = {
  sub: 'local-demo-data',
  name: 'demo data (npm start)',
  kind: 'machine',
  permissions: new Set(['admin']),
  lenders: '*',
};

export async function seedDemoAccounts(
  sandbox: Sandbox,
  apiUrl: string,
  eximpeSandbox?: EximpeSandbox,
): Promise<number> {
  const [defaults, { accountSecrets }, { AccountStore }, gateways, { putAccount }, { systemClock }, env, ex] =
    await Promise.all([
      import('./sandbox/defaults'),
      import('../shared/adapters/secrets/account-secrets'),
      import('../shared/adapters/dynamo/account-store'),
      import('../shared/adapters/payment-gateways'),
      import('../shared/usecases/payment-accounts'),
      import('../shared/domain/dates'),
      import('../shared/config'),
      import('./eximpe-sandbox/server'),
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
      lenders: eximpeSandbox ? ['Kaveri Finance'] : ['Kaveri Finance', 'Deccan Credit'],
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
  if (!eximpeSandbox) return accounts.length;
  eximpeSandbox.addAccount({
    clientId: ex.EXIMPE_DECCAN_CLIENT_ID,
    clientSecret: ex.EXIMPE_DECCAN_CLIENT_SECRET,
    webhookSecret: ex.EXIMPE_DECCAN_WEBHOOK_SECRET,
    webhookUrl: `${base}/webhooks/eximpe/deccan`,
  });
  await putAccount(
    deps,
    'deccan',
    {
      name: 'Deccan Credit (EximPe)',
      provider: 'eximpe',
      clientId: ex.EXIMPE_DECCAN_CLIENT_ID,
      clientSecret: ex.EXIMPE_DECCAN_CLIENT_SECRET,
      apiVersion: '1.0.0',
      webhookSecret: ex.EXIMPE_DECCAN_WEBHOOK_SECRET,
      lenders: ['Deccan Credit'],
    },
    DEMO_ADMIN,
  );
  return accounts.length + 1;
}
