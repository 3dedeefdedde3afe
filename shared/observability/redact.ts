/**
 * Personal data and key material never reach a log line. Two nets, applied by the log formatter
 * (shared/log.ts) to every entry, whatever a caller passes:
 *   1. by key: a field whose name says it holds a person's data, a body or a credential is
 *      replaced whole (`clientName`, `phone`, `email`, `customer`, `body`, `keySecret`, …);
 *   2. by value: inside any string (messages, error messages and stacks included), e-mail
 *      addresses, Indian and international phone numbers, `Basic`/`Bearer` credentials, JWTs and
 *      the secrets this process holds (registered by the adapters that load them) are masked.
 * Names cannot be recognised in free text: they are kept out by the first net and by never
 * logging bodies (house style).
 */

export const REDACTED = '[redacted]';

/** Compared lower-cased with everything but letters and digits removed. */
const SENSITIVE_KEYS = new Set([
  // people
  'name',
  'clientname',
  'customername',
  'borrowername',
  'fullname',
  'firstname',
  'lastname',
  'username',
  'customer',
  'contact',
  'phone',
  'phonenumber',
  'mobile',
  'email',
  'emailid',
  'address',
  // whole payloads: bodies, Razorpay notes, items echoed by DynamoDB errors
  'body',
  'rawbody',
  'payload',
  'notes',
  'item',
  // credentials
  'authorization',
  'cookie',
  'password',
  'secret',
  'keysecret',
  'webhooksecret',
  'clientsecret',
  'token',
  'accesstoken',
  'idtoken',
  'refreshtoken',
  'apikey',
  'signature',
  'xrazorpaysignature',
]);

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

const PATTERNS: [RegExp, string][] = [
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, '[email]'],
  [/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]+/gi, '$1 [redacted]'],
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[jwt]'],
  // +91 / 91 / 0 prefixed or bare Indian mobiles, with optional space or dash groups
  [/(?<![\w+])(?:\+?91[\s-]?|0)?[6-9]\d{4}[\s-]?\d{5}(?!\w)/g, '[phone]'],
  // any other international number written with a +
  [/(?<![\w+])\+\d[\d\s-]{7,15}\d(?!\w)/g, '[phone]'],
];

const registered = new Set<string>();
/** environment variables that may hold key material in a local run or a test */
const SECRET_ENV_VARS = [
  'RAZORPAY_KEY_SECRET',
  'RAZORPAY_WEBHOOK_SECRET',
  'RAZORPAY_WEBHOOK_SECRET_PREVIOUS',
];
/** shorter values would mask ordinary words */
const MIN_SECRET_LENGTH = 6;

/** Key material this process holds: masked wherever it would appear in a log line. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) registered.add(value);
}

function secrets(): string[] {
  const out = [...registered];
  for (const name of SECRET_ENV_VARS) {
    const value = process.env[name];
    if (value && value.length >= MIN_SECRET_LENGTH) out.push(value);
  }
  return out;
}

export function redactText(text: string): string {
  let out = text;
  for (const secret of secrets()) if (out.includes(secret)) out = out.split(secret).join('[secret]');
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A copy of `value` with sensitive keys replaced and every string masked; cycles are cut. */
export function redactDeep(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) return redactError(value, seen);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSensitiveKey(k) && v !== undefined && v !== null ? REDACTED : redactDeep(v, seen);
  }
  return out;
}

/** An error as a plain object: its name kept, message and stack masked, other fields by key. */
export function redactError(err: Error, seen = new WeakSet<object>()): Record<string, unknown> {
  seen.add(err);
  const out: Record<string, unknown> = { name: err.name, message: redactText(err.message) };
  if (err.stack) out.stack = redactText(err.stack);
  if (err.cause !== undefined) out.cause = redactDeep(err.cause, seen);
  for (const [k, v] of Object.entries(err)) {
    if (k === 'name' || k === 'message' || k === 'stack' || k === 'cause') continue;
    out[k] = isSensitiveKey(k) ? REDACTED : redactDeep(v, seen);
  }
  return out;
}
