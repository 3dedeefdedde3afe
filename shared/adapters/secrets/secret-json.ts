/**
 * Deployment secrets held as JSON in AWS Secrets Manager (the default account's Razorpay keys,
 * its webhook secret, the cursor key), read through the same Powertools Parameters provider and
 * the same cache lifetime as the payment accounts' secrets (account-secrets.ts): warm
 * invocations reuse the value, a rotated secret is picked up within SECRET_MAX_AGE_SECONDS, or
 * at once through `refresh`. Concurrent readers of a secret share one request; a failed read is
 * not cached.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../domain/errors';
import { isRecord } from '../../domain/records';
import { registerSecret } from '../../observability/redact';
import { traced } from '../../tracing';

/** Short: a rotation reaches every function within a minute. */
export const SECRET_MAX_AGE_SECONDS = 60;

let provider: SecretsProvider | undefined;

/** Created on first use (local runs never need it), then reused across invocations. */
function secrets(): SecretsProvider {
  provider ??= new SecretsProvider({ awsSdkV3Client: traced(new SecretsManagerClient({})) });
  return provider;
}

const inFlight = new Map<string, Promise<Record<string, unknown>>>();

/**
 * The secret's JSON object. Errors name the ARN's variable, never the secret's content.
 * `refresh` skips the cache (e.g. after Razorpay refused the cached credentials).
 */
export function readSecretJson(
  arn: string,
  variable: string,
  options: { refresh?: boolean } = {},
): Promise<Record<string, unknown>> {
  const key = `${options.refresh === true}|${arn}`;
  let reading = inFlight.get(key);
  if (reading === undefined) {
    reading = read(arn, variable, options.refresh === true).finally(() => inFlight.delete(key));
    inFlight.set(key, reading);
  }
  return reading;
}

async function read(arn: string, variable: string, refresh: boolean): Promise<Record<string, unknown>> {
  const raw = await secrets().get(arn, {
    maxAge: SECRET_MAX_AGE_SECONDS,
    forceFetch: refresh,
  });
  if (typeof raw !== 'string') throw new ConfigError(`The secret named by ${variable} has no SecretString`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
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
