/**
 * The link use cases' dependencies, with each payment account's gateway (shared/wiring.ts says
 * how functions are wired). Only functions that talk to a provider import this module: it pulls
 * in the SDKs and axios.
 */
import { AccountDirectory } from './adapters/account-directory';
import { accountGateways, type GatewaySettings, gatewaySettingsFromEnv } from './adapters/payment-gateways';
import { loadRazorpayCredentials } from './adapters/razorpay/gateway';
import { accountSecrets } from './adapters/secrets/account-secrets';
import { envOptional, setting } from './config';
import { systemClock } from './domain/dates';
import type { LinkDeps, LinkSettings } from './usecases/link-deps';
import { makeStores, perContainer, type TablesConfig, tablesConfig } from './wiring';

/**
 * Payment accounts as the functions read them (lender → account, each account's secrets). One
 * per process, shared by every function in it, so an account saved by one function is seen by
 * the others at once under the one-machine runtime (on Lambda a process holds one function).
 */
export const accountDirectory = perContainer(
  tablesConfig,
  (tables) => new AccountDirectory(makeStores(tables).accounts, accountSecrets(), loadRazorpayCredentials),
);

export interface LinkConfig {
  tables: TablesConfig;
  gateway: GatewaySettings;
  settings: LinkSettings;
}

export function linkSettings(): LinkSettings {
  return {
    defaultExpiryDays: setting('LINK_DEFAULT_EXPIRY_DAYS'),
    notifySms: setting('LINK_NOTIFY_SMS'),
    notifyEmail: setting('LINK_NOTIFY_EMAIL'),
    reminders: setting('LINK_REMINDERS'),
    payReturnUrl: envOptional('PAY_RETURN_URL'),
  };
}

export function linkConfig(): LinkConfig {
  return {
    tables: tablesConfig(),
    // request paths must finish inside API Gateway's 30 s: bounded attempts × per-call timeout
    gateway: gatewaySettingsFromEnv({ maxAttempts: setting('RAZORPAY_MAX_ATTEMPTS') }),
    settings: linkSettings(),
  };
}

/** Everything the link use cases need; one gateway (one SDK client) per payment account. */
export function makeLinkDeps(config: LinkConfig): LinkDeps {
  const stores = makeStores(config.tables);
  return {
    emis: stores.emis,
    links: stores.links,
    // functions without `ops` access never touch it
    get ops() {
      return stores.ops;
    },
    gateways: accountGateways(accountDirectory(), config.gateway),
    clock: systemClock,
    settings: config.settings,
  };
}

/** The link dependencies of this container. */
export const linkDeps = perContainer(linkConfig, makeLinkDeps);
