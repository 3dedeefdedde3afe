/**
 * The sandbox's runtime knobs (`GET`/`PUT /_sandbox/config`, `sandbox.config`). A PUT changes
 * only the keys it names; unknown keys and out-of-range values are refused with 400.
 */
import { z } from 'zod';
import { REFUND_MODES, type RefundMode } from './model';

export interface SandboxConfig {
  /** where webhooks go; '' turns delivery off */
  webhookUrl: string;
  /** HMAC key of `x-razorpay-signature`; events keep the secret in force when they were created */
  webhookSecret: string;
  /** added to every /v1 answer */
  latencyMs: number;
  /** /v1 requests allowed in any one-second window; 0 = unlimited; beyond it: 429 */
  rateLimitPerSecond: number;
  /** share (0..1) of /v1 requests answered 500 without doing anything */
  errorRate: number;
  /** share (0..1) of /v1 requests carried out but answered only after `hangMs` */
  hangRate: number;
  hangMs: number;
  /** deliver each webhook this many times (0 and 1 both mean once) */
  duplicateWebhooks: number;
  /** deliver the webhooks of one payment in a random order, with small random gaps */
  shuffleWebhooks: boolean;
  /**
   * resends (`notify_by`) allowed per link and medium in any 60 s; beyond it: 429 `Request rate
   * limit exceeded. Please try again later.` (Razorpay's own throttle, reference §1.10); 0 = none
   */
  notifyPerMinute: number;
  /**
   * what refund creates do: `processed` (default: created pending, then `refund.processed`),
   * `failed` (then `refund.failed`), `refused` (400, none made), `hang` (made, but the create and
   * the refund look-ups answer only after `hangMs`: a lost answer, to be looked up)
   */
  refundMode: RefundMode;
}

const webhookUrl = z.union([
  z.literal(''),
  z.url({ protocol: /^https?$/, error: 'webhookUrl must be an http(s) URL or "" (no delivery)' }),
]);

const configPatchSchema = z
  .strictObject({
    webhookUrl,
    webhookSecret: z.string().min(1),
    latencyMs: z.int().min(0).max(120_000),
    rateLimitPerSecond: z.int().min(0).max(100_000),
    errorRate: z.number().min(0).max(1),
    hangRate: z.number().min(0).max(1),
    hangMs: z.int().min(0).max(600_000),
    duplicateWebhooks: z.int().min(0).max(20),
    shuffleWebhooks: z.boolean(),
    notifyPerMinute: z.int().min(0).max(1000),
    refundMode: z.enum(REFUND_MODES),
  })
  .partial();

/** A readable one-line reason per bad field, e.g. `errorRate: Too big: expected number to be <=1`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown key(s): ${issue.keys.join(', ')}`;
    const path = issue.path.join('.');
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(issues.join('; '));
    this.name = 'ConfigError';
  }
}

/** Returns the config with `patch` applied, or throws ConfigError naming each bad key. */
export function applyConfigPatch(current: SandboxConfig, patch: unknown): SandboxConfig {
  const parsed = configPatchSchema.safeParse(patch);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const next = { ...current };
  for (const [key, value] of Object.entries(parsed.data)) {
    if (value !== undefined) Object.assign(next, { [key]: value });
  }
  return next;
}

/**
 * One merchant of the sandbox (`PUT /_sandbox/accounts`): its key pair, and where and how its
 * webhooks go; `rateLimitPerSecond` (its own limit) falls back to the config's. The first
 * merchant's webhook URL and secret may be left out: the config's apply.
 */
export interface MerchantSpec {
  keyId: string;
  keySecret: string;
  webhookUrl?: string;
  webhookSecret?: string;
  rateLimitPerSecond?: number;
}

const merchantSchema = z.strictObject({
  keyId: z
    .string()
    .regex(/^rzp_(test|live)_[A-Za-z0-9]{6,40}$/, 'keyId must look like rzp_test_… or rzp_live_…'),
  keySecret: z.string().min(8),
  webhookSecret: z.string().min(1),
  webhookUrl,
  rateLimitPerSecond: z.int().min(0).max(100_000).optional(),
});

/** A merchant from a PUT body, or ConfigError naming each bad key. */
export function parseMerchantSpec(body: unknown): MerchantSpec {
  const parsed = merchantSchema.safeParse(body);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  return parsed.data;
}
