/**
 * Razorpay secrets from AWS Secrets Manager, read through one module-scope client and cached
 * per ARN for a TTL: warm invocations reuse the value, and a rotated secret is picked up
 * within the TTL (or at once through `refresh`). Concurrent readers share one in-flight
 * request. A failed read is not cached.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../domain/errors';
import { isRecord } from '../../domain/records';
import { registerSecret } from '../../observability/redact';
import { traced } from '../../tracing';

export const SECRET_TTL_MS = 5 * 60 * 1000;

let client: SecretsManagerClient | undefined;

/** Created on first use (local runs never need it), then reused across invocations. */
function secretsManager(): SecretsManagerClient {
  client ??= traced(new SecretsManagerClient({}));
  return client;
}

interface Entry {
  expiresAt: number;
  value: Promise<Record<string, unknown>>;
}

const cache = new Map<string, Entry>();

/**
 * The secret's JSON object. Errors name the ARN's variable, never the secret's content.
 * `refresh` skips the cache (e.g. after Razorpay refused the cached credentials).
 */
export function readSecretJson(
  arn: string,
  variable: string,
  options: { refresh?: boolean; now?: () => number } = {},
): Promise<Record<string, unknown>> {
  const now = (options.now ?? Date.now)();
  const hit = cache.get(arn);
  if (hit && !options.refresh && hit.expiresAt > now) return hit.value;
  const value = fetchSecretJson(arn, variable);
  const entry: Entry = { expiresAt: now + SECRET_TTL_MS, value };
  cache.set(arn, entry);
  value.catch(() => {
    if (cache.get(arn) === entry) cache.delete(arn);
  });
  return value;
}

async function fetchSecretJson(arn: string, variable: string): Promise<Record<string, unknown>> {
  const out = await secretsManager().send(new GetSecretValueCommand({ SecretId: arn }));
  if (typeof out.SecretString !== 'string') {
    throw new ConfigError(`The secret named by ${variable} has no SecretString`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.SecretString);
  } catch {
    throw new ConfigError(`The secret named by ${variable} is not JSON`);
  }
  if (!isRecord(parsed)) throw new ConfigError(`The secret named by ${variable} is not a JSON object`);
  // key material: masked wherever it would appear in a log line
  for (const field of Object.values(parsed)) if (typeof field === 'string') registerSecret(field);
  return parsed;
}

/** A non-empty string field of a secret, or a ConfigError naming the field (not its value). */
export function secretField(secret: Record<string, unknown>, field: string, variable: string): string {
  const value = secret[field];
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(`The secret named by ${variable} lacks the string field "${field}"`);
  }
  return value;
}

/** For tests: forget cached secrets. */
export function clearSecretCache(): void {
  cache.clear();
}
