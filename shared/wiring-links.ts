/**
 * The link use cases' dependencies, with the Razorpay gateway, wired once per cold start.
 * Only functions that talk to Razorpay import this module (it pulls in the SDK and axios).
 */
import { AccountDirectory } from './adapters/account-directory';
import { accountGateways, gatewaySettingsFromEnv } from './adapters/payment-gateways';
import { loadRazorpayCredentials } from './adapters/razorpay/gateway';
import { accountSecrets } from './adapters/secrets/account-secrets';
import { envOptional, setting } from './config';
import { systemClock } from './domain/dates';
import type { PaymentGateways } from './domain/gateway';
import type { LinkDeps, LinkSettings } from './usecases/link-deps';
import { accounts, emis, links, ops, resetStores } from './wiring';

let paymentGateways: PaymentGateways | undefined;
let directory: AccountDirectory | undefined;
let deps: LinkDeps | undefined;

/** Payment accounts as the functions read them (lender → account, each account's secrets). */
export function accountDirectory(): AccountDirectory {
  directory ??= new AccountDirectory(accounts(), accountSecrets(), loadRazorpayCredentials);
  return directory;
}

/** One gateway per payment account, each with its own SDK client, reused across invocations. */
export function gateways(): PaymentGateways {
  // request paths must finish inside API Gateway's 30 s: bounded attempts × per-call timeout
  paymentGateways ??= accountGateways(
    accountDirectory(),
    gatewaySettingsFromEnv({ maxAttempts: setting('RAZORPAY_MAX_ATTEMPTS') }),
  );
  return paymentGateways;
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

/** Everything the link use cases need. Functions without `ops` access never call ops(). */
export function linkDeps(): LinkDeps {
  deps ??= {
    emis: emis(),
    links: links(),
    get ops() {
      return ops();
    },
    gateways: gateways(),
    clock: systemClock,
    settings: linkSettings(),
  };
  return deps;
}

/** For tests that rebuild the environment between files. */
export function resetWiring(): void {
  resetStores();
  paymentGateways = undefined;
  directory = undefined;
  deps = undefined;
}
