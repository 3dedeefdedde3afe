/**
 * The payment-account routes' dependencies (architecture §4b), wired once per cold start. No
 * provider SDK here: the routes that check keys pass their own checker.
 */
import { accountSecrets } from './adapters/secrets/account-secrets';
import { envOptional } from './config';
import type { AccountCredentials } from './domain/accounts';
import { systemClock } from './domain/dates';
import type { AccountDeps } from './usecases/payment-accounts';
import { accounts } from './wiring';

const noKeyCheck = async (_: AccountCredentials): Promise<'accepted' | 'rejected'> => {
  throw new Error('this route does not check keys');
};

/**
 * Where the API is reached from outside: PUBLIC_BASE_URL when set (the deployment's API URL),
 * else the request's own host (https, or http for a loopback host: the local gateway).
 */
export function publicBaseUrl(headers: Record<string, string | undefined>): string {
  const configured = envOptional('PUBLIC_BASE_URL');
  if (configured !== undefined) return configured;
  const host = headers.host ?? 'localhost';
  // API Gateway answers only https; the local gateway only http
  const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);
  const proto = headers['x-forwarded-proto'] ?? (local ? 'http' : 'https');
  return `${proto}://${host}`;
}

export function accountDeps(
  headers: Record<string, string | undefined>,
  options: { checkKeys?: AccountDeps['checkKeys']; changed?: () => void } = {},
): AccountDeps {
  return {
    accounts: accounts(),
    secrets: accountSecrets(),
    checkKeys: options.checkKeys ?? noKeyCheck,
    clock: systemClock,
    publicBaseUrl: publicBaseUrl(headers),
    changed: options.changed,
  };
}
