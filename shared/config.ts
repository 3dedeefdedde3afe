/**
 * Configuration from process.env, parsed once per cold start. Each function asks only for
 * what it uses: resource names and secrets set by CDK (`env('EMIS_TABLE')`), tunable settings
 * from the SETTINGS catalogue (`setting('BULK_CONCURRENCY')`). A missing or malformed variable
 * fails fast with a ConfigError naming it. A setting is parsed once per value it takes (on Lambda,
 * once per container), so nothing needs resetting when a test points the environment elsewhere.
 */
import * as z from 'zod/mini';
import { ConfigError } from './domain/errors';

/** A required string variable. */
export function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`Missing required environment variable ${name}`);
  }
  return value;
}

/** An optional string variable. */
export function envOptional(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * The tunable settings, each said once: its type, bounds, default and meaning. Functions read
 * them with `setting('NAME')` (parsed on first read, cached); a malformed value fails fast with a
 * ConfigError naming the variable and what it must be. The README's configuration table is
 * checked against this catalogue (test/unit/config.test.ts). The local runtime's own settings
 * are in `LOCAL_SETTINGS` below.
 */
export const SETTINGS = {
  RAZORPAY_TIMEOUT_MS: int(8000, 100, 25_000, 'per-call timeout toward Razorpay'),
  RAZORPAY_MAX_ATTEMPTS: int(3, 1, 10, 'attempts per Razorpay operation'),
  DYNAMODB_MAX_ATTEMPTS: int(4, 1, 20, 'attempts per DynamoDB call (the SDK retries throttling and 5xx)'),
  EXIMPE_TIMEOUT_MS: int(8000, 100, 25_000, 'per-call timeout toward EximPe'),
  LINK_DEFAULT_EXPIRY_DAYS: int(14, 1, 180, 'link lifetime when `expireBy` is not given'),
  LINK_NOTIFY_SMS: bool(false, "Razorpay's own SMS on a new link"),
  LINK_NOTIFY_EMAIL: bool(false, "Razorpay's own e-mail on a new link"),
  LINK_REMINDERS: bool(true, "Razorpay's reminders"),
  BULK_RATE_PER_SECOND: int(20, 1, 1000, 'bulk creates per second toward Razorpay, per worker instance'),
  BULK_CONCURRENCY: int(4, 1, 64, "a bulk worker's in-flight creates"),
  BULK_MAX_ITEM_ATTEMPTS: int(3, 1, 20, 'deliveries a bulk item gets before it is a failed row'),
  IMPORT_MAX_ROWS_PER_INVOCATION: int(
    0,
    0,
    10_000_000,
    'rows an import worker writes before it hands on to a continuation (0: only its time budget decides)',
  ),
} as const;

/** The local runtime's settings (npm start, tests), read by local/system.ts. */
export const LOCAL_SETTINGS = {
  PORT: int(3000, 1, 65_535, 'local API, webhook and web page'),
  RAZORPAY_SANDBOX_PORT: int(4010, 1, 65_535, "the sandbox's API and hosted pay pages"),
  DYNAMODB_PORT: int(8000, 1, 65_535, 'DynamoDB Local'),
  S3_PORT: int(4569, 1, 65_535, 'S3 emulator'),
  EXIMPE_SANDBOX_PORT: int(4030, 1, 65_535, "the EximPe sandbox's API and hosted pay pages"),
  AUTH_PORT: int(4020, 1, 65_535, 'the local OpenID Connect provider'),
} as const;

export interface Setting<T> {
  default: T;
  /** what the README's table shows as the default */
  shown: string;
  doc: string;
  parse(name: string, raw: string): T;
}

function int(fallback: number, min: number, max: number, doc: string): Setting<number> {
  const schema = z.int().check(z.minimum(min), z.maximum(max));
  return {
    default: fallback,
    shown: String(fallback),
    doc,
    parse(name, raw) {
      const parsed = schema.safeParse(/^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN);
      if (!parsed.success) {
        throw new ConfigError(`Environment variable ${name} must be an integer from ${min} to ${max}`);
      }
      return parsed.data;
    },
  };
}

function bool(fallback: boolean, doc: string): Setting<boolean> {
  const schema = z.enum(['true', '1', 'false', '0']);
  return {
    default: fallback,
    shown: String(fallback),
    doc,
    parse(name, raw) {
      const parsed = schema.safeParse(raw.trim());
      if (!parsed.success) throw new ConfigError(`Environment variable ${name} must be true or false`);
      return parsed.data === 'true' || parsed.data === '1';
    },
  };
}

type Catalogue = Record<string, Setting<unknown>>;
type ValueOf<C extends Catalogue, K extends keyof C> = C[K] extends Setting<infer T> ? T : never;

/** Each setting's last raw value and what it parsed to. */
const parsed = new Map<string, { raw: string | undefined; value: unknown }>();

function read<C extends Catalogue, K extends keyof C & string>(catalogue: C, name: K): ValueOf<C, K> {
  const raw = envOptional(name);
  const last = parsed.get(name);
  if (last !== undefined && last.raw === raw) return last.value as ValueOf<C, K>;
  const def = catalogue[name]!;
  const value = raw === undefined ? def.default : def.parse(name, raw);
  parsed.set(name, { raw, value });
  return value as ValueOf<C, K>;
}

/** A tunable setting of the functions (SETTINGS), parsed once per value. */
export function setting<K extends keyof typeof SETTINGS>(name: K): ValueOf<typeof SETTINGS, K> {
  return read(SETTINGS, name);
}

/** A setting of the local runtime (LOCAL_SETTINGS), parsed on every call (one process may start several systems). */
export function localSetting<K extends keyof typeof LOCAL_SETTINGS>(
  name: K,
): ValueOf<typeof LOCAL_SETTINGS, K> {
  const raw = envOptional(name);
  const def = LOCAL_SETTINGS[name];
  return (raw === undefined ? def.default : def.parse(name, raw)) as ValueOf<typeof LOCAL_SETTINGS, K>;
}
