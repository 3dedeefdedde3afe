/**
 * The payment-account routes' dependencies (architecture §4b), wired the one way
 * (shared/wiring.ts). No provider SDK here: the routes that check keys pass their own checker.
 */
import { accountSecrets } from './adapters/secrets/account-secrets';
import { envOptional } from './config';
import type { AccountCredentials } from './domain/accounts';
import { systemClock } from './domain/dates';
import type { AccountDeps } from './usecases/payment-accounts';
import { makeStores, perContainer, tablesConfig } from './wiring';

const noKeyCheck = async (_: AccountCredentials): Promise<'accepted' | 'rejected'> => {
  throw new Error('this route does not check keys');
};

/**
 * Where the API is reached from outside: PUBLIC_BASE_URL when set (the deployment's API URL),
 * else the request's own host (https, or http for a loopback host: the local gateway).
 */
export function publicBaseUrl(
  configured: string | undefined,
  headers: Record<string, string | undefined>,
): string {
  if (configured !== undefined) return configured;
  const host = headers.host ?? 'localhost';
  // API Gateway answers only https; the local gateway only http
  const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);
  const proto = headers['x-forwarded-proto'] ?? (local ? 'http' : 'https');
  return `${proto}://${host}`;
}

export function accountConfig() {
  return { tables: tablesConfig(), publicBaseUrl: envOptional('PUBLIC_BASE_URL') };
}

/** The routes' dependencies; what depends on the request (the host, the key check) is given per call. */
export function makeAccountDeps(config: ReturnType<typeof accountConfig>) {
  const stores = makeStores(config.tables);
  return (
    headers: Record<string, string | undefined>,
    options: { checkKeys?: AccountDeps['checkKeys']; changed?: () => void } = {},
  ): AccountDeps => ({
    accounts: stores.accounts,
    secrets: accountSecrets(),
    checkKeys: options.checkKeys ?? noKeyCheck,
    clock: systemClock,
    publicBaseUrl: publicBaseUrl(config.publicBaseUrl, headers),
    changed: options.changed,
  });
}

export const accountDeps = perContainer(accountConfig, makeAccountDeps);
