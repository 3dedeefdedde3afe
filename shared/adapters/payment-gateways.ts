/**
 * PaymentGateways on the payment accounts (architecture §4b): which account a lender's new links
 * go to, each account's credentials, and one gateway (one SDK client) per account, built on first
 * use and reused across invocations; rebuilt only when the account's keys change. The account's
 * `provider` picks the adapter: `razorpay` today; another provider adds a branch in `build`.
 *
 * Only functions that call the provider import this module (it pulls in the SDK).
 */
import { envOptional, setting } from '../config';
import type { AccountCredentials, AccountRef } from '../domain/accounts';
import { ConfigError, GatewayAuthError } from '../domain/errors';
import type { PaymentGateway, PaymentGateways } from '../domain/gateway';
import type { AccountDirectory } from './account-directory';
import { EximpeGateway } from './eximpe/gateway';
import { RazorpayGateway, type RazorpayGatewayOptions } from './razorpay/gateway';

export type GatewaySettings = Omit<RazorpayGatewayOptions, 'keyId' | 'keySecret'> & {
  /** EximPe's API (EXIMPE_API_BASE_URL; default its production host) */
  eximpeBaseUrl?: string;
  eximpeTimeoutMs?: number;
};

interface Built {
  keyId: string;
  keySecret: string;
  apiVersion?: string;
  gateway: PaymentGateway;
}

function build(settings: GatewaySettings, creds: AccountCredentials): PaymentGateway {
  const { eximpeBaseUrl, eximpeTimeoutMs, ...common } = settings;
  if (creds.provider === 'razorpay') return new RazorpayGateway({ ...common, ...creds });
  if (creds.provider === 'eximpe') {
    return new EximpeGateway({
      ...common,
      baseUrl: eximpeBaseUrl,
      timeoutMs: eximpeTimeoutMs ?? common.timeoutMs,
      clientId: creds.keyId,
      clientSecret: creds.keySecret,
      apiVersion: creds.apiVersion,
    });
  }
  throw new ConfigError(`Payment provider ${String(creds.provider)} is not supported`);
}

/**
 * One gateway per account. Each call resolves the account's credentials (cached), reuses the
 * account's client while they are unchanged, and, if the provider refuses them (401), reads the
 * secret again once so a key change takes effect without waiting for the cache.
 * `wrap` lets the bulk worker pace each account's calls through that account's own budget.
 */
export function accountGateways(
  directory: AccountDirectory,
  settings: GatewaySettings | ((account: AccountRef) => GatewaySettings),
  wrap: (gateway: PaymentGateway, account: AccountRef) => PaymentGateway = (g) => g,
): PaymentGateways {
  const built = new Map<string, Built>();
  const facades = new Map<string, PaymentGateway>();

  const clientFor = async (ref: AccountRef, refresh: boolean): Promise<PaymentGateway> => {
    const creds = await directory.credentials(ref, { refresh });
    const current = built.get(ref.accountId);
    if (
      current?.keyId === creds.keyId &&
      current.keySecret === creds.keySecret &&
      current.apiVersion === creds.apiVersion
    )
      return current.gateway;
    const gateway = build(typeof settings === 'function' ? settings(ref) : settings, creds);
    built.set(ref.accountId, {
      keyId: creds.keyId,
      keySecret: creds.keySecret,
      apiVersion: creds.apiVersion,
      gateway,
    });
    return gateway;
  };

  const facade = (ref: AccountRef): PaymentGateway => {
    const run = async <T>(op: (g: PaymentGateway) => Promise<T>): Promise<T> => {
      const gateway = await clientFor(ref, false);
      try {
        return await op(gateway);
      } catch (err) {
        if (!(err instanceof GatewayAuthError)) throw err;
        const fresh = await clientFor(ref, true);
        if (fresh === gateway) throw err;
        return op(fresh);
      }
    };
    return wrap(
      {
        createLink: (req) => run((g) => g.createLink(req)),
        fetchLink: (id) => run((g) => g.fetchLink(id)),
        findLinkByReferenceId: (ref) => run((g) => g.findLinkByReferenceId(ref)),
        cancelLink: (id) => run((g) => g.cancelLink(id)),
        // optional on the port: present when the account's provider has them
        ...optionalOps(run, ref),
      },
      ref,
    );
  };

  return {
    accountFor: (lender) => directory.accountFor(lender),
    forAccount: async (ref) => {
      let g = facades.get(ref.accountId);
      if (!g) {
        g = facade(ref);
        facades.set(ref.accountId, g);
      }
      return g;
    },
  };
}

/**
 * The port's optional calls, for providers whose adapter has them: resend, update and refunds
 * on Razorpay; extend and payment look-up on EximPe (whose refunds are not built: 422). Decided by the account's provider, not by
 * building a client first.
 */
type OptionalOp =
  | 'notifyLink'
  | 'updateLink'
  | 'extendLink'
  | 'fetchPayment'
  | 'refundPayment'
  | 'findRefund';

function optionalOps(
  run: <T>(op: (g: PaymentGateway) => Promise<T>) => Promise<T>,
  ref: AccountRef,
): Pick<PaymentGateway, OptionalOp> {
  const need = <K extends OptionalOp>(g: PaymentGateway, name: K) => {
    const fn = g[name];
    if (!fn) throw new ConfigError(`Payment provider ${ref.provider} has no ${name}`);
    return fn.bind(g) as NonNullable<PaymentGateway[K]>;
  };
  if (ref.provider === 'eximpe') {
    return {
      extendLink: (id, expireBy) => run((g) => need(g, 'extendLink')(id, expireBy)),
      fetchPayment: (id) => run((g) => need(g, 'fetchPayment')(id)),
    };
  }
  return {
    notifyLink: (id, via) => run((g) => need(g, 'notifyLink')(id, via)),
    updateLink: (id, change) => run((g) => need(g, 'updateLink')(id, change)),
    refundPayment: (req) => run((g) => need(g, 'refundPayment')(req)),
    findRefund: (paymentId, refundId) => run((g) => need(g, 'findRefund')(paymentId, refundId)),
  };
}

/** The gateway settings from the environment (read now, so a bad value fails the cold start). */
export function gatewaySettingsFromEnv(overrides: GatewaySettings = {}): GatewaySettings {
  return {
    baseUrl: envOptional('RAZORPAY_API_BASE_URL'),
    timeoutMs: setting('RAZORPAY_TIMEOUT_MS'),
    eximpeBaseUrl: envOptional('EXIMPE_API_BASE_URL'),
    eximpeTimeoutMs: setting('EXIMPE_TIMEOUT_MS'),
    ...overrides,
  };
}

/**
 * Whether the provider accepts a key pair, with one harmless call (Razorpay: list links by a
 * reference id nobody uses). 'rejected' when it answers 401; other failures propagate.
 */
export async function checkKeys(
  settings: GatewaySettings,
  creds: AccountCredentials,
): Promise<'accepted' | 'rejected'> {
  const gateway = build({ ...settings, maxAttempts: 2 }, creds);
  try {
    // EximPe: one page of one link (its list has no documented filter to aim with)
    if (gateway instanceof EximpeGateway) await gateway.checkCredentials();
    else await gateway.findLinkByReferenceId('key-check');
    return 'accepted';
  } catch (err) {
    if (err instanceof GatewayAuthError) return 'rejected';
    throw err;
  }
}
