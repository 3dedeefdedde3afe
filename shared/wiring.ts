/**
 * Adapters wired once per cold start, shared by handlers that need them. Each getter builds
 * its adapter on first use only, so a function that never touches a table never asks for
 * its environment variable.
 */
import { EmiStore } from './adapters/dynamo/emi-store';
import { LinkStore } from './adapters/dynamo/link-store';
import { OpsStore } from './adapters/dynamo/ops-store';
import { createGatewayFromEnv } from './adapters/razorpay/gateway';
import { env, envBool, envInt } from './config';
import { systemClock } from './domain/dates';
import type { PaymentGateway } from './domain/gateway';
import type { LinkDeps, LinkSettings } from './usecases/link-deps';

let emiStore: EmiStore | undefined;
let linkStore: LinkStore | undefined;
let opsStore: OpsStore | undefined;
let paymentGateway: PaymentGateway | undefined;
let deps: LinkDeps | undefined;

export function emis(): EmiStore {
  emiStore ??= new EmiStore(env('EMIS_TABLE'));
  return emiStore;
}

export function links(): LinkStore {
  linkStore ??= new LinkStore(env('LINKS_TABLE'), env('EMIS_TABLE'));
  return linkStore;
}

export function ops(): OpsStore {
  opsStore ??= new OpsStore(env('OPS_TABLE'));
  return opsStore;
}

export function gateway(): PaymentGateway {
  // request paths must finish inside API Gateway's 30 s: bounded attempts × per-call timeout
  paymentGateway ??= createGatewayFromEnv({ maxAttempts: envInt('RAZORPAY_MAX_ATTEMPTS', 3) });
  return paymentGateway;
}

export function linkSettings(): LinkSettings {
  return {
    defaultExpiryDays: envInt('LINK_DEFAULT_EXPIRY_DAYS', 14),
    notifySms: envBool('LINK_NOTIFY_SMS', false),
    notifyEmail: envBool('LINK_NOTIFY_EMAIL', false),
    reminders: envBool('LINK_REMINDERS', true),
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
  emiStore = undefined;
  linkStore = undefined;
  opsStore = undefined;
  paymentGateway = undefined;
  deps = undefined;
}
