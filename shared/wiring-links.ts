/**
 * The link use cases' dependencies, with the Razorpay gateway, wired once per cold start.
 * Only functions that talk to Razorpay import this module (it pulls in the SDK and axios).
 */
import { createGatewayFromEnv } from './adapters/razorpay/gateway';
import { setting } from './config';
import { systemClock } from './domain/dates';
import type { PaymentGateway } from './domain/gateway';
import type { LinkDeps, LinkSettings } from './usecases/link-deps';
import { emis, links, ops, resetStores } from './wiring';

let paymentGateway: PaymentGateway | undefined;
let deps: LinkDeps | undefined;

export function gateway(): PaymentGateway {
  // request paths must finish inside API Gateway's 30 s: bounded attempts × per-call timeout
  paymentGateway ??= createGatewayFromEnv({ maxAttempts: setting('RAZORPAY_MAX_ATTEMPTS') });
  return paymentGateway;
}

export function linkSettings(): LinkSettings {
  return {
    defaultExpiryDays: setting('LINK_DEFAULT_EXPIRY_DAYS'),
    notifySms: setting('LINK_NOTIFY_SMS'),
    notifyEmail: setting('LINK_NOTIFY_EMAIL'),
    reminders: setting('LINK_REMINDERS'),
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
    gateway: gateway(),
    clock: systemClock,
    settings: linkSettings(),
  };
  return deps;
}

/** For tests that rebuild the environment between files. */
export function resetWiring(): void {
  resetStores();
  paymentGateway = undefined;
  deps = undefined;
}
